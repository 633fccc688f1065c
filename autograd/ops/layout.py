"""Memory layout: which dim of an array is outermost in memory, and arrays allocated to match.

A gradient or a widened operand laid out like the array it meets lets numpy read both in
order (a channels-last activation gets a channels-last gradient).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np


def memory_order(arr: np.ndarray) -> tuple[int, ...] | None:
    """The dims of `arr` from the largest stride to the smallest, or None for C order."""
    if arr.flags.c_contiguous:
        return None
    order = tuple(sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d])))
    return None if order == tuple(range(arr.ndim)) else order


def allocate(make: Callable[..., np.ndarray], shape: Sequence[int], dtype: Any,
             order: Sequence[int] | None) -> np.ndarray:
    """`make(shape, dtype)` (np.zeros or np.empty) stored with its dims in `order`, outermost
    first (as `memory_order` gives them); None is C order."""
    if order is None:
        return make(shape, dtype)
    inverse = [0] * len(order)  # where each dim of `shape` sits in the stored order
    for position, d in enumerate(order):
        inverse[d] = position
    return make([shape[d] for d in order], dtype).transpose(inverse)
