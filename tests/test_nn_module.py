"""nn.Module, Parameter, Sequential, ModuleList: registration, traversal, modes, hooks,
repr and state dicts, each checked against the same model built with torch.nn."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn


def cnn(m):
    """`m` is `nn` or `torch.nn`: the same architecture from either."""
    return m.Sequential(m.Conv2d(3, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                        m.Flatten(), m.Linear(4 * 4 * 4, 10))


def custom(m):
    class Block(m.Module):
        def __init__(self):
            super().__init__()
            self.fc = m.Linear(6, 6)
            self.bn = m.BatchNorm1d(6)
            self.act = m.ReLU()

        def forward(self, x):
            return self.act(self.bn(self.fc(x)))

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.stem = m.Linear(5, 6)
            self.blocks = m.ModuleList([Block(), Block()])
            self.head = m.Sequential(m.PReLU(), m.Linear(6, 2, bias=False))

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    return Net()


ARCHS = {"cnn": (cnn, (2, 3, 8, 8)), "custom": (custom, (4, 5))}
arch_params = pytest.mark.parametrize("arch", list(ARCHS))


def names_shapes(pairs):
    return [(k, tuple(v.shape)) for k, v in pairs]


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.ones((2, 3), np.float32))
        self.register_buffer("stat", ag.zeros(3))
        self.sub = nn.Linear(3, 2)
        self.plain = ag.ones(2)  # a plain Tensor attribute is neither parameter nor buffer
        self.k = 3


# ---- registration --------------------------------------------------------------------------
def test_assignment_registers_parameters_buffers_and_submodules():
    h = Holder()
    assert [k for k, _ in h.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert [k for k, _ in h.named_buffers()] == ["stat"]
    assert list(h.children()) == [h.sub]
    assert isinstance(h.w, nn.Parameter) and h.w.requires_grad and h.k == 3
    assert list(h.state_dict()) == ["w", "stat", "sub.weight", "sub.bias"]


def test_reassigning_none_unregisters():
    h = Holder()
    h.w, h.stat, h.sub = None, None, None
    assert h.w is None and h.stat is None and h.sub is None
    assert list(h.parameters()) == [] and list(h.children()) == [] and list(h.state_dict()) == []
    h.w = nn.Parameter(ag.zeros(1))
    assert [k for k, _ in h.named_parameters()] == ["w"]


@pytest.mark.parametrize("value", [ag.zeros(2, 3), np.zeros((2, 3)), 1.0])
def test_non_parameter_to_parameter_name_raises(value):
    h = Holder()
    before = h.w
    with pytest.raises(TypeError, match="'w'.*Holder"):
        h.w = value
    assert h.w is before


def test_non_tensor_to_buffer_and_non_module_to_module_raise():
    h = Holder()
    with pytest.raises(TypeError, match="'stat'"):
        h.stat = 3
    with pytest.raises(TypeError, match="'sub'"):
        h.sub = ag.zeros(2)
    h.stat = ag.ones(3)  # a Tensor replaces the buffer
    np.testing.assert_array_equal(dict(h.named_buffers())["stat"].numpy(), np.ones(3))


def test_reassigned_parameter_keeps_its_place_as_torch():
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    ours.weight = nn.Parameter(ag.zeros(3, 2))
    theirs.weight = torch.nn.Parameter(torch.zeros(3, 2))
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]


def test_parameter_is_a_leaf_tensor():
    p = nn.Parameter(ag.tensor([1.0, 2.0]))
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert not nn.Parameter(ag.zeros(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\n")


# ---- traversal -----------------------------------------------------------------------------
@arch_params
def test_named_parameters_match_torch(arch):
    build, _ = ARCHS[arch]
    ours, theirs = build(nn), build(torch.nn)
    assert names_shapes(ours.named_parameters()) == names_shapes(theirs.named_parameters())
    assert [id(p) for p in ours.parameters()] == [id(p) for _, p in ours.named_parameters()]


@arch_params
def test_children_and_modules_match_torch(arch):
    build, _ = ARCHS[arch]
    ours, theirs = build(nn), build(torch.nn)
    kinds = [type(c).__name__ for c in ours.children()]
    assert kinds == [type(c).__name__ for c in theirs.children()]
    names = [(k, type(m).__name__) for k, m in ours.named_modules()]
    assert names == [(k, type(m).__name__) for k, m in theirs.named_modules()]
    assert list(ours.modules())[0] is ours


def test_shared_parameters_counted_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 1
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight  # tied weights
    assert [k for k, _ in nn.Sequential(a, b).named_parameters()] == [
        "0.weight", "0.bias", "1.bias"]


def test_shared_module_state_dict_keys_match_torch():
    """torch lists a shared module under every path in the state dict."""
    def build(m):
        shared = m.Linear(2, 2)
        return m.Sequential(shared, m.ReLU(), shared)

    assert list(build(nn).state_dict()) == list(build(torch.nn).state_dict())


def test_sequential_and_modulelist_behave_as_lists():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert list(seq[1:]) == [b, c]
    x = ag.randn(4, 2)
    np.testing.assert_array_equal(seq(x).numpy(), c(b(a(x))).numpy())
    ml = nn.ModuleList([a])
    ml.append(b).extend([c])
    assert len(ml) == 3 and ml[2] is c and [k for k, _ in ml.named_children()] == ["0", "1", "2"]


# ---- modes, gradients, dtypes, hooks -------------------------------------------------------
@arch_params
def test_train_eval_propagate(arch):
    model = ARCHS[arch][0](nn)
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    model.train(False)
    assert not any(m.training for m in model.modules())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model(ag.randn(5, 3)).sum().backward()
    assert all(p.grad is not None and np.any(p.grad.numpy()) for p in model.parameters())
    model.zero_grad(set_to_none=set_to_none)
    for p in model.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.shape == p.shape and p.grad.dtype == p.dtype
            assert not np.any(p.grad.numpy())


def test_to_double_and_float_cast_in_place():
    model = cnn(nn)
    model(ag.randn(2, 3, 8, 8)).sum().backward()
    params = list(model.parameters())
    assert model.double() is model and list(model.parameters()) == params
    for k, v in model.state_dict().items():
        assert v.dtype == (np.int64 if k.endswith("num_batches_tracked") else np.float64), k
    assert all(p.grad.dtype == np.float64 for p in params)
    assert model(ag.randn(2, 3, 8, 8, dtype=ag.float64)).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in params)
    model.to(ag.float64)
    assert all(p.dtype == np.float64 for p in params)


def test_forward_hook_sees_module_inputs_output_and_can_replace():
    lin = nn.Linear(3, 2)
    seen = []
    handle = lin.register_forward_hook(lambda m, inputs, out: seen.append((m, inputs, out)))
    x = ag.randn(4, 3)
    out = lin(x)
    assert len(seen) == 1 and seen[0][0] is lin and seen[0][2] is out
    assert isinstance(seen[0][1], tuple) and seen[0][1][0] is x
    replace = lin.register_forward_hook(lambda m, inputs, out: out * 0 + 7)
    np.testing.assert_array_equal(lin(x).numpy(), np.full((4, 2), 7, np.float32))
    handle.remove()
    replace.remove()
    np.testing.assert_array_equal(lin(x).numpy(), out.numpy())
    assert len(seen) == 2


# ---- repr ----------------------------------------------------------------------------------
def every_layer(m):
    return m.Sequential(
        m.Conv2d(3, 8, 3, padding=1), m.BatchNorm2d(8), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(8, 4, (3, 5), stride=2, groups=2, bias=False), m.AvgPool2d(2, stride=1),
        m.Dropout(0.25), m.Flatten(), m.Linear(16, 10), m.BatchNorm1d(10), m.LeakyReLU(0.2),
        m.PReLU(), m.Sigmoid(), m.Tanh(), m.Identity(), m.Softmax(dim=1), m.LogSoftmax(dim=-1),
        m.Linear(10, 3, bias=False),
    )


@pytest.mark.parametrize("build", [cnn, custom, every_layer])
def test_repr_matches_torch(build):
    assert repr(build(nn)) == repr(build(torch.nn))


def test_modulelist_repr_compresses_repeats_as_torch():
    def build(m):
        return m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.ReLU(), m.Linear(2, 2)])

    assert repr(build(nn)) == repr(build(torch.nn))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


# ---- state dicts ---------------------------------------------------------------------------
@arch_params
def test_state_dict_matches_torch(arch):
    build, _ = ARCHS[arch]
    ours, theirs = build(nn).state_dict(), build(torch.nn).state_dict()
    assert names_shapes(ours.items()) == names_shapes(theirs.items())
    assert [str(v.dtype) for v in ours.values()] == [
        str(v.dtype).removeprefix("torch.") for v in theirs.values()]
    assert all(isinstance(v, ag.Tensor) and not v.requires_grad for v in ours.values())


def test_non_persistent_buffer_not_in_state_dict():
    h = Holder()
    h.register_buffer("scratch", ag.zeros(2), persistent=False)
    assert "scratch" in dict(h.named_buffers()) and "scratch" not in h.state_dict()


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_load_state_dict_strict_lists_every_problem_and_copies_nothing():
    model = cnn(nn)
    before = snapshot(model)
    bad = {k: ag.tensor(v + 1) for k, v in before.items()}  # all valid values...
    del bad["0.bias"]
    bad["extra.weight"] = ag.zeros(2)
    bad["5.weight"] = ag.zeros(10, 3)
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    for part in ["0.bias", "extra.weight", "5.weight", "(10, 64)", "(10, 3)"]:
        assert part in msg, (part, msg)
    for k, v in snapshot(model).items():  # ...yet nothing was copied
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_load_state_dict_non_strict_returns_keys_but_still_checks_shapes():
    model = cnn(nn)
    sd = {k: ag.tensor(v + 1) for k, v in snapshot(model).items()}
    del sd["1.running_var"]
    sd["head.bias"] = ag.zeros(3)
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.running_var"]
    assert result.unexpected_keys == ["head.bias"]
    np.testing.assert_array_equal(model[0].weight.numpy(), sd["0.weight"].numpy())
    before = snapshot(model)
    sd["0.weight"] = ag.zeros(1)
    with pytest.raises(RuntimeError, match=r"0\.weight"):
        model.load_state_dict(sd, strict=False)
    assert all(np.array_equal(v, before[k]) for k, v in snapshot(model).items())


def test_load_state_dict_casts_into_existing_parameters():
    model = nn.Linear(3, 2)
    weight = model.weight
    values = np.arange(6, dtype=np.float64).reshape(2, 3)
    model.load_state_dict({"weight": ag.tensor(values), "bias": ag.tensor([1.0, 2.0])})
    assert model.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.numpy(), values.astype(np.float32))


def run_batch_norm_step(model, shape):
    """One training-mode forward updates the running statistics; then eval."""
    model.train()
    model(ag.randn(*shape, dtype=ag.float64))
    return model.eval()


@arch_params
def test_save_load_round_trip(arch, tmp_path):
    build, shape = ARCHS[arch]
    model = run_batch_norm_step(build(nn).double(), shape)
    ag.save(model.state_dict(), tmp_path / "model.npz")
    fresh = build(nn).double().eval()
    fresh.load_state_dict(ag.load(tmp_path / "model.npz"))
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), model.state_dict()[k].numpy(), err_msg=k)
    x = ag.randn(*shape, dtype=ag.float64)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


@arch_params
def test_state_dict_moves_to_torch_and_back(arch):
    build, shape = ARCHS[arch]
    ours = run_batch_norm_step(build(nn).double(), shape)
    theirs = build(torch.nn).double().eval()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal(shape)
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(ag.tensor(x)).numpy(), expected, rtol=1e-10, atol=1e-12)

    theirs = build(torch.nn).double().train()  # new random weights, new running statistics
    with torch.no_grad():
        theirs(torch.tensor(x))
    theirs.eval()
    back = build(nn).double().eval()
    back.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    counts = [v.item() for k, v in back.state_dict().items() if k.endswith("num_batches_tracked")]
    assert counts and all(c == 1 for c in counts)
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(back(ag.tensor(x)).numpy(), expected, rtol=1e-10, atol=1e-12)
