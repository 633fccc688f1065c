"""Ops on arrays that are not in C order (a channels-last activation viewed as NCHW):
results match numpy and PyTorch, and gradients keep the layout of their inputs."""

import itertools

import numpy as np
import pytest
import torch

import autograd as ag
import nn.functional as F
from autograd.ops.reduce import _sum

from helpers import TOL, check_gradcheck, check_parity


def _layouts(rng, dtype):
    """(name, array) pairs: one logical (16, 8, 16, 9) shape stored in several orders, big
    enough for the BLAS sum (sums keeping fewer than 128 values per row take it)."""
    c_order = rng.standard_normal((16, 8, 16, 9)).astype(dtype)
    channels_last = np.ascontiguousarray(c_order.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    reversed_ = np.ascontiguousarray(c_order.T).T
    with_ones = rng.standard_normal((1, 1024, 1, 9)).astype(dtype)
    strided = rng.standard_normal((16, 16, 16, 9)).astype(dtype)[:, ::2]
    return [("c_order", c_order), ("channels_last", channels_last), ("reversed", reversed_),
            ("size_one_dims", with_ones), ("strided", strided)]


ALL_DIMS = [dims for r in range(1, 4) for dims in itertools.combinations(range(4), r)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_matches_numpy_for_every_layout_and_dim_set(dtype):
    rng = np.random.default_rng(0)
    for (name, arr), dims, keepdim in itertools.product(_layouts(rng, dtype), ALL_DIMS,
                                                        (False, True)):
        ours = _sum(arr, dims, keepdim)
        theirs = np.sum(arr.astype(np.float64), axis=dims, keepdims=keepdim)
        assert ours.shape == theirs.shape, (name, dims, keepdim)
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs, **TOL[dtype], err_msg=f"{name} {dims}")


def test_sum_of_empty_and_integer_arrays_matches_numpy():
    for arr in (np.zeros((0, 3), np.float32), np.arange(24).reshape(2, 3, 4).transpose(2, 0, 1)):
        for dims in ((0,), (1,), (0, 1)):
            np.testing.assert_array_equal(_sum(arr, dims, False), np.sum(arr, axis=dims))


def _channels_last(t):
    return t.permute(0, 3, 1, 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_channels_last_reductions_match_torch(dtype):
    arrays = [np.random.default_rng(1).standard_normal((4, 5, 6, 3))]  # stored (N, H, W, C)
    check_parity(lambda a: _channels_last(a).sum(dim=(0, 2, 3)),
                 lambda a: _channels_last(a).sum(dim=(0, 2, 3)), arrays, dtype)
    check_parity(lambda a: _channels_last(a).var(dim=(0, 2, 3), keepdim=True),
                 lambda a: _channels_last(a).var(dim=(0, 2, 3), keepdim=True), arrays, dtype)


def test_channels_last_reductions_gradcheck():
    arrays = [np.random.default_rng(2).standard_normal((2, 3, 4, 3))]
    check_gradcheck(lambda a: _channels_last(a).sum(dim=(0, 2, 3)) ** 2, arrays)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=(2, 3), stride=1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_of_channels_last_input_matches_torch(kwargs, dtype):
    """Windows over channels-last memory are gathered channels innermost (another path)."""
    stored = np.maximum(np.round(np.random.default_rng(8).standard_normal((3, 7, 6, 5))), 0)
    check_parity(lambda a: F.max_pool2d(_channels_last(a), **kwargs),
                 lambda a: torch.nn.functional.max_pool2d(a.permute(0, 3, 1, 2), **kwargs),
                 [stored], dtype)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pooling_gradient_keeps_the_channels_last_layout(pool):
    """The fold allocates the gradient in its input's memory order: the channels-last
    activation's gradient comes back channels-last, so the permute back is C order."""
    stored = np.random.default_rng(3).standard_normal((2, 6, 6, 4)).astype(np.float32)
    ours = ag.tensor(stored, requires_grad=True)
    theirs = torch.tensor(stored, requires_grad=True)
    pool_ours = F.max_pool2d if pool == "max" else F.avg_pool2d
    pool_torch = torch.nn.functional.max_pool2d if pool == "max" else torch.nn.functional.avg_pool2d
    (pool_ours(_channels_last(ours), 2) ** 2).sum().backward()
    (pool_torch(theirs.permute(0, 3, 1, 2), 2) ** 2).sum().backward()
    assert ours.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOL[np.float32])


def test_conv2d_of_channels_last_input_matches_torch():
    rng = np.random.default_rng(4)
    stored, w = rng.standard_normal((2, 7, 7, 3)), rng.standard_normal((4, 3, 3, 3))
    ours = ag.tensor(stored, requires_grad=True)
    theirs = torch.tensor(stored, requires_grad=True)
    F.conv2d(_channels_last(ours), ag.tensor(w), padding=1).sum().backward()
    torch.nn.functional.conv2d(theirs.permute(0, 3, 1, 2), torch.tensor(w),
                               padding=1).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **TOL[np.float64])


def _broadcast_pairs(rng):
    """(big, small) operand pairs where the small one is widened before the ufunc runs."""
    nhwc = np.ascontiguousarray(rng.standard_normal((4, 16, 16, 8))).transpose(0, 3, 1, 2)
    nchw = rng.standard_normal((4, 8, 16, 16))
    per_channel = rng.standard_normal((1, 8, 1, 1))
    expanded = np.broadcast_to(rng.standard_normal((1, 8, 1, 1)), nhwc.shape)
    rows = rng.standard_normal((1, 2304, 8))
    return [(nhwc, per_channel), (nchw, per_channel), (nhwc, expanded), (nchw, expanded),
            (nhwc, per_channel[0]), (rows, rng.standard_normal((1, 1, 8))),
            (nhwc, rng.standard_normal((1, 1, 16, 1)))]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcast_ops_give_numpys_exact_result_in_every_layout(op):
    """A small broadcast operand is copied into the large one's layout first: the values
    must be bit for bit numpy's, with either operand on the left, and keep float32."""
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}[op]
    rng = np.random.default_rng(5)
    for big, small in _broadcast_pairs(rng):
        for dtype in (np.float64, np.float32):
            a, b = big.astype(dtype), small.astype(dtype)
            for left, right in ((a, b), (b, a)):
                ours = getattr(ag.tensor(left), f"__{op if op != 'div' else 'truediv'}__")(
                    ag.tensor(right)).numpy()
                np.testing.assert_array_equal(ours, ufunc(left, right))
                assert ours.dtype == dtype


def test_broadcast_with_channels_last_activation_matches_torch():
    stored = np.random.default_rng(6).standard_normal((4, 12, 12, 8))
    scale = np.random.default_rng(7).standard_normal((1, 8, 1, 1))
    for dtype in (np.float64, np.float32):
        check_parity(lambda a, s: _channels_last(a) * s + s,
                     lambda a, s: a.permute(0, 3, 1, 2) * s + s, [stored, scale], dtype)


@pytest.mark.parametrize("dtype,value", [
    (np.float32, 0.0), (np.float32, -np.inf), (np.float64, 2.5), (np.int64, 0), (np.int64, 7),
])
def test_pad_matches_numpy_and_keeps_the_input_layout(dtype, value):
    stored = np.arange(2 * 5 * 4 * 3).reshape(2, 5, 4, 3).astype(dtype)
    x = ag.tensor(stored).permute(0, 3, 1, 2)  # a channels-last view
    widths = ((0, 0), (1, 0), (2, 1), (0, 3))
    out = ag.pad(x, widths, value=value)
    np.testing.assert_array_equal(out.numpy(), np.pad(x.numpy(), widths, constant_values=value))
    assert out.dtype == dtype and out.numpy().strides[1] < out.numpy().strides[3]  # channels last


def test_shapes_that_do_not_broadcast_still_raise_the_ops_error():
    big = ag.tensor(np.zeros((4, 8, 12, 12)))
    with pytest.raises(ValueError, match="mul"):
        big * ag.tensor(np.zeros((1, 7, 1, 1)))
