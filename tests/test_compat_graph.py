"""`grad_fn.next_functions` as PyTorch: one `(node, 0)` per tensor input, `AccumulateGrad` with
`.variable` for a leaf that requires grad, `(None, 0)` for an input that needs none."""

import numpy as np

import autograd as ag


def _walk(m, out):
    """The graph as nested (name, children) tuples, leaves by position in `leaves`."""
    def name(node):
        if node is None:
            return None
        if type(node).__name__ == "AccumulateGrad":
            return ("leaf", id(node.variable))
        return (type(node).__name__.removesuffix("Backward0").lower().rstrip("0123456789"),
                tuple(name(n) for n, _ in node.next_functions))

    return name(out.grad_fn)


def _build(m):
    w = m.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    b = m.tensor([0.1, 0.2], requires_grad=True)
    x = m.tensor([[1.0, 2.0]])
    h = (x @ w + b).tanh()
    return (h * 2 + x).sum(), w, b


def test_next_functions_has_torchs_shape():
    import torch

    out, w, b = _build(ag)
    tout, tw, tb = _build(torch)
    ours, theirs = _walk(ag, out), _walk(torch, tout)
    ids = {id(w): "w", id(b): "b", id(tw): "w", id(tb): "b"}

    def rename(tree):
        if tree is None:
            return None
        if tree[0] == "leaf":
            return ids[tree[1]]
        return (tree[0], tuple(rename(t) for t in tree[1]))

    names = {"matmul": "mm", "cast": "tocopy"}

    def unify(tree):  # op names differ (MatMul vs Mm); the structure must not
        if not isinstance(tree, tuple):
            return tree
        return (names.get(tree[0], tree[0]), tuple(unify(t) for t in tree[1]))

    assert unify(rename(ours)) == unify(rename(theirs))


def test_accumulate_grad_holds_the_leaf_and_is_one_object_per_leaf():
    w = ag.ones(2, requires_grad=True)
    y = w * w
    (a, i), (c, j) = y.grad_fn.next_functions
    assert type(a).__name__ == "AccumulateGrad" and a.variable is w and a is c and i == j == 0
    assert a.next_functions == () and "AccumulateGrad" in a.name()


def test_an_input_that_needs_no_grad_is_none_and_a_scalar_operand_too():
    import torch

    for m in (ag, torch):
        w = m.ones(2, requires_grad=True)
        nf = (w * m.ones(2)).grad_fn.next_functions
        assert nf[1] == (None, 0) and len(nf) == 2
        nf = (w * 2).grad_fn.next_functions
        assert nf[1] == (None, 0) and len(nf) == 2


def test_walking_next_functions_reaches_every_leaf_once_like_torchs_tutorial():
    # The tutorial's walk: follow next_functions until only AccumulateGrad nodes are left.
    w1, w2 = ag.randn(3, 3, requires_grad=True), ag.randn(3, requires_grad=True)
    loss = ((w1 @ w2).relu() ** 2).mean() + w2.sum()
    seen, todo, leaves = set(), [loss.grad_fn], []
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node).__name__ == "AccumulateGrad":
            leaves.append(node.variable)
        todo.extend(n for n, _ in node.next_functions if n is not None)
    assert sorted(id(t) for t in leaves) == sorted([id(w1), id(w2)])
    loss.backward()
    assert np.all(np.isfinite(w1.grad.numpy()))
