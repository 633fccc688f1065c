"""Tensor's device and type conversions, CPU only: `.to(...)`'s argument forms, `.cpu()`,
`.cuda()`, `.device`, `.is_cuda` and `.type()`, as PyTorch spells them."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import device as _device
from . import dtypes

_TO_KEYWORDS = ("dtype", "device", "non_blocking", "copy", "memory_format")
_BY_TYPE_NAME = {name: dt for dt, name in dtypes.TENSOR_TYPES.items()}


def _as_dtype(value: Any, op: str) -> np.dtype | None:
    """`value` as a dtype, or None when it is not one (a device, say)."""
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str) and value in _BY_TYPE_NAME:
        return _BY_TYPE_NAME[value]
    if isinstance(value, type) or isinstance(value, str):
        try:
            return np.dtype(value)
        except TypeError:
            return None
    return None


def to_args(args: tuple, kwargs: dict, op: str) -> tuple[np.dtype | None, bool]:
    """Parse PyTorch's `.to` forms: `(dtype)`, `(device)`, `(device, dtype)`, `(tensor)`, each
    optionally followed by `non_blocking, copy`, and the keywords `dtype= device=
    non_blocking= copy= memory_format=`. Returns `(dtype or None, copy)`; a device other
    than the CPU raises."""
    unknown = set(kwargs) - set(_TO_KEYWORDS)
    if unknown:
        raise TypeError(f"{op}: unexpected keyword argument(s) {sorted(unknown)}; expected "
                        f"{', '.join(_TO_KEYWORDS)}")
    args = list(args)
    dtype, dev = kwargs.get("dtype"), kwargs.get("device")
    if args:
        first = args.pop(0)
        if hasattr(first, "_data") and hasattr(first, "dtype"):  # a Tensor: its dtype
            dtype = first.dtype
        elif (as_dtype := _as_dtype(first, op)) is not None:
            dtype = as_dtype
        else:
            dev = first
            if args and _as_dtype(args[0], op) is not None:
                dtype = _as_dtype(args.pop(0), op)
    if len(args) > 2:
        raise TypeError(f"{op}: too many positional arguments; expected (device, dtype, "
                        "non_blocking, copy) at most")
    copy = bool(args[1]) if len(args) == 2 else bool(kwargs.get("copy", False))
    _device.check(dev, op)
    if dtype is not None:
        dtype = _as_dtype(dtype, op)
        if dtype is None:
            raise TypeError(f"{op}: dtype must be a dtype such as float32 or int64, got "
                            f"{kwargs.get('dtype')!r}")
    return dtype, copy


class ConversionMethods:
    """Mixed into Tensor: the device is always the CPU."""

    __slots__ = ()

    @property
    def device(self) -> _device.device:
        """Always `device(type='cpu')`."""
        return _device.CPU

    @property
    def is_cuda(self) -> bool:
        """Always False: chainrule runs on the CPU."""
        return False

    def cpu(self) -> Any:
        """The tensor itself (it is on the CPU already)."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        """Raises: chainrule runs on the CPU only."""
        raise _device._cpu_only("cuda", "cuda" if device is None else device)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without `dtype`, PyTorch's type name ('torch.FloatTensor'); with one, `.to(dtype)`."""
        if dtype is None:
            return dtypes.TENSOR_TYPES.get(self._data.dtype, f"numpy.{self._data.dtype}")
        cast = _as_dtype(dtype, "type")
        if cast is None:
            raise TypeError(f"type: expected a dtype or a name such as 'torch.FloatTensor', "
                            f"got {dtype!r}")
        return self.to(cast)
