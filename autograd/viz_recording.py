"""What the graph records for `viz` to draw: the module that ran each op, and gradient norms.

Both are per thread, like grad mode, and off the hot path: an op reads one attribute to learn
its module scope, and gradient norms are computed only inside `record_grad_norms()`.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class _VizRecording(threading.local):
    def __init__(self) -> None:
        self.scope: tuple | None = None  # modules being called, outermost first (nn sets it)
        self.grad_norms = False


recording = _VizRecording()


@contextmanager
def record_grad_norms() -> Iterator[None]:
    """Backward passes inside store each node's gradient norm (for `viz.to_dot(show="grad")`)."""
    prev = recording.grad_norms
    recording.grad_norms = True
    try:
        yield
    finally:
        recording.grad_norms = prev
