"""`nn.data`: datasets, `random_split`, and a loader that batches, shuffles and collates.

`DataLoader` runs in the calling process: `num_workers > 0` is accepted for PyTorch code and
loads the same batches in the same order, without worker processes; `pin_memory` is a no-op
(everything is CPU memory).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Iterator

import numpy as np

from autograd import Tensor
from autograd.random import Generator as _Generator
from autograd.random import generator as _shared_generator


class Dataset:
    """Base class of map-style datasets: subclasses define `__getitem__` and `__len__`."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
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


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return [self.dataset[self.indices[i]] for i in idx]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, idx: int) -> Any:
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {n} samples")
        idx = idx % n
        k = int(np.searchsorted(self.cumulative_sizes, idx, side="right"))
        return self.datasets[k][idx - (int(self.cumulative_sizes[k - 1]) if k else 0)]


def _rng(gen: Any, op: str) -> np.random.Generator:
    """The numpy generator behind `gen`: the shared one (seeded by `manual_seed`) for None, a
    numpy Generator itself, or the numpy Generator an object holds."""
    if gen is None:
        return _shared_generator()
    if isinstance(gen, np.random.Generator):
        return gen
    if isinstance(gen, _Generator):
        return gen._rng
    held = [v for v in getattr(gen, "__dict__", {}).values() if isinstance(v, np.random.Generator)]
    if len(held) == 1:
        return held[0]
    raise TypeError(f"{op}: generator must be None or a random generator, got "
                    f"{type(gen).__name__}")


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random `Subset`s of the given lengths, or of the given
    fractions (summing to 1; the remainder goes round-robin to the first splits, as PyTorch).
    The permutation comes from `generator` (by default the shared one, so `manual_seed`
    makes it reproducible); it is not torch's permutation for the same seed."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and "
                                 f"1, got {frac}")
        counts = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(k, int | np.integer) or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be ints >= 0 or fractions summing to 1, "
                         f"got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, not to "
                         f"the dataset's length {n}")
    order = _rng(generator, "random_split").permutation(n).tolist()
    ends = np.cumsum(lengths).tolist()
    return [Subset(dataset, order[end - k:end]) for k, end in zip(lengths, ends)]


def default_collate(batch: Sequence[Any]) -> Any:
    """Join a list of samples into a batch, as PyTorch's default_collate: Tensors and numpy
    arrays are stacked into a Tensor, Python floats become a float64 Tensor, ints an int64
    Tensor (bools bool), strings stay a list; dicts, tuples and lists are collated per field
    (a tuple gives a list, as PyTorch)."""
    elem = batch[0]
    if isinstance(elem, Tensor | np.ndarray | np.number | np.bool_):
        arrays = [np.asarray(s._data if isinstance(s, Tensor) else s) for s in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: cannot stack samples of different shapes "
                               f"{sorted(shapes)}; pass a collate_fn")
        return Tensor(np.stack(arrays))
    if isinstance(elem, float):
        return Tensor(np.array(batch, np.float64))
    if isinstance(elem, int):  # bools are ints: a batch of them is a bool Tensor
        return Tensor(np.array(batch))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if len({len(s) for s in batch}) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(f"default_collate: batch must contain Tensors, numpy arrays, numbers, "
                    f"strings, dicts or lists; found {type(elem).__name__} (pass a collate_fn)")


class DataLoader:
    """Batches of `batch_size` samples, reshuffled each epoch by `generator` (by default the
    shared one: reproducible after `autograd.manual_seed`), joined by `collate_fn` (by default
    `default_collate`). Loading runs in the calling process: `num_workers > 0` is accepted and
    gives the same batches as 0 (no worker processes); `pin_memory` is a no-op on the CPU."""

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 generator: Any = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or (
                batch_size < 1):
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, int | np.integer) or (
                num_workers < 0):
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if not timeout >= 0:
            raise ValueError(f"DataLoader: timeout must be >= 0, got {timeout!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        if generator is not None:
            _rng(generator, "DataLoader")  # refused now, not at the first epoch
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.num_workers, self.pin_memory, self.timeout = int(num_workers), pin_memory, timeout
        self.collate_fn, self.generator = collate_fn, generator
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = _rng(self.generator, "DataLoader").permutation(n) if self.shuffle else (
            np.arange(n))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, idx: np.ndarray) -> Any:
        if self.collate_fn is None and isinstance(self.dataset, TensorDataset):
            return [Tensor(t._data[idx]) for t in self.dataset.tensors]  # one gather per tensor
        samples = [self.dataset[int(i)] for i in idx]
        return (self.collate_fn or default_collate)(samples)
