"""Unary elementwise ops. The plain ones are declared in one table, each op's ufunc beside
its VJP, as tinygrad's gradient table and PyTorch's derivatives.yaml do; the ones with a
twist of their own (abs, sigmoid, relu, clip, casts) are classes below it.

Each backward is written with Tensor ops, so it is itself differentiable. Masks such as
relu's `x > 0` are piecewise constants and enter backward as plain data (`_const`).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..dtypes import fix_result_dtype, float32, float64
from ..function import Function
from ..tensor import Tensor, _make


def _const(arr: np.ndarray) -> Tensor:
    """A mask or weight that enters a VJP as data (its own derivative is zero)."""
    return _make(arr)


def _unary(ufunc: np.ufunc, x: Tensor) -> Tensor:
    d = x._data
    if d.dtype.itemsize == 1:  # bool and (u)int8, which numpy takes to float16: float32 (PyTorch)
        d = d.astype(float32)
    r = ufunc(d, out=...)
    if r.dtype is float64:
        r = fix_result_dtype(r, x)
    return _make(r)


def _primitive(name: str, ufunc: np.ufunc, reads: str,
               vjp: Callable[[Tensor, Tensor], Tensor]) -> type[Function]:
    """The Function `name`: out = ufunc(x), and backward returns `vjp(grad, v)`, where v is
    the input x or the output, as `reads` says ("x" or "out")."""

    def forward(ctx: Any, x: Tensor) -> Tensor:
        out = _unary(ufunc, x)
        ctx.save_for_backward(out if reads == "out" else x)
        return out

    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (v,) = ctx.saved_tensors
        return vjp(grad, v)

    return type(name, (Function,), {"forward": staticmethod(forward), "__module__": __name__,
                                    "backward": staticmethod(backward), "__qualname__": name})


_LN10, _LN2 = math.log(10.0), math.log(2.0)

# name            ufunc      reads  VJP
Exp = _primitive("Exp", np.exp, "out", lambda grad, out: grad * out)
Log = _primitive("Log", np.log, "x", lambda grad, x: grad / x)
Log1p = _primitive("Log1p", np.log1p, "x", lambda grad, x: grad / (x + 1))  # exact near 0
Sqrt = _primitive("Sqrt", np.sqrt, "out", lambda grad, out: grad / (out * 2))
Sin = _primitive("Sin", np.sin, "x", lambda grad, x: grad * cos(x))
Cos = _primitive("Cos", np.cos, "x", lambda grad, x: -grad * sin(x))
Tanh = _primitive("Tanh", np.tanh, "out", lambda grad, out: grad * (1 - out * out))
# log10 and log2 of powers of ten and two are exact, as PyTorch's (not log(x) / ln 10)
Log10 = _primitive("Log10", np.log10, "x", lambda grad, x: grad / (x * _LN10))
Log2 = _primitive("Log2", np.log2, "x", lambda grad, x: grad / (x * _LN2))


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(np.negative(x._data, out=...))

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(Function):
    @staticmethod
    def forward(ctx, x):  # keeps the dtype: abs of an int tensor is an int tensor
        ctx.save_for_backward(x)
        return _make(np.abs(x._data, out=...))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _const(np.sign(x._data))  # abs'(0) = 0, as PyTorch


class Sigmoid(Function):
    """Primitive for stability: exp(-|x|) never overflows, and s * (1 - s) stays finite."""

    @staticmethod
    def forward(ctx, x):
        d = x._data
        if d.dtype.kind != "f":  # bool and ints: float32, as PyTorch (and -|x| of uint8 wraps)
            d = d.astype(float32)
        e = np.exp(-np.abs(d))
        out = _make(fix_result_dtype(np.where(d >= 0, 1 / (1 + e), e / (1 + e)), x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        if ctx.needs_input_grad[0]:  # keep the 1-byte mask, not the 4- or 8-byte input
            ctx.save_for_backward(_const(np.greater(x._data, 0, out=...)))  # relu'(0) = 0
        zero = 0.0 if x._data.dtype.kind == "f" else _int_zero(x._data.dtype)  # ints stay ints
        return _make(np.maximum(x._data, zero, out=...))  # NaN stays NaN, as PyTorch

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved  # a mask, never the output: nothing to rebuild
        return grad * positive


def _int_zero(dtype: np.dtype) -> Any:
    if dtype.kind == "b":
        raise TypeError("relu: bool tensors are not supported (as in PyTorch); convert first, "
                        "as in x.float()")
    return dtype.type(0)


class Clip(Function):
    @staticmethod
    def forward(ctx, x, min, max):
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return _make(np.clip(x._data, min, max, out=...))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        inside = np.ones(x.shape, bool)
        if lo is not None:
            inside &= x._data >= lo
        if hi is not None:
            inside &= x._data <= hi
        return grad * _const(inside), None, None  # the gradient passes at the bounds


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return _make(x._data.astype(dtype))

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.in_dtype), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return _make(x._data.copy())

    @staticmethod
    def backward(ctx, grad):
        return grad


# ---- the public functions (also Tensor methods) --------------------------------------------
def exp(x: Tensor) -> Tensor:
    return Exp.apply(x)


def log(x: Tensor) -> Tensor:
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    return Abs.apply(x)


def sin(x: Tensor) -> Tensor:
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    return Cos.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    return Relu.apply(x)


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Clamp to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clip: at least one of min and max must be given")
    return Clip.apply(x, min, max)


clamp = clip
