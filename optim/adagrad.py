"""`Adagrad`: per-coordinate steps shrinking with the accumulated squared gradients."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer


class Adagrad(Optimizer):
    """sum += g^2; p <- p - lr_t * g / (sqrt(sum) + eps), lr_t = lr / (1 + (t - 1) lr_decay)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p._data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        p._data -= clr * grad / (np.sqrt(state["sum"]) + group["eps"])
