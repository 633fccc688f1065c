"""Cumulative sums: `cumsum` (a primitive whose backward is the reversed cumsum of grad)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, _make
from .dims import normalize_dims


def _reverse(x: Tensor, dim: int) -> Tensor:
    return x[(slice(None),) * dim + (slice(None, None, -1),)]


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        data = x._data
        if data.dtype.kind in "biu":  # integers and bools sum in int64, as PyTorch
            return _make(np.cumsum(data, axis=dim, dtype=np.int64))
        return _make(np.cumsum(data, axis=dim))

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.dim  # each input feeds every later output: sum grad from the end
        return _reverse(cumsum(_reverse(grad, dim), dim), dim), None


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running sum along `dim`; ints and bools give int64, as PyTorch."""
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"cumsum: dim must be an int, got {dim!r}")
    d = (normalize_dims(dim, input.ndim, "cumsum") or (0,))[0]
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        return Cumsum.apply(input.reshape(1), 0).reshape(())
    return Cumsum.apply(input, d)
