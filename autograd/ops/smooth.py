"""Smooth functions whose stable composed forms pass through a kink of one of their parts.

softplus written as `relu(x) + log1p(exp(-|x|))` has the right value everywhere but the
derivative 0 instead of 1/2 at x = 0, because relu'(0) = abs'(0) = 0. A primitive gives the
true derivative there; its backward is written with Tensor ops, so it is twice differentiable.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor, _make
from .binary import where
from .unary import sigmoid


class Softplus(Function):
    """Primitive for the derivative at 0 (see the module docstring). As PyTorch: linear
    where beta * x > threshold, log1p(exp(beta * x)) / beta elsewhere, the exp's input
    capped at the threshold so that the branch not taken never overflows."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        scaled = x._data * x._data.dtype.type(beta)
        linear = scaled > threshold
        capped = np.minimum(scaled, x._data.dtype.type(threshold))
        smooth = np.log1p(np.exp(capped))
        if beta != 1:
            smooth /= x._data.dtype.type(beta)
        ctx.save_for_backward(x)
        ctx.beta, ctx.linear = beta, linear
        return _make(np.where(linear, x._data, smooth))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scaled = x if ctx.beta == 1 else x * ctx.beta
        return where(ctx.linear, grad, grad * sigmoid(scaled)), None, None


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, stable for any x; the derivative is sigmoid(beta * x).

    >>> softplus(tensor([0.0, 30.0]))   # tensor([0.6931, 30.0000])
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"softplus: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"softplus: expected a floating point tensor, got dtype {x.dtype} "
                        "(convert with .float() first)")
    if not beta > 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    return Softplus.apply(x, beta, threshold)
