"""Tiling and pieces: `repeat` (numpy's tile) and `chunk`/`split`, composed of reshape,
expand and slicing, so their gradients are correct by construction."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from .dims import normalize_dims


def _ints(args: tuple, op: str) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], tuple | list):
        args = tuple(args[0])
    if not all(isinstance(n, int | np.integer) for n in args):
        raise TypeError(f"{op}: sizes must be ints, got {args!r}")
    return tuple(int(n) for n in args)


def repeat(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """The tensor tiled `sizes[i]` times along dim i, as `torch.Tensor.repeat` (numpy's
    tile); extra leading sizes add leading dims."""
    reps = _ints(sizes, "repeat")
    if len(reps) < input.ndim:
        raise ShapeError(f"repeat: the number of repeat dims ({len(reps)}) can not be smaller "
                         f"than the number of dims of the tensor ({input.ndim}, shape "
                         f"{input.shape})")
    if any(n < 0 for n in reps):
        raise ValueError(f"repeat: sizes must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - input.ndim) + input.shape
    paired = tuple(n for s in shape for n in (1, s))  # a size-1 dim before each dim
    wanted = tuple(n for r, s in zip(reps, shape) for n in (r, s))
    out = input.reshape(paired).expand(wanted)
    return out.reshape(tuple(r * s for r, s in zip(reps, shape)))


def _slices(x: Tensor, dim: int, bounds: list[int]) -> tuple[Tensor, ...]:
    lead = (slice(None),) * dim
    return tuple(x[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def _dim(x: Tensor, dim: Any, op: str) -> int:
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if x.ndim == 0:
        raise ShapeError(f"{op}: expects at least a 1-dimensional tensor")
    return normalize_dims(dim, x.ndim, op)[0]


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Up to `chunks` views along `dim`, each of ceil(n / chunks) entries but the last, as
    PyTorch (so there may be fewer chunks than asked for)."""
    d = _dim(input, dim, "chunk")
    if not isinstance(chunks, int | np.integer) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    n = input.shape[d]
    size = -(-n // chunks)
    if size == 0:  # an empty dim: `chunks` empty pieces, as PyTorch
        return _slices(input, d, [0] * (chunks + 1))
    return _slices(input, d, list(range(0, n, size)) + [n])


def split(input: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Pieces along `dim`: of `split_size` entries each (the last may be shorter), or of the
    given section sizes, which must add up to the dim's size."""
    d = _dim(input, dim, "split")
    n = input.shape[d]
    s = split_size_or_sections
    if isinstance(s, int | np.integer):
        if s <= 0 and n:
            raise ValueError(f"split: split_size must be a positive int, got {s}")
        return _slices(input, d, list(range(0, n, s)) + [n] if n else [0, 0])
    sections = _ints(tuple(s), "split")
    if sum(sections) != n or any(k < 0 for k in sections):
        raise ShapeError(f"split: split_sizes {list(sections)} must add up to the size of "
                         f"dim {dim}, {n} (shape {input.shape})")
    return _slices(input, d, list(np.cumsum((0,) + sections)))
