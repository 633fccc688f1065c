"""Gradient ownership: an array that reaches user code is never written by a later
accumulation, and a `.grad` never shares memory with another `.grad` or with anything user
code holds. Each case runs the same program on chainrule and PyTorch and compares every
value the user can see, after `.grad` has been zeroed or scaled in place as `zero_grad`
and `clip_grad_norm_` do."""

import itertools

import numpy as np
import pytest
import torch

import autograd as ag
import nn


def _np(t):
    return np.array(t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy())


def _leaves(m, *values):
    return [m.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]


def _both(program):
    """Run `program(m)` for chainrule and torch; compare the arrays each returns."""
    ours, theirs = program(ag), program(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(_np(a), _np(b))


def _zero_all_grads(*leaves):
    for t in leaves:
        t.grad.zero_()


def test_a_leaf_hook_that_keeps_its_gradient_keeps_its_values():
    def program(m):
        kept = []
        (x,) = _leaves(m, [1.0, 2.0, 3.0])
        x.register_hook(lambda g: kept.append(g))
        (x * 2).sum().backward()
        _zero_all_grads(x)
        return [kept[0], x.grad]

    _both(program)


def test_a_node_hook_that_keeps_its_gradient_keeps_its_values():
    def program(m):
        kept = []
        (x,) = _leaves(m, [1.0, 2.0, 3.0])
        y = x.clone()  # clone passes its gradient on unchanged
        y.register_hook(lambda g: kept.append(g))
        (y * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).sum().backward()
        _zero_all_grads(x)
        return [kept[0], x.grad]

    _both(program)


def test_a_hooks_returned_gradient_is_not_the_leafs_grad():
    def program(m):
        (x,) = _leaves(m, [1.0, 2.0])
        replacement = m.tensor([5.0, 7.0], dtype=m.float64)
        x.register_hook(lambda g: replacement)
        (x * 3).sum().backward()
        _zero_all_grads(x)
        return [replacement, x.grad]

    _both(program)


def test_retain_grad_keeps_its_values_when_the_leaf_grad_is_zeroed():
    def program(m):
        (x,) = _leaves(m, [1.0, -2.0])
        y = x.clone()
        y.retain_grad()
        (y * m.tensor([3.0, 4.0], dtype=m.float64)).sum().backward()
        _zero_all_grads(x)
        return [y.grad, x.grad]

    _both(program)


def _logging_function(m):
    """A Function whose backward returns a tensor it also logs, or one it saved."""
    base = ag.Function if m is ag else torch.autograd.Function
    log = []

    class Scale(base):
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(s)
            return x * s

        @staticmethod
        def backward(ctx, grad):
            (s,) = ctx.saved_tensors
            out = grad * s
            log.append(out)
            return out, None

    class Dot(base):  # d(sum(x * s))/dx with a gradient of 1 is s itself
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(s)
            return (x * s).sum()

        @staticmethod
        def backward(ctx, grad):
            (s,) = ctx.saved_tensors
            return s, None

    return Scale, Dot, log


def test_a_functions_logged_result_is_not_the_leafs_grad():
    def program(m):
        scale, _, log = _logging_function(m)
        (x,) = _leaves(m, [1.0, 2.0])
        s = m.tensor([3.0, 4.0], dtype=m.float64)
        scale.apply(x, s).sum().backward()
        _zero_all_grads(x)
        return [log[0], x.grad, s]

    _both(program)


def test_a_functions_saved_tensor_returned_as_gradient_is_not_the_leafs_grad():
    def program(m):
        _, dot, _ = _logging_function(m)
        (x,) = _leaves(m, [1.0, 2.0])
        s = m.tensor([3.0, 4.0], dtype=m.float64)
        dot.apply(x, s).backward()
        _zero_all_grads(x)
        return [s, x.grad]

    _both(program)


@pytest.mark.parametrize("with_inputs", [False, True])
def test_add_with_a_callers_gradient_gives_each_leaf_its_own_grad(with_inputs):
    """Add hands one gradient to both inputs: clipping must scale each leaf's copy once,
    and the caller's gradient stays as it was."""

    def program(m):
        x, y = _leaves(m, [3.0, 4.0], [0.0, 0.0])
        g = m.tensor([3.0, 4.0], dtype=m.float64)
        (x + y).backward(g, inputs=[x, y] if with_inputs else None)
        clip = nn.utils.clip_grad_norm_ if m is ag else torch.nn.utils.clip_grad_norm_
        clip([x, y], max_norm=1.0)
        return [g, x.grad, y.grad]

    _both(program)


def test_the_callers_gradient_is_never_a_leafs_grad():
    def program(m):
        (x,) = _leaves(m, [1.0, 2.0])
        g = m.tensor([5.0, 6.0], dtype=m.float64)
        x.clone().backward(g)
        _zero_all_grads(x)
        return [g, x.grad]

    _both(program)


def test_autograd_grads_results_are_not_changed_by_later_accumulation():
    def program(m):
        x, w = _leaves(m, [1.0, 2.0], [3.0, 4.0])
        out = (x * w).sum() + (x * x).sum()
        gx, gw = (ag.grad if m is ag else torch.autograd.grad)(out, [x, w], retain_graph=True)
        out.backward(retain_graph=True)
        out.backward()
        _zero_all_grads(x, w)
        return [gx, gw, x.grad, w.grad]

    _both(program)


def test_no_two_leaf_grads_share_memory_with_each_other_or_the_caller():
    x, y, z = _leaves(ag, [1.0, 2.0], [3.0, 4.0], [5.0, 6.0])
    g = ag.tensor([1.0, 1.0], dtype=ag.float64)
    u = x.clone()
    u.retain_grad()
    (u + y + z * 1).backward(g)
    arrays = [x.grad.numpy(), y.grad.numpy(), z.grad.numpy(), g.numpy(), u.grad.numpy()]
    for a, b in itertools.combinations(range(len(arrays)), 2):
        assert not np.shares_memory(arrays[a], arrays[b]), (a, b)


def test_the_engine_still_adds_its_own_sums_in_place():
    """What the engine made in this pass it may reuse: three gradients reaching one node are
    summed into one array the engine allocated (two adds, the second in place)."""
    x = ag.tensor(np.arange(4.0), requires_grad=True)
    y = x * 1
    (y * 2 + y * 3 + y * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 10.0))


# ---- a failing backward leaves every .grad as it was ----------------------------------------
def _boom(grad):
    raise ValueError("hook failed")


@pytest.mark.parametrize("where", ["leaf", "node"])
def test_a_hook_that_raises_leaves_every_grad_unchanged(where):
    x, y = _leaves(ag, [1.0, 2.0], [3.0, 4.0])
    x.grad = ag.tensor([10.0, 20.0], dtype=ag.float64)
    u = y * 2
    u.retain_grad()
    (u if where == "node" else y).register_hook(_boom)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 3 + u).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 20.0])
    assert y.grad is None and u.grad is None
    assert ag.is_grad_enabled()


def test_a_linear_layers_gradients_become_its_grads_without_a_copy(monkeypatch):
    """The weight's gradient reaches it through W.T's view op and the bias's through the
    engine's sum over the batch: both are memory of this pass that nothing else holds, so
    each becomes `.grad` as it is (and is still the leaf's own, as PyTorch's would be)."""
    from autograd import engine

    kept = {}

    def accumulate(tensor, grad, create_graph, owned):
        kept[tensor] = owned
        return real(tensor, grad, create_graph, owned)

    real = engine._accumulate
    monkeypatch.setattr(engine, "_accumulate", accumulate)
    layer = nn.Linear(5, 3).double()
    x = ag.tensor(np.random.default_rng(0).normal(size=(4, 5)), requires_grad=True)
    layer(x).square().sum().backward()
    assert kept == {layer.weight: True, layer.bias: True, x: True}
    arrays = [layer.weight.grad.numpy(), layer.bias.grad.numpy(), x.grad.numpy()]
    for a, b in itertools.combinations(arrays, 2):
        assert not np.shares_memory(a, b)


def test_a_conv_weights_grad_is_laid_out_as_the_weight():
    """The engine's own gradient can be a strided view (conv2d's weight gradient comes back
    through a reshape and a transpose); `.grad` is laid out as the weight, as PyTorch's is."""
    conv = nn.Conv2d(8, 16, 3)
    x = ag.tensor(np.random.default_rng(0).normal(size=(2, 8, 6, 6)).astype(np.float32))
    conv(x).square().sum().backward()
    for p in conv.parameters():
        assert p.grad.numpy().flags.c_contiguous, p.shape


@pytest.mark.parametrize("shape", [(1,), (4,), (2, 3), (1, 1), (3, 1, 2)])
@pytest.mark.parametrize("reduce", ["sum", "mean", "reshape_sum", "expand_sum"])
def test_a_grad_from_a_broadcast_gradient_is_writeable_memory_of_its_own(shape, reduce):
    """sum's VJP hands back a broadcast (read-only, zero-stride) view of one number: the
    engine may not keep it as `.grad`, which zero_grad(set_to_none=False) and clipping
    write in place."""
    x = ag.tensor(np.ones(shape), requires_grad=True)
    forward = {"sum": lambda: x.sum(), "mean": lambda: x.mean(),
               "reshape_sum": lambda: x.reshape(-1).sum(),
               "expand_sum": lambda: x.expand(2, *shape).sum()}[reduce]
    forward().backward()
    g = x.grad.numpy()
    assert g.flags.writeable and g.flags.c_contiguous and 0 not in g.strides or g.size == 1
    x.grad.zero_()  # as zero_grad(set_to_none=False) does
    forward().backward()
    expected = {"sum": 1.0, "mean": 1.0 / x.numel(), "reshape_sum": 1.0, "expand_sum": 2.0}
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, expected[reduce]))
