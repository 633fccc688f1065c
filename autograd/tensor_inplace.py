"""The in-place methods of `Tensor` (`add_`, `zero_`, `x[idx] = v`, `+=`, ...), each the
out-of-place op written back into the tensor by `ops.inplace.apply_inplace`, with PyTorch's
checks: version counters, leaves that require grad, and views that write through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops
from .random import generator

if TYPE_CHECKING:
    from .tensor import Tensor


class InplaceMethods:
    """In-place ops; under `no_grad()` they also update leaves (an optimizer step)."""

    __slots__ = ()

    # ---- arithmetic -------------------------------------------------------------------
    def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        other = other if alpha == 1 else other * alpha
        return ops.inplace.arithmetic(self, "add_", np.add, other, lambda: self + other)

    def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        other = other if alpha == 1 else other * alpha
        return ops.inplace.arithmetic(self, "sub_", np.subtract, other, lambda: self - other)

    def mul_(self: Tensor, other: Any) -> Tensor:
        return ops.inplace.arithmetic(self, "mul_", np.multiply, other, lambda: self * other)

    def div_(self: Tensor, other: Any) -> Tensor:
        return ops.inplace.arithmetic(self, "div_", np.true_divide, other,
                                      lambda: self / other)

    def pow_(self: Tensor, exponent: Any) -> Tensor:
        return ops.inplace.apply_inplace(self, "pow_", lambda: self**exponent)

    def neg_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "neg_", lambda: -self)

    # `x += y` and friends are the methods above; `x @= w` rebinds x, as in PyTorch.
    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_

    # ---- elementwise functions --------------------------------------------------------
    def exp_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "exp_", lambda: ops.unary.exp(self))

    def log_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "log_", lambda: ops.unary.log(self))

    def sqrt_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "sqrt_", lambda: ops.unary.sqrt(self))

    def abs_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "abs_", lambda: ops.unary.abs(self))

    def relu_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "relu_", lambda: ops.unary.relu(self))

    def sigmoid_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "sigmoid_", lambda: ops.unary.sigmoid(self))

    def tanh_(self: Tensor) -> Tensor:
        return ops.inplace.apply_inplace(self, "tanh_", lambda: ops.unary.tanh(self))

    def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return ops.inplace.apply_inplace(self, "clamp_", lambda: ops.unary.clip(self, min, max))

    clip_ = clamp_

    # ---- fills ------------------------------------------------------------------------
    def zero_(self: Tensor) -> Tensor:
        return self.fill_(0)

    def fill_(self: Tensor, value: Any) -> Tensor:
        return ops.inplace.apply_inplace(self, "fill_", lambda: ops.inplace.filled(self, value),
                                     "unsafe")

    def copy_(self: Tensor, src: Any) -> Tensor:
        """Copy `src` (broadcast to this shape) into this tensor; the gradient goes to src."""
        return ops.inplace.apply_inplace(self, "copy_", lambda: ops.inplace.filled(self, src),
                                     "unsafe")

    def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
        return ops.inplace.apply_inplace(self, "masked_fill_",
                                     lambda: ops.binary.where(mask, value, self), "unsafe")

    def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with draws from U(a, b), from the shared generator (`ag.manual_seed`)."""
        values = a + (b - a) * generator().random(self.shape)
        return self.fill_(_as_values(values, self))

    def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with draws from N(mean, std^2), from the shared generator."""
        values = mean + std * generator().standard_normal(self.shape)
        return self.fill_(_as_values(values, self))

    # ---- item assignment --------------------------------------------------------------
    def __setitem__(self: Tensor, key: Any, value: Any) -> None:
        """`x[key] = value`, in place; differentiable as PyTorch's copy-slices: the gradient
        reaches `value` through the part it filled, and x's old value everywhere else."""
        ops.inplace.apply_inplace(self, "setitem", lambda: ops.shape.set_item(self, key, value),
                              "unsafe")


def _as_values(values: np.ndarray, like: Tensor) -> Any:
    from .tensor import _make

    return _make(values.astype(like.dtype, copy=False))
