"""Module.apply, forward pre-hooks and full backward hooks, each run side by side with torch:
the same calls, the same arguments seen by the hooks, the same gradients."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn

from helpers import assert_close

# torch warns when a full backward hook fires from the output (no input requires grad): that
# case is one of the behaviours compared here
pytestmark = pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")


def _np(t):
    if t is None:
        return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def _same(ours, theirs, what):
    """Two tuples of tensors/None from a hook, entry by entry."""
    assert len(ours) == len(theirs), f"{what}: {len(ours)} entries vs torch {len(theirs)}"
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert (o is None) == (t is None), f"{what}[{k}]: {o} vs torch {t}"
        if o is not None:
            assert_close(o, t, np.float64, f"{what}[{k}]")


# ---- apply ---------------------------------------------------------------------------------
def test_apply_visits_children_first_as_torch():
    def build(lib):
        return lib.Sequential(lib.Linear(2, 3), lib.Sequential(lib.ReLU(), lib.Linear(3, 1)))

    seen, tseen = [], []
    ours = build(nn).apply(lambda m: seen.append(type(m).__name__))
    build(torch.nn).apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen and isinstance(ours, nn.Sequential)


def test_apply_can_initialise_weights():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    model.apply(init)
    assert all((p.data == 0.5).all() for n, p in model.named_parameters() if "weight" in n)
    assert all(not p.data.any() for n, p in model.named_parameters() if "bias" in n)


# ---- forward pre-hooks ---------------------------------------------------------------------
class _Mul(nn.Module):
    def forward(self, a, b=None):
        return a * 2 if b is None else a * b


class _TMul(torch.nn.Module):
    def forward(self, a, b=None):
        return a * 2 if b is None else a * b


@pytest.mark.parametrize("returns", ["none", "tuple", "single"])
def test_forward_pre_hook_sees_and_replaces_args_as_torch(returns):
    results = {}
    for lib, mod, tensor in ((nn, _Mul(), ag.tensor), (torch.nn, _TMul(), torch.tensor)):
        calls = []

        def hook(m, args, calls=calls, tensor=tensor):
            calls.append(tuple(_np(a).tolist() for a in args))
            if returns == "tuple":
                return (args[0] + 1, tensor([10.0]))
            if returns == "single":
                return args[0] * 3
            return None

        handle = mod.register_forward_pre_hook(hook)
        out = mod(tensor([1.0, 2.0]), tensor([5.0]))
        handle.remove()
        after = mod(tensor([1.0, 2.0]))
        results[lib.__name__] = (calls, _np(out).tolist(), _np(after).tolist())
    assert results["nn"] == results["torch.nn"]


def test_forward_pre_hook_runs_before_forward_hooks_and_forward():
    order = []
    m = _Mul()
    m.register_forward_hook(lambda mod, args, out: order.append(("forward_hook", args[0].item())))
    m.register_forward_pre_hook(lambda mod, args: order.append(("pre", args[0].item())))
    m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    m(ag.tensor(1.0))
    assert order == [("pre", 1.0), ("forward_hook", 2.0)]


# ---- full backward hooks -------------------------------------------------------------------
def _run_both(build, make_args, replace=None):
    """Call the module built by `build(lib)` on `make_args(tensor_fn, requires_grad)`, sum,
    backward; return what the hooks saw and the leaves' gradients, ours and torch's."""
    out = {}
    for lib, tensor in ((nn, lambda a, rg=False: ag.tensor(np.asarray(a, np.float64),
                                                            requires_grad=rg)),
                        (torch.nn, lambda a, rg=False: torch.tensor(np.asarray(a, np.float64),
                                                                    requires_grad=rg))):
        module = build(lib)
        seen = []

        def hook(m, grad_input, grad_output, seen=seen):
            seen.append((grad_input, grad_output))
            return replace(grad_input) if replace else None

        module.register_full_backward_hook(hook)
        args = make_args(tensor)
        result = module(*args)
        result = result[0] if isinstance(result, tuple) else result
        result.sum().backward()
        leaves = [a.grad for a in args if hasattr(a, "grad") and a.requires_grad]
        out[lib.__name__] = (seen, leaves)
    return out["nn"], out["torch.nn"]


def _linear(lib):
    m = lib.Linear(3, 2)
    w = np.arange(6.0).reshape(2, 3) / 7 - 0.3
    if lib is nn:
        m.weight.data = w.copy()
        m.bias.data = np.array([0.1, -0.2])
    else:
        m.double()
        with torch.no_grad():
            m.weight.copy_(torch.tensor(w))
            m.bias.copy_(torch.tensor([0.1, -0.2]))
    return m


class _Two(nn.Module):
    def forward(self, a, b, k=1.0):
        return a * b * k + a


class _TTwo(torch.nn.Module):
    def forward(self, a, b, k=1.0):
        return a * b * k + a


def _two(lib):
    return _Two() if lib is nn else _TTwo()


X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
Y = [[2.0, 3.0, -1.0], [0.5, -2.0, 1.0]]
CASES = {
    "linear": (_linear, lambda t: (t(X, True),)),
    "input_without_grad": (_linear, lambda t: (t(X),)),
    "two_inputs": (_two, lambda t: (t(X, True), t(Y, True))),
    "second_input_without_grad": (_two, lambda t: (t(X, True), t(Y))),
    "first_input_without_grad": (_two, lambda t: (t(X), t(Y, True))),
    "non_tensor_argument": (_two, lambda t: (t(X, True), t(Y, True), 3.0)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_full_backward_hook_arguments_match_torch(case):
    build, make_args = CASES[case]
    (seen, leaves), (tseen, tleaves) = _run_both(build, make_args)
    assert len(seen) == len(tseen) == 1, f"hook calls: {len(seen)} vs torch {len(tseen)}"
    _same(seen[0][0], tseen[0][0], "grad_input")
    _same(seen[0][1], tseen[0][1], "grad_output")
    for k, (g, tg) in enumerate(zip(leaves, tleaves)):
        assert_close(g, tg, np.float64, f"leaf {k} grad")


@pytest.mark.parametrize("case", ["linear", "two_inputs"])
def test_full_backward_hook_return_replaces_grad_input_as_torch(case):
    build, make_args = CASES[case]

    def replace(grad_input):
        return tuple(None if g is None else g * 10 for g in grad_input)

    (seen, leaves), (tseen, tleaves) = _run_both(build, make_args, replace)
    assert leaves and len(leaves) == len(tleaves)
    for k, (g, tg) in enumerate(zip(leaves, tleaves)):
        assert_close(g, tg, np.float64, f"leaf {k} grad after the hook")


def test_full_backward_hook_on_a_layer_inside_a_model_and_parameter_grads():
    seen = {}
    for lib, tensor in ((nn, ag.tensor), (torch.nn, torch.tensor)):
        lin = _linear(lib)
        model = lib.Sequential(lin, lib.Tanh())

        def hook(m, gi, go, name=lib.__name__):
            seen[name] = (gi, go)

        lin.register_full_backward_hook(hook)
        x = tensor(np.asarray(X, np.float64))  # the input needs no grad: grad_input is (None,)
        (model(x) ** 2).sum().backward()
        seen[lib.__name__ + ".weight"] = lin.weight.grad
    _same(seen["nn"][0], seen["torch.nn"][0], "grad_input")
    _same(seen["nn"][1], seen["torch.nn"][1], "grad_output")
    assert_close(seen["nn.weight"], seen["torch.nn.weight"], np.float64, "weight grad")


def test_full_backward_hook_removed_and_not_set_up_under_no_grad():
    calls = []
    m = _Mul()
    handle = m.register_full_backward_hook(lambda *a: calls.append(1))
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        assert not m(x).requires_grad
    m(x).sum().backward()
    handle.remove()
    m(x).sum().backward()
    assert calls == [1]


def test_full_backward_hook_with_tuple_output_and_wrong_return_length():
    class Pair(nn.Module):
        def forward(self, a):
            return a * 2, a * 3

    seen = []
    m = Pair()
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    first, second = m(x)
    (first + second * 0.5).sum().backward()
    (gi,), (g0, g1) = seen[0]
    np.testing.assert_allclose(gi.data, [3.5, 3.5])
    np.testing.assert_allclose(g0.data, [1.0, 1.0])
    np.testing.assert_allclose(g1.data, [0.5, 0.5])
    m2 = _Mul()
    m2.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="full backward hook of _Mul: returned 2 grad_input "
                                           "values, expected 1"):
        m2(ag.tensor([1.0], requires_grad=True)).sum().backward()
