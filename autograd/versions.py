"""Version counters and views: how PyTorch's in-place checks know what changed.

A tensor that was written in place, or that shares its memory (a view, a `detach()`),
holds a `Version`: one counter for a tensor and all its views. A tensor without one is at
version 0, so a plain op's result costs nothing here.
"""

from __future__ import annotations

from typing import Any, Callable


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


def _view_of(out: Any, base: Any, rebuild: Callable | None, arg: Any = None) -> Any:
    """Mark `out` as a view of `base`'s memory: they share one version counter, and an
    in-place op on `out` rewrites `base`'s graph as `rebuild(new_out, base, arg)`, base's
    value with the view's part replaced (None where a write through the view is refused)."""
    box = base._vc
    if box is None:
        box = base._vc = Version()
    out._vc = box
    out._view = (base, rebuild, arg)
    return out


def _share_version(out: Any, base: Any) -> Any:
    """`out` shares `base`'s memory and so its version counter (a `detach()`ed tensor)."""
    box = base._vc
    if box is None:
        box = base._vc = Version()
    out._vc = box
    return out
