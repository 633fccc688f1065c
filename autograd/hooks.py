"""Tensor hooks: the handle `register_hook` returns, and the hook `retain_grad()` adds."""

from __future__ import annotations

import weakref
from typing import Any, Callable


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class RetainGrad:
    """The hook `retain_grad()` puts on a non-leaf's node: the engine stores the gradient
    on the tensor once the pass succeeds."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Any) -> None:
        self.tensor = weakref.ref(tensor)
