"""Backpropagation: an iterative topological walk that applies each node's VJP once.

Gradients flow from the outputs to the leaves in reverse topological order. Each node's
incoming gradients are summed before its backward runs, so a node reached by many paths
runs once. Broadcasting is undone here, by `Tensor.sum_to_size`, for every op alike. The
engine knows no op: it runs each node's `backward` and adds what comes back.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Sequence

import numpy as np

from .errors import ShapeError
from .function import _FREED_MESSAGE, LAST_WRITE, Function, check_versions
from .grad_mode import backward_mode, restore_mode
from .hooks import RetainGrad
from .tensor import Tensor, _make
from .viz_recording import grad_norms_recorded


def _sum_to(grad: Tensor, shape: tuple[int, ...], node: Any) -> Tensor:
    """A VJP's gradient summed back over the dims its op broadcast (`Tensor.sum_to_size`)."""
    try:
        return grad.sum_to_size(shape)
    except ShapeError:
        raise RuntimeError(
            f"backward: {node!r} returned a gradient of shape {grad.shape} for an input of "
            f"shape {shape}; it must have that shape or broadcast to it"
        ) from None


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
        if isinstance(hook, RetainGrad):
            retained.append((hook, grad))
        else:
            new = hook(grad)
            if new is not None:
                grad = new if isinstance(new, Tensor) else Tensor(new)
    return grad


def _store_retained(retained: list, create_graph: bool) -> None:
    """Store the gradients retain_grad() asked for, each in an array of its own."""
    for hook, grad in retained:
        t = hook.tensor()
        if t is not None:
            g = grad if create_graph else _make(grad._data.copy())
            t.grad = g if t.grad is None else t.grad + g


def _as_grad(gradient: Any, out: Tensor) -> Tensor:
    if gradient is None:
        if out._data.size != 1:
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
    accumulate: bool = True,
) -> dict:
    """Backpropagate from `outputs`, then add the results into the `.grad` of every leaf, or
    of `inputs` only when given; with `accumulate=False` leave `.grad` alone and return the
    gradients of the leaves (or `inputs`) as {node or leaf: gradient}.

    Nodes are numbered as they are recorded, so a node's consumers all carry larger numbers:
    taking nodes from a max-heap by number runs each one after everything that feeds it a
    gradient, without a separate topological sort.

    Ownership is decided by where an array came from. A pending gradient is owned when it
    was made in this pass and no user code has seen it: the engine's own sum of two
    gradients, or a leaf's gradient that a built-in VJP made as new memory (see
    `_owns`). A node's gradient is traced only when its op passes it on as it is (a view
    op's, on its way to a leaf); any other node's is summed into at most once before the
    engine's own sum takes over. Only owned arrays are added to in place or become a
    `.grad` without a copy. Whatever user code has seen
    (the caller's `gradient=`, a hook's argument or result, a custom Function's result, a
    retained gradient) is never owned, so nothing later writes to it. No `.grad` changes
    until the whole pass, every hook included, has succeeded."""
    grads: dict = {}
    owned: set = set()
    heap: list = []
    for i, (out, g) in enumerate(zip(outputs, gradients)):
        if not out._rg:
            raise RuntimeError(
                f"backward: output {i} does not require grad and has no grad_fn; "
                "did you create it under no_grad() or from tensors without requires_grad?"
            )
        key = out._node if out._node is not None else out
        seed = _as_grad(g, out)
        if key in grads:
            grads[key] = grads[key] + seed
            owned.add(key)
        else:
            grads[key] = seed
            if g is None:  # the implicit ones() was made here
                owned.add(key)
            if out._node is not None:
                heappush(heap, (-key.seq, key))
    wanted = useful = None
    if inputs is not None:
        wanted = {t._node if t._node is not None else t: t for t in inputs}
        useful = _useful(_topo_order([n for _, n in heap]), wanted)
    captured: dict = {}  # leaf or wanted node -> (gradient, owned)
    retained: list = []
    mode = backward_mode(create_graph, retain_graph)  # an ordinary backward records no graph
    grad_norms = grad_norms_recorded()
    try:
        while heap:
            node = heappop(heap)[1]
            grad = grads.pop(node)
            if node.saved is None:  # (no local name for it: release_saved must free it)
                raise RuntimeError(_FREED_MESSAGE.format(name=node.name()))
            if node.seq < LAST_WRITE.seq and node.saved:  # written to since it was recorded
                check_versions(node)
            if node.hooks is not None:  # user code sees `grad`: the engine owns it no more
                grad = _run_hooks(node.hooks, grad, retained)
                owned.discard(node)
            if wanted is not None and node in wanted:
                captured[node] = (grad, node in owned)
                owned.discard(node)  # handed on as a result: nothing below may write into it
            if not node.shape:
                node.grad_value = grad._data  # (0-d: never written in place; viz reads it)
            if grad_norms:
                node.grad_norm = float(np.linalg.norm(grad._data))
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
                data = g._data
                if data.shape != p.shape:
                    g = _sum_to(g, p.shape, node)
                dtype = data.dtype
                if dtype is not p.dtype and dtype != p.dtype:  # (builtin dtypes are singletons)
                    g = g.to(p.dtype)
                old = grads.get(p)
                if old is None:
                    grads[p] = g
                    if isinstance(p, Function):
                        heappush(heap, (-p.seq, p))
                        if type(p).passes_gradient and _views_a_leaf(p) and _owns(
                                g, data, grad, node, owned, in_grads):
                            owned.add(p)  # a view op's: it may reach a leaf as it is
                    elif _owns(g, data, grad, node, owned, in_grads):
                        owned.add(p)  # a leaf's gradient that no user code has seen
                elif create_graph:
                    grads[p] = old + g
                elif p in owned:
                    np.add(old._data, g._data, out=old._data)
                else:
                    grads[p] = new = _make(np.add(old._data, g._data, out=...))
                    if new._data.ndim:  # (0-d: numpy adds in place slower than it makes one)
                        owned.add(p)
        for leaf, grad in grads.items():  # the leaves: every hook runs before any .grad changes
            mine = leaf in owned and not leaf._hooks
            if leaf._hooks is not None:
                grad = _run_hooks(leaf._hooks, grad, retained)
            if wanted is None or leaf in wanted:
                captured[leaf] = (grad, mine)
    finally:
        restore_mode(mode)
    if accumulate:
        for key, (grad, mine) in captured.items():
            _accumulate(key if wanted is None else wanted[key], grad, create_graph, mine)
    _store_retained(retained, create_graph)
    return {} if accumulate else {key: grad for key, (grad, _) in captured.items()}


def _owns(g: Tensor, returned: np.ndarray, grad: Tensor, node: Function, owned: set,
          in_grads: tuple) -> bool:
    """Whether the engine owns `g`, the gradient for one input of `node`'s VJP, which
    returned the array `returned` for it and was handed `grad` (owned when in `owned`).
    Owned are the engine's own sum back to the input's shape or cast to its dtype, and a
    built-in VJP's memory of this pass that no user code has seen: a new array, a view of
    one (matmul's transposed product, a reshaped sum), or the VJP's own incoming gradient or
    a view of it when the engine owned that; in each case memory that no other of the VJP's
    results holds, returned for this input only. A built-in VJP returns new arrays, views
    of them, or what it was handed. 0-d gradients gain nothing."""
    data = g._data
    if not data.ndim:
        return False
    base = data.base
    if base is not None and not data.flags.writeable:  # a broadcast (read-only) view
        return False
    if data is not returned and (base is None or base is not returned and base is not
                                 returned.base):  # summed or cast: new memory (or a view of it)
        return True
    if not type(node).builtin:
        return False
    if g is grad:
        if node not in owned:
            return False
    elif base is not None:
        handed = grad._data
        if (base is handed or base is handed.base) and node not in owned:
            return False
        for h in in_grads:
            if h is not None and h is not g and np.may_share_memory(h._data, data):
                return False
    if len(in_grads) == 2:  # (most VJPs: checked here, without a call)
        return in_grads[0] is not in_grads[1] or node.parents[0] is node.parents[1]
    return len(in_grads) == 1 or _one_per_input(node.parents, in_grads)


def _views_a_leaf(node: Function) -> bool:
    """Whether `node`, a view op, views a leaf, directly or through more view ops: only then
    may the gradient it passes on become a `.grad` as it is, and be worth tracing."""
    while True:
        source = node.parents[0]
        if not isinstance(source, Function):
            return source is not None
        if not type(source).passes_gradient:
            return False
        node = source


def _one_per_input(parents: tuple, in_grads: tuple) -> bool:
    """Whether a VJP returned each gradient Tensor for one input only (x * x returns one
    product for both of its edges to x, which is fine; Add's one Tensor for two inputs is
    not: neither input may then own it)."""
    for i, g in enumerate(in_grads):
        for j in range(i + 1, len(in_grads)):
            if in_grads[j] is g and g is not None and parents[j] is not parents[i]:
                return False
    return True


def _useful(order: list[Function], wanted: dict) -> set:
    """The wanted keys and the nodes from which one can be reached (the rest need no grad)."""
    useful: set = set(wanted)
    for node in reversed(order):
        if any(p in useful for p in node.parents if p is not None):
            useful.add(node)
    return useful


def _accumulate(tensor: Tensor, grad: Tensor, create_graph: bool, owned: bool) -> None:
    """Add `grad` into `tensor.grad`. Without create_graph the stored array is the tensor's
    own (optimisers and clipping change `.grad` in place): an array the engine does not own
    is copied, and an existing `.grad` is replaced by a new sum, never written to."""
    if create_graph:
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
    elif tensor.grad is None:
        data = grad._data
        if not owned or not data.flags.c_contiguous and tensor._data.flags.c_contiguous:
            data = data.copy()  # its own, and laid out as the tensor is (as PyTorch's .grad)
        tensor.grad = _make(data)
    else:
        out = grad._data if owned else ...
        tensor.grad = _make(np.add(tensor.grad._data, grad._data, out=out))


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """`tensor.backward()`: accumulate gradients into the leaves' `.grad` (or `inputs`')."""
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor) or not t._rg:
                raise RuntimeError(f"backward: inputs[{i}] does not require grad")
    run_backward([tensor], [gradient], retain, create_graph, inputs)


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
    captured = run_backward(outputs, list(grad_outputs), retain, create_graph, inputs, False)
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
