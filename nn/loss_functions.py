"""Loss functions, composed from autograd ops; each takes `reduction='mean'|'sum'|'none'`."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    _check_reduction(reduction, op)
    if reduction == "mean":
        return loss.mean() if loss.numel() else _undefined_mean(loss.sum())
    return loss.sum() if reduction == "sum" else loss


def _undefined_mean(total: Tensor) -> Tensor:
    """A mean over nothing (an empty batch, every target ignored): NaN as in PyTorch, with a
    zero gradient rather than NaN, so that one optimiser step does not poison the model."""
    return total * 0.0 + float("nan")


def _class_weight(weight: Any, n_classes: int, op: str) -> Tensor | None:
    """A class `weight` of shape (C,), as a Tensor; anything else is refused."""
    if weight is None:
        return None
    weight = weight if isinstance(weight, Tensor) else ag.tensor(weight)
    if weight.shape != (n_classes,):
        raise ValueError(
            f"{op}: weight must hold one value per class, shape ({n_classes},), "
            f"got shape {weight.shape}"
        )
    return weight


def _same_shape(x: Tensor, target: Any, op: str) -> Tensor:
    target = target if isinstance(target, Tensor) else ag.tensor(target, dtype=x.dtype)
    if target.shape != x.shape:
        raise ValueError(f"{op}: target shape {target.shape} must match input shape {x.shape}")
    return target


def mse_loss(x: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (x - target)^2."""
    diff = x - _same_shape(x, target, "mse_loss")
    return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(x: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x - target|."""
    return _reduce((x - _same_shape(x, target, "l1_loss")).abs(), reduction, "l1_loss")


def _class_targets(x: Tensor, target: Any, ignore_index: int, op: str) -> np.ndarray:
    """Integer class targets of shape (N, d1, ...) for input (N, C, d1, ...) or (C,), each in
    range or `ignore_index`."""
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: targets must be integer class indices, got dtype {t.dtype} "
            "(use .long(); class probabilities are a float target of the input's shape)"
        )
    expected = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if x.ndim == 0 or t.shape != expected:
        raise ValueError(
            f"{op}: input of shape {x.shape} needs targets of shape {expected}, got {t.shape}"
        )
    n_classes = _n_classes(x)
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(
            f"{op}: target {t[bad].flat[0]} is out of range for {n_classes} classes "
            f"(expected 0 to {n_classes - 1}, or ignore_index={ignore_index})"
        )
    return t


def nll_loss(
    log_probs: Tensor,
    target: Any,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of the target classes; input holds log-probabilities
    along dim 1. With `weight`, 'mean' divides by the summed weights of the targets."""
    _check_reduction(reduction, "nll_loss")
    t = _class_targets(log_probs, target, ignore_index, "nll_loss")
    weight = _class_weight(weight, _n_classes(log_probs), "nll_loss")
    return _nll(log_probs, t, weight, ignore_index, reduction)


def _n_classes(x: Tensor) -> int:
    return x.shape[1] if x.ndim >= 2 else x.shape[0]


def _nll(log_probs: Tensor, t: np.ndarray, weight: Tensor | None, ignore_index: int,
         reduction: str) -> Tensor:
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    picked = _pick(log_probs, safe)
    w = np.ones(safe.shape, log_probs.dtype) if weight is None else weight._data[safe]
    w = (w * keep).astype(log_probs.dtype)
    if reduction == "mean":  # one weighted sum: -sum(w * picked) / sum(w)
        total = w.sum()
        if not total:  # an empty batch, or every target ignored
            return _undefined_mean((picked * Tensor(w)).sum())
        return (picked * Tensor(w / -total)).sum()
    return _reduce(picked * Tensor(-w), reduction, "nll_loss")


def _pick(x: Tensor, classes: np.ndarray) -> Tensor:
    """x[n, classes[n, ...], ...]: the value of each target class along dim 1."""
    if x.ndim == 1:
        return x[classes]
    grid = list(np.indices(classes.shape, sparse=True))
    return x[(grid[0], classes, *grid[1:])]


def softmax(x: Tensor, dim: int) -> Tensor:
    """exp(log_softmax(x)): positive, sums to one along `dim`, never overflows."""
    return log_softmax(x, dim).exp()


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along `dim`: autograd's fused primitive. The max is subtracted
    first, so no exp overflows and large logits stay exact (composed, x - logsumexp(x)
    would lose the small difference, e.g. float32 logits of 1e4)."""
    return ag.log_softmax(x, dim)


def cross_entropy(
    logits: Tensor,
    target: Any,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from raw logits (N, C, d1, ...) or (C,) and either integer class
    targets (N, d1, ...) or class probabilities: a float target of the logits' own shape, as in
    PyTorch (see `_soft_cross_entropy`).

    log-softmax goes through logsumexp, so logits of 1e4 give exact, finite values. With
    probabilities q, e.g. `cross_entropy(z, ag.tensor([[0.7, 0.2, 0.1]]), reduction="sum")`,
    the gradient with respect to z is softmax(z) - q wherever q sums to one.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if logits.ndim and tuple(np.shape(target)) == logits.shape:
        return _soft_cross_entropy(logits, target, weight, ignore_index, reduction,
                                   label_smoothing)
    t = _class_targets(logits, target, ignore_index, "cross_entropy")
    weight = _class_weight(weight, _n_classes(logits), "cross_entropy")
    dim = 1 if logits.ndim >= 2 else 0
    log_probs = log_softmax(logits, dim)
    loss = _nll(log_probs, t, weight, ignore_index, reduction)
    if not label_smoothing:
        return loss
    keep = Tensor((t != ignore_index).astype(logits.dtype))
    smooth = -_class_weighted(log_probs, weight).sum(dim=dim) * keep
    n_classes = logits.shape[dim]
    if reduction == "mean":
        denom = keep.sum() if weight is None else Tensor(
            (weight._data[np.where(t != ignore_index, t, 0)] * keep._data).sum())
        smooth = smooth.sum() / denom if denom._data else _undefined_mean(smooth.sum())
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_weighted(log_probs: Tensor, weight: Tensor | None) -> Tensor:
    """log_probs (N, C, d1, ...) or (C,) times each class's weight along the class dim."""
    if weight is None:
        return log_probs
    return log_probs * weight.reshape((-1,) + (1,) * (log_probs.ndim - 2))


def _soft_cross_entropy(logits: Tensor, target: Any, weight: Tensor | None, ignore_index: int,
                        reduction: str, label_smoothing: float) -> Tensor:
    """-sum_c w_c q_c log softmax(z)_c along the class dim, for probability targets q of the
    logits' shape, smoothed first to q (1 - s) + s / C. As PyTorch: 'mean' divides by the
    number of samples (N d1 ..., not by the weights), q is not checked to sum to one, a
    Tensor q gets a gradient too, and a class `ignore_index` (>= 0) is refused."""
    if ignore_index >= 0:
        raise ValueError(
            f"cross_entropy: ignore_index={ignore_index} is not supported with class-probability "
            "targets (a float target of the input's shape); leave it at -100"
        )
    data = target._data if isinstance(target, Tensor) else np.asarray(target)
    if data.dtype.kind != "f":
        raise TypeError(
            f"cross_entropy: a target of the input's shape {logits.shape} holds class "
            f"probabilities and must be floating point, got dtype {data.dtype} (integer class "
            f"indices have shape {logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()})"
        )
    q = target if isinstance(target, Tensor) else ag.tensor(data, dtype=logits.dtype)
    dim = 1 if logits.ndim >= 2 else 0
    n_classes = logits.shape[dim]
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / n_classes
    weight = _class_weight(weight, n_classes, "cross_entropy")
    loss = -(q * _class_weighted(log_softmax(logits, dim), weight)).sum(dim=dim)
    if reduction == "mean":
        samples = logits.numel() // n_classes if n_classes else 0
        return loss.sum() * (1.0 / samples) if samples else _undefined_mean(loss.sum())
    return _reduce(loss, reduction, "cross_entropy")


def binary_cross_entropy(
    probs: Tensor, target: Any, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 as PyTorch does.

    Probabilities and targets must lie in [0, 1] (PyTorch raises too): outside it the loss
    can be negative. log(1 - p) is log1p(-p), exact for small p."""
    _check_reduction(reduction, "binary_cross_entropy")
    y = _same_shape(probs, target, "binary_cross_entropy")
    for what, v in (("input probabilities", probs._data), ("targets", y._data)):
        outside = (v < 0) | (v > 1) | np.isnan(v)
        if outside.any():
            raise ValueError(
                f"binary_cross_entropy: {what} must lie in [0, 1], got {v[outside].flat[0]}"
                + (" (for raw logits use binary_cross_entropy_with_logits)"
                   if what.startswith("input") else "")
            )
    p = probs._data
    log_p = ag.where(p > 0, ag.where(p > 0, probs, 1.0).log().clip(min=-100), -100.0)
    log_q = ag.where(p < 1, (-ag.where(p < 1, probs, 0.0)).log1p().clip(min=-100), -100.0)
    loss = -(y * log_p + (1 - y) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    logits: Tensor,
    target: Any,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy, (1 - y) z + (1 + (pw - 1) y) softplus(-z): finite for
    any logit, and through the softplus primitive the gradient is sigmoid(z) - y everywhere,
    0 included (a form built from relu and abs has slope 0 there). As PyTorch, targets may
    lie outside [0, 1]."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    y = _same_shape(logits, target, "binary_cross_entropy_with_logits")
    softplus_neg = ag.softplus(-logits)  # log(1 + exp(-z))
    if pos_weight is None:
        loss = (1 - y) * logits + softplus_neg
    else:
        loss = (1 - y) * logits + ((pos_weight - 1) * y + 1) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def smooth_l1_loss(x: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = x - target.

    The two parts meet with equal slope at |d| = beta; there the linear part is taken, whose
    slope sign(d) equals the quadratic's d / beta, and at d = 0 the quadratic's (0), so the
    gradient is PyTorch's everywhere. beta = 0 is the L1 loss."""
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    d = x - _same_shape(x, target, "smooth_l1_loss")
    if beta == 0:
        return _reduce(d.abs(), reduction, "smooth_l1_loss")
    return _reduce(_huber(d, beta) * (1.0 / beta), reduction, "smooth_l1_loss")


def huber_loss(x: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): delta times smooth-L1;
    `weight` (input's shape) scales each element before the reduction ('mean' divides by
    the count, as PyTorch)."""
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    d = x - _same_shape(x, target, "huber_loss")
    loss = _huber(d, delta)
    if weight is not None:
        if tuple(weight.shape) != x.shape:
            raise ValueError(f"huber_loss: weight shape {tuple(weight.shape)} must match input "
                             f"shape {x.shape}")
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def _huber(d: Tensor, delta: float) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    inside = np.abs(d._data) < delta
    return ag.where(inside, d * d * 0.5, (d.abs() - 0.5 * delta) * delta)
