"""`nn.data`: datasets of tensors and a loader that batches and shuffles them."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from autograd import Tensor
from autograd.random import generator


class TensorDataset:
    """Samples are the i-th rows of the given tensors (all of one length)."""

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        if not self.tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        lengths = {len(t) for t in self.tensors}
        if len(lengths) != 1:
            raise ValueError(
                f"TensorDataset: tensors must have one length, got shapes "
                f"{[t.shape for t in self.tensors]}"
            )

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, idx: Any) -> tuple[Tensor, ...]:
        return tuple(t[idx] for t in self.tensors)


class DataLoader:
    """Batches of `batch_size` samples, reshuffled each epoch by the shared generator
    (reproducible after `autograd.manual_seed`)."""

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or (
                batch_size < 1):
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        batch_size = int(batch_size)
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = generator().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self._batch(idx)

    def _batch(self, idx: np.ndarray) -> Any:
        if isinstance(self.dataset, TensorDataset):  # one gather per tensor, not per sample
            return tuple(Tensor(t.data[idx]) for t in self.dataset.tensors)
        return _collate([self.dataset[int(i)] for i in idx])


def _collate(samples: Sequence[Any]) -> Any:
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_collate([s[k] for s in samples]) for k in range(len(first)))
    return Tensor(np.stack([np.asarray(s.data if isinstance(s, Tensor) else s) for s in samples]))
