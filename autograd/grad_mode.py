"""Switching graph recording on and off: `no_grad`, `enable_grad`, `set_grad_enabled`.

Grad mode is per thread, as in PyTorch: a `no_grad()` block, or the switch that `backward()`
makes while it runs, changes only the thread it runs in, and every new thread starts with
recording on.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable


class _GradMode(threading.local):
    """The calling thread's switch, read by every op. `frees_saved` is set while a backward
    without retain_graph runs. (No __slots__: slots would be shared by all threads.)"""

    def __init__(self) -> None:
        self.enabled = True
        self.frees_saved = False


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops in the calling thread currently record the graph."""
    return _mode.enabled


class _GradModeGuard:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    _target: bool

    def __enter__(self) -> None:
        self._prev = _mode.enabled
        _mode.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        _mode.enabled = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _mode.enabled
            _mode.enabled = target
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = prev

        return wrapper


class no_grad(_GradModeGuard):
    """Ops inside `with no_grad():` (or a function decorated `@no_grad()`) record no graph."""

    _target = False


class enable_grad(_GradModeGuard):
    """Turn graph recording back on inside a `no_grad` block."""

    _target = True


class set_grad_enabled(_GradModeGuard):
    """Set grad mode to `mode`: at once when called, or for a `with` block."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._prev = _mode.enabled
        _mode.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        _mode.enabled = self._prev  # used as a decorator: only the wrapped calls change mode
        return super().__call__(fn)
