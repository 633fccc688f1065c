"""The perceptron learning rule as an optimiser, for teaching.

Rosenblatt's rule changes the weights only when a sample is misclassified:
w <- w + lr * y * x and b <- b + lr * y, for labels y in {-1, +1}. Once every sample is
classified correctly it stops changing. (The delta rule, w <- w + lr (y - w.x) x, is plain
gradient descent on the squared error: `SGD` on `MSELoss`.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor


class Perceptron:
    """Online perceptron updates of `weight` (1, n) or (n,) and optional `bias` (1,)."""

    def __init__(self, weight: Tensor, bias: Tensor | None = None, lr: float = 1.0) -> None:
        if not lr > 0:  # NaN too
            raise ValueError(f"Perceptron: lr must be > 0, got {lr}")
        if weight.ndim not in (1, 2) or (weight.ndim == 2 and weight.shape[0] != 1):
            raise ValueError(f"Perceptron: weight must have shape (n,) or (1, n), got "
                             f"{weight.shape}")
        self.weight, self.bias, self.lr = weight, bias, lr

    def predict(self, x: Any) -> np.ndarray:
        """+1 or -1 for each row of x."""
        x = np.asarray(x._data if isinstance(x, Tensor) else x)
        score = x @ self.weight._data.reshape(-1)
        if self.bias is not None:
            score = score + self.bias._data.reshape(())
        return np.where(score > 0, 1, -1)

    def step(self, x: Any, y: Any) -> int:
        """One pass over the samples in order; returns how many were misclassified."""
        x = np.asarray(x._data if isinstance(x, Tensor) else x)
        y = np.asarray(y._data if isinstance(y, Tensor) else y).reshape(-1)
        if not np.isin(y, (-1, 1)).all():
            raise ValueError("Perceptron.step: labels must be -1 or +1")
        if x.ndim != 2 or x.shape != (len(y), self.weight._data.size):
            raise ValueError(f"Perceptron.step: x must have shape ({len(y)}, "
                             f"{self.weight._data.size}), got {x.shape}")
        w = self.weight._data.reshape(-1)  # a view: updates land in the parameter
        mistakes = 0
        for xi, yi in zip(x, y):
            b = self.bias._data.reshape(()) if self.bias is not None else 0.0
            if yi * (xi @ w + b) <= 0:
                w += self.lr * yi * xi
                if self.bias is not None:
                    self.bias._data += self.lr * yi
                mistakes += 1
        return mistakes
