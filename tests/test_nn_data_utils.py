"""nn.data (TensorDataset, DataLoader) and nn.utils (clip_grad_norm_, clip_grad_value_),
the clipping checked against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn.data import DataLoader, TensorDataset

N = 10


def dataset(n=N):
    """Sample i is (row [2i, 2i+1] as float32, label i as int64): pairs are checkable."""
    return TensorDataset(ag.arange(2 * n, dtype=ag.float32).reshape(n, 2), ag.arange(n))


def labels(batches):
    return [b[1].numpy().tolist() for b in batches]


# ---- TensorDataset -------------------------------------------------------------------------
def test_tensor_dataset_indexes_rows():
    ds = dataset()
    assert len(ds) == N
    x, y = ds[3]
    np.testing.assert_array_equal(x.data, [6.0, 7.0])
    assert y.item() == 3
    ds = TensorDataset(np.zeros((4, 3)), np.arange(4))  # arrays become Tensors
    assert all(isinstance(t, ag.Tensor) for t in ds.tensors) and len(ds) == 4


def test_tensor_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"one length.*\(5, 2\).*\(4,\)"):
        TensorDataset(ag.zeros(5, 2), ag.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


# ---- DataLoader ----------------------------------------------------------------------------
@pytest.mark.parametrize(("batch_size", "drop_last", "sizes"), [
    (3, False, [3, 3, 3, 1]),
    (3, True, [3, 3, 3]),
    (5, False, [5, 5]),
    (5, True, [5, 5]),
    (1, False, [1] * N),
    (N + 5, False, [N]),
    (N + 5, True, []),
])
def test_batch_sizes_and_len(batch_size, drop_last, sizes):
    loader = DataLoader(dataset(), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes)
    assert [len(b[1]) for b in batches] == sizes
    flat = [i for batch in labels(batches) for i in batch]
    assert flat == list(range(sum(sizes)))  # in order without shuffle


def test_batches_are_tensors_of_stacked_samples():
    x, y = next(iter(DataLoader(dataset(), batch_size=4)))
    assert isinstance(x, ag.Tensor) and isinstance(y, ag.Tensor)
    assert x.shape == (4, 2) and x.dtype == np.float32
    assert y.shape == (4,) and y.dtype == np.int64
    np.testing.assert_array_equal(x.data, np.arange(8).reshape(4, 2))


def test_loader_matches_torch_without_shuffle():
    data = np.random.default_rng(0).standard_normal((N, 3))
    ours = DataLoader(TensorDataset(ag.tensor(data)), batch_size=4)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(data)), batch_size=4)
    assert len(ours) == len(theirs)
    for (a,), (b,) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.data, b.numpy())


@pytest.mark.parametrize(("batch_size", "drop_last"), [(3, False), (4, False), (3, True)])
def test_shuffle_covers_every_sample_once_per_epoch(batch_size, drop_last):
    loader = DataLoader(dataset(), batch_size=batch_size, shuffle=True, drop_last=drop_last)
    for _ in range(3):
        batches = list(loader)
        seen = [i for batch in labels(batches) for i in batch]
        if drop_last:
            assert len(seen) == N - N % batch_size and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(N))
        for x, y in batches:  # rows stay paired with their labels
            np.testing.assert_array_equal(x.data[:, 0], 2 * y.data)


def test_shuffle_reproducible_after_manual_seed_and_new_each_epoch():
    loader = DataLoader(dataset(), batch_size=3, shuffle=True)
    ag.manual_seed(42)
    first = [labels(loader) for _ in range(3)]
    ag.manual_seed(42)
    again = [labels(loader) for _ in range(3)]
    assert first == again
    assert first[0] != first[1] != first[2]
    assert [i for b in first[0] for i in b] != list(range(N))  # actually shuffled


def test_loader_over_a_sequence_of_samples():
    samples = [(np.full(2, i, np.float32), i) for i in range(5)]
    x, y = next(iter(DataLoader(samples, batch_size=3)))
    np.testing.assert_array_equal(x.data, [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(y.data, [0, 1, 2])


def test_loader_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive integer"):
        DataLoader(dataset(), batch_size=0)


# ---- gradient clipping ---------------------------------------------------------------------
SHAPES = [(3, 4), (5,), (), (2, 2, 2)]


def make_params(scale=1.0, dtype=np.float32, without_grad=True):
    """Parameters with random grads, the same for torch; one has no grad at all."""
    rng = np.random.default_rng(3)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES + [(4,)] * without_grad):
        value = rng.standard_normal(shape).astype(dtype)
        p, tp = nn.Parameter(ag.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        if i < len(SHAPES):
            grad = (scale * rng.standard_normal(shape)).astype(dtype)
            if i == 0:
                grad.flat[0] = -5 * scale  # the largest magnitude is negative (inf-norm)
            p.grad, tp.grad = ag.tensor(grad), torch.tensor(grad)
        ours.append(p)
        theirs.append(tp)
    return ours, theirs


def assert_grads_equal_torch(ours, theirs, rtol=1e-6):
    for p, tp in zip(ours, theirs):
        if tp.grad is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == p.dtype
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])  # clipping, and nothing to clip
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = make_params(dtype=dtype)
    grads = [p.grad.numpy().copy() for p in ours if p.grad is not None]
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    expected = np.abs(flat).max() if norm_type == math.inf else np.linalg.norm(flat, norm_type)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert float(total.item()) == pytest.approx(expected, rel=1e-6)  # the norm before clipping
    assert float(total.item()) == pytest.approx(float(ttotal), rel=1e-6)
    assert_grads_equal_torch(ours, theirs)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in ours if p.grad is not None])
    after = (np.abs(clipped).max() if norm_type == math.inf
             else np.linalg.norm(clipped.astype(np.float64), norm_type))
    assert after == pytest.approx(min(max_norm, expected), rel=1e-5)
    if max_norm > expected:
        for g, p in zip(grads, ours):
            np.testing.assert_array_equal(p.grad.data, g)


def test_clip_grad_norm_accepts_a_tensor_or_a_generator():
    p = nn.Parameter(ag.zeros(2))
    p.grad = ag.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)
    model = nn.Linear(3, 2)
    model(ag.randn(4, 3)).sum().backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    norm = np.sqrt(sum((p.grad.data.astype(np.float64) ** 2).sum() for p in model.parameters()))
    assert total.item() > 0.1 and norm == pytest.approx(0.1, rel=1e-5)


def test_clip_grad_norm_without_any_grad_is_zero():
    ours, theirs = make_params()
    for p, tp in zip(ours, theirs):
        p.grad, tp.grad = None, None
    assert nn.utils.clip_grad_norm_(ours, 1.0).item() == 0.0
    assert float(torch.nn.utils.clip_grad_norm_(theirs, 1.0)) == 0.0
    assert all(p.grad is None for p in ours)


@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10.0])  # 10: nothing to clip
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    ours, theirs = make_params(scale=2.0, dtype=dtype)
    before = [None if p.grad is None else p.grad.numpy().copy() for p in ours]
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_grads_equal_torch(ours, theirs, rtol=0)
    for b, p in zip(before, ours):
        if b is not None:
            np.testing.assert_array_equal(p.grad.data, np.clip(b, -clip_value, clip_value))
    clipped_some = any(np.abs(b).max() > clip_value for b in before if b is not None)
    assert clipped_some == (clip_value < 1)  # the table covers clipping and no clipping


def test_clip_grad_value_accepts_a_single_tensor():
    p = nn.Parameter(ag.zeros(3))
    p.grad = ag.tensor([-2.0, 0.3, 5.0])
    nn.utils.clip_grad_value_(p, 1.0)
    np.testing.assert_allclose(p.grad.data, [-1.0, 0.3, 1.0])
