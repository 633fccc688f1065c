"""Vector norms (`Tensor.norm`): the p-norm for 0 < p < inf is a primitive, so that its
gradient at a zero vector is 0, as PyTorch's (composed, sqrt'(0) * 0 would give NaN); the
1-, inf- and -inf-norms are composed of abs, sum, amax and amin."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, _make
from .binary import where
from .dims import _kept_shape, normalize_dims
from .reduce import Sum
from .unary import _const


class PNorm(Function):
    """(sum |x|^p)^(1/p) over `dims`; its gradient is grad * sign(x) |x|^(p-1) / norm^(p-1),
    and 0 where x or the norm is 0, as PyTorch."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        a = np.abs(x._data)
        if p == 2:
            total = np.sum(a * a, axis=dims, keepdims=keepdim)
            out = _make(np.sqrt(total))
        else:
            out = _make(np.power(np.sum(a ** p, axis=dims, keepdims=keepdim), 1.0 / p))
        ctx.save_for_backward(x, out)
        ctx.p, ctx.kept = p, _kept_shape(x.shape, dims)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.p
        norm = out.reshape(ctx.kept)
        zero = _const(norm._data == 0)
        safe = where(zero, 1.0, norm)  # the zero norms' places are masked out below
        scale = where(zero, 0.0, grad.reshape(ctx.kept) / safe ** (p - 1))
        if p == 2:
            return x * scale, None, None, None
        sign = _const(np.sign(x._data))  # 0 at x = 0: torch's gradient there, for every p
        magnitude = where(_const(x._data == 0), 1.0, x.abs())  # no 0 ** negative below
        return sign * magnitude ** (p - 1) * scale, None, None, None


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """The vector p-norm over `dim` (all dims when None), as `torch.Tensor.norm`: p is
    'fro' (2), a number > 0, inf, -inf or 0 (the count of non-zeros, no gradient)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise TypeError(f"norm: expected a floating point tensor, got dtype {input.dtype}; "
                        "convert with .float() first")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} (a matrix norm) is not supported; "
                                  "p may be 'fro', a number, inf or -inf")
    dims = normalize_dims(dim, input.ndim, "norm")
    if p == math.inf:
        return input.abs().amax(dims, keepdim) if input.numel() else _zero(input, dims, keepdim)
    if p == -math.inf:
        return input.abs().amin(dims, keepdim)
    if p == 0:
        nonzero = _make((input._data != 0).astype(input.dtype))
        return Sum.apply(nonzero, dims, keepdim)
    if p == 1:
        return input.abs().sum(dims, keepdim)
    if p < 0:
        raise NotImplementedError(f"norm: p={p} < 0 is not supported")
    return PNorm.apply(input, float(p), dims, keepdim)


def _zero(x: Tensor, dims: Any, keepdim: bool) -> Tensor:
    """The inf-norm of an empty tensor is 0, as PyTorch (amax of nothing raises)."""
    return Sum.apply(x.abs(), dims, keepdim)
