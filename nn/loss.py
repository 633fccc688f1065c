"""Loss modules (as torch.nn.modules.loss): thin wrappers over loss_functions.py."""

from __future__ import annotations

from typing import Any

from autograd import Tensor

from . import loss_functions
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', "
                f"got {reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.mse_loss(x, target, self.reduction)


class L1Loss(_Loss):
    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.l1_loss(x, target, self.reduction)


class NLLLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.nll_loss(x, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from raw logits (N, C, ...) and integer class targets (N, ...)
    or class probabilities (a float target of the logits' shape)."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.cross_entropy(x, target, self.weight, self.ignore_index,
                                            self.reduction, self.label_smoothing)


class BCELoss(_Loss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.binary_cross_entropy(x, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.binary_cross_entropy_with_logits(
            x, target, self.weight, self.reduction, self.pos_weight)


class SmoothL1Loss(_Loss):
    """Quadratic for |x - target| < beta, linear beyond."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")
        self.beta = beta

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.smooth_l1_loss(x, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """Quadratic for |x - target| < delta, linear (slope delta) beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta}")
        self.delta = delta

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return loss_functions.huber_loss(x, target, self.reduction, self.delta)
