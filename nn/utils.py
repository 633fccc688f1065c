"""`nn.utils`: gradient clipping."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from autograd import Tensor


def _with_grads(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float | str = 2.0
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    Returns the norm before clipping in the gradients' dtype, as PyTorch does; like PyTorch,
    the joint norm is the norm of the per-tensor norms, so `norm_type=0` counts the tensors
    with a nonzero gradient."""
    try:
        p_norm = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"clip_grad_norm_: norm_type must be a number or 'inf', "
                         f"got {norm_type!r}") from None
    params = _with_grads(parameters)
    if not params:
        return Tensor(np.array(0.0, np.float32))
    dtype = np.result_type(*(p.grad._data for p in params))
    norms = np.array([_norm(p.grad._data.astype(np.float64, copy=False), p_norm)
                      for p in params])
    total = _norm(norms, p_norm)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad._data *= coef
    return Tensor(np.array(total, dtype))


def _norm(values: np.ndarray, p: float) -> float:
    """The vector p-norm of all of `values`, as torch.linalg.vector_norm (p may be 0 or < 0)."""
    a = np.abs(values).reshape(-1)
    if p == math.inf:
        return float(a.max(initial=0.0))
    if p == -math.inf:
        return float(a.min(initial=math.inf))
    if p == 0:
        return float(np.count_nonzero(a))
    if p < 0:  # |0|^p is inf, so the norm is 0: computed without dividing by zero
        zero = a == 0
        a = np.where(zero, math.inf, np.where(zero, 1.0, a) ** p)
        return float(a.sum() ** (1.0 / p))
    return float((a**p).sum() ** (1.0 / p))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
