"""Sorting: sort, argsort and topk. Each finds indices with numpy and takes the values with
TakeAlongDim, so the gradient goes back to the positions the values came from.

Ties keep their original order (a stable sort, PyTorch's `stable=True`), descending too;
NaN sorts as the largest value, as in PyTorch. PyTorch's default sort is not stable, so
its indices of tied values may differ; the values never do."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor, _make
from .dims import normalize_dims
from .extremes import TakeAlongDim


class SortResult(NamedTuple):
    """`(values, indices)` of `sort`, as `torch.return_types.sort`."""

    values: Tensor
    indices: Tensor


class TopKResult(NamedTuple):
    """`(values, indices)` of `topk`, as `torch.return_types.topk`."""

    values: Tensor
    indices: Tensor


def _dim(x: Tensor, dim: int, op: str) -> int:
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    return (normalize_dims(dim, x.ndim, op) or (0,))[0]


def _order(data: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along `dim`; descending keeps tied entries in their original order."""
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    flipped = np.flip(data, axis=dim)
    idx = np.flip(np.argsort(flipped, axis=dim, kind="stable"), axis=dim)
    return data.shape[dim] - 1 - idx


def _take(x: Tensor, idx: np.ndarray, dim: int) -> Tensor:
    if x.ndim == 0:
        return x * 1 if x.dtype.kind == "f" else _make(x._data.copy())
    return TakeAlongDim.apply(x, idx, dim, None)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:  # noqa: A002
    """`(values, indices)` sorted along `dim`; the gradient goes back to where each value
    came from. The sort is always stable (`stable` is accepted for PyTorch's signature)."""
    d = _dim(input, dim, "sort")
    if input.ndim == 0:
        return SortResult(_take(input, None, d), _make(np.zeros((), np.int64)))
    idx = _order(input._data, d, descending)
    return SortResult(_take(input, idx, d), _make(idx.astype(np.int64)))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    """The indices that sort `input` along `dim` (int64, no gradient)."""
    d = _dim(input, dim, "argsort")
    if input.ndim == 0:
        return _make(np.zeros((), np.int64))
    return _make(_order(input._data, d, descending).astype(np.int64))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The `k` largest (or smallest) entries along `dim` as `(values, indices)`, largest
    first (smallest first when `largest=False`). The result is sorted also for
    `sorted=False`, which PyTorch leaves unspecified."""
    d = _dim(input, dim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not isinstance(k, int | np.integer) or not 0 <= k <= n:
        raise IndexError(f"topk: k ({k!r}) is out of range for dimension {dim} of size {n} "
                         f"(shape {input.shape})")
    if input.ndim == 0:  # k = 0 gives the value too, as PyTorch
        return TopKResult(_take(input, None, d), _make(np.zeros((), np.int64)))
    idx = _order(input._data, d, largest)
    idx = np.take(idx, np.arange(k), axis=d)
    return TopKResult(_take(input, idx, d), _make(idx.astype(np.int64)))
