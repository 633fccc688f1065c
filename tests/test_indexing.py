"""Indexing `t[key]`: PyTorch parity, numpy for negative steps, gradcheck, second order, errors."""

import re
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

from helpers import TOL, check_gradcheck, check_parity

MASK = np.array([True, False, True])


def _i64(*values):
    return ag.tensor(np.array(values, dtype=np.int64))


# (name, input shape, key). Keys hold ints, slices, None, Ellipsis, numpy arrays, lists, Tensors.
ROWS = [
    ("int", (4, 3), 2),
    ("neg_int", (4, 3), -1),
    ("int_pair", (4, 3), (1, -2)),
    ("int_to_0d", (5,), 3),
    ("slice", (5, 4), slice(1, 4)),
    ("slice_neg_bounds", (5, 4), slice(-4, -1)),
    ("slice_step", (7, 4), slice(0, 7, 2)),
    ("slice_step_2d", (7, 6), (slice(1, None, 3), slice(None, None, 2))),
    ("slice_empty", (5, 3), slice(3, 3)),
    ("none", (3, 4), None),
    ("none_mid", (3, 4), (slice(None), None)),
    ("ellipsis", (2, 3, 4), (Ellipsis, 1)),
    ("ellipsis_none", (2, 3, 4), (None, Ellipsis, None)),
    ("mixed", (2, 3, 4), (1, slice(None, None, 2), None, -1)),
    ("mixed_ellipsis", (2, 3, 4, 5), (0, Ellipsis, slice(1, 4, 2))),
    ("int_array", (5, 3), np.array([4, 0, 2])),
    ("int_list", (5, 3), [1, 3]),
    ("int_tensor", (5, 3), _i64(0, -1, 2)),
    ("int_tensor_0d", (4, 3), ag.tensor(2)),
    ("repeat_array", (5, 3), np.array([1, 1, 4, 1, 0])),
    ("repeat_list", (4,), [2, 2, 2, 0]),
    ("repeat_tensor", (4, 2), _i64(3, 0, 3)),
    ("repeat_neg_alias", (4,), [1, -3, 3, -1]),  # -3 is 1 and -1 is 3: they accumulate too
    ("repeat_pairs", (3, 4), (np.array([0, 0, 2, 0]), np.array([1, 1, 3, 1]))),
    ("repeat_dim1", (3, 4), (slice(None), [0, 3, 0])),
    ("int_array_2d", (5, 3), np.array([[0, 4], [4, 2], [1, 0]])),
    ("int_array_2d_bcast", (4, 5), (np.array([[0], [3], [3]]), np.array([[1, 4, 1]]))),
    ("array_slice", (4, 5, 3), (np.array([2, 0, 2]), slice(1, 4))),
    ("slice_array", (4, 5, 3), (slice(None, None, 2), np.array([4, 4, 1]))),
    ("array_slice_array", (4, 5, 3), (np.array([0, 3, 0]), slice(None), np.array([2, 2, 2]))),
    ("array_ellipsis", (2, 3, 4), (Ellipsis, [3, 0, 3])),
    ("array_none", (4, 3), (None, np.array([1, 1]), None)),
    ("mask_np", (3, 4), MASK),
    ("mask_tensor", (3, 4), ag.tensor(MASK)),
    ("mask_2d", (3, 4), np.arange(12).reshape(3, 4) % 3 == 0),
    ("mask_dim1", (3, 4), (slice(None), np.array([False, True, True, False]))),
    ("mask_and_array", (3, 4), (MASK, np.array([3, 3]))),
    ("mask_list", (3, 2), [True, False, True]),
    ("mask_all_false", (3, 2), np.zeros(3, bool)),
    ("empty_list", (3, 2), []),
]


def _data(name, shape):
    return np.random.default_rng(zlib.crc32(name.encode())).standard_normal(shape)


def _torch_key(key):
    if isinstance(key, tuple):
        return tuple(_torch_key(k) for k in key)
    if isinstance(key, ag.Tensor):
        return torch.from_numpy(key.numpy().copy())
    if isinstance(key, np.ndarray):
        return torch.from_numpy(key)
    return key


def _rows(rows):
    return [pytest.param(shape, key, id=name) for name, shape, key in rows]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,key", _rows(ROWS))
def test_parity_with_torch(shape, key, dtype):
    check_parity(lambda t: t[key], lambda t: t[_torch_key(key)], [_data(str(key), shape)], dtype)


@pytest.mark.parametrize("shape,key", _rows(ROWS))
def test_gradcheck(shape, key):
    # The summed output seeds every element at once, so repeated indices must accumulate.
    check_gradcheck(lambda t: (t[key], t[key].sum()), [_data(str(key), shape)])


@pytest.mark.parametrize(
    "make", [np.array, list, lambda v: ag.tensor(np.array(v))], ids=["numpy", "list", "tensor"]
)
def test_repeated_indices_accumulate(make):
    x = ag.zeros(4, 2, requires_grad=True)
    x[make([1, 3, 1, 1])].sum().backward()
    assert x.grad.tolist() == [[0, 0], [3, 3], [0, 0], [1, 1]]


# Negative steps: PyTorch has none, so numpy is the reference.
NEG_STEP = [
    ("reverse", (5,), slice(None, None, -1)),
    ("3:0:-2", (5,), slice(3, 0, -2)),
    ("reverse_rows", (4, 3), (slice(None, None, -1), slice(None))),
    ("neg_both", (5, 6), (slice(None, 1, -2), slice(-1, None, -3))),
    ("neg_int_none", (3, 4, 5), (1, None, slice(None, None, -2), Ellipsis)),
    ("neg_with_repeats", (4, 5), (np.array([0, 3, 0]), slice(4, None, -2))),
    ("neg_empty", (4,), slice(0, 3, -1)),
]


def _scatter(shape, key, seed):
    """By hand: each output element adds its upstream gradient into the element it read."""
    pos = np.arange(int(np.prod(shape))).reshape(shape)[key]
    out = np.zeros(int(np.prod(shape)))
    for p, s in zip(pos.ravel(), seed.ravel()):
        out[p] += s
    return out.reshape(shape)


def _check_against_numpy(data, key, dtype):
    x = ag.tensor(data.astype(dtype), requires_grad=True)
    out = x[key]
    expected = data.astype(dtype)[key]
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ag.tensor(seed.astype(dtype)))
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy(), _scatter(x.shape, key, seed), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,key", _rows(NEG_STEP))
def test_negative_step_against_numpy(shape, key, dtype):
    _check_against_numpy(_data(str(key), shape), key, dtype)


@pytest.mark.parametrize("shape,key", _rows(NEG_STEP))
def test_negative_step_gradcheck(shape, key):
    check_gradcheck(lambda t: (t[key], t[key].sum()), [_data(str(key), shape)])


_BOUND = st.one_of(st.none(), st.integers(-8, 8))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(start=_BOUND, stop=_BOUND, step=st.integers(-3, 3).filter(bool), n=st.integers(0, 6))
def test_any_slice_matches_numpy(start, stop, step, n):
    _check_against_numpy(np.arange(n * 3.0).reshape(n, 3), slice(start, stop, step), np.float64)


# Second order: the gradient of indexing is IndexBackward, whose own backward indexes again.
SECOND_ORDER = [
    ("int_slice", (4, 3), (1, slice(None, None, 2))),
    ("repeat", (5,), np.array([1, 1, 3, 1])),
    ("repeat_pairs", (3, 4), (np.array([0, 2, 0]), np.array([3, 1, 3]))),
    ("mask_and_slice", (3, 4), (MASK, slice(1, None))),
    ("array_2d_none", (4, 3), (None, np.array([[0, 3], [3, 3]]), slice(None, None, 2))),
]


@pytest.mark.parametrize("shape,key", _rows(SECOND_ORDER))
def test_second_order_matches_torch(shape, key):
    data = _data(str(key), shape)
    w = np.random.default_rng(2).standard_normal(shape)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (g,) = ag.grad((x[key] ** 3).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx[_torch_key(key)] ** 3).sum(), tx, create_graph=True)
    assert g.grad_fn is not None and g.grad_fn.name() == "IndexBackward"
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), **TOL[np.float64])
    (h,) = ag.grad((g * g * ag.tensor(w)).sum(), x)
    (th,) = torch.autograd.grad((tg * tg * torch.tensor(w)).sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), **TOL[np.float64])


@pytest.mark.parametrize("shape,key", _rows(SECOND_ORDER + NEG_STEP[:4]))
def test_second_order_gradcheck(shape, key):
    def first_grad(t):
        with ag.enable_grad():  # gradcheck's finite differences run under no_grad
            return ag.grad((t[key] ** 3).sum(), t, create_graph=True)[0]

    check_gradcheck(first_grad, [_data(str(key), shape)])


TIES = np.array([[2.0, 2.0, 1.0, 5.0], [0.0, 3.0, 3.0, 5.0], [2.0, 3.0, 1.0, 5.0], [4, 4, 4, 4]])


@pytest.mark.parametrize("data", [TIES, _data("max", (3, 4, 5))], ids=["ties", "random"])
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_indices_match_torch(data, op, dim, keepdim):
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    values, indices = getattr(x, op)(dim, keepdim)
    tvalues, tindices = getattr(tx, op)(dim, keepdim)
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    np.testing.assert_array_equal(values.numpy(), tvalues.detach().numpy())
    seed = np.random.default_rng(3).standard_normal(values.shape)
    values.backward(ag.tensor(seed))
    tvalues.backward(torch.tensor(seed))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # all of it at the index


OUT_OF_RANGE = [
    (5, "5"),
    (-3, "-3"),
    ((slice(None), 7), "7"),
    ((0, 0, [1, 6]), "6"),
    (_i64(0, 9), "9"),
    ((Ellipsis, np.array([-5])), "-5"),
]


@pytest.mark.parametrize("key,named", OUT_OF_RANGE, ids=[n for _, n in OUT_OF_RANGE])
def test_out_of_range_raises_naming_index_and_shape(key, named):
    x = ag.zeros(2, 3, 4, requires_grad=True)
    with pytest.raises(IndexError) as info:
        x[key]
    msg = str(info.value)
    assert msg.startswith("index") and "(2, 3, 4)" in msg, msg
    assert re.search(rf"(?<![\d-]){re.escape(named)}(?!\d)", msg.replace("(2, 3, 4)", "")), msg
