"""Switching graph recording on and off: `no_grad`, `enable_grad`, `set_grad_enabled`.

Grad mode is per thread, as in PyTorch: a `no_grad()` block, or the switch that `backward()`
makes while it runs, changes only the thread it runs in, and every new thread starts with
recording on. The switch is a `ContextVar`, which is per thread and quick to read (each op
reads it); an asyncio task also gets its own copy, taken when the task is created.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any, Callable

_ENABLED: ContextVar[bool] = ContextVar("chainrule_grad_enabled", default=True)
_FREES_SAVED: ContextVar[bool] = ContextVar("chainrule_frees_saved", default=False)

grad_enabled = _ENABLED.get  # every op's check
frees_saved = _FREES_SAVED.get  # set while a backward without retain_graph runs


def is_grad_enabled() -> bool:
    """Whether ops in the calling thread currently record the graph."""
    return _ENABLED.get()


class _GradModeGuard:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    _target: bool

    def __enter__(self) -> None:
        self._prev = _ENABLED.get()
        _ENABLED.set(self._target)

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _ENABLED.set(target)
            try:
                return fn(*args, **kwargs)
            finally:
                _ENABLED.reset(token)

        return wrapper


class _BareDecorator(_GradModeGuard):
    """A guard that also decorates without parentheses: `@no_grad` as well as `@no_grad()`."""

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        guard = super().__new__(cls)
        return guard if fn is None else guard(fn)

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        pass


class no_grad(_BareDecorator):
    """Ops inside `with no_grad():` (or a function decorated `@no_grad` or `@no_grad()`)
    record no graph."""

    _target = False


class enable_grad(_BareDecorator):
    """Turn graph recording back on inside a `no_grad` block (also `@enable_grad`)."""

    _target = True


class set_grad_enabled(_GradModeGuard):
    """Set grad mode to `mode`: at once when called, or for a `with` block."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._prev = _ENABLED.get()
        _ENABLED.set(self._target)

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        _ENABLED.set(self._prev)  # used as a decorator: only the wrapped calls change mode
        return super().__call__(fn)


def backward_mode(create_graph: bool, retain_graph: bool) -> tuple:
    """Enter the mode a backward pass runs in (recording only for create_graph); returns
    the tokens that `restore_mode` takes."""
    return _ENABLED.set(create_graph), _FREES_SAVED.set(not retain_graph)


def restore_mode(tokens: tuple) -> None:
    enabled, frees = tokens
    _ENABLED.reset(enabled)
    _FREES_SAVED.reset(frees)
