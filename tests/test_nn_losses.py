"""Loss modules and functions: forward and input-gradient parity with torch (float64 and
float32, every reduction), float64 gradcheck, extreme inputs and clear errors."""

import zlib
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

from helpers import assert_close

REDUCTIONS = ["mean", "sum", "none"]
W4 = np.array([0.5, 2.0, 1.0, 1.5])
W3 = np.array([2.0, 0.5, 1.0])


# ---- inputs and targets --------------------------------------------------------------------
def normal(shape, rng):
    return rng.standard_normal(shape)


def log_probs(shape, rng):
    x = rng.standard_normal(shape)
    dim = 1 if len(shape) > 1 else 0
    return x - np.log(np.exp(x).sum(axis=dim, keepdims=True))


def probs(shape, rng):
    return rng.uniform(0.05, 0.95, shape)


def logits(shape, rng):
    return 3 * rng.standard_normal(shape)


def dense(x, rng, kwargs):
    return rng.standard_normal(x.shape)


def away(x, rng, kwargs):
    """Targets at least 0.5 from the input, away from the kink of |x - t|."""
    return x + rng.choice([-1, 1], x.shape) * rng.uniform(0.5, 1.5, x.shape)


def soft(x, rng, kwargs):
    return rng.uniform(0, 1, x.shape)


def classes(x, rng, kwargs):
    """Integer targets of shape (N, d1, ...), (or () for input (C,)); one is ignored."""
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    t = rng.integers(0, n_classes, x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
    if t.ndim:
        t.flat[0] = kwargs.get("ignore_index", -100)
    return t


def distributions(x, rng, kwargs):
    """Class probabilities of the input's shape: each sample's entries along dim 1 (dim 0 for
    input (C,)) sum to one, some of them zero (PyTorch's soft targets)."""
    dim = 1 if x.ndim > 1 else 0
    q = rng.uniform(0, 1, x.shape) * (rng.uniform(0, 1, x.shape) > 0.25)
    q = q + (q.sum(axis=dim, keepdims=True) == 0)  # no all-zero sample
    return q / q.sum(axis=dim, keepdims=True)


def none_shape(case, x):
    """The shape of the loss under reduction='none': one value per sample for the class losses."""
    if case.name in ("CrossEntropyLoss", "NLLLoss"):
        return x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    return x.shape


@dataclass
class LossCase:
    name: str  # the module; the functional form is FUNCTIONAL[name]
    shape: tuple
    make_x: object = normal
    make_target: object = dense
    kwargs: dict = field(default_factory=dict)

    def arrays(self):
        rng = np.random.default_rng(zlib.crc32(repr((self.name, self.shape)).encode()))
        x = self.make_x(self.shape, rng)
        return x, self.make_target(x, rng, self.kwargs)

    def id(self):
        kw = ",".join(self.kwargs)
        targets = "" if self.make_target in (dense, classes) else f"~{self.make_target.__name__}"
        return f"{self.name}{list(self.shape)}{targets}{kw and '-' + kw}"


FUNCTIONAL = {
    "MSELoss": F.mse_loss, "L1Loss": F.l1_loss, "CrossEntropyLoss": F.cross_entropy,
    "NLLLoss": F.nll_loss, "BCELoss": F.binary_cross_entropy,
    "BCEWithLogitsLoss": F.binary_cross_entropy_with_logits,
}

CASES = [
    LossCase("MSELoss", (3, 4)),
    LossCase("MSELoss", ()),
    LossCase("L1Loss", (2, 3, 2), make_target=away),
    LossCase("CrossEntropyLoss", (5, 4), make_target=classes),
    LossCase("CrossEntropyLoss", (5, 4), make_target=classes, kwargs={"weight": W4}),
    LossCase("CrossEntropyLoss", (5, 4), make_target=classes, kwargs={"ignore_index": 1}),
    LossCase("CrossEntropyLoss", (5, 4), make_target=classes,
             kwargs={"label_smoothing": 0.2, "weight": W4}),
    LossCase("CrossEntropyLoss", (2, 3, 4, 5), make_target=classes),
    LossCase("CrossEntropyLoss", (2, 3, 4, 5), make_target=classes,
             kwargs={"weight": W3, "label_smoothing": 0.1}),
    LossCase("CrossEntropyLoss", (4,), make_target=classes),
    LossCase("CrossEntropyLoss", (4,), make_target=classes,
             kwargs={"weight": W4, "label_smoothing": 0.3}),
    LossCase("CrossEntropyLoss", (5, 4), make_target=distributions),
    LossCase("CrossEntropyLoss", (5, 4), make_target=soft),  # rows need not sum to one
    LossCase("CrossEntropyLoss", (5, 4), make_target=distributions,
             kwargs={"weight": W4, "label_smoothing": 0.2}),
    LossCase("CrossEntropyLoss", (5, 4), make_target=distributions, kwargs={"ignore_index": -1}),
    LossCase("CrossEntropyLoss", (2, 3, 4, 5), make_target=distributions, kwargs={"weight": W3}),
    LossCase("CrossEntropyLoss", (2, 3, 4, 5), make_target=distributions,
             kwargs={"label_smoothing": 0.1}),
    LossCase("CrossEntropyLoss", (4,), make_target=distributions,
             kwargs={"weight": W4, "label_smoothing": 0.3}),
    LossCase("NLLLoss", (5, 4), log_probs, classes),
    LossCase("NLLLoss", (2, 4, 3, 2), log_probs, classes, {"weight": W4}),
    LossCase("NLLLoss", (4,), log_probs, classes),
    LossCase("BCELoss", (3, 4), probs, soft),
    LossCase("BCELoss", (3, 4), probs, soft, {"weight": W4}),
    LossCase("BCEWithLogitsLoss", (3, 4), logits, soft),
    LossCase("BCEWithLogitsLoss", (3, 4), logits, soft, {"pos_weight": W4, "weight": W4[::-1]}),
]
loss_cases = pytest.mark.parametrize("case", CASES, ids=LossCase.id)


def build(lib, case, reduction, dtype):
    """The loss module from `nn` or `torch.nn`, array arguments cast to `dtype`."""
    make = ag.tensor if lib is nn else torch.tensor
    kw = {k: make(v.astype(dtype)) if isinstance(v, np.ndarray) else v
          for k, v in case.kwargs.items()}
    return getattr(lib, case.name)(reduction=reduction, **kw)


def as_target(lib, t, dtype):
    make = ag.tensor if lib is nn else torch.tensor
    return make(t if t.dtype.kind == "i" else t.astype(dtype))


def run(lib, case, reduction, dtype, x, t, seed=None):
    """Loss and input gradient; non-scalar losses are pulled back with `seed`."""
    make = ag.tensor if lib is nn else torch.tensor
    xt = make(x.astype(dtype), requires_grad=True)
    out = build(lib, case, reduction, dtype)(xt, as_target(lib, t, dtype))
    seed = np.ones(out.shape, dtype) if seed is None else seed.astype(dtype)
    out.backward(make(seed))
    return out, xt.grad


# ---- parity and gradcheck ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@loss_cases
def test_loss_matches_torch(case, reduction, dtype):
    x, t = case.arrays()
    seed = np.random.default_rng(1).standard_normal(none_shape(case, x) if reduction == "none"
                                                    else ())
    out, grad = run(nn, case, reduction, dtype, x, t, seed)
    tout, tgrad = run(torch.nn, case, reduction, dtype, x, t, seed)
    assert_close(out, tout, dtype, f"{case.id()} {reduction} forward")
    assert_close(grad, tgrad, dtype, f"{case.id()} {reduction} input grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@loss_cases
def test_functional_gradcheck(case, reduction):
    x, t = case.arrays()
    kw = {k: ag.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
    target = as_target(nn, t, np.float64)
    fn = FUNCTIONAL[case.name]
    xt = ag.tensor(x, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda a: fn(a, target, reduction=reduction, **kw), [xt])


# ---- extremes ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_of_huge_logits_is_exact(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, -1e4, 0.0]])
    t = np.array([0, 2, 1, 1])
    case = LossCase("CrossEntropyLoss", x.shape)
    out, grad = run(nn, case, "none", dtype, x, t)
    tout, tgrad = run(torch.nn, case, "none", dtype, x, t)
    expected = np.array([0.0, 1e4 + np.log(2), np.log(3), 2e4]).astype(dtype)
    # exact up to rounding the logits' scale: a few ulps of 1e4 in the chosen dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=4 * np.spacing(dtype(1e4)))
    assert np.isfinite(grad.numpy()).all()
    assert_close(out, tout, dtype, "forward")
    assert_close(grad, tgrad, dtype, "grad")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", [{}, {"pos_weight": W4}], ids=["plain", "pos_weight"])
def test_bce_with_logits_of_huge_logits_stays_finite(dtype, kwargs):
    x = np.array([[1e4, -1e4, 1e4, -1e4]])
    t = np.array([[1.0, 0.0, 0.0, 1.0]])
    case = LossCase("BCEWithLogitsLoss", x.shape, kwargs=kwargs)
    out, grad = run(nn, case, "none", dtype, x, t)
    tout, tgrad = run(torch.nn, case, "none", dtype, x, t)
    assert np.isfinite(out.numpy()).all() and np.isfinite(grad.numpy()).all()
    np.testing.assert_array_equal(out.numpy()[0, :2], [0, 0])
    assert_close(out, tout, dtype, "forward")
    assert_close(grad, tgrad, dtype, "grad")


P_EDGE = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.3])
Y_EDGE = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.25, 0.6])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_clamps_logs_at_minus_100_as_torch(dtype, reduction):
    case = LossCase("BCELoss", P_EDGE.shape)
    out, grad = run(nn, case, reduction, dtype, P_EDGE, Y_EDGE)
    tout, _ = run(torch.nn, case, reduction, dtype, P_EDGE, Y_EDGE)
    assert_close(out, tout, dtype, "forward")
    assert np.isfinite(grad.numpy()).all()
    if reduction == "none":
        np.testing.assert_allclose(out.numpy()[:6], [100, 100, 0, 0, 50, 75])


def test_bce_gradient_at_0_and_1_is_that_of_the_clamped_loss():
    """Where a log is clamped its gradient is 0; the other log is finite at 0 and 1.
    (torch's hand-written backward returns +-1e12 there instead; away from 0 and 1 the two
    agree, as test_loss_matches_torch checks.)"""
    _, grad = run(nn, LossCase("BCELoss", P_EDGE.shape), "none", np.float64, P_EDGE, Y_EDGE)
    # -(y log p + (1 - y) log(1 - p)): at p=0 only (1-y)/(1-p) is live, at p=1 only -y/p
    np.testing.assert_allclose(grad.numpy()[:6], [0, 0, 1, -1, 0.5, -0.25])


# ---- class-probability targets -------------------------------------------------------------
def test_soft_target_gradient_is_softmax_minus_target():
    """With targets q summing to one, d sum_n CE(z_n, q_n) / dz = softmax(z) - q."""
    rng = np.random.default_rng(3)
    z = ag.tensor(rng.standard_normal((6, 5)), requires_grad=True)
    q = distributions(z.numpy(), rng, {})
    F.cross_entropy(z, ag.tensor(q), reduction="sum").backward()
    p = np.exp(z.numpy()) / np.exp(z.numpy()).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad.numpy(), p - q, rtol=0, atol=1e-12)
    one_hot = np.eye(5)[[0, 4, 2, 2, 1, 3]]  # one-hot probabilities give the class-index loss
    for reduction in REDUCTIONS:
        by_probs = F.cross_entropy(z, ag.tensor(one_hot), reduction=reduction)
        by_index = F.cross_entropy(z, ag.tensor([0, 4, 2, 2, 1, 3]), reduction=reduction)
        np.testing.assert_allclose(by_probs.numpy(), by_index.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"weight": W4, "label_smoothing": 0.25}],
                         ids=["plain", "weight,label_smoothing"])
def test_soft_target_gets_torchs_gradient_and_passes_gradcheck(kwargs):
    rng = np.random.default_rng(4)
    x, q = rng.standard_normal((3, 4)), distributions(np.zeros((3, 4)), rng, {})
    kw = {k: ag.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    xt, qt = ag.tensor(x, requires_grad=True), ag.tensor(q, requires_grad=True)
    txt, tqt = torch.tensor(x, requires_grad=True), torch.tensor(q, requires_grad=True)
    F.cross_entropy(xt, qt, **kw).backward()
    torch.nn.functional.cross_entropy(txt, tqt, **tkw).backward()
    assert_close(xt.grad, txt.grad, np.float64, "input grad")
    assert_close(qt.grad, tqt.grad, np.float64, "target grad")
    assert ag.gradcheck(lambda a, b: F.cross_entropy(a, b, **kw), [xt, qt])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_soft_target_cross_entropy_of_huge_logits_is_exact(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    q = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75], [1 / 3, 1 / 3, 1 / 3]])
    case = LossCase("CrossEntropyLoss", x.shape)
    out, grad = run(nn, case, "none", dtype, x, q)
    tout, tgrad = run(torch.nn, case, "none", dtype, x, q)
    expected = np.array([5e3, 0.25 * np.log(2) + 0.75 * (1e4 + np.log(2)), np.log(3)])
    np.testing.assert_allclose(out.numpy(), expected.astype(dtype), rtol=0,
                               atol=4 * np.spacing(dtype(1e4)))
    assert np.isfinite(grad.numpy()).all()
    assert_close(out, tout, dtype, "forward")
    assert_close(grad, tgrad, dtype, "grad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_target_empty_batch_as_torch(reduction):
    out = F.cross_entropy(ag.zeros(0, 3, requires_grad=True), np.zeros((0, 3)), reduction=reduction)
    tout = torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, 3),
                                             reduction=reduction)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())  # NaN for 'mean', as torch


def test_soft_target_errors():
    q = np.full((4, 3), 1 / 3)
    with pytest.raises(TypeError, match=r"cross_entropy: a target of the input's shape \(4, 3\) "
                                        r"holds class probabilities .* got dtype int64 .*\(4,\)"):
        F.cross_entropy(X, ag.tensor(np.zeros((4, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"cross_entropy: ignore_index=0 is not supported"):
        F.cross_entropy(X, ag.tensor(q), ignore_index=0)
    with pytest.raises(ValueError, match=r"cross_entropy: weight must hold .* \(3,\)"):
        F.cross_entropy(X, ag.tensor(q), weight=ag.ones(4))
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing .* got -0.1"):
        F.cross_entropy(X, ag.tensor(q), label_smoothing=-0.1)
    with pytest.raises(TypeError, match=r"cross_entropy: .*integer.*float"):  # (4, 1) is neither
        F.cross_entropy(X, ag.tensor(q[:, :1]))


# ---- errors --------------------------------------------------------------------------------
X = ag.randn(4, 3)


@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "NLLLoss"])
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_class_target_out_of_range(loss, bad):
    name = "cross_entropy" if loss == "CrossEntropyLoss" else "nll_loss"
    with pytest.raises(IndexError, match=rf"{name}: target {bad} is out of range for 3 classes"):
        getattr(nn, loss)()(X, ag.tensor([0, 1, bad, 2]))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_float_class_targets_rejected(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: .*integer.*float32"):
        fn(X, ag.tensor([0.0, 1.0, 2.0, 1.0]))


@pytest.mark.parametrize(("fn", "target", "match"), [
    (F.cross_entropy, ag.tensor([0, 1, 2]), r"cross_entropy: input of shape \(4, 3\) needs "
                                            r"targets of shape \(4,\), got \(3,\)"),
    (F.nll_loss, ag.tensor([[0], [1], [2], [1]]), r"nll_loss: .*\(4,\), got \(4, 1\)"),
    (F.mse_loss, ag.randn(4, 2), r"mse_loss: target shape \(4, 2\) .* input shape \(4, 3\)"),
    (F.l1_loss, ag.randn(3), r"l1_loss: target shape \(3,\)"),
    (F.binary_cross_entropy, ag.rand(4), r"binary_cross_entropy: target shape \(4,\)"),
    (F.binary_cross_entropy_with_logits, ag.rand(3, 4), r"_with_logits: target shape \(3, 4\)"),
])
def test_wrong_target_shape(fn, target, match):
    x = X.sigmoid() if fn is F.binary_cross_entropy else X
    with pytest.raises(ValueError, match=match):
        fn(x, target)


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_invalid_reduction(name):
    with pytest.raises(ValueError, match=rf"{name}: reduction .* got 'avg'"):
        getattr(nn, name)(reduction="avg")
    fn = FUNCTIONAL[name]
    target = ag.tensor([0, 1, 2, 1]) if name in ("CrossEntropyLoss", "NLLLoss") else ag.rand(4, 3)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: reduction .* got 'avg'"):
        fn(X.sigmoid(), target, reduction="avg")


def test_bce_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .*\[0, 1\], got 1.5"):
        F.binary_cross_entropy(ag.tensor([0.5, 1.5]), ag.tensor([0.0, 1.0]))


def test_label_smoothing_out_of_range():
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing .* got 1.5"):
        F.cross_entropy(X, ag.tensor([0, 1, 2, 1]), label_smoothing=1.5)
