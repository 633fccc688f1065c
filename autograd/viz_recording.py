"""What the graph records for `viz` to draw: the module that ran each op, and gradient norms.

Both are per thread, like grad mode, and off the hot path: an op reads one context variable
to learn its module scope, and gradient norms are computed only inside `record_grad_norms()`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, Iterator

_SCOPE: ContextVar[tuple | None] = ContextVar("chainrule_module_scope", default=None)
_GRAD_NORMS: ContextVar[bool] = ContextVar("chainrule_grad_norms", default=False)

module_scope = _SCOPE.get  # the modules being called, outermost first, or None
grad_norms_recorded = _GRAD_NORMS.get


def enter_module(module: Any) -> Token:
    """Tag the ops recorded from now on with `module` (inside any enclosing module)."""
    outer = _SCOPE.get()
    return _SCOPE.set((module,) if outer is None else outer + (module,))


def exit_module(token: Token) -> None:
    _SCOPE.reset(token)


@contextmanager
def record_grad_norms() -> Iterator[None]:
    """Backward passes inside store each node's gradient norm (for `viz.to_dot(show="grad")`)."""
    token = _GRAD_NORMS.set(True)
    try:
        yield
    finally:
        _GRAD_NORMS.reset(token)
