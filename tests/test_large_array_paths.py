"""Paths that only large arrays take: the arg-extreme knockout over a short last dim
(max pooling's windows). Checked against numpy and PyTorch, ties and NaN included."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn.functional as F
from autograd.ops.reduce import _first_extreme

from helpers import check_parity


def _rows(k, dtype, kind):
    rng = np.random.default_rng(k)
    values = rng.standard_normal((4096, k))
    if kind == "ties":  # as after a ReLU: whole windows of zeros and repeated maxima
        values = np.maximum(np.round(values), 0)
    if kind == "nan":
        values[rng.integers(0, 4096, 20), rng.integers(0, k, 20)] = np.nan
    return values.astype(dtype)


@pytest.mark.parametrize("kind", ["distinct", "ties", "nan"])
@pytest.mark.parametrize("k", [2, 3, 4, 5, 8, 9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_first_extreme_is_numpys_argmax_and_argmin(k, dtype, kind):
    arr = _rows(k, dtype, kind)
    for largest, ref in ((True, np.argmax), (False, np.argmin)):
        for axis in (1, 0):
            idx, values = _first_extreme(arr, axis, largest)
            np.testing.assert_array_equal(idx, ref(arr, axis=axis))
            if values is not None:  # found on the way: the entries at idx
                np.testing.assert_array_equal(
                    values, np.take_along_axis(arr, np.expand_dims(idx, axis), axis).squeeze(axis))


@pytest.mark.parametrize("kind", ["distinct", "ties"])
def test_max_and_argmax_over_a_short_dim_match_torch(kind):
    arr = _rows(4, np.float32, kind).reshape(16, 256, 4)
    ours, theirs = ag.tensor(arr), torch.tensor(arr)
    values, indices = ours.max(dim=-1)
    t_values, t_indices = theirs.max(dim=-1)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(ours.argmin(dim=2, keepdim=True).numpy(),
                                  theirs.argmin(dim=2, keepdim=True).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_signed_zero_ties_keep_the_first_as_torch(dtype):
    """Windows of -0.0 and 0.0 in both orders: the value is the first one's, sign included."""
    pairs = np.array([[-0.0, 0.0, 0.0, -0.0], [0.0, -0.0, -0.0, 0.0]], dtype)
    arr = np.tile(pairs, (8192, 1)).reshape(64, 4, 16, 16)
    ours = F.max_pool2d(ag.tensor(arr), 2).numpy()
    theirs = torch.nn.functional.max_pool2d(torch.tensor(arr), 2).numpy()
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
    values = ag.tensor(arr.reshape(-1, 4)).max(dim=1).values.numpy()
    np.testing.assert_array_equal(np.signbit(values), np.signbit(arr.reshape(-1, 4)[:, 0]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_gradient_over_tied_windows_matches_torch(dtype):
    """After a ReLU many windows are all zeros: the gradient goes to the first of them."""
    x = np.maximum(np.round(np.random.default_rng(0).standard_normal((8, 8, 16, 16))), 0)
    check_parity(lambda a: F.max_pool2d(a, 2), lambda a: torch.nn.functional.max_pool2d(a, 2),
                 [x], dtype)
