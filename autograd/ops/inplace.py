"""In-place ops as PyTorch has them, on one mechanism: `write(x, result, op)`.

`x.op_(...)` computes the out-of-place result `op(x, ...)` (recorded like any op), then
`write` puts it into x's memory and, when that result was recorded, makes x its output:
x's `grad_fn` becomes the op's node, whose parent is x's old node. PyTorch's checks hold:

- every write bumps x's version counter, which x shares with its views; a backward that
  needs a tensor saved at an older version raises (see `function.check_versions`);
- a leaf that requires grad, or a view of one, may be written only under `no_grad()`;
- a write into a view rewrites its base's graph too (indexing, `view`/`reshape`,
  `permute`/`transpose`), so the base's gradient stays exact; writing through an expanded
  view is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import LAST_WRITE, _SavedOutput, next_seq
from ..grad_mode import grad_enabled
from ..tensor import Tensor, _make
from ..versions import Version, version_of, viewed
from .binary import where


def write(x: Tensor, result: Tensor, op: str, casting: str = "same_kind") -> Tensor:
    """Put `result` (the out-of-place value of `op` on x) into x, in place; returns x.
    Arithmetic keeps PyTorch's rule (a float result is not written into an int tensor);
    fills and copies cast (`casting="unsafe"`), as PyTorch's fill_ and copy_ do."""
    data = result._data
    if data.shape != x._data.shape:
        raise RuntimeError(f"{op}: the result has shape {data.shape}, which does not fit the "
                           f"tensor of shape {x._data.shape} written in place (the other "
                           "operand must broadcast to it)")
    if not np.can_cast(data.dtype, x._data.dtype, casting):
        raise RuntimeError(f"{op}: result type {data.dtype} can't be cast to the desired "
                           f"output type {x._data.dtype}")
    recorded = result._node is not None and grad_enabled()
    if recorded:
        _snapshot_if_saved(result._node, x)
    _mark_saved_output(x)
    np.copyto(x._data, data, casting=casting)
    _bump(x)
    if recorded:
        x._node, x._rg = result._node, True
        _rebase_views(x)
    return x


def check_writable(x: Tensor, op: str) -> None:
    """Refuse what PyTorch refuses, before anything is computed or changed."""
    if not grad_enabled():
        return
    if x._rg and x._node is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation; do it under no_grad() (as an optimizer "
                           "step does), or on a .clone()")
    view = viewed(x)
    while view is not None:
        base, rebuild, _ = view
        view = viewed(base)
        if rebuild is None:
            raise RuntimeError(f"{op}: unsupported operation: more than one element of the "
                               "written-to tensor refers to a single memory location (an "
                               "expanded view); write to a .clone() instead")
        if base._rg and base._node is None:
            raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being "
                               "used in an in-place operation; do it under no_grad()")
    if not x._data.flags.writeable:
        raise RuntimeError(f"{op}: the tensor's memory is read-only (a broadcast view); write "
                           "to a .clone() instead")


def _snapshot_if_saved(node: Any, x: Tensor) -> None:
    """The op's own node may have saved x (`x.mul_(y)` saves x for y's gradient): it keeps
    x's values from before the write, in a tensor with x's old place in the graph."""
    saved = node.saved
    if saved and any(s is x for s in saved):
        old = _make(x._data.copy(), x._node)
        old._rg = x._rg
        node.saved = tuple(old if s is x else s for s in saved)


def _mark_saved_output(x: Tensor) -> None:
    """x's own node (or a base's) may have saved x's values as its output (exp, tanh): that
    saved output now changes too, so its backward must refuse to run."""
    if x._node is None and viewed(x) is None:  # a leaf of its own memory saved no output
        return
    t = x
    while t is not None:
        node = t._node
        for s in (node.saved or ()) if node is not None else ():
            if s.__class__ is _SavedOutput and np.may_share_memory(s._data, x._data):
                s._vc = s._vc or Version()
                s._vc.bump(next_seq())
        view = viewed(t)
        t = view[0] if view is not None else None


def _rebase_views(x: Tensor) -> None:
    """After a recorded write into a view, each base up the chain gets a node that rebuilds
    it from the new view: base[key] = view for an index, a reshape back, an inverse
    permutation. Its values are already right (shared memory); only its graph changes."""
    view, viewing = x, viewed(x)
    while viewing is not None:
        base, rebuild, arg = viewing
        new = rebuild(view, base, arg)
        base._node, base._rg = new._node, True
        view, viewing = base, viewed(base)


def arithmetic(x: Tensor, op: str, ufunc: np.ufunc, other: Any, compute: Any) -> Tensor:
    """`x.add_(other)` and its kin. When nothing is recorded (under `no_grad()`, or when
    neither side requires grad: an optimizer's or a hand-written update), one numpy call
    writes into x's memory; otherwise the recorded out-of-place op `compute()` is written
    back, as every in-place op is."""
    theirs = isinstance(other, Tensor) and other._rg
    if grad_enabled() and (x._rg or theirs):
        return apply_inplace(x, op, compute)
    data = other._data if isinstance(other, Tensor) else other
    if not isinstance(data, int | float | np.ndarray):  # a list: numpy's array of it
        data = np.asarray(data)
    mine = x._data
    if data.__class__ is np.ndarray and data.shape != mine.shape and (
            _broadcast(data.shape, mine.shape) != mine.shape):
        raise RuntimeError(f"{op}: an operand of shape {data.shape} does not broadcast to the "
                           f"tensor of shape {mine.shape} written in place")
    _mark_saved_output(x)
    try:
        ufunc(mine, data, out=mine, casting="same_kind")
    except TypeError:  # numpy's UFuncTypeError: a float result into an int tensor
        raise RuntimeError(f"{op}: result type {np.result_type(mine, data)} can't be cast to "
                           f"the desired output type {mine.dtype}") from None
    except ValueError:  # numpy refuses to write a read-only (broadcast) array
        raise RuntimeError(f"{op}: the tensor's memory is read-only (a broadcast view); write "
                           "to a .clone() instead") from None
    _bump(x)
    return x


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def _bump(x: Tensor) -> None:
    seq = LAST_WRITE.seq = next_seq()
    version_of(x, create=True).bump(seq)


def apply_inplace(x: Tensor, op: str, compute: Any, casting: str = "same_kind") -> Tensor:
    """Check x, compute the out-of-place result `compute()`, and write it into x."""
    check_writable(x, op)
    return write(x, compute(), op, casting)


def filled(x: Tensor, values: Any) -> Tensor:
    """x's shape filled with `values` (a scalar or a Tensor that broadcasts to it), out of
    place: x's gradient through it is zero and the values get theirs, as PyTorch's fill_
    and copy_ give."""
    return where(np.ones(x._data.shape, bool), values, x)
