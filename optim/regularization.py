"""L1 regularisation, beside the optimisers' L2 `weight_decay`.

- `weight_decay=wd` (every optimiser): adds wd * p to the gradient; shrinks every weight in
  proportion to its size, the large ones most; never makes one exactly zero.
- `l1_penalty(params, alpha)`: add alpha * sum|p| to the loss; its subgradient alpha * sign(p)
  pushes every weight towards zero by the same amount, so weights hover *near* zero.
- `prox_l1_(params, lr * alpha)`: after each optimiser step, soft-threshold every weight
  (the proximal step of the L1 norm); weights smaller than the threshold become exactly 0.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from autograd import Tensor


def l1_penalty(params: Iterable[Tensor], alpha: float) -> Tensor:
    """alpha * sum of |p| over all params, a differentiable loss term."""
    terms = [p.abs().sum() for p in params]
    if not terms:
        raise ValueError("l1_penalty: got no parameters")
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total * alpha


def prox_l1_(params: Iterable[Tensor], threshold: float) -> None:
    """Soft-threshold in place: p <- sign(p) * max(|p| - threshold, 0).

    Use threshold = lr * alpha after each `optimizer.step()` (proximal gradient descent)."""
    if not threshold >= 0:  # NaN too
        raise ValueError(f"prox_l1_: threshold must be >= 0, got {threshold}")
    for p in params:
        shrunk = np.maximum(np.abs(p._data) - threshold, 0)
        np.copyto(p._data, np.sign(p._data) * shrunk, casting="unsafe")
