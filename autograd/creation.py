"""Constructors: from data, filled, ranges and random draws (float32 unless told)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .device import check as _check_device
from .ops.shape import _sizes
from .random import numpy_generator
from .tensor import Tensor, _make


def _shape(size: tuple, op: str) -> tuple[int, ...]:
    shape = _sizes(size, op)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: dims must be >= 0, got {shape}")
    return shape


def _finish(arr: np.ndarray, requires_grad: bool, device: Any = None, op: str = "") -> Tensor:
    _check_device(device, op)
    t = _make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
           ) -> Tensor:
    """A new tensor holding a copy of `data` (see `Tensor` for the dtype rules)."""
    _check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(arr).__name__}")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: unsupported dtype {arr.dtype}; expected a float, int or "
                        "bool dtype, as tensor() does")
    return _make(arr)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Filled with 0 (float32 unless told)."""
    return _finish(np.zeros(_shape(size, "zeros"), dtype or dtypes.default_float), requires_grad,
                   device, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
         ) -> Tensor:
    """Filled with 1 (float32 unless told)."""
    return _finish(np.ones(_shape(size, "ones"), dtype or dtypes.default_float), requires_grad,
                   device, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
          ) -> Tensor:
    """Uninitialised in PyTorch; here filled with 0, so results never depend on old memory."""
    return _finish(np.zeros(_shape(size, "empty"), dtype or dtypes.default_float), requires_grad,
                   device, "empty")


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Filled with `fill_value`; the dtype follows the value (float32, int64, bool)."""
    if dtype is None:
        dtype = dtypes.to_array(fill_value, op="full").dtype
    size = (size,) if isinstance(size, int) else size
    return _finish(np.full(_shape((size,), "full"), fill_value, dtype), requires_grad, device,
                   "full")


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
               ) -> Tensor:
    """Zeros of `t`'s shape and dtype."""
    return zeros(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False
              ) -> Tensor:
    """Ones of `t`'s shape and dtype."""
    return ones(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` in `t`'s shape and dtype."""
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device,
                requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
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
    return _finish(np.arange(start, end, step).astype(dtype), requires_grad, device, "arange")


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included."""
    return _finish(np.linspace(start, end, steps, dtype=dtype or dtypes.default_float),
                   requires_grad, device, "linspace")


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return _finish(np.eye(n, m, dtype=dtype or dtypes.default_float), requires_grad, device,
                   "eye")




def _float_dtype(dtype: Any, op: str) -> np.dtype:
    dtype = np.dtype(dtype or dtypes.default_float)
    if dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point dtype, got {dtype}")
    return dtype


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    dtype = _float_dtype(dtype, "rand")
    rng = numpy_generator(generator, "rand")
    return _finish(rng.random(_shape(size, "rand"), dtype=dtype), requires_grad, device, "rand")


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    dtype = _float_dtype(dtype, "randn")
    rng = numpy_generator(generator, "randn")
    return _finish(rng.standard_normal(_shape(size, "randn"), dtype=dtype), requires_grad,
                   device, "randn")


def randint(low: int, high: int | None = None, size: Any = (), generator: Any = None,
            dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in [low, high) (in [0, low) when `high` is omitted, as `randint(10, (3,))`)."""
    if isinstance(high, tuple | list):
        high, size = None, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape((size,) if isinstance(size, int) else tuple(size), "randint")
    rng = numpy_generator(generator, "randint")
    return _finish(rng.integers(low, high, size, dtype=dtype or dtypes.int64), False, device,
                   "randint")


def rand_like(t: Tensor, generator: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), in `t`'s shape and dtype."""
    return rand(t.shape, generator=generator, dtype=dtype or t.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, generator: Any = None, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal, in `t`'s shape and dtype."""
    return randn(t.shape, generator=generator, dtype=dtype or t.dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(t: Tensor, low: int, high: int | None = None, generator: Any = None,
                 dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in [low, high) in `t`'s shape and dtype (`randint_like(t, high)` from 0)."""
    if high is None:
        low, high = 0, low
    out = randint(low, high, t.shape, generator=generator, dtype=np.int64, device=device)
    return out.to(np.dtype(dtype or t.dtype))


def randperm(n: int, generator: Any = None, dtype: Any = dtypes.int64, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless told)."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be >= 0, got {n}")
    perm = numpy_generator(generator, "randperm").permutation(n).astype(dtype)
    return _finish(perm, requires_grad, device, "randperm")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False,
                generator: Any = None) -> Tensor:
    """Category indices drawn per row of non-negative `input` weights (int64), as torch.

    Without replacement each row's draws are distinct, each next one drawn in proportion to
    the weights left (categories of weight 0 come last, once the others are used up)."""
    w = input._data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: input must be 1 or 2 dim, got shape {w.shape}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial: input must be a floating point tensor, got {w.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be > 0, got {num_samples}")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("multinomial: the weights contain inf, nan or an element < 0; "
                           "expected finite non-negative weights")
    if np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("multinomial: a row of weights sums to 0; expected a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without "
                           f"replacement from {rows.shape[1]} categories; pass "
                           "replacement=True or ask for fewer")
    rng = numpy_generator(generator, "multinomial")
    if replacement:  # inverse CDF; a category of weight 0 has an empty interval
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], num_samples)) * cdf[:, -1:]
        out = np.stack([np.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        last = rows.shape[1] - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)  # last category > 0
        out = np.minimum(out, last[:, None])
    else:  # exponential races: the k smallest of E_i / w_i are a draw without replacement
        positive = rows > 0
        keys = np.where(positive, rng.standard_exponential(rows.shape) / np.where(
            positive, rows, 1.0), np.inf)
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return _make(out.astype(np.int64).reshape(*w.shape[:-1], num_samples))


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, generator: Any = None,
           dtype: Any = None, device: Any = None) -> Tensor:
    """Normal draws with elementwise `mean` and `std` (tensors broadcast; floats need `size`).

    As in PyTorch, gradients do not flow to `mean` and `std`; the result requires no grad."""
    _check_device(device, "normal")
    m = mean._data if isinstance(mean, Tensor) else np.asarray(mean, dtype=np.float64)
    s = std._data if isinstance(std, Tensor) else np.asarray(std, dtype=np.float64)
    if np.any(s < 0):
        raise RuntimeError(f"normal: expected std >= 0, found std {s.min()}")
    tensors = [t._data.dtype for t in (mean, std) if isinstance(t, Tensor)]
    if size is not None:
        shape = _shape((size,) if isinstance(size, int) else tuple(size), "normal")
    elif tensors:
        shape = np.broadcast_shapes(m.shape, s.shape)
    else:
        raise TypeError("normal: with float mean and std, pass size= (the shape to draw)")
    dtype = np.dtype(dtype or (np.result_type(*tensors) if tensors else dtypes.default_float))
    if dtype.kind != "f":
        raise TypeError(f"normal: expected a floating point dtype, got {dtype}")
    z = numpy_generator(generator, "normal").standard_normal(shape)
    return _make((m + s * z).astype(dtype))
