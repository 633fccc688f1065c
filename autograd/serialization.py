"""Saving and loading flat `{name: Tensor}` dicts as `.npz` files."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from .tensor import Tensor, _make


def save(state_dict: Mapping[str, Tensor], path: str | os.PathLike) -> None:
    """Write each tensor's data under its name into an uncompressed `.npz` file."""
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be str, got {name!r}")
        arrays[name] = value.data if isinstance(value, Tensor) else np.asarray(value)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a file written by `save` back into `{name: Tensor}`."""
    with np.load(path, allow_pickle=False) as f:
        return {name: _make(f[name]) for name in f.files}
