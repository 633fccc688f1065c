"""Losses at their edges, with torch as the oracle: BCE-with-logits at a logit of exactly 0,
every target ignored, empty batches, class weights of the wrong length, BCE targets outside
[0, 1], and the smooth functions composed of kinked parts (issue 14)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd as ag
import nn
import nn.functional as F
import optim

from helpers import TOL, assert_close

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]


def _pair(fn, tfn, x, *args, dtype=np.float64, seed_grad=True):
    """Run fn on ours and tfn on torch's copy of x; return (ours, torch) outputs and grads."""
    ox = ag.tensor(np.asarray(x, dtype), requires_grad=True)
    tx = torch.tensor(np.asarray(x, dtype), requires_grad=True)
    out, tout = fn(ox, *args), tfn(tx, *args)
    out.sum().backward()
    tout.sum().backward()
    return out, tout, ox.grad, tx.grad


# ---- 1. BCE with logits at z = 0 and at the extremes ------------------------------------
def _bce_logits_args(dtype, pos_weight, weight, y):
    kw, tkw = {}, {}
    if pos_weight is not None:
        kw["pos_weight"] = ag.tensor(np.asarray(pos_weight, dtype))
        tkw["pos_weight"] = torch.tensor(np.asarray(pos_weight, dtype))
    if weight is not None:
        kw["weight"] = ag.tensor(np.asarray(weight, dtype))
        tkw["weight"] = torch.tensor(np.asarray(weight, dtype))
    return kw, tkw


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight,weight", [(None, None), ([3.0, 0.5, 2.0], None),
                                               (None, [2.0, 1.0, 0.5]),
                                               ([3.0, 0.5, 2.0], [2.0, 1.0, 0.5])])
@pytest.mark.parametrize("z", [0.0, 1e4, -1e4])
def test_bce_with_logits_matches_torch_at_zero_and_extremes(dtype, reduction, pos_weight,
                                                            weight, z):
    y = np.array([0.0, 1.0, 0.3], dtype)
    kw, tkw = _bce_logits_args(dtype, pos_weight, weight, y)
    out, tout, g, tg = _pair(
        lambda x: F.binary_cross_entropy_with_logits(x, ag.tensor(y), reduction=reduction, **kw),
        lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(y), reduction=reduction,
                                                      **tkw),
        np.full(3, z), dtype=dtype)
    assert_close(out, tout, dtype, "loss")
    assert_close(g, tg, dtype, "grad")
    if z == 0.0 and weight is None and pos_weight is None:  # the numbers, exactly
        n = 3 if reduction == "mean" else 1
        np.testing.assert_allclose(g.data, (0.5 - y) / n, rtol=4 * np.finfo(dtype).eps)


def test_bce_with_logits_module_at_zero_and_second_derivative():
    y = ag.tensor([0.0, 1.0, 0.25])
    loss = nn.BCEWithLogitsLoss(pos_weight=ag.tensor([2.0, 3.0, 0.5]))
    x = ag.zeros(3, requires_grad=True)
    loss(x, y).backward()
    tx = torch.zeros(3, requires_grad=True)
    torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 3.0, 0.5]))(
        tx, torch.tensor([0.0, 1.0, 0.25])).backward()
    assert_close(x.grad, tx.grad, np.float32, "grad")
    for pw in (None, ag.tensor([2.0, 3.0, 0.5], dtype=ag.float64)):
        yy = ag.tensor([0.0, 1.0, 0.25], dtype=ag.float64)
        z = ag.zeros(3, dtype=ag.float64, requires_grad=True)

        def grad_at(v, pw=pw, yy=yy):
            (g,) = ag.grad(F.binary_cross_entropy_with_logits(v, yy, pos_weight=pw), v,
                           create_graph=True)
            return g

        assert ag.gradcheck(grad_at, [z], eps=1e-6)  # second derivative, at the old kink


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_function_and_module_match_torch(dtype):
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 2.5, 2.6, 30.0, 1e4])
    for beta, threshold in ((1.0, 20.0), (2.0, 5.0)):
        out, tout, g, tg = _pair(lambda v, b=beta, t=threshold: F.softplus(v, b, t),
                                 lambda v, b=beta, t=threshold: TF.softplus(v, b, t), x,
                                 dtype=dtype)
        assert_close(out, tout, dtype, "softplus")
        assert_close(g, tg, dtype, "softplus grad")
    assert repr(nn.Softplus()) == repr(torch.nn.Softplus())
    assert repr(nn.Softplus(beta=2, threshold=5)) == repr(torch.nn.Softplus(2, 5))
    m = nn.Softplus()(ag.zeros(2, requires_grad=True))
    assert np.allclose(m.data, np.log(2))


# ---- 2 and 3. every target ignored, empty batches: NaN loss, zero gradient -----------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("op,smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.1),
                                          ("nll_loss", 0.0)])  # label_smoothing: CE's only
def test_all_targets_ignored_give_torchs_nan_and_a_zero_gradient(reduction, weighted, op,
                                                                 smoothing):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    t = np.full(3, -100)
    w = np.array([0.5, 2.0, 1.0, 1.5])
    kw = {"label_smoothing": smoothing} if smoothing else {}
    ours, theirs = getattr(F, op), getattr(TF, op)
    out, tout, g, tg = _pair(
        lambda v: ours(v, t, weight=ag.tensor(w) if weighted else None, reduction=reduction,
                       **kw),
        lambda v: theirs(v, torch.tensor(t), weight=torch.tensor(w) if weighted else None,
                         reduction=reduction, **kw), x)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())  # NaN for mean, as torch
    np.testing.assert_array_equal(g.data, tg.numpy())  # zeros, not NaN
    assert not np.isnan(g.data).any()


def test_a_step_after_an_all_ignored_batch_keeps_the_model_finite():
    model = nn.Linear(3, 4)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = F.cross_entropy(model(ag.ones((2, 3))), np.array([-100, -100]))
    assert np.isnan(loss.data)
    loss.backward()
    opt.step()
    assert all(np.isfinite(p.data).all() for p in model.parameters())


EMPTY = [
    ("mse_loss", np.zeros(0), np.zeros(0)),
    ("l1_loss", np.zeros(0), np.zeros(0)),
    ("binary_cross_entropy", np.zeros(0), np.zeros(0)),
    ("binary_cross_entropy_with_logits", np.zeros(0), np.zeros(0)),
    ("cross_entropy", np.zeros((0, 3)), np.zeros(0, np.int64)),
    ("nll_loss", np.zeros((0, 3)), np.zeros(0, np.int64)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("op,x,t", EMPTY, ids=[e[0] for e in EMPTY])
def test_empty_batch_matches_torch(op, x, t, reduction, dtype):
    tt = t if t.dtype.kind == "i" else t.astype(dtype)
    out, tout, g, tg = _pair(
        lambda v: getattr(F, op)(v, ag.tensor(tt), reduction=reduction),
        lambda v: getattr(TF, op)(v, torch.tensor(tt), reduction=reduction), x, dtype=dtype)
    assert out.shape == tuple(tout.shape) and out.dtype == tout.detach().numpy().dtype
    np.testing.assert_array_equal(out.data, tout.detach().numpy())  # NaN for mean, 0 for sum
    assert g.shape == x.shape and tg.shape == x.shape


@pytest.mark.parametrize("module,x,t", [
    (nn.MSELoss(), np.zeros((0, 2)), np.zeros((0, 2))),
    (nn.CrossEntropyLoss(label_smoothing=0.2), np.zeros((0, 3)), np.zeros(0, np.int64)),
    (nn.BCEWithLogitsLoss(), np.zeros((0, 2)), np.zeros((0, 2))),
])
def test_loss_modules_over_an_empty_batch_are_nan(module, x, t):
    assert np.isnan(module(ag.tensor(x), ag.tensor(t)).numpy())


# ---- 7. class weights of the wrong length -------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda x, t, w: F.cross_entropy(x, t, weight=w),
    lambda x, t, w: F.nll_loss(x, t, weight=w),
    lambda x, t, w: nn.CrossEntropyLoss(weight=w)(x, t),
    lambda x, t, w: nn.NLLLoss(weight=w)(x, t),
    lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
])
@pytest.mark.parametrize("w", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [[1.0], [2.0], [3.0]]])
def test_class_weight_of_the_wrong_length_is_refused(call, w):
    x = ag.zeros((2, 3))
    t = np.array([0, 2])
    with pytest.raises(ValueError, match=r"(cross_entropy|nll_loss): weight must hold one value "
                                         r"per class, shape \(3,\), got shape"):
        call(x, t, ag.tensor(w))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):  # torch too
        TF.cross_entropy(torch.zeros(2, 3), torch.tensor(t), weight=torch.tensor(w))


# ---- 8. BCE targets outside [0, 1] ----------------------------------------------------------
@pytest.mark.parametrize("bad", [2.0, -1.0, np.nan])
def test_bce_targets_outside_0_1(bad):
    p, y = np.array([0.3, 0.6]), np.array([bad, 0.0])
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: targets must lie in \[0, 1\]"):
        F.binary_cross_entropy(ag.tensor(p), ag.tensor(y))
    with pytest.raises(ValueError, match="targets must lie"):
        nn.BCELoss()(ag.tensor(p), ag.tensor(y))
    # with logits, torch accepts any target (soft or not): so do we, with its value
    out, tout, g, tg = _pair(
        lambda v: F.binary_cross_entropy_with_logits(v, ag.tensor(y)),
        lambda v: TF.binary_cross_entropy_with_logits(v, torch.tensor(y)), p)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL[np.float64])
    np.testing.assert_allclose(g.data, tg.numpy(), **TOL[np.float64])


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_of_small_probabilities_uses_log1p(dtype):
    p = np.array([1e-7, 1e-3, 0.5])
    y = np.zeros(3)
    out, tout, g, tg = _pair(
        lambda v: F.binary_cross_entropy(v, ag.tensor(y.astype(dtype)), reduction="none"),
        lambda v: TF.binary_cross_entropy(v, torch.tensor(y.astype(dtype)), reduction="none"),
        p, dtype=dtype)
    # float32 1 - 1e-7 rounds, so log(1 - p) is 19% off: relative, a few roundings of log1p
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=8 * np.finfo(dtype).eps)
    assert_close(g, tg, dtype, "grad")


# ---- 16. the audit: smooth functions through kinked parts, and real kinks ---------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_real_kinks_follow_torch(dtype):
    x = np.array([0.0, 0.0, 1.0, -1.0])
    for ours, theirs in [
        (lambda v: F.relu(v), TF.relu),
        (lambda v: F.leaky_relu(v, 0.1), lambda v: TF.leaky_relu(v, 0.1)),
        (lambda v: F.prelu(v, ag.tensor(np.array([0.25], dtype))),
         lambda v: TF.prelu(v, torch.tensor(np.array([0.25], dtype)))),
        (lambda v: F.l1_loss(v, ag.tensor(np.zeros(4, dtype)), reduction="none"),
         lambda v: TF.l1_loss(v, torch.tensor(np.zeros(4, dtype)), reduction="none")),
    ]:
        out, tout, g, tg = _pair(ours, theirs, x, dtype=dtype)
        assert_close(out, tout, dtype, "value")
        assert_close(g, tg, dtype, "grad at the kink")


def test_batch_norm_of_a_constant_channel_matches_torch():
    """var of a constant channel is 0, exactly where sqrt would have its kink: batch norm
    adds eps inside the power, so the gradient is finite and torch's."""
    x = np.ones((4, 2))
    out, tout, g, tg = _pair(
        lambda v: F.batch_norm(v, None, None, training=True) * ag.tensor([1.0, 2.0]),
        lambda v: TF.batch_norm(v, None, None, training=True) * torch.tensor([1.0, 2.0]), x)
    assert_close(out, tout, np.float64, "value")
    assert_close(g, tg, np.float64, "grad")


def test_max_pool_ties_send_the_gradient_to_one_max_as_torch():
    x = np.ones((1, 1, 2, 2))
    out, tout, g, tg = _pair(lambda v: F.max_pool2d(v, 2), lambda v: TF.max_pool2d(v, 2), x)
    assert_close(out, tout, np.float64, "value")
    assert g.data.sum() == tg.sum().item() == 1.0


def test_softplus_second_derivative_at_zero():
    x = ag.tensor([0.0, -1.0, 1.0], dtype=ag.float64, requires_grad=True)
    for beta in (1.0, 2.0):
        def first(v, beta=beta):
            (g,) = ag.grad(F.softplus(v, beta).sum(), v, create_graph=True)
            return g

        assert ag.gradcheck(first, [x], eps=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_slope_gradient_at_the_kink_matches_torch(dtype):
    x = np.array([[0.0, -2.0], [0.0, 3.0]], dtype)
    w = ag.tensor(np.array([0.25, 0.5], dtype), requires_grad=True)
    tw = torch.tensor(np.array([0.25, 0.5], dtype), requires_grad=True)
    out, tout, g, tg = _pair(lambda v: F.prelu(v, w), lambda v: TF.prelu(v, tw), x, dtype=dtype)
    assert_close(g, tg, dtype, "input grad")
    assert_close(w.grad, tw.grad, dtype, "slope grad")
