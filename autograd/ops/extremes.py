"""Extremes: amax/amin (primitives), max/min with and without a dim, argmax/argmin, and
TakeAlongDim/PutAlongDim, which send max(dim)'s gradient to the returned index."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor, _make
from .dims import _dim_arg, _kept_shape, normalize_dims
from .unary import _const


class _Extreme(Function):
    """amax/amin: the gradient is split evenly over tied extremes, as PyTorch. For `op` "max"
    or "min" (the whole tensor: max() without a dim) a NaN result sends it to the NaNs only,
    as PyTorch's max(); amax's NaN gradient everywhere is PyTorch's too."""

    reduce: Any = None

    @classmethod
    def forward(cls, ctx, x, dims, keepdim, op):
        if x._data.size == 0:
            _check_not_empty(op, x.shape, dims)
        out = _make(cls.reduce(x._data, axis=dims, keepdims=keepdim, out=...))
        ctx.save_for_backward(x, out)
        ctx.kept = _kept_shape(x.shape, dims)
        ctx.dims = dims
        ctx.whole = op in ("max", "min")
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if ctx.whole and np.isnan(out._data):
            hit = np.isnan(x._data)
        else:
            hit = x._data == out._data.reshape(ctx.kept)
        count = np.sum(hit, axis=ctx.dims, keepdims=True)
        if not count.all():  # NaN extremes hit nothing: NaN, as PyTorch, without 0/0's warning
            count = np.where(count, count, np.nan)
        weight = hit / count
        return grad.reshape(ctx.kept) * _const(weight.astype(grad.dtype)), None, None, None


def _check_not_empty(op: str, shape: tuple[int, ...], dims: tuple[int, ...] | None) -> None:
    """Raise for a reduction over an empty dim (it has no extreme), as PyTorch; a reduction
    over the other dims of an empty tensor gives an empty result."""
    if dims is None:
        raise ShapeError(f"{op}: cannot reduce an empty tensor of shape {shape} over all "
                         "its dims (there is no extreme); pass a dim that is not empty")
    for d in dims:
        if shape[d] == 0:
            raise ShapeError(f"{op}: cannot reduce over dim {d}, which has size 0 (shape "
                             f"{shape}); only the non-empty dims of an empty tensor reduce")


class Amax(_Extreme):
    reduce = staticmethod(np.maximum.reduce)


class Amin(_Extreme):
    reduce = staticmethod(np.minimum.reduce)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Largest value over `dim`; tied maxima share the gradient evenly."""
    dims = normalize_dims(_dim_arg(dim, axis, "amax"), x.ndim, "amax")
    return Amax.apply(x, dims, keepdim, "amax")


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Smallest value over `dim`; tied minima share the gradient evenly."""
    dims = normalize_dims(_dim_arg(dim, axis, "amin"), x.ndim, "amin")
    return Amin.apply(x, dims, keepdim, "amin")


class TakeAlongDim(Function):
    """One value per position along `dim`, at `idx` (size 1 along `dim`): how max(dim) and
    min(dim) pick their values, so that the gradient goes to the returned index only."""

    @staticmethod
    def forward(ctx, x, idx, dim, values=None):
        """`values`, when given, are x's entries at idx, found on the way to idx."""
        ctx.save_for_backward(idx)
        ctx.dim, ctx.in_shape = dim, x.shape
        if values is not None:
            return _make(values.reshape(idx.shape))
        data = x._data
        if not data.flags.c_contiguous or idx.shape != _one_along(data.shape, dim):
            return _make(np.take_along_axis(data, idx, axis=dim))
        flat = data.reshape(-1).take(_flat_positions(data.shape, idx, dim))
        return _make(flat.reshape(idx.shape))

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        return PutAlongDim.apply(grad, idx, ctx.dim, ctx.in_shape), None, None, None


class PutAlongDim(Function):
    """Zeros of `shape` holding `grad` at `idx` along `dim`: TakeAlongDim's adjoint. Each
    position receives at most one value, so a plain put does it; nothing accumulates."""

    @staticmethod
    def forward(ctx, grad, idx, dim, shape):
        ctx.save_for_backward(idx)
        ctx.dim = dim
        out = np.zeros(shape, grad.dtype)
        if idx.shape != _one_along(shape, dim) or grad.shape != idx.shape:
            np.put_along_axis(out, idx, grad._data, axis=dim)
        else:
            out.reshape(-1)[_flat_positions(shape, idx, dim)] = grad._data.reshape(-1)
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        return TakeAlongDim.apply(grad, idx, ctx.dim), None, None, None


def _flat_positions(shape: tuple[int, ...], idx: np.ndarray, dim: int) -> np.ndarray:
    """Where the entries `idx` picks along `dim` sit in a C-order array of `shape`, as flat
    positions (idx has size 1 along `dim`). One flat take or put with these is faster than
    numpy's take_along_axis, which indexes every dim."""
    inner = math.prod(shape[dim + 1:])
    outer = math.prod(shape[:dim])
    positions = idx.reshape(outer, inner).astype(np.intp)  # the one array of that size
    positions *= inner
    if outer > 1:  # (window-major pooling reduces dim 0: one pass fewer)
        positions += np.arange(0, outer * shape[dim] * inner, shape[dim] * inner)[:, None]
    if inner > 1:
        positions += np.arange(inner)
    return positions.reshape(-1)


def _one_along(shape: tuple[int, ...], dim: int) -> tuple[int, ...]:
    return shape[:dim] + (1,) + shape[dim + 1:]


class MaxMin(NamedTuple):
    """`(values, indices)` of `max(dim)` / `min(dim)`."""

    values: Tensor
    indices: Tensor


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:  # noqa: A001
    """Without `dim`: the largest value (ties share the gradient). With an int `dim`:
    `(values, indices)`, the gradient going to the returned index."""
    if isinstance(dim, Tensor):
        from .binary import maximum

        return maximum(x, dim)
    return _extreme_at(x, _dim_arg(dim, axis, "max"), keepdim, Amax, np.argmax, "max")


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:  # noqa: A001
    """Without `dim`: the smallest value. With an int `dim`: `(values, indices)`."""
    if isinstance(dim, Tensor):
        from .binary import minimum

        return minimum(x, dim)
    return _extreme_at(x, _dim_arg(dim, axis, "min"), keepdim, Amin, np.argmin, "min")


def _extreme_at(x: Tensor, dim: Any, keepdim: bool, whole: Any, arg: Any, op: str) -> Any:
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}: keepdim=True needs a dim (as in PyTorch, {op}() of the "
                            f"whole tensor has no keepdim); use a{op}(x, keepdim=True)")
        return whole.apply(x, None, False, op)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    (d,) = normalize_dims(dim, x.ndim, op) or (0,)
    if x._data.size == 0:
        _check_not_empty(op, x.shape, (d,))
    if not x.ndim:
        return MaxMin(x, _make(np.zeros((), np.int64)))
    idx, best = _first_extreme(x._data, d, arg is np.argmax)
    idx = np.expand_dims(idx, d)
    values = TakeAlongDim.apply(x, idx, d, best)
    if not keepdim:
        values, idx = values.squeeze(d), np.squeeze(idx, d)
    return MaxMin(values, _make(idx.astype(np.int64)))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when `dim` is None)."""
    return _arg(np.argmax, x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (of the flattened tensor when `dim` is None)."""
    return _arg(np.argmin, x, dim, keepdim, "argmin")


def _arg(fn: Any, x: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    dims = None if dim is None else normalize_dims(dim, x.ndim, op)
    if x._data.size == 0:
        _check_not_empty(op, x.shape, dims)
    if dim is None:
        r = fn(x._data)
        return _make(np.asarray(r, np.int64).reshape((1,) * x.ndim if keepdim else ()))
    (d,) = dims or (None,)
    if d is None:
        return _make(np.asarray(fn(x._data, axis=d, keepdims=keepdim), np.int64))
    idx = _first_extreme(x._data, d, fn is np.argmax)[0]
    return _make(np.asarray(np.expand_dims(idx, d) if keepdim else idx, np.int64))


_KNOCKOUT_FROM = 8192  # elements from which the knockout runs: python -m benchmarks.thresholds
_KNOCKOUT_K_MAX = 32  # longest axis it runs on (int8 indices hold 127): measured there too


def _first_extreme(arr: np.ndarray, axis: int, largest: bool) -> tuple[np.ndarray, Any]:
    """np.argmax (or argmin) along `axis`, and the values there when found on the way.

    numpy loops over the rows, which is slow when the axis is short and the rows are many
    (a max-pooling window of 4). A knockout over the positions does whole-array passes
    instead (faster on pooling windows: see `make bench`'s cnn workloads). A right entry
    wins only when strictly better, so ties keep the first index, and the kept value is the
    left one too (numpy's maximum returns its second operand on ties, so the left goes
    second: a tie of -0.0 and 0.0 keeps the first, as PyTorch). NaN is the extreme, as in
    numpy and PyTorch, so a NaN found on the way hands the work back to numpy, which gives
    no values. Indices found by the knockout come back as int8, an eighth of the memory for
    the graph to keep."""
    k = arr.shape[axis]
    if not arr.flags.c_contiguous or not 2 <= k <= _KNOCKOUT_K_MAX or arr.size < _KNOCKOUT_FROM or (
        arr.dtype.kind != "f"
    ):
        return (np.argmax if largest else np.argmin)(arr, axis=axis), None
    inner = math.prod(arr.shape[axis + 1:])
    rows = arr.reshape(-1, k, inner).transpose(1, 0, 2)  # rows[j]: the values at position j
    if inner == 1:
        rows = rows[:, :, 0]
    beats, keep = (np.greater, np.maximum) if largest else (np.less, np.minimum)
    entries = []
    for j in range(0, k - 1, 2):  # first round: the index is j plus whether j + 1 won
        won = beats(rows[j + 1], rows[j]).view(np.int8)
        entries.append((keep(rows[j + 1], rows[j]), won + np.int8(j) if j else won))
    if k % 2:
        entries.append((rows[k - 1], np.full(rows.shape[1:], k - 1, np.int8)))
    while len(entries) > 1:
        paired = []
        for (lv, li), (rv, ri) in zip(entries[::2], entries[1::2]):  # li + won * (ri - li):
            won = beats(rv, lv).view(np.int8)  # arithmetic, as np.where is slow on a random mask
            paired.append((keep(rv, lv, out=lv if lv.base is None else None),
                           li + won * (ri - li)))
        entries = paired + ([entries[-1]] if len(entries) % 2 else [])
    best, idx = entries[0]
    if np.isnan(best).any():  # NaN propagates through keep, so any NaN reaches best
        return (np.argmax if largest else np.argmin)(arr, axis=axis), None
    shape = arr.shape[:axis] + arr.shape[axis + 1:]
    return idx.reshape(shape), best.reshape(shape)  # int8: 1/8 of the memory
