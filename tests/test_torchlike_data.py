"""nn.data against torch.utils.data: the Dataset base class, random_split's lengths (ints or
fractions), default_collate's structure and dtypes, and DataLoader's num_workers, pin_memory,
collate_fn and generator arguments."""

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import autograd as ag
from nn.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class _SquaresSamples:
    """Sample i is (i as a float32 vector of 2, i*i as an int)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i * i


class Squares(_SquaresSamples, Dataset):
    """The samples as a chainrule Dataset."""


class TSquares(_SquaresSamples, tdata.Dataset):
    """The same samples as a torch Dataset."""


def _plain(value):
    """A batch as nested Python containers of (dtype, values), comparable across libraries."""
    if isinstance(value, ag.Tensor | torch.Tensor):
        arr = value.numpy() if isinstance(value, torch.Tensor) else value.data
        return ("tensor", str(arr.dtype), arr.tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, *(_plain(v) for v in value))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


# ---- Dataset, Subset, ConcatDataset --------------------------------------------------------
def test_dataset_base_class_and_subclasses():
    with pytest.raises(NotImplementedError, match="Dataset must define __getitem__"):
        Dataset()[0]
    assert isinstance(TensorDataset(ag.zeros(3)), Dataset)
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert both[3][1] == 0 and both[4][1] == 1 and both[-1][1] == 1
    with pytest.raises(IndexError, match="index 5 is out of range for 5 samples"):
        both[5]
    sub = Subset(Squares(10), [7, 2])
    assert len(sub) == 2 and sub[0][1] == 49 and [s[1] for s in sub[[1, 0]]] == [4, 49]


def test_loader_over_a_dataset_subclass_matches_torch():
    ours = list(DataLoader(Squares(7), batch_size=3))
    theirs = list(tdata.DataLoader(TSquares(7), batch_size=3))
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


# ---- random_split --------------------------------------------------------------------------
@pytest.mark.parametrize("n,lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.1, 0.1, 0.8]), (30, [0.3, 0.3, 0.4]),
    (5, [1.0]), (9, [0.25, 0.25, 0.25, 0.25]), (4, [0, 4]),
])
def test_random_split_lengths_match_torch_and_cover_the_dataset(n, lengths):
    parts = random_split(list(range(n)), lengths)
    tparts = tdata.random_split(list(range(n)), lengths)
    assert [len(p) for p in parts] == [len(p) for p in tparts]
    seen = [p[i] for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(n))
    assert all(isinstance(p, Subset) for p in parts)


def test_random_split_is_seeded_by_manual_seed_or_a_generator():
    ag.manual_seed(3)
    a = [p.indices for p in random_split(range(20), [5, 15])]
    ag.manual_seed(3)
    b = [p.indices for p in random_split(range(20), [5, 15])]
    assert a == b and a[0] + a[1] != list(range(20))
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    ag.manual_seed(0)
    c = [p.indices for p in random_split(range(20), [0.5, 0.5], generator=g1)]
    ag.manual_seed(1)  # the shared generator plays no part
    d = [p.indices for p in random_split(range(20), [0.5, 0.5], generator=g2)]
    assert c == d


@pytest.mark.parametrize("lengths,message", [
    ([3, 3], r"the lengths \[3, 3\] sum to 6, not to the dataset's length 10"),
    ([1.5, -0.5], "fraction at index 0 is not between 0 and 1"),
    ([0.3, 0.3], r"lengths must be ints >= 0 or fractions summing to 1, got \[0.3, 0.3\]"),
])
def test_random_split_refuses_bad_lengths_as_torch(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(range(10), lengths)
    with pytest.raises(ValueError):
        tdata.random_split(range(10), lengths)


def test_random_split_refuses_an_unknown_generator():
    with pytest.raises(TypeError, match="random_split: generator must be None or a random "
                                        "generator, got str"):
        random_split(range(4), [2, 2], generator="seed")


# ---- default_collate -----------------------------------------------------------------------
Point = namedtuple("Point", "x y")
COLLATE = [
    ("floats", [1.5, 2.0, -3.25]),
    ("ints", [1, 2, 3]),
    ("bools", [True, False]),
    ("strings", ["a", "b"]),
    ("tuples", [(1, 2.0, "a"), (3, 4.0, "b")]),
    ("lists", [[1, 2], [3, 4]]),
    ("dicts", [{"x": 1, "y": [1.0, 2.0]}, {"x": 2, "y": [3.0, 4.0]}]),
    ("numpy", [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)]),
    ("numpy-scalars", [np.float64(1.5), np.float64(2.5)]),
    ("namedtuples", [Point(1, 2.0), Point(3, 4.0)]),
    ("nested", [({"a": np.arange(3)}, [0.5]), ({"a": np.arange(3) + 1}, [1.5])]),
]


@pytest.mark.parametrize("name,batch", COLLATE, ids=[c[0] for c in COLLATE])
def test_default_collate_matches_torch(name, batch):
    assert _plain(default_collate(batch)) == _plain(tdata.default_collate(batch))


def test_default_collate_stacks_tensors_and_names_its_errors():
    batch = [ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])]
    tbatch = [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])]
    assert _plain(default_collate(batch)) == _plain(tdata.default_collate(tbatch))
    with pytest.raises(RuntimeError, match=r"different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


# ---- DataLoader's arguments ----------------------------------------------------------------
def test_tensor_dataset_batches_are_lists_as_torch():
    data = np.arange(12.0).reshape(6, 2)
    ours = list(DataLoader(TensorDataset(ag.tensor(data), ag.arange(6)), batch_size=4))
    theirs = list(tdata.DataLoader(tdata.TensorDataset(torch.tensor(data), torch.arange(6)),
                                   batch_size=4))
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


@pytest.mark.parametrize("shuffle", [False, True])
def test_num_workers_and_pin_memory_load_the_same_batches_in_process(shuffle):
    def batches(**kw):
        ag.manual_seed(5)
        return [_plain(b) for b in DataLoader(Squares(11), batch_size=4, shuffle=shuffle, **kw)]

    plain = batches()
    assert batches(num_workers=3, pin_memory=True, persistent_workers=True,
                   prefetch_factor=2, timeout=5) == plain
    if not shuffle:  # and torch's workers give the same batches too
        theirs = tdata.DataLoader(TSquares(11), batch_size=4, num_workers=0, pin_memory=False)
        assert plain == [_plain(b) for b in theirs]


def test_collate_fn_receives_the_samples_as_torch():
    def collate(samples):
        return [s[1] for s in samples]

    ours = list(DataLoader(Squares(5), batch_size=2, collate_fn=collate))
    theirs = list(tdata.DataLoader(TSquares(5), batch_size=2, collate_fn=collate))
    assert ours == theirs == [[0, 1], [4, 9], [16]]
    ds = TensorDataset(ag.arange(4))  # a collate_fn sees samples, not the fast gather
    assert list(DataLoader(ds, batch_size=3, collate_fn=len)) == [3, 1]


def test_generator_shuffles_independently_of_the_shared_state():
    def epoch_orders(seed_shared):
        ag.manual_seed(seed_shared)
        loader = DataLoader(Squares(9), batch_size=9, shuffle=True,
                            generator=np.random.default_rng(11))
        return [b[1].numpy().tolist() for b in loader] + [b[1].numpy().tolist() for b in loader]

    first, second = epoch_orders(0), epoch_orders(1)
    assert first == second
    assert first[0] != first[1] and sorted(first[0]) == [i * i for i in range(9)]


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(num_workers=-1), ValueError, "num_workers must be an int >= 0, got -1"),
    (dict(timeout=-1), ValueError, "timeout must be >= 0"),
    (dict(collate_fn=3), TypeError, "collate_fn must be callable, got int"),
    (dict(generator="x"), TypeError, "generator must be None or a random generator"),
])
def test_loader_refuses_bad_arguments_at_construction(kwargs, error, message):
    with pytest.raises(error, match="DataLoader: " + message):
        DataLoader(Squares(3), **kwargs)
    if "num_workers" in kwargs or "timeout" in kwargs:
        with pytest.raises(ValueError):
            tdata.DataLoader(TSquares(3), **kwargs)
