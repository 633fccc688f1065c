"""Backpropagation: an iterative topological walk that applies each node's VJP once.

Gradients flow from the outputs to the leaves in reverse topological order. Each node's
incoming gradients are summed before its backward runs, so a node reached by many paths
runs once. Broadcasting is undone here, in `_sum_to`, for every op alike.
"""

from __future__ import annotations

import sys
from heapq import heappop, heappush
from typing import Any, Sequence

import numpy as np

from .function import _FREED_MESSAGE, Function
from .grad_mode import _mode
from .ops.reduce import Sum
from .ops.shape import Reshape
from .viz_recording import recording
from .tensor import Tensor, _make, _RetainGrad


def _sum_to(grad: Tensor, shape: tuple[int, ...], node: Any) -> Tensor:
    """Sum a broadcast gradient back to `shape` (the one place broadcasting is undone)."""
    have = grad.data.shape
    extra = len(have) - len(shape)
    dims = list(range(extra))
    for i, n in enumerate(shape if extra >= 0 else ()):
        if n != have[extra + i]:
            if n != 1:
                extra = -1
                break
            dims.append(extra + i)
    if extra < 0:
        raise RuntimeError(
            f"backward: {node!r} returned a gradient of shape {have} for an input of "
            f"shape {shape}; it must have that shape or broadcast to it"
        )
    out = Sum.apply(grad, tuple(dims), True) if dims else grad
    return out if out.data.shape == shape else Reshape.apply(out, shape)


def _topo_order(roots: Sequence[Function]) -> list[Function]:
    """Nodes reachable from `roots`, each after every node that consumes it. No recursion."""
    order: list[Function] = []
    seen: set[int] = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in node.parents:
            if p is not None and id(p) not in seen and isinstance(p, Function):
                stack.append((p, False))
    order.reverse()
    return order


def _run_hooks(hooks: list, grad: Tensor, retained: list) -> Tensor:
    """Tensor hooks in registration order (a returned Tensor replaces grad); the gradients
    that retain_grad() asked for are queued in `retained`, stored once the pass succeeds."""
    for hook in hooks:
        if isinstance(hook, _RetainGrad):
            retained.append((hook, grad))
        else:
            new = hook(grad)
            if new is not None:
                grad = new if isinstance(new, Tensor) else Tensor(new)
    return grad


def _store_retained(retained: list, create_graph: bool) -> None:
    for hook, grad in retained:
        t = hook.tensor()
        if t is not None:
            g = grad if create_graph else grad.detach()
            t.grad = g if t.grad is None else t.grad + g


def _as_grad(gradient: Any, out: Tensor) -> Tensor:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {out.shape}; pass gradient= of that shape "
                "(a gradient is created implicitly only for outputs with one element)"
            )
        return _make(np.ones(out.shape, out.dtype))
    g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=out.dtype)
    if g.shape != out.shape:
        raise RuntimeError(
            f"backward: gradient has shape {g.shape} but the output has shape {out.shape}"
        )
    return g


def run_backward(
    outputs: Sequence[Tensor],
    gradients: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> dict:
    """Backpropagate from `outputs`. Without `inputs`, accumulate into leaves' `.grad`;
    with `inputs`, return {input key: gradient} and leave `.grad` alone.

    Nodes are numbered as they are recorded, so a node's consumers all carry larger numbers:
    taking nodes from a max-heap by number runs each one after everything that feeds it a
    gradient, without a separate topological sort."""
    grads: dict = {}
    heap: list = []
    for i, (out, g) in enumerate(zip(outputs, gradients)):
        if not out._rg:
            raise RuntimeError(
                f"backward: output {i} does not require grad and has no grad_fn; "
                "did you create it under no_grad() or from tensors without requires_grad?"
            )
        key = out._node if out._node is not None else out
        g = _as_grad(g, out)
        if key in grads:
            grads[key] = grads[key] + g
        else:
            grads[key] = g
            if out._node is not None:
                heappush(heap, (-key.seq, key))
    wanted = useful = None
    if inputs is not None:
        wanted = {t._node if t._node is not None else t for t in inputs}
        useful = _useful(_topo_order([n for _, n in heap]), wanted) | wanted
    # The caller's gradient arrays must never become a leaf's .grad by aliasing.
    handed = {id(g.data) for g in grads.values()}
    captured: dict = {}
    retained: list = []
    prev_mode, prev_frees = _mode.enabled, _mode.frees_saved
    _mode.enabled = create_graph  # an ordinary backward records no graph
    _mode.frees_saved = not retain_graph
    grad_norms = recording.grad_norms
    try:
        while heap:
            node = heappop(heap)[1]
            grad = grads.pop(node)
            if node.saved is None:
                raise RuntimeError(_FREED_MESSAGE.format(name=node.name()))
            if node.hooks is not None:
                grad = _run_hooks(node.hooks, grad, retained)
            if wanted is not None and node in wanted:
                captured[node] = grad
            if not node.shape:
                node.grad_value = float(grad.data)
            if grad_norms:
                node.grad_norm = float(np.linalg.norm(grad.data))
            in_grads = type(node).backward(node, grad)
            if not retain_graph:  # free the saved arrays as soon as they have served
                node.saved = None
            if in_grads.__class__ is not tuple:
                in_grads = (in_grads,)
            parents = node.parents
            if len(in_grads) != len(parents):
                raise RuntimeError(
                    f"backward: {node.name()}.backward returned {len(in_grads)} gradients; "
                    f"expected {len(parents)}, one per forward argument"
                )
            for p, g in zip(parents, in_grads):
                if p is None or g is None or (useful is not None and p not in useful):
                    continue
                if g.__class__ is not Tensor:
                    g = g if isinstance(g, Tensor) else Tensor(g)
                data = g.data
                if data.shape != p.shape:
                    g = _sum_to(g, p.shape, node)
                dtype = data.dtype
                if dtype is not p.dtype and dtype != p.dtype:  # (builtin dtypes are singletons)
                    g = g.to(p.dtype)
                old = grads.get(p)
                if old is not None:  # same shape and dtype: add the arrays unless recording
                    if create_graph:
                        grads[p] = old + g
                    elif old.data.ndim and _sole_owner(old, handed):  # 0-d: no gain
                        np.add(old.data, g.data, out=old.data)
                    else:
                        grads[p] = _make(np.add(old.data, g.data, out=...))
                else:
                    grads[p] = g
                    if isinstance(p, Function):
                        heappush(heap, (-p.seq, p))
        for leaf, grad in grads.items():
            if leaf._hooks is not None:
                grad = _run_hooks(leaf._hooks, grad, retained)
            if wanted is not None:
                if leaf in wanted:
                    captured[leaf] = grad
            else:
                _accumulate(leaf, grad, create_graph, handed)
    finally:
        _mode.enabled, _mode.frees_saved = prev_mode, prev_frees
    _store_retained(retained, create_graph)
    return captured


def _sole_owner(grad: Tensor, handed: set) -> bool:
    """Whether the engine's pending gradient `grad` may be added to in place: nothing but
    the gradient table holds the Tensor, nothing but the Tensor holds its array, and the
    array is a writeable base that the caller did not pass in. Another path's gradient
    (Add hands one Tensor to both inputs), a hook's or retain_grad's reference, a saved
    tensor or a view keeps the copying add."""
    arr = grad.data  # the references counted: the table's, the caller's and this call's
    return (sys.getrefcount(grad) <= 4 and arr.base is None and arr.flags.writeable
            and sys.getrefcount(arr) <= 3 and id(arr) not in handed)


def _useful(order: list[Function], wanted: set) -> set:
    """The nodes from which some wanted input can be reached (the rest need no gradient)."""
    useful: set = set()
    for node in reversed(order):
        if node in wanted or any(p in useful or p in wanted for p in node.parents if p is not None):
            useful.add(node)
    return useful


def _accumulate(leaf: Tensor, grad: Tensor, create_graph: bool, handed: set) -> None:
    """Add grad into leaf.grad. Without create_graph the stored array must be the leaf's own
    (optimisers and clipping change .grad in place), so it is copied unless nothing else can
    reach it: not handed to another leaf or the caller, and not a view of a shared array."""
    if create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        return
    arr = grad.data
    if leaf.grad is not None:
        leaf.grad = _make(np.add(leaf.grad.data, arr, out=...))
        return
    if not _owned(arr, handed):
        arr = arr.copy()
    handed.add(id(arr))
    leaf.grad = _make(arr)


def _owned(arr: np.ndarray, handed: set) -> bool:
    """Whether `arr` (or the array it views) is referenced by nothing but this gradient."""
    if id(arr) in handed or not arr.flags.writeable:
        return False
    base = arr.base
    # A view is owned when its base is a plain array held only by the view: the three
    # references counted are the view's .base, the local `base` and getrefcount's argument.
    return base is None or (
        type(base) is np.ndarray and base.base is None and id(base) not in handed
        and sys.getrefcount(base) <= 3
    )


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """`tensor.backward()`: accumulate gradients into the leaves' `.grad`."""
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t, g in zip(inputs, grad(tensor, inputs, gradient, retain, create_graph, True)):
            if g is not None:
                _accumulate(t, g, create_graph, set())
        return
    run_backward([tensor], [gradient], retain, create_graph)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned instead of accumulated.

    With `create_graph=True` the results are themselves differentiable, which gives
    second derivatives and Hessian-vector products.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not isinstance(grad_outputs, list | tuple):
        grad_outputs = [grad_outputs] * len(outputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._rg:
            raise RuntimeError(f"grad: input {i} does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward(outputs, list(grad_outputs), retain, create_graph, inputs)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(t._node if t._node is not None else t)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)
