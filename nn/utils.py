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
    parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    Returns the norm before clipping, as PyTorch does."""
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    if norm_type == math.inf:
        total = max(float(np.abs(p.grad.data).max(initial=0.0)) for p in params)
    else:
        total = sum(float((np.abs(p.grad.data) ** norm_type).sum()) for p in params)
        total = total ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad.data *= coef
    return Tensor(total)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
