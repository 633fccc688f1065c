"""Backprop itself: ordering, depth, accumulation, memory, hooks, grad(), graph control."""

import gc
import weakref

import numpy as np
import pytest
import torch

import autograd as ag
from autograd.function import Function

from helpers import numpy_with


class CountingIdentity(Function):
    """Identity that counts its backward calls."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        return ag.Tensor(x.numpy())

    @staticmethod
    def backward(ctx, grad):
        CountingIdentity.calls += 1
        return grad


def test_chain_of_200k_ops_needs_no_recursion():
    x = ag.tensor(1.0, dtype=ag.float64, requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001**200_000, rel=1e-9)


def test_diamond_reused_1000_times_runs_each_node_once():
    CountingIdentity.calls = 0
    x = ag.tensor(2.0, dtype=ag.float64, requires_grad=True)
    y = x
    for _ in range(1000):
        y = CountingIdentity.apply(y)
        y = (y * 2 + y * 3) * 0.2  # two paths that meet again: d/dy = 1
    y.backward()
    assert CountingIdentity.calls == 1000
    assert x.grad.item() == pytest.approx(1.0)


def test_gradients_accumulate_until_zeroed():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    x.grad.zero_()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0])


def test_leaf_grads_never_alias_each_other_or_the_callers_gradient():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    c = ag.tensor([5.0, 6.0], requires_grad=True)
    seed = ag.tensor([1.0, 1.0])
    (a + (b + 0) + c.reshape(2)).backward(seed)
    a.grad.data *= 10  # what clip_grad_norm_ does in place
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(c.grad.data, [1.0, 1.0])
    np.testing.assert_allclose(seed.numpy(), [1.0, 1.0])


def test_backward_from_a_leaf_and_from_two_uses_of_one_tensor():
    x = ag.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
    x.grad = None
    (x * x).backward()  # both edges of the node lead to x
    assert x.grad.item() == 6.0


def test_grad_has_leaf_shape_and_dtype_after_broadcast_and_promotion():
    w = ag.ones(3, 1, requires_grad=True)  # float32
    x = ag.ones(2, 3, 4, dtype=ag.float64)
    (w * x).sum().backward()
    assert w.grad.shape == (3, 1) and w.grad.dtype == ag.float32
    np.testing.assert_allclose(w.grad.numpy(), np.full((3, 1), 8.0))


def test_ordinary_backward_records_no_graph(monkeypatch):
    x = ag.randn(4, 3, requires_grad=True)
    w = ag.randn(3, 2, requires_grad=True)
    loss = (x @ w).tanh().logsumexp(dim=1).mean()
    recorded = []
    original = Function._record.__func__
    monkeypatch.setattr(
        Function, "_record", classmethod(lambda cls, *a: recorded.append(cls) or original(cls, *a))
    )
    loss.backward()
    assert recorded == []
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_saved_arrays_are_released_after_backward_but_structure_stays():
    x = ag.randn(1000, requires_grad=True)
    h = x.exp()
    loss = (h * 2).sum()
    ref = weakref.ref(h.numpy())
    node = h.grad_fn
    loss.backward()
    del h
    assert ref() is None  # freed by reference counting alone, no gc pass needed
    assert node.name() == "Exp" and node.shape == (1000,) and node.dtype == ag.float32
    assert node.parents == (x,)
    assert loss.grad_fn.parents[0].name() == "Mul"


def test_an_input_no_gradient_formula_reads_is_not_kept_alive():
    """x * 2 needs only the constant to differentiate x, so the graph does not hold x."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3.0
    ref = weakref.ref(h)
    out = (h * 2.0 / 4.0).sum()
    del h
    assert ref() is None
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.5, 1.5])


def test_relu_keeps_a_one_byte_mask_not_its_input():
    w = ag.randn(1000, requires_grad=True)
    h = w * 2.0
    ref = weakref.ref(h.numpy())
    out = h.relu().sum()
    del h
    assert ref() is None
    (mask,) = out.grad_fn.parents[0].saved
    assert mask.dtype == np.bool_
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2.0 * (w.numpy() > 0))


def test_retain_graph_keeps_saved_arrays():
    x = ag.randn(10, requires_grad=True)
    h = x.exp()
    loss = (h * 2).sum()
    ref = weakref.ref(h.numpy())
    loss.backward(retain_graph=True)
    del h
    assert ref() is not None
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(x.numpy()), rtol=1e-6)


def test_nodes_never_hold_their_outputs():
    x = ag.randn(5, requires_grad=True)
    y = x.tanh()  # tanh saves its output for backward
    ref = weakref.ref(y)
    node = y.grad_fn
    del y
    assert ref() is None
    assert node.saved  # the output's data is still kept for backward, not the tensor
    gc.collect()


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow"])
@pytest.mark.parametrize("left_grad, right", [(True, "grad"), (True, "plain"), (False, "grad"),
                                              (True, "float")])
def test_operators_record_what_function_apply_records(op, left_grad, right):
    """`a * b` records its node without calling forward; Mul.apply(a, b) takes the generic
    path. Both must give the same node: parents, needs_input_grad, saved values, gradients."""
    from autograd.ops.binary import Add, Div, Mul, Pow, Sub

    _ARITHMETIC = {"add": Add, "sub": Sub, "mul": Mul, "truediv": Div, "pow": Pow}

    def operands():
        a = ag.tensor([1.5, 2.0, 0.5], dtype=ag.float64, requires_grad=left_grad)
        b = 3.0 if right == "float" else ag.tensor([[2.0], [0.5]], dtype=ag.float64,
                                                   requires_grad=right == "grad")
        return a, b

    for reflected in (False, True):
        a, b = operands()
        via_operator = getattr(a, f"__{'r' if reflected else ''}{op}__")(b)
        c, d = operands()
        via_apply = _ARITHMETIC[op].apply(*((d, c) if reflected else (c, d)))
        n1, n2 = via_operator.grad_fn, via_apply.grad_fn
        assert type(n1) is type(n2) and n1.needs_input_grad == n2.needs_input_grad
        inputs = (b, a) if reflected else (a, b)
        assert n1.parents == tuple(t if isinstance(t, ag.Tensor) and t.requires_grad else None
                                   for t in inputs)
        assert [type(s) for s in n1.saved] == [type(s) for s in n2.saved]
        np.testing.assert_array_equal(via_operator.numpy(), via_apply.numpy())
        via_operator.sum().backward()
        via_apply.sum().backward()
        for t, u in ((a, c), (b, d)):
            if isinstance(t, ag.Tensor) and t.requires_grad:
                np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=1e-15)


def test_a_tensor_times_itself_matches_torch_to_second_order():
    """x * x computes one product in backward and sends it down both edges."""
    data = np.array([[1.5, -2.0, 0.25]])
    x = ag.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    h, th = x * 3.0, tx * 3.0  # a non-leaf squared, as in a variance
    (g,) = ag.grad((h * h).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((th * th).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy())
    (gg,) = ag.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy())


def test_power_keeps_its_output_array_not_its_output():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x ** 3.0
    ref = weakref.ref(y)
    node = y.grad_fn
    del y
    assert ref() is None
    np.testing.assert_allclose(node.saved_tensors[2].numpy(), [1.0, 8.0])


def test_hash_is_identity_although_eq_returns_a_tensor():
    a, b = ag.tensor([1.0]), ag.tensor([1.0])
    assert isinstance(a == b, ag.Tensor) and (a == b).dtype == ag.bool
    assert len({a, b}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"


def test_no_grad_and_detach_cut_the_graph():
    x = ag.randn(3, requires_grad=True)
    with ag.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    y2 = x * 2
    z = y2.detach()
    assert z.grad_fn is None and not z.requires_grad and np.shares_memory(z.numpy(), y2.numpy())


def test_hooks_on_leaves_and_non_leaves():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    handle = x.register_hook(lambda g: g + 1)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [31.0, 31.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="register_hook"):
        ag.ones(2).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    k = h * 2
    assert h.retains_grad and not k.retains_grad
    k.sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [2.0, 2.0])
    assert k.grad is None


def test_grad_returns_without_touching_dot_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    (gx, gh) = ag.grad((h * h).sum(), [x, h])
    np.testing.assert_allclose(gx.numpy(), 2 * (x.numpy() * w.numpy()) * w.numpy())
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    assert x.grad is None and w.grad is None


def test_grad_unused_input():
    x = ag.ones(2, requires_grad=True)
    y = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ag.grad((x * 2).sum(), [x, y])
    gx, gy = ag.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and np.allclose(gx.numpy(), 2)


def test_backward_inputs_limits_accumulation():
    x = ag.ones(2, requires_grad=True)
    y = ag.ones(2, requires_grad=True)
    (x * y * 3).sum().backward(inputs=[x])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    assert y.grad is None


def test_second_derivative_of_cube():
    x = ag.tensor(2.0, dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(x**3, x, create_graph=True)
    assert g.item() == pytest.approx(12.0) and g.requires_grad
    (h,) = ag.grad(g, x, retain_graph=True)
    assert h.item() == pytest.approx(12.0)
    g.backward()
    assert x.grad.item() == pytest.approx(12.0)


def _mlp_loss(lib, x, w1, w2):
    h = (x @ w1).tanh()
    out = lib.sigmoid(h @ w2)
    return (out * out).sum() + (h.exp() / (1 + h * h)).mean()


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (3, 5), (5, 2)]]
    v = [rng.standard_normal(a.shape) for a in arrays[1:]]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    gs = ag.grad(_mlp_loss(ag, *ours), ours[1:], create_graph=True)
    hv = ag.grad(sum((g * ag.tensor(vi)).sum() for g, vi in zip(gs, v)), ours[1:])
    tgs = torch.autograd.grad(_mlp_loss(torch, *theirs), theirs[1:], create_graph=True)
    thv = torch.autograd.grad(sum((g * torch.tensor(vi)).sum() for g, vi in zip(tgs, v)),
                              theirs[1:])
    for a, b in zip(hv, thv):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


SECOND_ORDER = [
    ("exp", lambda m, x: m.exp(x)),
    ("log", lambda m, x: m.log(x * x + 1)),
    ("sqrt", lambda m, x: m.sqrt(x * x + 1)),
    ("tanh", lambda m, x: m.tanh(x)),
    ("sigmoid", lambda m, x: m.sigmoid(x)),
    ("sin_cos", lambda m, x: m.sin(x) * m.cos(x)),
    ("pow", lambda m, x: (x * x + 1) ** 1.5),
    ("rpow", lambda m, x: 2.0**x),
    ("div", lambda m, x: 1 / (x * x + 1)),
    ("matmul", lambda m, x: (x.reshape(2, 3) @ x.reshape(3, 2)).reshape(-1)),
    ("logsumexp", lambda m, x: x.reshape(2, 3).logsumexp(1) * x[:2]),
    ("log_softmax", lambda m, x: x.reshape(2, 3).log_softmax(1).reshape(-1) * x),
    ("var", lambda m, x: x.reshape(2, 3).var(1) * x[:2]),
    ("max_dim", lambda m, x: x.reshape(2, 3).max(1).values * x[1:3]),
    ("index", lambda m, x: x[[0, 0, 2]] * x[1:4]),
    ("cat_pad", lambda m, x: m.cat([x, x * x], 0) * m.cat([x, x], 0)),
    ("where", lambda m, x: m.where(x > 0, x * x, x * x * x)),
    ("maximum", lambda m, x: m.maximum(x * x, x)),
    ("abs", lambda m, x: m.abs(x) * x),
]


@pytest.mark.parametrize("name,fn", SECOND_ORDER, ids=[n for n, _ in SECOND_ORDER])
def test_second_order_matches_torch(name, fn):
    data = np.array([0.3, -1.2, 0.8, 1.5, -0.4, 0.9])
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (g,) = ag.grad((fn(ag, x) ** 2).sum(), x, create_graph=True)
    (g * g).sum().backward()
    (tg,) = torch.autograd.grad((fn(torch, tx) ** 2).sum(), tx, create_graph=True)
    (tg * tg).sum().backward()
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


# ---- in-place accumulation of pending gradients ---------------------------------------------
def test_the_engines_own_sum_is_accumulated_into_in_place(monkeypatch):
    from autograd import engine

    def add(a, b, out=None):  # noting each add into an existing array
        decisions.append(out is a)
        return np.add(a, b, out=out)

    decisions = []
    monkeypatch.setattr(engine, "np", numpy_with(add=add))
    x = ag.tensor(np.arange(4.0), requires_grad=True)
    y = x * 1
    (y * 3 + y * 5 + y * 7).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 15.0))
    # y's first two gradients go into a new array, the engine's own: the third is added to it
    assert decisions == [False, True]


def test_a_gradient_add_shares_between_inputs_is_not_added_to_in_place():
    """Add hands one gradient Tensor to both inputs; y then receives more gradient first."""
    grads = []
    for m in (ag, torch):
        a = m.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
        b = m.tensor(np.array([0.5, 4.0, -1.0]), requires_grad=True)
        y, w = a * 1, b * 1
        ((w * w).sum() + (y * 3).sum() + ((y + w) * 1).sum()).backward()
        grads.append([np.asarray(t.grad.numpy() if m is ag else t.grad) for t in (a, b)])
    np.testing.assert_array_equal(grads[0], grads[1])


def test_a_gradient_a_hook_kept_is_not_added_to_in_place():
    """clone passes its gradient on unchanged, so the Tensor its hook kept becomes y's
    pending gradient; y's second gradient must not change what the hook kept."""
    kept = {}
    x = ag.tensor(np.arange(3.0), requires_grad=True)
    y = x * 1
    first = (y * 3).sum()
    u = y.clone()
    u.register_hook(lambda g: kept.update(u=g))
    ((u * 2).sum() + first).backward()
    np.testing.assert_array_equal(kept["u"].numpy(), np.full(3, 2.0))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 5.0))


def test_a_callers_gradient_is_never_modified():
    x = ag.tensor(np.ones(3), requires_grad=True)
    y = x * 1
    seed = ag.tensor(np.array([1.0, 2.0, 3.0]))
    out = y + y * 2
    out.backward(seed)
    np.testing.assert_array_equal(seed.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0, 9.0])


@pytest.mark.parametrize("retain", [False, True])
def test_matmul_backward_frees_its_saved_operand_before_the_input_gradient(monkeypatch, retain):
    """Without retain_graph, matmul's backward lets its saved left operand (a conv's im2col
    matrix) go once the weight gradient is made, before it allocates the input gradient."""
    from autograd.ops import linalg

    x = ag.tensor(np.ones((6, 4)), requires_grad=True)
    a = x * 2  # an intermediate that only the matmul node keeps
    w = ag.tensor(np.ones((4, 3)), requires_grad=True)
    out = (a @ w).sum()
    alive = weakref.ref(a.numpy())
    del a
    freed_at_each_matmul = []

    def matmul(p, q):
        freed_at_each_matmul.append(alive() is None)
        return np.matmul(p, q)

    monkeypatch.setattr(linalg, "np", numpy_with(matmul=matmul))
    out.backward(retain_graph=retain)
    assert freed_at_each_matmul == [False, not retain]  # the weight's gradient, then x's
    np.testing.assert_array_equal(x.grad.numpy(), np.full((6, 4), 6.0))
    np.testing.assert_array_equal(w.grad.numpy(), np.full((4, 3), 12.0))
