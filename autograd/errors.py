"""Exceptions the engine raises beyond Python's own."""


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit an op: a RuntimeError as in PyTorch, a ValueError as in numpy."""


def broadcast_error(op: str, *shapes: tuple[int, ...]) -> ShapeError:
    listed = " and ".join(str(s) for s in shapes)
    return ShapeError(
        f"{op}: shapes {listed} do not broadcast (trailing dims must be equal or 1)"
    )
