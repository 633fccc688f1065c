"""Bad input from issue 14 gets a clear error naming the op, before anything changes; and the
empty inputs PyTorch accepts work."""

import numpy as np
import pytest
import torch

import autograd as ag

from helpers import OpCase, assert_close, cases, check_parity

BIG = 2**63  # one past int64's largest


# ---- Python ints beyond the dtype: raise "Overflow", never wrap ------------------------------
@pytest.mark.parametrize("make,op", [
    (lambda: ag.tensor(BIG), "tensor"),
    (lambda: ag.tensor([1, 2**64]), "tensor"),  # numpy makes an object array
    (lambda: ag.tensor([BIG, -1]), "tensor"),  # numpy makes a float64 array
    (lambda: ag.tensor([[1], [-BIG - 1]]), "tensor"),
    (lambda: ag.tensor(BIG, dtype=ag.int64), "tensor"),
    (lambda: ag.tensor(300, dtype=np.uint8), "tensor"),
    (lambda: ag.full((2,), BIG), "full"),
    (lambda: ag.tensor([1, 2]) + BIG, "add"),
    (lambda: BIG - ag.tensor([1]), "sub"),
    (lambda: ag.tensor([1, 2]) * 2**70, "mul"),
    (lambda: ag.tensor([1], dtype=ag.int32) + 2**40, "add"),
    (lambda: ag.maximum(ag.tensor([1]), 2**64), "maximum"),
    (lambda: ag.where(ag.tensor([True]), ag.tensor([1]), 2**64), "where"),
    (lambda: ag.where(ag.tensor([True]), -(2**64), ag.tensor([1])), "where"),
])
def test_ints_beyond_the_dtype_raise_overflow(make, op):
    with pytest.raises(OverflowError, match=rf"^{op}: Overflow: the Python int -?\d+ does not fit"):
        make()


def test_overflow_is_a_value_error_as_from_torch_tensor():
    with pytest.raises(ValueError, match="Overflow"):
        torch.tensor(BIG)
    with pytest.raises(ValueError, match="Overflow"):
        ag.tensor(BIG)


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63)])
def test_int64_extremes_still_fit(value):
    assert ag.tensor(value).item() == torch.tensor(value).item() == value
    assert ag.tensor([value, 1]).dtype == ag.int64


def test_floats_and_big_ints_as_float_still_work():
    assert ag.tensor(BIG, dtype=ag.float32).item() == torch.tensor(BIG, dtype=torch.float32).item()
    assert ag.tensor([1e30, -1.0]).dtype == ag.float32


# ---- max()/min() with keepdim and no dim -------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_keepdim_without_dim_raise(op):
    with pytest.raises(TypeError):
        getattr(torch.tensor([1.0, 2.0]), op)(keepdim=True)
    with pytest.raises(TypeError, match=rf"{op}: keepdim=True needs a dim"):
        getattr(ag.tensor([1.0, 2.0]), op)(keepdim=True)


# ---- sizes must be ints ------------------------------------------------------------------------
@pytest.mark.parametrize("make,op", [
    (lambda: ag.zeros(2.5), "zeros"),
    (lambda: ag.ones(2.5), "ones"),
    (lambda: ag.zeros((2.5, 3)), "zeros"),
    (lambda: ag.zeros(2, 3.0), "zeros"),
    (lambda: ag.full((2.5,), 1.0), "full"),
    (lambda: ag.full(2.5, 1.0), "full"),
    (lambda: ag.rand(2.5), "rand"),
    (lambda: ag.randn(2.5), "randn"),
    (lambda: ag.randint(0, 3, (2.5,)), "randint"),
    (lambda: ag.zeros(True), "zeros"),
    (lambda: ag.zeros("3"), "zeros"),
    (lambda: ag.zeros(2, 3).reshape(3.0, 2), "reshape"),
    (lambda: ag.zeros(2, 3).expand(2.0, 3), "expand"),
])
def test_non_int_sizes_raise_type_error(make, op):
    with pytest.raises(TypeError, match=rf"^{op}: sizes must be ints, got"):
        make()


def test_numpy_int_sizes_are_ints():
    assert ag.zeros(np.int64(2), np.int32(3)).shape == (2, 3)
    assert ag.ones((np.int64(2),)).shape == (2,)


def test_torch_refuses_float_sizes_too():
    with pytest.raises(TypeError):
        torch.zeros(2.5)


# ---- arange ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    ((0, 5, 0), "step must be nonzero"),
    ((0.0, 1.0, 0.0), "step must be nonzero"),
    ((0, 5, -1), "upper bound and lower bound inconsistent with step sign"),
    ((5, 0), "upper bound and lower bound inconsistent with step sign"),
])
def test_arange_bad_step_raises_as_torch(args, message):
    with pytest.raises(RuntimeError, match=message):
        torch.arange(*args)
    with pytest.raises(RuntimeError, match=rf"^arange: {message}"):
        ag.arange(*args)


def test_arange_still_counts():
    assert ag.arange(5).numpy().tolist() == torch.arange(5).tolist()
    assert ag.arange(3, 0, -1).numpy().tolist() == torch.arange(3, 0, -1).tolist()
    assert ag.arange(2, 2).shape == tuple(torch.arange(2, 2).shape)


# ---- dim must be an int or a tuple of ints -----------------------------------------------------
DIM_OPS = ["sum", "mean", "var", "std", "amax", "amin", "logsumexp"]


@pytest.mark.parametrize("op", DIM_OPS)
@pytest.mark.parametrize("dim", [1.0, "a", (0, 1.0), [None]])
def test_reduction_dim_must_be_int_or_tuple(op, dim):
    with pytest.raises(TypeError, match=rf"^{op}: dim must be an int or a tuple of ints, got"):
        getattr(ag.ones(2, 3), op)(dim=dim)


@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin"])
def test_extreme_dim_must_be_int(op):
    with pytest.raises(TypeError, match=rf"^{op}: dim must be an int"):
        getattr(ag.ones(2, 3), op)(dim=1.0)


# ---- integer ** negative integer ---------------------------------------------------------------
@pytest.mark.parametrize("base,exponent", [([1, 2], -1), ([True], -2), ([[3]], -1)])
def test_int_to_negative_int_power_raises_as_torch(base, exponent):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        torch.tensor(base) ** exponent
    with pytest.raises(RuntimeError,
                       match=r"^pow: Integers to negative integer powers are not allowed"):
        ag.tensor(base) ** exponent


def test_int_power_still_works_and_float_negative_power_too():
    assert (ag.tensor([1, 2]) ** 2).numpy().tolist() == [1, 4]
    assert_close(ag.tensor([1, 2]) ** -1.0, torch.tensor([1, 2]) ** -1.0, np.float32, "pow")
    with pytest.raises(ag.ShapeError, match="pow: shapes"):  # a real broadcast error stays one
        ag.tensor([[1, 2]]) ** ag.tensor([1, 2, 3])


# ---- reductions over a non-empty dim of an empty tensor ----------------------------------------
EMPTY = [
    OpCase("amax_dim1", lambda a: a.amax(dim=1), lambda a: a.amax(dim=1), data=[np.zeros((0, 3))]),
    OpCase("amin_keepdim", lambda a: a.amin(dim=1, keepdim=True),
           lambda a: a.amin(dim=1, keepdim=True), data=[np.zeros((0, 3))]),
    OpCase("max_dim1", lambda a: a.max(dim=1)[0], lambda a: a.max(dim=1)[0],
           data=[np.zeros((0, 3))]),
    OpCase("min_dim_neg", lambda a: a.min(dim=-1, keepdim=True)[0],
           lambda a: a.min(dim=-1, keepdim=True)[0], data=[np.zeros((2, 0, 3))]),
    OpCase("logsumexp_dim1", lambda a: a.logsumexp(dim=1), lambda a: a.logsumexp(1),
           data=[np.zeros((0, 3))]),
]


@pytest.mark.parametrize("case,shapes", cases(EMPTY))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reductions_over_non_empty_dims_of_empty_tensors(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_arg_extremes_over_non_empty_dims_of_empty_tensors(op, keepdim):
    ours = getattr(ag.zeros(0, 3), op)(dim=1, keepdim=keepdim)
    theirs = getattr(torch.zeros(0, 3), op)(dim=1, keepdim=keepdim)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == ag.int64
    (idx,) = [ag.zeros(0, 3).max(dim=1)[1]]
    assert idx.shape == (0,) and idx.dtype == ag.int64


@pytest.mark.parametrize("call,op", [
    (lambda t: t.amax(dim=0), "amax"), (lambda t: t.amin(dim=(0, 1)), "amin"),
    (lambda t: t.max(dim=0), "max"), (lambda t: t.min(dim=0), "min"),
    (lambda t: t.argmax(dim=0), "argmax"), (lambda t: t.argmin(dim=0), "argmin"),
])
def test_reducing_over_the_empty_dim_raises(call, op):
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        call(torch.zeros(0, 3))
    with pytest.raises(ag.ShapeError, match=rf"^{op}: cannot reduce over dim 0, which has size 0"):
        call(ag.zeros(0, 3))


@pytest.mark.parametrize("op", ["max", "min", "amax", "argmax", "argmin"])
def test_reducing_an_empty_tensor_whole_raises(op):
    with pytest.raises((RuntimeError, IndexError)):
        getattr(torch.zeros(0, 3), op)()
    with pytest.raises(ag.ShapeError, match=rf"^{op}: cannot reduce an empty tensor of shape"):
        getattr(ag.zeros(0, 3), op)()


# ---- flatten and reshape on an empty batch -----------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: t.flatten(1), lambda t: t.flatten(), lambda t: t.flatten(0, 1),
    lambda t: t.flatten(-2), lambda t: t.reshape(-1, 12), lambda t: t.reshape(-1),
    lambda t: t.view(0, 12),
], ids=["flatten1", "flatten", "flatten01", "flatten-2", "reshape-1_12", "reshape-1", "view"])
def test_flatten_and_reshape_of_an_empty_batch(fn):
    check_parity(fn, fn, [np.zeros((0, 3, 4))], np.float32)
    assert ag.flatten(ag.zeros(0, 3, 4), 1).shape == (0, 12)


def test_ambiguous_reshape_of_an_empty_tensor_raises_as_torch():
    with pytest.raises(RuntimeError, match="ambiguous"):
        torch.zeros(0, 3, 4).reshape(0, -1)
    with pytest.raises(ag.ShapeError, match=r"^reshape: cannot reshape"):
        ag.zeros(0, 3, 4).reshape(0, -1)
