"""Reduction dims: `dim` arguments checked and normalised, and the shapes they leave."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`dim` as a sorted tuple of non-negative dims; None means every dim."""
    if dim is None:
        return None
    if isinstance(dim, int | np.integer):
        dims = (dim,)
    elif isinstance(dim, tuple | list):
        dims = tuple(dim)
        for d in dims:
            if not isinstance(d, int | np.integer):
                raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
    else:
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
    n = ndim if ndim else 1  # a 0-d tensor accepts dim 0 and -1, as PyTorch
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor of {ndim} dims "
                f"(expected {-n} to {n - 1})"
            )
        out.append(int(d) % n)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: dim {dims} names a dim more than once")
    return tuple(sorted(out)) if ndim else ()


def _dim_arg(dim: Any, axis: Any, op: str) -> Any:
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: give dim or its alias axis, not both")
        return axis
    return dim


def _kept_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape with reduced dims kept as size 1."""
    if dims is None:
        return (1,) * len(shape)
    kept = list(shape)
    for d in dims:
        kept[d] = 1
    return tuple(kept)


def _count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def _reduced_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    return () if dims is None else tuple(n for i, n in enumerate(shape) if i not in dims)
