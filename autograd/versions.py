"""Version counters and views: how PyTorch's in-place checks know what changed.

A tensor's memory has one `Version`, made by the first in-place write: a view finds it on
the base it views (`version_of`), a `detach()`ed tensor holds its source's. A tensor without
one is at version 0, so a plain op's result or a view costs nothing here. A Tensor's two
slots for this are set only when they apply: `_vc` by the first write, `_view` by the view
ops (`tensor._make_view`).
"""

from __future__ import annotations

from typing import Any


class Version:
    """How often a tensor's memory was changed in place: one counter for a tensor and all
    its views, made by the first view or in-place op (a tensor without one is at 0), with
    the recording numbers of its last few writes (see `function.check_versions`)."""

    __slots__ = ("count", "writes")

    def __init__(self) -> None:
        self.count = 0
        self.writes: list[int] = []

    def bump(self, seq: int) -> None:
        self.count += 1
        self.writes.append(seq)
        if len(self.writes) > 8:
            del self.writes[0]


def version_of(t: Any, create: bool = False) -> Version | None:
    """The version counter of `t`'s memory: a view's is its base's, found by walking to the
    base that is no view (the counter is made by the first write, so a view costs nothing
    until then); None while nothing was written, unless `create`."""
    view = viewed(t)
    while view is not None:
        t = view[0]
        view = viewed(t)
    box = getattr(t, "_vc", None)
    if box is None and create:
        box = t._vc = Version()
    return box


def viewed(t: Any) -> tuple | None:
    """What `t` views, as `(base, rebuild, arg)` (see `tensor._make_view`), or None for a
    tensor that is no view."""
    return getattr(t, "_view", None)


def _share_version(out: Any, base: Any) -> Any:
    """`out` shares `base`'s memory and so its version counter (a `detach()`ed tensor)."""
    out._vc = version_of(base, create=True)
    return out
