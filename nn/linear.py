"""`Linear`, `Identity`, `Flatten`."""

from __future__ import annotations

import numpy as np

from autograd import Tensor

from . import functional as F
from .init import _default_layer_init
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), initialised as PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: object = None) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
                raise ValueError(f"Linear: {name} must be an int >= 0, got {n!r}")
        self.in_features, self.out_features = in_features, out_features
        dtype = dtype or np.float32
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        _default_layer_init(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}): input's last dim must be "
                f"{self.in_features}, got input shape {x.shape}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Flatten dims start_dim..end_dim (by default all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        nd = x.ndim
        valid = all(-nd <= d < nd for d in (self.start_dim, self.end_dim))
        if x.numel() or not valid or self.start_dim % nd > self.end_dim % nd:
            return x.flatten(self.start_dim, self.end_dim)  # (its errors for bad dims)
        # empty (an N = 0 batch): flatten's -1 would be ambiguous, so name the merged size
        s, e = self.start_dim % nd, self.end_dim % nd
        return x.reshape(x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
