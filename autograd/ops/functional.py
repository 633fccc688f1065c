"""PyTorch's function forms and small composites: pow, log10/log2 (primitives), softmax,
masked_fill, tril/triu, t/mm/bmm, histc, numel, is_tensor and `Size`.

Everything but the two logarithms is composed of existing ops, so its gradient is correct by
construction."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor, _make, _operand
from .binary import where
from .reduce import log_softmax
from .unary import Log2, Log10


class Size(tuple):
    """A shape, as `torch.Size`: a tuple of ints (so `Size([2, 3]) == (2, 3)`) with
    `numel()`. `Tensor.shape` and `size()` return plain tuples, which compare equal."""

    def __new__(cls, sizes: Any = ()) -> Size:
        return super().__new__(cls, (int(n) for n in sizes))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"Size({list(self)})"


def is_tensor(obj: Any) -> bool:
    """True when `obj` is a Tensor (`torch.is_tensor`)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:  # noqa: A002 (PyTorch's name)
    """The number of elements."""
    return input.numel()


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 (PyTorch's name)
    """`input ** exponent`; either may be a Python number (`ag.pow(2, t)`)."""
    if isinstance(input, Tensor):
        return input ** exponent
    if not isinstance(exponent, Tensor):
        raise TypeError(f"pow: expected a Tensor, got {type(input).__name__} and "
                        f"{type(exponent).__name__}")
    return exponent.__rpow__(input)


def log10(input: Tensor) -> Tensor:  # noqa: A002
    """Base-10 logarithm; ints give float32, as PyTorch."""
    return Log10.apply(input)


def log2(input: Tensor) -> Tensor:  # noqa: A002
    """Base-2 logarithm; ints give float32, as PyTorch."""
    return Log2.apply(input)


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """exp(log_softmax(x)) along `dim`: positive, sums to one, never overflows."""
    if input.dtype.kind != "f":
        raise TypeError(f"softmax: expected a floating point tensor, got dtype {input.dtype}; "
                        "convert with .float() first")
    return log_softmax(input, dim).exp()


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:  # noqa: A002
    """`input` with `value` where the bool `mask` is true (out of place). The result has
    the broadcast shape and `input`'s dtype; a 0-d Tensor `value` gets the gradient of the
    filled places, as PyTorch."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != bool:
        raise RuntimeError(f"masked_fill: only boolean masks are supported, but got a mask "
                           f"with dtype {m.dtype}; pass mask.bool() or a comparison")
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"masked_fill: only a 0-dimensional value tensor is supported, "
                               f"but got one with {value.ndim} dimension(s)")
        if value.dtype != input.dtype:
            value = value.to(input.dtype)
    out = where(m, value, input)
    return out if out.dtype == input.dtype else out.to(input.dtype)


def _triangle(input: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    if input.ndim < 2:
        raise ShapeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                         f"{input.shape}")
    rows, cols = input.shape[-2:]
    keep = (np.tril if lower else np.triu)(np.ones((rows, cols), bool), diagonal)
    zero = input.dtype.type(0)
    return where(keep, input, _make(np.asarray(zero)))  # where, not *: inf * 0 would be NaN


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle of the last two dims (on and below `diagonal`), zeros above."""
    return _triangle(input, diagonal, True, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle of the last two dims (on and above `diagonal`), zeros below."""
    return _triangle(input, diagonal, False, "triu")


def t(input: Tensor) -> Tensor:  # noqa: A002
    """Transpose of a 2-D tensor; a 0-d or 1-D tensor is returned as it is, as PyTorch."""
    if input.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but it is "
                           f"{input.ndim}-D (shape {input.shape}); use transpose(d0, d1)")
    return input.transpose(0, 1) if input.ndim == 2 else input


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Matrix product of two 2-D tensors (no broadcasting, as PyTorch's mm)."""
    mat2 = _operand(mat2)
    for name, m in (("self", input), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"mm: {name} must be a matrix, got shape {m.shape}")
    if input.shape[1] != mat2.shape[0]:
        raise ShapeError(f"mm: mat1 and mat2 shapes cannot be multiplied "
                         f"({input.shape[0]}x{input.shape[1]} and "
                         f"{mat2.shape[0]}x{mat2.shape[1]})")
    return input @ mat2


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    mat2 = _operand(mat2)
    for name, m in (("batch1", input), ("batch2", mat2)):
        if m.ndim != 3:
            raise RuntimeError(f"bmm: {name} must be a 3D tensor, got shape {m.shape}")
    want = (input.shape[0], input.shape[2])
    if mat2.shape[:2] != want:
        raise ShapeError(f"bmm: expected size for first two dimensions of batch2 tensor to "
                         f"be: {list(want)} but got: {list(mat2.shape[:2])} (shapes "
                         f"{input.shape} and {mat2.shape})")
    return input @ mat2


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0, widened
    by 1 each way when that range is one value), as a float tensor of input's dtype; values
    outside are ignored. Not differentiable, as PyTorch."""
    d = input._data
    if d.dtype.kind != "f":
        raise TypeError(f"histc: expected a floating point tensor, got dtype {d.dtype}")
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min={lo} and max={hi}")
    if lo == hi and d.size:
        finite = d[np.isfinite(d)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (lo, hi)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = d[(d >= lo) & (d <= hi)]
    edges = np.linspace(lo, hi, bins + 1).astype(d.dtype)  # bin i holds [edge i, edge i+1)
    pos = np.minimum(np.searchsorted(edges, inside, side="right") - 1, bins - 1)
    return _make(np.bincount(pos, minlength=bins).astype(d.dtype))
