"""The Tensor object and its constructors, checked against PyTorch where it has the same thing."""

import operator

import numpy as np
import pytest
import torch

import autograd as ag
from autograd import Tensor


def assert_same(ours: Tensor, theirs: torch.Tensor) -> None:
    """Same type, shape, dtype (torch.float32 named float32) and values as torch's result."""
    assert isinstance(ours, Tensor), type(ours)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)


@pytest.fixture(autouse=True)
def _grad_mode_on():
    """A failing grad-mode test must not leave recording off for the tests after it."""
    yield
    ag.set_grad_enabled(True)


# ---- construction and dtype inference ------------------------------------------------------
DATA = [1.5, 3, True, [1.0, 2.0], [[1, 2], [3, 4]], [True, False], [1, 2.5], [[1.0], [2]], [],
        np.array([1.0, 2.0]), np.array([1, 2], np.int32), np.array([0.5], np.float16),
        np.float64(2.5), np.array([[True]])]


@pytest.mark.parametrize("make", [Tensor, ag.tensor])
@pytest.mark.parametrize("data", DATA, ids=repr)
def test_dtype_inference_matches_torch_tensor(make, data):
    assert_same(make(data), torch.tensor(data))


@pytest.mark.parametrize("data, dtype", [([1, 2], "float64"), ([1.7, -2.7], "int64"),
                                         ([0.0, 2.0], "bool"), (np.array([1.5]), "float32")])
def test_dtype_argument_matches_torch(data, dtype):
    ours = ag.tensor(data, dtype=getattr(ag, dtype))
    assert_same(ours, torch.tensor(data, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("make", [Tensor, ag.tensor])
def test_constructors_copy_their_data(make):
    src = np.array([1.0, 2.0, 3.0])
    t = make(src)
    src[0] = 100.0
    assert t.numpy()[0] == 1.0 and not np.shares_memory(t.numpy(), src)
    u = make(t)  # from a Tensor: a copy too, as torch.tensor(t)
    t.numpy()[1] = -1.0
    assert u.numpy()[1] == 2.0


def test_from_numpy_shares_memory():
    src = np.arange(3.0)
    t = ag.from_numpy(src)
    src[0] = 7.0
    assert t.numpy() is src and t.dtype == np.float64 and t[0].item() == 7.0


# ---- type promotion and Python scalars --------------------------------------------------------
PROMOTION = {
    "int*0.5": lambda m: m.tensor([1, 2, 3]) * 0.5,
    "int/int": lambda m: m.tensor([1, 2, 3]) / m.tensor([2, 2, 2]),
    "exp(int)": lambda m: m.exp(m.tensor([1, 2])),
    "f32*f64": lambda m: m.tensor([1.0, 2.0]) * m.tensor(np.array([2.0, 3.0])),
    "f64-f32": lambda m: m.tensor(np.array([2.0])) - m.tensor([1.0]),
    "f32+float": lambda m: m.tensor([1.0, 2.0]) + 2.5,
    "f32(3,)*f64()": lambda m: m.ones(3) * m.tensor(np.float64(2.0)),
    "f64()*f32(3,)": lambda m: m.tensor(np.float64(2.0)) * m.ones(3),
    "f32()*f64()": lambda m: m.tensor(1.5) * m.tensor(np.float64(2.0)),
    "int(3,)*f64()": lambda m: m.tensor([1, 2, 3]) * m.tensor(np.float64(0.5)),
    "int64*f32": lambda m: m.tensor([1, 2]) * m.tensor([0.5, 1.5]),
    "int32*int64": lambda m: m.tensor(np.array([1, 2], np.int32)) * m.tensor([3, 4]),
    "bool+int": lambda m: m.tensor([True, False]) + m.tensor([1, 2]),
    "bool*2": lambda m: m.tensor([True, False]) * 2,
    "bool*1.5": lambda m: m.tensor([True, False]) * 1.5,
    "int+1": lambda m: m.tensor([1, 2]) + 1,
    "int**2": lambda m: m.tensor([1, 2]) ** 2,
}


@pytest.mark.parametrize("name", list(PROMOTION))
def test_type_promotion_matches_torch(name):
    assert_same(PROMOTION[name](ag), PROMOTION[name](torch))


ARITH = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", ARITH, ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [2, 0.5])
@pytest.mark.parametrize("data", [[1.0, 2.0, 4.0], [1, 2, 4]], ids=["float", "int"])
def test_python_scalars_on_either_side_match_torch(op, scalar, data):
    assert_same(op(ag.tensor(data), scalar), op(torch.tensor(data), scalar))
    assert_same(op(scalar, ag.tensor(data)), op(scalar, torch.tensor(data)))


FLOATS = [1.0001, 0.0, -0.0, 1e-50, float("nan"), float("inf"), -float("inf"), -2.5e38]


@pytest.mark.parametrize("op", ARITH, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_python_floats_give_the_bits_numpy_gives(op, dtype):
    """A float operand is made a 0-d array of the tensor's dtype once and reused; the results
    must be bit for bit numpy's own (NEP 50), signed zeros and NaN included, on every call."""
    arr = np.array([0.5, -1.5, 3.0, 0.0], dtype)
    with np.errstate(all="ignore"):  # inf * 0 and overflows warn in both; the bits must agree
        _compare_float_operands(op, arr)


def _compare_float_operands(op, arr):
    for value in FLOATS * 2:  # the second round takes the stored arrays
        for ours, ref in ((op(ag.tensor(arr), value), op(arr, value)),
                          (op(value, ag.tensor(arr)), op(value, arr))):
            assert ours.dtype == ref.dtype
            np.testing.assert_array_equal(ours.numpy().view(np.uint8), ref.view(np.uint8))


def test_python_float_overflow_warns_on_every_call():
    x = ag.tensor([1.0, 2.0])
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="overflow"):
            assert np.isinf((x * 1e300).numpy()).all()


def test_python_float_operands_are_stored_read_only_and_bounded():
    from autograd.ops import binary as ew

    x = ag.tensor([1.0, 2.0])
    first = ew._float_as_array(0.25, x.numpy())
    assert ew._float_as_array(0.25, x.numpy()) is first and not first.flags.writeable
    for i in range(3 * ew._OPERANDS_KEPT):
        x * (1.0 + i)
    assert 0 < len(ew._FLOAT32_OPERANDS) <= ew._OPERANDS_KEPT
    np.testing.assert_array_equal((x * 0.25).numpy(), [0.25, 0.5])


@pytest.mark.parametrize("op", ARITH + [operator.matmul], ids=lambda f: f.__name__)
def test_numpy_array_on_the_left_defers_to_the_tensor(op):
    x = ag.tensor([1.0, 2.0, 4.0], requires_grad=True)
    out = op(np.full(3, 2.0, np.float32), x)  # numpy would return an ndarray without
    assert isinstance(out, Tensor) and out.grad_fn is not None  # __array_ufunc__ = None
    assert_same(out, op(torch.full((3,), 2.0), torch.tensor([1.0, 2.0, 4.0])))
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


# ---- attributes --------------------------------------------------------------------------------
def test_attributes_match_torch():
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t, tt = ag.tensor(arr), torch.tensor(arr)
    assert type(t.numpy()) is np.ndarray and t.numpy() is t.numpy()
    assert t.shape == tuple(tt.shape) == (2, 3, 4) and t.ndim == tt.ndim == 3
    assert t.dtype == np.float32 and t.size() == tuple(tt.size())
    assert t.size(1) == tt.size(1) == 3 and t.size(-1) == tt.size(-1) == 4
    assert t.numel() == tt.numel() == 24 and len(t) == len(tt) == 2
    np.testing.assert_array_equal(t.T.numpy(), arr.T)  # numpy semantics: every dim reversed
    assert t.T.shape == (4, 3, 2)
    assert_same(t.mT, tt.mT)


def test_leaf_and_grad_fn():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None and x.requires_grad and x.grad is None
    assert not y.is_leaf and repr(y.grad_fn) == "<MulBackward0>" and y.requires_grad
    c = ag.tensor([1.0]) * 2  # no input requires grad: a leaf without grad_fn, as in torch
    assert c.is_leaf and c.grad_fn is None and not c.requires_grad


def test_requires_grad_setter():
    t = ag.tensor([1.0])
    t.requires_grad = True
    assert t.requires_grad and (t * 2).requires_grad
    i = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="requires_grad.*int64"):
        i.requires_grad = True
    assert not i.requires_grad
    y = t * 2
    with pytest.raises(RuntimeError, match="requires_grad.*leaf"):
        y.requires_grad = False
    assert y.requires_grad


# ---- conversions -------------------------------------------------------------------------------
def test_numpy_and_asarray_share_memory_even_with_requires_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    a = x.numpy()
    a[0] = 5.0
    assert a is x.numpy() and x.numpy()[0] == 5.0
    assert np.asarray(x) is x.numpy() and np.asarray(x, dtype=np.float64).dtype == np.float64


def test_item_tolist_and_python_numbers_match_torch():
    for data in (2.5, [7], [[True]], -3.75):
        ours, theirs = ag.tensor(data).item(), torch.tensor(data).item()
        assert ours == theirs and type(ours) is type(theirs)
    assert ag.tensor([[1.5, 2.0]]).tolist() == torch.tensor([[1.5, 2.0]]).tolist()
    assert ag.tensor([1, 2]).tolist() == [1, 2]
    assert float(ag.tensor(1.5)) == 1.5 and int(ag.tensor([-3.7])) == int(torch.tensor(-3.7)) == -3
    assert bool(ag.tensor(0.0)) is False and bool(ag.tensor([2])) is True
    with pytest.raises(RuntimeError, match="item.*2 elements"):
        ag.tensor([1.0, 2.0]).item()


def test_detach_shares_data_and_leaves_the_graph():
    y = ag.tensor([1.0, 2.0], requires_grad=True) * 2
    d = y.detach()
    assert d.numpy() is y.numpy() and d.grad_fn is None and d.is_leaf and not d.requires_grad


CASTS = [
    (lambda t: t.to(ag.float64), lambda t: t.to(torch.float64)),
    (lambda t: t.astype(np.int64), lambda t: t.to(torch.int64)),
    (lambda t: t.double().float(), lambda t: t.double().float()),
    (lambda t: t.long(), lambda t: t.long()),
    (lambda t: t.to(ag.bool), lambda t: t.to(torch.bool)),
]


@pytest.mark.parametrize("ours, theirs", CASTS)
def test_casts_match_torch(ours, theirs):
    data = [[-1.5, 0.0], [2.7, 3.0]]
    assert_same(ours(ag.tensor(data)), theirs(torch.tensor(data)))


def test_cast_to_same_dtype_is_self_and_casts_are_differentiable():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(ag.float32) is x and x.float() is x and x.astype(np.float32) is x
    y = x.double()
    assert y.dtype == np.float64 and repr(y.grad_fn).endswith("Backward0>")
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("op", [operator.eq, operator.ne, operator.lt, operator.le,
                                operator.gt, operator.ge], ids=lambda f: f.__name__)
def test_comparisons_return_bool_tensors_without_grad(op):
    x, tx = ag.tensor([1.0, 2.0, 3.0], requires_grad=True), torch.tensor([1.0, 2.0, 3.0])
    for other, tother in ((2.0, 2.0), (ag.tensor([[3.0], [1.0]]), torch.tensor([[3.0], [1.0]]))):
        out = op(x, other)
        assert_same(out, op(tx, tother))
        assert not out.requires_grad and out.grad_fn is None


ZERO_D_OPS = {
    "neg": operator.neg, "abs": abs, "relu": ag.relu, "clip": lambda t: t.clip(-1.0, 1.0),
    "exp": ag.exp, "log": ag.log, "log1p": ag.log1p, "sqrt": ag.sqrt, "sin": ag.sin,
    "cos": ag.cos, "tanh": ag.tanh, "sigmoid": ag.sigmoid, "pow": lambda t: t ** 2.5,
    "rpow": lambda t: 2.0 ** t, "add": lambda t: t + t, "rsub": lambda t: 1 - t,
    "mul": lambda t: t * 3.0, "div": lambda t: 1.0 / t, "maximum": lambda t: ag.maximum(t, 0.5),
    "where": lambda t: ag.where(t > 0, t, 0.0), "sum": ag.sum, "mean": ag.mean,
    "amax": lambda t: t.amax(), "cast": lambda t: t.double(), "clone": lambda t: t.clone(),
    "reshape": lambda t: t.reshape(1).reshape(()),
}


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("name", sorted(ZERO_D_OPS))
def test_zero_d_results_and_gradients_are_arrays(name, grad):
    """numpy returns scalars, not 0-d arrays, for most ops on 0-d arrays; a Tensor's data
    and its .grad must stay ndarrays (writeable in place), also after accumulating."""
    x = ag.tensor(0.75, requires_grad=grad)
    out = ZERO_D_OPS[name](x)
    assert type(out.numpy()) is np.ndarray and out.numpy().shape == ()
    if not grad:
        out.zero_()
    else:
        (out + out * out).backward(retain_graph=True)
        (out * 2.0).backward()
        assert type(x.grad.numpy()) is np.ndarray and x.grad.numpy().shape == ()


def test_hash_is_identity_based():
    a, b = ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0])
    assert isinstance(a == b, Tensor)
    keys = {a: "a", b: "b"}
    assert len(keys) == 2 and keys[a] == "a" and keys[b] == "b"
    assert len({a, b, a}) == 2 and a in {a} and b not in {a}
    assert hash(a) == object.__hash__(a)


# ---- repr --------------------------------------------------------------------------------------
REPRS = [
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda m: m.tensor([0.5, -1.25], requires_grad=True).exp(),
    lambda m: m.tensor([[0.5, -1.25], [3.0, 4.0]]),
    lambda m: m.tensor(2.5),
    lambda m: m.tensor([1e-5, 1.0]),
    lambda m: m.tensor([[1, 2], [3, 4]]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor(np.array([0.5, 2.0])),
    lambda m: m.tensor(np.array([1.0, 2.0]), requires_grad=True),
    lambda m: m.tensor(np.array([1.0, 2.0]), requires_grad=True).sum(),
    lambda m: m.tensor(np.array([1, 2], np.int32)),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr_matches_torch(make):
    """Data, then dtype= unless float32/int64/bool, then grad_fn= or requires_grad=True."""
    assert repr(make(ag)) == repr(make(torch)).replace("torch.", "")


# ---- constructors ------------------------------------------------------------------------------
CONSTRUCTORS = {
    "zeros": lambda m: m.zeros(2, 3), "zeros_tuple": lambda m: m.zeros((2, 3)),
    "ones": lambda m: m.ones(4),
    "ones_f64": lambda m: m.ones((2, 1), dtype=m.float64),
    "full_float": lambda m: m.full((2, 2), 1.5), "full_int": lambda m: m.full((3,), 7),
    "full_bool": lambda m: m.full((2,), True),
    "zeros_like_int": lambda m: m.zeros_like(m.tensor([[1, 2]])),
    "ones_like_f64": lambda m: m.ones_like(m.tensor(np.array([1.0, 2.0]))),
    "ones_like_dtype": lambda m: m.ones_like(m.tensor([1, 2]), dtype=m.float32),
    "arange_1": lambda m: m.arange(5), "arange_2": lambda m: m.arange(2, 7),
    "arange_3": lambda m: m.arange(1, 10, 3),
    "arange_float": lambda m: m.arange(0.0, 1.0, 0.25),
    "arange_float_end": lambda m: m.arange(4.0),
    "arange_mixed": lambda m: m.arange(0, 2, 0.5),
    "arange_dtype": lambda m: m.arange(3, dtype=m.float64),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace_f64": lambda m: m.linspace(-1, 1, 4, dtype=m.float64),
    "eye": lambda m: m.eye(3), "eye_rect": lambda m: m.eye(2, 3),
    "eye_int": lambda m: m.eye(2, dtype=m.int64),
}


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
def test_constructors_match_torch(name):
    assert_same(CONSTRUCTORS[name](ag), CONSTRUCTORS[name](torch))


@pytest.mark.parametrize("make", [ag.zeros, ag.ones, ag.rand, ag.randn,
                                  lambda *s, **kw: ag.full(s, 0.5, **kw)])
def test_constructors_take_dtype_and_requires_grad(make):
    t = make(2, 3, requires_grad=True)
    assert t.shape == (2, 3) and t.dtype == np.float32 and t.requires_grad and t.is_leaf
    assert make(2, dtype=ag.float64).dtype == np.float64
    for more in (ag.arange(3.0, requires_grad=True), ag.linspace(0, 1, 3, requires_grad=True),
                 ag.eye(2, requires_grad=True), ag.zeros_like(t, requires_grad=True)):
        assert more.requires_grad and more.is_leaf


def test_random_constructors_shapes_dtypes_and_ranges():
    r = ag.rand(1000)
    assert r.dtype == np.float32 and r.numpy().min() >= 0.0 and r.numpy().max() < 1.0
    n = ag.randn((100, 10))
    assert n.shape == (100, 10) and abs(n.numpy().mean()) < 0.1 and abs(n.numpy().std() - 1) < 0.1
    i = ag.randint(3, 6, (200,))
    assert i.dtype == np.int64 and set(i.tolist()) == {3, 4, 5}
    j = ag.randint(4, (2, 5))  # torch's randint(high, size)
    assert j.shape == (2, 5) and j.dtype == np.int64 and set(j.tolist()[0]) <= {0, 1, 2, 3}


def test_manual_seed_makes_draws_reproducible():
    def draws(seed):
        ag.manual_seed(seed)
        return [ag.rand(3).numpy(), ag.randn(2, 2).numpy(), ag.randint(0, 1000, (5,)).numpy()]

    first, again, other = draws(3), draws(3), draws(4)
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


# ---- save / load -------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    state = {"layer.0.weight": ag.randn(3, 2, requires_grad=True),
             "layer.0.bias": ag.zeros(3, dtype=ag.float64),
             "bn.num_batches_tracked": ag.tensor(5), "mask": ag.tensor([True, False])}
    path = tmp_path / "model.npz"
    ag.save(state, path)
    loaded = ag.load(str(path))
    assert list(loaded) == list(state)
    for name, t in state.items():
        assert isinstance(loaded[name], Tensor) and loaded[name].dtype == t.dtype
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())


# ---- grad mode ---------------------------------------------------------------------------------
def test_grad_mode_context_managers_nest():
    x = ag.tensor([1.0], requires_grad=True)
    assert ag.is_grad_enabled()
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.enable_grad():
            z = x * 2
            with ag.set_grad_enabled(False):
                assert not ag.is_grad_enabled()
            assert ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    ag.set_grad_enabled(False)  # as a plain call it switches at once
    assert not ag.is_grad_enabled() and not (x * 2).requires_grad
    ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()


def test_grad_mode_decorators():
    off, on = ag.no_grad()(ag.is_grad_enabled), ag.enable_grad()(ag.is_grad_enabled)

    @ag.set_grad_enabled(False)
    def set_off():
        return ag.is_grad_enabled()

    assert ag.is_grad_enabled()  # decorating changes nothing by itself
    assert off() is False and set_off() is False and ag.is_grad_enabled()
    with ag.no_grad():
        assert on() is True and not ag.is_grad_enabled()


GUARDS = [ag.no_grad, ag.enable_grad, lambda: ag.set_grad_enabled(False),
          lambda: ag.set_grad_enabled(True)]


@pytest.mark.parametrize("guard", GUARDS)
@pytest.mark.parametrize("start", [True, False])
def test_grad_mode_restored_after_an_exception(guard, start):
    def fail():
        raise KeyError("inside")

    ag.set_grad_enabled(start)
    with pytest.raises(KeyError):
        with guard():
            fail()
    assert ag.is_grad_enabled() is start
    decorated = guard()(fail)
    ag.set_grad_enabled(start)
    with pytest.raises(KeyError):
        decorated()
    assert ag.is_grad_enabled() is start
