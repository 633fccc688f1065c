"""Reductions: sum and log_softmax (primitives), mean, var, std, logsumexp (composed).
The extremes (amax, max, argmax, ...) are in extremes.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dtypes import float16, float32
from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor, _make
from .binary import where
from .dims import _count, _dim_arg, _kept_shape, _reduced_shape, normalize_dims
from .extremes import _first_extreme  # noqa: F401 (tests import it from here)
from .shape import _sizes
from .unary import _const

_BLAS_SUM_M_FROM = 1024  # rows summed (M) to sum by BLAS from: python -m benchmarks.thresholds

_BLAS_SUM_K_UNDER = 1024  # kept elements per row (K) to sum by BLAS under: measured there too


def _sum(arr: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
    """np.sum, with one fast case: when the summed dims are the outer ones in memory and
    the kept ones a short contiguous inner block (a conv bias gradient, batch-norm
    statistics of a channels-last activation), the sum is `ones @ (M, K) matrix`, which
    BLAS runs as one vectorised pass, where numpy adds such rows K elements at a time. It
    pays for many short rows: M >= _BLAS_SUM_M_FROM and K < _BLAS_SUM_K_UNDER."""
    rows = _count(arr.shape, dims) if dims else 0  # M
    if rows >= _BLAS_SUM_M_FROM and arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        core = arr.squeeze(tuple(d for d, n in enumerate(arr.shape) if n == 1))
        real = [d for d, n in enumerate(arr.shape) if n != 1]  # core's dims, in arr's numbering
        summed = {i for i, d in enumerate(real) if d in dims}
        order = sorted(range(core.ndim), key=lambda i: -core.strides[i])
        if 0 < len(summed) < core.ndim and set(order[: len(summed)]) == summed:
            stored = core.transpose(order)
            kept = stored.shape[len(summed):]
            row = math.prod(kept)
            if stored.flags.c_contiguous and row < _BLAS_SUM_K_UNDER:
                total = np.ones(rows, arr.dtype) @ stored.reshape(rows, row)
                total = total.reshape(kept).transpose(np.argsort(order[len(summed):]))
                shape = _kept_shape(arr.shape, dims)
                if not keepdim:
                    shape = tuple(n for d, n in enumerate(arr.shape) if d not in dims)
                return total.reshape(shape)
    if arr.dtype.kind == "f":  # np.sum's Python wrapper costs more than a small sum
        return np.add.reduce(arr, axis=dims, keepdims=keepdim, out=...)
    return np.asarray(np.sum(arr, axis=dims, keepdims=keepdim))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims = x.shape, dims
        return _make(_sum(x._data, dims, keepdim))

    @staticmethod
    def backward(ctx, grad):
        kept = _kept_shape(ctx.in_shape, ctx.dims)
        return grad.reshape(kept).expand(ctx.in_shape), None, None


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:  # noqa: A001
    """Sum over `dim` (int, tuple or None for all)."""
    return Sum.apply(x, normalize_dims(_dim_arg(dim, axis, "sum"), x.ndim, "sum"), keepdim)


def sum_to_size(x: Tensor, *size: Any) -> Tensor:
    """Sum `x` down to `size`, which must broadcast to `x.shape` (PyTorch's `sum_to_size`).
    The engine undoes every op's broadcasting with it; Sub uses it to negate a small sum."""
    shape = _sizes(size, "sum_to_size")
    have = x.shape
    extra = len(have) - len(shape)  # the leading dims, summed away
    kept = []  # the dims summed to size 1
    for i, n in enumerate(shape if extra >= 0 else ()):
        if n != have[extra + i]:
            if n != 1:
                extra = -1
                break
            kept.append(extra + i)
    if extra < 0:
        raise ShapeError(f"sum_to_size: size {shape} does not broadcast to the tensor's "
                         f"shape {have}")
    if not kept:  # (a bias's gradient: one sum, no reshape)
        return Sum.apply(x, tuple(range(extra)), False) if extra else x
    out = Sum.apply(x, (*range(extra), *kept), True)
    return out.reshape(shape) if extra else out


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """Mean over `dim`; NaN over no elements, as PyTorch."""
    dims = normalize_dims(_dim_arg(dim, axis, "mean"), x.ndim, "mean")
    n = _count(x.shape, dims)
    if x.dtype is float16:  # accumulate in float32, as PyTorch: float16 sums overflow at 65504
        return _per_count(Sum.apply(x.to(float32), dims, keepdim), n).to(x.dtype)
    return _per_count(Sum.apply(x, dims, keepdim), n)


def _per_count(total: Tensor, n: int) -> Tensor:
    """`total / n`, and NaN for n == 0 (made without numpy's 0/0 warning)."""
    return total / n if n > 0 else total * math.nan


def var(
    x: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *, axis: Any = None
) -> Tensor:
    """Variance over `dim`; `unbiased=True` divides by n - 1 (Bessel's correction). As
    PyTorch: NaN where n - 1 (or n) is 0, and float16 computed in float32."""
    dims = normalize_dims(_dim_arg(dim, axis, "var"), x.ndim, "var")
    if x.dtype is float16:
        return var(x.to(float32), dims, unbiased, keepdim).to(x.dtype)
    centered = x - mean(x, dims, keepdim=True)
    squares = Sum.apply(centered * centered, dims, keepdim)
    return _per_count(squares, _count(x.shape, dims) - int(unbiased))


class StdSqrt(Function):
    """sqrt(var) for std. Primitive for the kink: sqrt'(0) is infinite, and var'(x) is 0 for a
    constant x, so composed they give 0 * inf = NaN. PyTorch defines std's gradient as 0
    where std is 0; the division is masked first, so double backward stays finite too."""

    @staticmethod
    def forward(ctx, v):
        out = _make(np.sqrt(v._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        zero = out._data == 0
        return where(zero, 0.0, grad / (where(zero, 1.0, out) * 2))


def std(
    x: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *, axis: Any = None
) -> Tensor:
    """Standard deviation over `dim`: sqrt of `var`, with gradient 0 where it is 0 (PyTorch)."""
    dims = normalize_dims(_dim_arg(dim, axis, "std"), x.ndim, "std")
    if x.dtype is float16:
        return StdSqrt.apply(var(x.to(float32), dims, unbiased, keepdim)).to(x.dtype)
    return StdSqrt.apply(var(x, dims, unbiased, keepdim))


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """log(sum(exp(x))) over `dim`, shifted by the max so that no exp overflows.

    Composed: the shift is a constant, so the gradient is softmax(x) by construction.
    """
    dims = normalize_dims(_dim_arg(dim, axis, "logsumexp"), x.ndim, "logsumexp")
    if x._data.size == 0:
        shift = np.zeros(_kept_shape(x.shape, dims), x.dtype)
    else:
        shift = np.amax(x._data, axis=dims, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0).astype(x.dtype)
    shifted = Sum.apply((x - _const(shift)).exp(), dims, True).log() + _const(shift)
    return shifted if keepdim else shifted.reshape(_reduced_shape(x.shape, dims))


class LogSoftmax(Function):
    """x - logsumexp(x) along one dim, fused as in PyTorch (measured: 4 fewer recorded ops
    in every cross-entropy). The max is subtracted first, so no exp overflows and large
    logits stay exact; the gradient is grad - softmax(x) * sum(grad), softmax = exp(out)."""

    @staticmethod
    def forward(ctx, x, dim):
        d = x._data
        shifted = d - d.max(axis=dim, keepdims=True, initial=-np.inf)
        out = _make(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - out.exp() * grad.sum(dim=ctx.dim, keepdim=True), None


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) along `dim`, exact for large logits (1e4 in float32)."""
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"log_softmax: dim must be an int, got {type(dim).__name__}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"log_softmax: expected a floating point tensor, got dtype {x.dtype} "
                        "(convert with .float() first)")
    return LogSoftmax.apply(x, normalize_dims(dim, x.ndim, "log_softmax"))
