"""`Embedding` and the index functions `embedding` and `one_hot`."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .module import Module, Parameter


def _indices(idx: Any, op: str) -> np.ndarray:
    """An int32/int64 index array from a Tensor or array-like; floats and bools are refused."""
    arr = np.asarray(idx._data if isinstance(idx, Tensor) else idx)
    if arr.dtype.kind not in "iu" or arr.dtype == np.uint64:
        raise TypeError(f"{op}: expected integer indices (int64 or int32), got dtype {arr.dtype} "
                        "(convert with .long())")
    return arr


def _unsupported(op: str, max_norm: Any, scale_grad_by_freq: bool, sparse: bool) -> None:
    """PyTorch's options that chainrule does not offer, refused by name (defaults pass)."""
    for name, value, default in (("max_norm", max_norm, None),
                                 ("scale_grad_by_freq", scale_grad_by_freq, False),
                                 ("sparse", sparse, False)):
        if value != default:
            raise NotImplementedError(f"{op}: {name}={value!r} is not supported by chainrule "
                                      f"(only the default {default!r})")


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by the integer `input`.

    Looked-up rows at `padding_idx` get no gradient, as PyTorch: the forward is the same,
    the row enters the graph detached there. max_norm, scale_grad_by_freq and sparse are
    not supported (refused unless left at their defaults)."""
    _unsupported("embedding", max_norm, scale_grad_by_freq, sparse)
    idx = _indices(input, "embedding")
    n = weight.shape[0]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise IndexError(f"embedding: index {idx[bad].flat[0]} is out of range for "
                         f"{n} embeddings (expected 0 to {n - 1})")
    out = weight[idx]
    if padding_idx is None:
        return out
    padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    pad = (idx == padding_idx)[..., None]
    return ag.where(pad, out.detach(), out) if pad.any() else out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding along a new last dim of size num_classes (max + 1 if -1)."""
    arr = np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
    if arr.dtype != np.int64:
        raise TypeError(f"one_hot: expected an int64 (long) index tensor, got dtype {arr.dtype}")
    if num_classes == -1:
        if not arr.size:
            raise ValueError("one_hot: cannot infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = int(arr.max()) + 1
    if arr.size and arr.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(arr.min())}")
    if arr.size and arr.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes="
                         f"{num_classes}, got {int(arr.max())}")
    return Tensor((arr[..., None] == np.arange(num_classes)).astype(np.int64))


class Embedding(Module):
    """A lookup table of `num_embeddings` vectors of size `embedding_dim`, initialised from
    N(0, 1); the row at `padding_idx` starts at zero and is never trained."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False,
                 dtype: Any = None) -> None:
        super().__init__()
        _unsupported("Embedding", max_norm, scale_grad_by_freq, sparse)
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"Embedding: {name} must be an int >= 0, got {v!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"({num_embeddings}), got {padding_idx}")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        if _weight is None:
            data = ag.randn(num_embeddings, embedding_dim, dtype=dtype or np.float32)._data
            if padding_idx is not None:
                data[padding_idx] = 0
        else:
            data = np.array(_weight._data if isinstance(_weight, Tensor) else _weight)
            if data.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {data.shape}")
        self.weight = Parameter(data, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding a copy of the 2-D `embeddings`; frozen unless freeze=False."""
        _unsupported("Embedding.from_pretrained", max_norm, scale_grad_by_freq, sparse)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{embeddings.shape}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, _weight=embeddings, _freeze=freeze)

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"
