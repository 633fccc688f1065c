"""`BatchNorm1d`, `BatchNorm2d` and `LayerNorm`."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor

from . import functional as F
from .module import Module, Parameter


class _BatchNorm(Module):
    _ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, dtype: object = None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine = affine
        dtype = dtype or np.float32
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
        self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            dims = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(
                f"{name}({self.num_features}): expected {dims} input with {self.num_features} "
                f"channels in dim 1, got shape {x.shape}"
            )
        momentum = self.momentum
        if self.training and momentum is None:  # a cumulative moving average
            momentum = 1.0 / (int(self.num_batches_tracked._data) + 1)
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           self.training, momentum, self.eps)
        if self.training:  # counted only once the batch was accepted
            self.num_batches_tracked._data += 1
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, track_running_stats=True")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L)."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W), per channel."""

    _ranks = (4,)


class LayerNorm(Module):
    """Normalise each sample over its last dims, `normalized_shape` (an int or a tuple), with a
    learned elementwise weight (ones) and bias (zeros) of that shape."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int | np.integer) else (
            tuple(normalized_shape))
        if not all(isinstance(n, int | np.integer) and n >= 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be an int or a tuple of ints "
                             f">= 0, got {normalized_shape!r}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtype or np.float32
        affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if affine and bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
                f"{self.elementwise_affine}, bias={self.bias is not None}")
