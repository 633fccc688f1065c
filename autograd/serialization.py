"""Saving and loading tensors and checkpoints as `.npz` files, never with pickle.

A flat `{name: Tensor}` dict (a state dict) is one array per name, readable by `np.load`. Any
other object (PyTorch's checkpoint recipe: nested dicts, lists and tuples of tensors, arrays,
numbers, None and strings) keeps its arrays as numbered entries and its structure as JSON in
the entry `_TREE`, so loading a file runs no code."""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor, _make

_SUPPORTED = "fiub"  # float, int, uint, bool: what tensor() accepts


_TREE = "__chainrule_tree__"  # the entry holding a nested object's structure (JSON)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write a state dict, a checkpoint (nested dicts, lists and tuples of tensors, arrays,
    numbers, None and strings; a dict at the top has str keys) or a single tensor into an
    uncompressed `.npz` file.

    Everything is checked before the file is opened, so a refused object writes nothing. Any
    str is a valid key of a flat state dict (np.savez would take `file` and `allow_pickle` as
    its own arguments, so the archive is written here, in the format np.load reads)."""
    for name in obj if isinstance(obj, dict) else ():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be str, got {name!r}")
    arrays: dict[str, np.ndarray] = {}
    if isinstance(obj, dict) and all(isinstance(v, Tensor) for v in obj.values()):
        for name, value in obj.items():
            arrays[name] = _checked(value, repr(name), path)
    else:
        tree = _encode(obj, arrays, path, "the object")
        arrays[_TREE] = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, arr in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def _checked(value: Any, where: str, path: Any) -> np.ndarray:
    arr = value._data if isinstance(value, Tensor) else np.asarray(value)
    if arr.dtype.kind not in _SUPPORTED:
        raise TypeError(f"save: {where} has dtype {arr.dtype}; expected a float, int or "
                        f"bool tensor (nothing was written to {os.fspath(path)!r})")
    return arr


def _encode(obj: Any, arrays: dict, path: Any, where: str) -> Any:
    """`obj` as JSON: plain values as themselves, the rest as `{"t": kind, ...}`."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | float) and type(obj) in (int, float):
        return obj
    if isinstance(obj, Tensor | np.ndarray | np.generic):
        key = str(len(arrays))
        arrays[key] = _checked(obj, where, path)
        kind = ("tensor" if isinstance(obj, Tensor) else
                "array" if isinstance(obj, np.ndarray) else "scalar")
        node = {"t": kind, "i": key}
        if kind == "tensor" and obj.requires_grad:
            node["rg"] = True
        return node
    if isinstance(obj, list | tuple):
        return {"t": type(obj).__name__,
                "v": [_encode(v, arrays, path, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        top = where == "the object"
        keys = []
        for k in obj:
            if not (k is None or isinstance(k, bool | int | float | str)):
                raise TypeError(f"save: key {k!r} in {where} is a "
                                f"{type(k).__name__}; expected str, int, float, bool or None "
                                "keys (nothing was written)")
            keys.append(k)
        return {"t": "dict", "k": keys,
                "v": [_encode(v, arrays, path, repr(k) if top else f"{where}[{k!r}]")
                      for k, v in obj.items()]}
    raise TypeError(f"save: {where} is a {type(obj).__name__}; expected "
                    "tensors, arrays, numbers, None, strings, and dicts, lists or tuples of "
                    "them (nothing was written)")


def _decode(node: Any, arrays: dict) -> Any:
    if not isinstance(node, dict):
        return node
    kind = node.get("t")
    if kind in ("tensor", "array", "scalar"):
        arr = arrays[node["i"]]
        if kind == "array":
            return arr
        if kind == "scalar":
            return arr[()]
        t = _make(arr)
        if node.get("rg"):
            t.requires_grad = True
        return t
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in node["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in zip(node["k"], node["v"])}
    raise ValueError(f"load: unknown entry {node!r} in the structure; expected a file "
                     "written by save()")


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries; an empty zip


def load(path: str | os.PathLike, **kwargs: Any) -> Any:
    """Read a file written by `save`: a state dict as `{name: Tensor}`, a checkpoint as it was
    saved. PyTorch's keywords (`map_location`, `weights_only`) are accepted and ignored."""
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
            out[name] = arr
    if _TREE not in out:
        return {name: _make(arr) for name, arr in out.items()}
    try:
        tree = json.loads(out.pop(_TREE).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: the structure in {os.fspath(path)!r} is not valid JSON ({e}); "
                         "expected a file written by save()") from None
    try:
        return _decode(tree, out)
    except (KeyError, TypeError, AttributeError):
        raise ValueError(f"load: the structure in {os.fspath(path)!r} does not match its "
                         "arrays; expected a file written by save()") from None
