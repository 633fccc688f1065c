"""Sliding windows with stride and dilation: the primitive under convolution and pooling.

The forward is a strided view (no copy). The backward adds the gradient back once per
kernel offset, each add a strided slice of the whole input: a loop over the k*k offsets of
a window, never over elements.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor, _make
from .layout import allocate, memory_order


def _windows(arr: np.ndarray, dims: tuple, window: tuple, stride: tuple, dilation: tuple,
             writeable: bool = False) -> np.ndarray:
    """The strided view of `arr` holding every window (no copy)."""
    shape, strides = list(arr.shape), list(arr.strides)
    for dim, k, s, dil in zip(dims, window, stride, dilation):
        shape[dim] = (arr.shape[dim] - dil * (k - 1) - 1) // s + 1
        strides[dim] = arr.strides[dim] * s
    shape += window
    strides += [arr.strides[dim] * dil for dim, dil in zip(dims, dilation)]
    return np.lib.stride_tricks.as_strided(arr, shape, strides, writeable=writeable)


_BLOCK_BYTES = 2 * 2**20  # fold block: the measured optimum (flat 2-4 MiB), benchmarks/thresholds


class SlidingWindow(Function):
    @staticmethod
    def forward(ctx, x, dims, window, stride, dilation):
        ctx.in_shape = x.shape
        ctx.in_order = memory_order(x._data)
        ctx.spec = (dims, window, stride, dilation)
        return _make(_windows(x._data, dims, window, stride, dilation))

    @staticmethod
    def backward(ctx, grad):
        fold = WindowFold.apply(grad, ctx.in_shape, *ctx.spec, ctx.in_order)
        return fold, None, None, None, None


class WindowFold(Function):
    """Sum windowed values back into the input's shape: the adjoint of SlidingWindow."""

    @staticmethod
    def forward(ctx, grad, in_shape, dims, window, stride, dilation, order=None):
        ctx.spec = (dims, window, stride, dilation)
        g = grad._data
        # In the input's layout; uninitialised when the windows tile the input exactly (a 2x2
        # pool of 28x28), as the copy below then writes every position.
        tiled = all(dil == 1 and s == k and g.shape[dim] * s == in_shape[dim]
                    for dim, k, s, dil in zip(dims, window, stride, dilation))
        out = allocate(np.empty if tiled else np.zeros, in_shape, g.dtype, order)
        if all(s >= dil * (k - 1) + 1 for k, s, dil in zip(window, stride, dilation)):
            # Windows that do not overlap (pooling): one copy through a writeable view.
            _windows(out, dims, window, stride, dilation, writeable=True)[...] = g
            return _make(out)
        # Overlapping windows (convolution): one strided add per kernel offset. Each offset's
        # slice of `g` is scattered (its window values interleave), so a block of `g` is
        # first copied window-major; then every add reads and writes long contiguous runs.
        # Blocks of whole leading rows (images) keep the copy cache-sized (the block size is
        # measured by `python -m benchmarks.thresholds`).
        counts = g.shape[: g.ndim - len(window)]
        targets = []
        for offset in itertools.product(*(range(k) for k in window)):
            target = [slice(None)] * len(in_shape)
            for dim, k, s, dil in zip(dims, offset, stride, dilation):
                start = k * dil
                target[dim] = slice(start, start + s * (counts[dim] - 1) + 1, s)
            targets.append((offset, tuple(target)))
        window_axes = range(len(counts), g.ndim)
        if 0 in dims or not g.size:
            blocks = [(out, g)]
        else:
            rows = max(1, _BLOCK_BYTES * len(g) // g.nbytes)
            blocks = ((out[i:i + rows], g[i:i + rows]) for i in range(0, len(g), rows))
        for dest, part in blocks:
            part = np.ascontiguousarray(np.moveaxis(part, window_axes, range(len(window))))
            for offset, target in targets:
                dest[target] += part[offset]
        return _make(out)

    @staticmethod
    def backward(ctx, grad):
        return SlidingWindow.apply(grad, *ctx.spec), None, None, None, None, None, None


def _per_dim(value: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int | np.integer):
        vals = [int(value)] * n
    else:
        vals = [int(v) for v in value]
    if len(vals) != n or min(vals, default=1) < 1:
        raise ValueError(f"sliding_window_view: {name} must be {n} positive ints, got {value!r}")
    return tuple(vals)


def sliding_window_view(
    x: Tensor, window_shape: Any, dim: Any = None, stride: Any = 1, dilation: Any = 1
) -> Tensor:
    """numpy's `sliding_window_view` with `stride` and `dilation` per windowed dim.

    The windowed dims shrink to the number of windows and the window's own dims are
    appended last: `x` of shape (N, C, H, W) with `window_shape=(3, 3), dim=(2, 3)` gives
    (N, C, H-2, W-2, 3, 3). The result is a read-only strided view of `x`.
    """
    if isinstance(window_shape, int | np.integer):
        window_shape = (window_shape,)
    window = _per_dim(window_shape, len(window_shape), "window_shape")
    if dim is None:
        if len(window) != x.ndim:
            raise ValueError(
                f"sliding_window_view: window_shape {window} needs dim= unless it has one "
                f"entry per dim of {x.shape}"
            )
        dims = tuple(range(x.ndim))
    else:
        dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
        if len(dims) != len(window):
            raise ValueError(f"sliding_window_view: {len(window)} window sizes for dims {dims}")
        for d in dims:
            if not -x.ndim <= d < x.ndim:
                raise IndexError(f"sliding_window_view: dim {d} is out of range for {x.shape}")
        dims = tuple(int(d) % x.ndim for d in dims)
    if len(set(dims)) != len(dims):
        raise ValueError(f"sliding_window_view: dim {dims} names a dim more than once")
    stride = _per_dim(stride, len(dims), "stride")
    dilation = _per_dim(dilation, len(dims), "dilation")
    for d, k, dil in zip(dims, window, dilation):
        extent = dil * (k - 1) + 1
        if extent > x.shape[d]:
            raise ShapeError(
                f"sliding_window_view: a window of extent {extent} (size {k}, dilation {dil}) "
                f"does not fit dim {d} of size {x.shape[d]} in shape {x.shape}"
            )
    return SlidingWindow.apply(x, dims, window, stride, dilation)
