"""Dtypes are numpy dtypes; conversion of Python data and PyTorch's promotion rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import int_overflow_error

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
default_float = float32

# PyTorch's legacy type names, as `Tensor.type()` gives and accepts them.
TENSOR_TYPES = {float32: "torch.FloatTensor", float64: "torch.DoubleTensor",
                float16: "torch.HalfTensor", int64: "torch.LongTensor", int32: "torch.IntTensor",
                int16: "torch.ShortTensor", int8: "torch.CharTensor", uint8: "torch.ByteTensor",
                bool_: "torch.BoolTensor"}


def to_array(data: Any, dtype: Any = None, copy: bool = True, op: str = "tensor") -> np.ndarray:
    """Turn Python or numpy data into an ndarray with PyTorch's dtype inference.

    Python floats become float32, ints int64 and bools bool; numpy data keeps its dtype.
    A Python int beyond int64 raises (numpy would wrap it, or make a float or object array).
    """
    if isinstance(data, np.ndarray | np.generic):
        arr = np.array(data, dtype=dtype, copy=copy)
    else:
        if hasattr(data, "__array__") and not isinstance(data, list | tuple):
            arr = np.array(data, dtype=dtype, copy=copy)
        else:
            try:
                arr = np.array(data, dtype=dtype)
            except ValueError as e:  # ragged nested lists: name the op, keep numpy's reason
                raise ValueError(f"{op}: cannot make a tensor from this data: {e}") from None
            except OverflowError:  # an int beyond the given integer dtype
                raise int_overflow_error(op, _big_int(data, dtype), dtype) from None
        if dtype is None:
            kind = arr.dtype.kind
            first = _first_leaf(data)
            if kind in "uO" or (kind == "f" and first.__class__ is int):  # all ints: a float
                big = _big_int(data, int64)  # dtype means one beyond int64 (with a negative)
                if big is not None:
                    raise int_overflow_error(op, big, int64)
            if kind == "f" and not hasattr(first, "dtype"):  # numpy/Tensor values keep theirs
                arr = arr.astype(default_float)
            elif kind in "iu":
                arr = arr.astype(int64, copy=False)
            elif kind not in "fb":
                raise TypeError(
                    f"{op}: cannot make a tensor from {type(data).__name__} data "
                    f"(numpy inferred dtype {arr.dtype}); expected numbers, bools or arrays"
                )
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"{op}: unsupported dtype {arr.dtype}; expected a float, int or bool dtype"
        )
    return arr


def _big_int(data: Any, dtype: Any) -> int | None:
    """The first Python int in nested lists that does not fit `dtype` (None if none)."""
    info = np.iinfo(np.dtype(dtype)) if np.dtype(dtype).kind in "iu" else np.iinfo(int64)
    todo = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, list | tuple):
            todo.extend(reversed(item))
        elif isinstance(item, int) and not info.min <= item <= info.max:
            return item
    return None


def _first_leaf(data: Any) -> Any:
    """The first scalar of nested lists: its type tells numpy data (which keeps its float
    dtype) and Python ints (all ints made into floats means an int beyond int64) apart."""
    while isinstance(data, list | tuple) and data:
        data = data[0]
    return data


def fix_result_dtype(r: Any, a: Any, b: Any = None) -> np.ndarray:
    """Make an op's numpy result an ndarray with the dtype PyTorch would give.

    numpy widens to float64 where PyTorch keeps float32: an int tensor with a float
    (int * 0.5, exp(int)), int64 with float32, or a dimensioned float32 tensor with a 0-d
    float64 tensor. Only float64 results can be wrong, so others pass through untouched.
    """
    if r.__class__ is not np.ndarray:
        r = np.asarray(r)
    if r.dtype is not float64:
        return r
    a64 = getattr(a, "dtype", None) is float64
    b64 = getattr(b, "dtype", None) is float64
    if not (a64 or b64):
        return r.astype(float32)
    if a64 != b64:  # one float64 tensor: a 0-d one does not widen a dimensioned float one
        small, big = (a, b) if a64 else (b, a)
        if small.ndim == 0 and getattr(big, "ndim", 0) > 0 and big.dtype.kind == "f":
            return r.astype(big.dtype)
    return r
