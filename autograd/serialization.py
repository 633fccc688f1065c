"""Saving and loading flat `{name: Tensor}` dicts as `.npz` files (never pickle)."""

from __future__ import annotations

import os
import zipfile
from typing import Mapping

import numpy as np

from .tensor import Tensor, _make

_SUPPORTED = "fiub"  # float, int, uint, bool: what tensor() accepts


def save(state_dict: Mapping[str, Tensor], path: str | os.PathLike) -> None:
    """Write each tensor's data under its name into an uncompressed `.npz` file.

    Every key and value is checked before the file is opened, so a refused dict writes
    nothing. Any str is a valid key (np.savez would take `file` and `allow_pickle` as its own
    arguments, so the archive is written here, in the same format np.load reads)."""
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be str, got {name!r}")
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        if arr.dtype.kind not in _SUPPORTED:
            raise TypeError(f"save: {name!r} has dtype {arr.dtype}; expected a float, int or "
                            f"bool tensor (nothing was written to {os.fspath(path)!r})")
        arrays[name] = arr
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, arr in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries; an empty zip


def load(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a file written by `save` back into `{name: Tensor}`."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head == _NPY_MAGIC:
        raise ValueError(f"load: {os.fspath(path)!r} is a single .npy array; expected an .npz "
                         "archive of named tensors as save() writes (read an .npy with "
                         "np.load and wrap it in tensor())")
    if head[:4] not in _ZIP_MAGICS:
        raise ValueError(f"load: {os.fspath(path)!r} is not an .npz archive (it starts with "
                         f"{head!r}); expected a file written by save()")
    out = {}
    with np.load(path, allow_pickle=False) as f:
        for name in f.files:
            try:
                arr = f[name]
            except ValueError:  # an object array, which only pickle could read
                raise TypeError(f"load: {name!r} in {os.fspath(path)!r} is an object array; "
                                "expected float, int or bool data (it is not unpickled)") from None
            if arr.dtype.kind not in _SUPPORTED:
                raise TypeError(f"load: {name!r} in {os.fspath(path)!r} has dtype {arr.dtype}; "
                                "expected a float, int or bool dtype, as tensor() accepts")
            out[name] = _make(arr)
    return out
