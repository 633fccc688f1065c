"""`SGD` with momentum, dampening, weight decay and Nesterov momentum."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer


class SGD(Optimizer):
    """p <- p - lr * v, with v = momentum * v + (1 - dampening) * g (v = g on the first step),
    g including weight_decay * p; Nesterov uses g + momentum * v instead of v."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p._data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p._data -= group["lr"] * grad
