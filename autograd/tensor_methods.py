"""The op methods of `Tensor`: each is one line that calls the op function of the same name,
so `x.exp()` is `autograd.exp(x)`. `Tensor` inherits them, and `help(Tensor)` and editors
list them with its own.

The op modules import `Tensor`; this module reaches them through the `autograd.ops` package
(whose `__init__` imports nothing), when a method runs, so there is no import cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ops

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorMethods:
    """Elementwise functions, reductions and shape ops as methods (see `autograd.<name>`)."""

    __slots__ = ()

    # ---- elementwise functions (each is autograd.<name>) ---------------------------------
    def exp(self) -> Tensor:
        return ops.unary.exp(self)

    def log(self) -> Tensor:
        return ops.unary.log(self)

    def log1p(self) -> Tensor:
        return ops.unary.log1p(self)

    def sqrt(self) -> Tensor:
        return ops.unary.sqrt(self)

    def abs(self) -> Tensor:
        return ops.unary.abs(self)

    def sin(self) -> Tensor:
        return ops.unary.sin(self)

    def cos(self) -> Tensor:
        return ops.unary.cos(self)

    def tanh(self) -> Tensor:
        return ops.unary.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.unary.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.unary.relu(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return ops.smooth.softplus(self, beta, threshold)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return ops.unary.clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return ops.binary.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.binary.minimum(self, other)

    # ---- reductions (dim: int, tuple or None; axis= is numpy's alias) -------------------
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        return ops.reduce.sum(self, dim, keepdim, axis=axis)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        return ops.reduce.mean(self, dim, keepdim, axis=axis)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            axis: Any = None) -> Tensor:
        return ops.reduce.var(self, dim, unbiased, keepdim, axis=axis)

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            axis: Any = None) -> Tensor:
        return ops.reduce.std(self, dim, unbiased, keepdim, axis=axis)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        return ops.reduce.logsumexp(self, dim, keepdim, axis=axis)

    def log_softmax(self, dim: int) -> Tensor:
        return ops.reduce.log_softmax(self, dim)

    def amax(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        return ops.extremes.amax(self, dim, keepdim, axis=axis)

    def amin(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
        return ops.extremes.amin(self, dim, keepdim, axis=axis)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return ops.extremes.max(self, dim, keepdim, axis=axis)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return ops.extremes.min(self, dim, keepdim, axis=axis)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.extremes.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.extremes.argmin(self, dim, keepdim)

    # ---- shape ------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return ops.shape.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.shape.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return ops.shape.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.shape.unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Tensor:
        return ops.shape.permute(self, *dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.shape.transpose(self, dim0, dim1)

    def expand(self, *sizes: Any) -> Tensor:
        return ops.shape.expand(self, *sizes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops.shape.expand(self, tuple(shape))

    def sum_to_size(self, *size: Any) -> Tensor:
        """Sum a broadcast tensor back to `size` (the one place broadcasting is undone)."""
        return ops.reduce.sum_to_size(self, *size)

    def view_as(self, other: Tensor) -> Tensor:
        return ops.shape.reshape(self, other.shape)

    reshape_as = view_as

    def t(self) -> Tensor:
        return ops.functional.t(self)

    def contiguous(self) -> Tensor:
        """Self when C-contiguous, else a C-contiguous copy (differentiable, as a clone)."""
        return self if self._data.flags.c_contiguous else ops.unary.Clone.apply(self)

    def repeat(self, *sizes: Any) -> Tensor:
        return ops.tiling.repeat(self, *sizes)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.tiling.chunk(self, chunks, dim)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.tiling.split(self, split_size_or_sections, dim)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.functional.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.functional.triu(self, diagonal)

    # ---- PyTorch's method aliases and further ops ----------------------------------------
    def eq(self, other: Any) -> Tensor:
        return self == other

    def ne(self, other: Any) -> Tensor:
        return self != other

    def gt(self, other: Any) -> Tensor:
        return self > other  # type: ignore[operator]

    def lt(self, other: Any) -> Tensor:
        return self < other  # type: ignore[operator]

    def ge(self, other: Any) -> Tensor:
        return self >= other  # type: ignore[operator]

    def le(self, other: Any) -> Tensor:
        return self <= other  # type: ignore[operator]

    def pow(self, exponent: Any) -> Tensor:
        return ops.functional.pow(self, exponent)

    def square(self) -> Tensor:
        return self * self  # type: ignore[operator]

    def log10(self) -> Tensor:
        return ops.functional.log10(self)

    def log2(self) -> Tensor:
        return ops.functional.log2(self)

    def mm(self, mat2: Tensor) -> Tensor:
        return ops.functional.mm(self, mat2)

    def bmm(self, mat2: Tensor) -> Tensor:
        return ops.functional.bmm(self, mat2)

    def softmax(self, dim: int) -> Tensor:
        return ops.functional.softmax(self, dim)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return ops.functional.masked_fill(self, mask, value)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False,
             dtype: Any = None) -> Tensor:
        return ops.norms.norm(self, p, dim, keepdim, dtype)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return ops.cumulative.cumsum(self, dim, dtype=dtype)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return ops.sorting.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return ops.sorting.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return ops.sorting.topk(self, k, dim, largest, sorted)

    def nelement(self) -> int:
        return self._data.size

    # ---- Python protocols -------------------------------------------------------------
    def __index__(self) -> int:
        """A one-element integer (or bool) tensor as a list index, as PyTorch."""
        d = self._data
        if d.dtype.kind not in "biu" or d.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index (got dtype {d.dtype}, shape {d.shape})")
        return int(d.item())

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (`f'{loss:.4f}'`); others only with an empty
        spec (as repr), as PyTorch."""
        if self._data.ndim == 0:
            return self._data.item().__format__(format_spec)
        return object.__format__(self, format_spec)
