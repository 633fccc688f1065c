"""Constructors: from data, filled, ranges and random draws (float32 unless told)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .ops.shape import _sizes
from .random import generator
from .tensor import Tensor, _make


def _shape(size: tuple, op: str) -> tuple[int, ...]:
    shape = _sizes(size, op)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: dims must be >= 0, got {shape}")
    return shape


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of `data` (see `Tensor` for the dtype rules)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(arr).__name__}")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: unsupported dtype {arr.dtype}; expected a float, int or "
                        "bool dtype, as tensor() does")
    return _make(arr)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_shape(size, "zeros"), dtype or dtypes.default_float), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_shape(size, "ones"), dtype or dtypes.default_float), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Filled with `fill_value`; the dtype follows the value (float32, int64, bool)."""
    if dtype is None:
        dtype = dtypes.to_array(fill_value, op="full").dtype
    size = (size,) if isinstance(size, int) else size
    return _finish(np.full(_shape((size,), "full"), fill_value, dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """`[start, end)` by `step`: int64 for int arguments, float32 if any is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero (got start={start}, end={end}, step=0)")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_int = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.default_float
    return _finish(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    return _finish(np.linspace(start, end, steps, dtype=dtype or dtypes.default_float),
                   requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=dtype or dtypes.default_float), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = np.dtype(dtype or dtypes.default_float)
    return _finish(generator().random(_shape(size, "rand"), dtype=dtype), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    dtype = np.dtype(dtype or dtypes.default_float)
    return _finish(generator().standard_normal(_shape(size, "randn"), dtype=dtype), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None) -> Tensor:
    """Integers in [low, high) (in [0, low) when `high` is omitted, as `randint(10, (3,))`)."""
    if isinstance(high, tuple | list):
        high, size = None, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape((size,) if isinstance(size, int) else tuple(size), "randint")
    return _make(generator().integers(low, high, size, dtype=dtype or dtypes.int64))
