"""Exceptions the engine raises beyond Python's own."""

import numpy as np


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit an op: a RuntimeError as in PyTorch, a ValueError as in numpy."""


def broadcast_error(op: str, *shapes: tuple[int, ...]) -> ShapeError:
    listed = " and ".join(str(s) for s in shapes)
    return ShapeError(
        f"{op}: shapes {listed} do not broadcast (trailing dims must be equal or 1)"
    )


class IntOverflowError(OverflowError, ValueError):
    """A Python int outside an integer dtype's range: an OverflowError as in numpy, a
    ValueError as from `torch.tensor`. Raised rather than letting the value wrap around."""


def int_overflow_error(op: str, value: object, dtype: object) -> IntOverflowError:
    info = np.iinfo(np.dtype(dtype)) if np.dtype(dtype).kind in "iu" else np.iinfo(np.int64)
    return IntOverflowError(
        f"{op}: Overflow: the Python int {value} does not fit in {np.dtype(dtype)} "
        f"(range {info.min} to {info.max}); pass a float, or a value in range"
    )
