"""Random-number control as PyTorch spells it: `Generator` and `generator=`, `randperm`,
`multinomial`, the `*_like` draws. Streams are numpy's, not PyTorch's: the tests check
reproducibility, independence from the shared generator, and distributions (with bounds of
several standard errors at fixed seeds), and take signatures, dtypes and errors from torch."""

import numpy as np
import pytest
import torch

import autograd as ag
from nn.data import DataLoader, TensorDataset, random_split

DRAWS = [
    ("rand", lambda m, g: m.rand(3, 4, generator=g)),
    ("randn", lambda m, g: m.randn((5,), generator=g)),
    ("randint", lambda m, g: m.randint(0, 10, (6,), generator=g)),
    ("randint high only", lambda m, g: m.randint(10, (6,), generator=g)),
    ("randperm", lambda m, g: m.randperm(7, generator=g)),
    ("multinomial", lambda m, g: m.multinomial(m.tensor([[1.0, 2.0, 3.0]]), 2, generator=g)),
    ("multinomial replacement",
     lambda m, g: m.multinomial(m.tensor([1.0, 0.0, 3.0]), 5, replacement=True, generator=g)),
    ("rand_like", lambda m, g: m.rand_like(m.ones(2, 2, dtype=m.float64), generator=g)),
    ("randn_like", lambda m, g: m.randn_like(m.ones(3), generator=g)),
    ("normal floats", lambda m, g: m.normal(2.0, 3.0, (4,), generator=g)),
    ("normal tensors", lambda m, g: m.normal(m.zeros(2, 3, dtype=m.float64), m.ones(3),
                                             generator=g)),
]


@pytest.mark.parametrize("name,draw", DRAWS, ids=[d[0] for d in DRAWS])
def test_a_seeded_generator_repeats_its_draws_and_leaves_the_shared_one_alone(name, draw):
    first = draw(ag, ag.Generator().manual_seed(1234)).numpy()
    ag.manual_seed(0)
    shared = ag.rand(3).numpy()
    ag.manual_seed(0)
    again = draw(ag, ag.Generator().manual_seed(1234)).numpy()
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(ag.rand(3).numpy(), shared)  # the shared stream did not move
    ours, theirs = draw(ag, ag.Generator()), draw(torch, torch.Generator())
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))


@pytest.mark.parametrize("name,draw", DRAWS, ids=[d[0] for d in DRAWS])
def test_without_a_generator_draws_follow_manual_seed(name, draw):
    ag.manual_seed(7)
    a = draw(ag, None).numpy()
    ag.manual_seed(7)
    np.testing.assert_array_equal(draw(ag, None).numpy(), a)


def test_generator_methods_match_torchs():
    g, tg = ag.Generator(), torch.Generator()
    assert g.manual_seed(3) is g and tg.manual_seed(3) is tg
    assert g.initial_seed() == tg.initial_seed() == 3
    assert str(g.device) == str(tg.device) == "cpu"
    seed = g.seed()
    assert isinstance(seed, int) and g.initial_seed() == seed and isinstance(tg.seed(), int)
    state = g.get_state()
    a = ag.rand(4, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(ag.rand(4, generator=g).numpy(), a)
    with pytest.raises(RuntimeError, match="chainrule runs on the CPU only"):
        ag.Generator("cuda")
    with pytest.raises(TypeError, match="^rand: generator must be None or an autograd.Generator"):
        ag.rand(2, generator=3)


def test_randperm_is_a_permutation_with_torchs_dtypes():
    for n in [0, 1, 10]:
        np.testing.assert_array_equal(np.sort(ag.randperm(n).numpy()), np.arange(n))
        assert ag.randperm(n).dtype == ag.int64
    assert ag.randperm(3, dtype=ag.float32).dtype == np.dtype(str(
        torch.randperm(3, dtype=torch.float32).dtype).removeprefix("torch."))
    with pytest.raises(RuntimeError, match="randperm: n must be >= 0"):
        ag.randperm(-1)


def test_randperm_positions_are_uniform():
    g = ag.Generator().manual_seed(0)
    n, k = 4, 8000
    counts = np.zeros((n, n))
    for _ in range(k):
        counts[np.arange(n), ag.randperm(n, generator=g).numpy()] += 1
    p = 1 / n  # each value at each position; a binomial count with sd sqrt(k p (1 - p))
    assert np.abs(counts - k * p).max() < 5 * np.sqrt(k * p * (1 - p))


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies_follow_the_weights(replacement):
    w = np.array([1.0, 0.0, 2.0, 5.0, 2.0])
    k = 20000
    g = ag.Generator().manual_seed(5)
    draws = ag.multinomial(ag.tensor(np.tile(w, (k, 1))), 1, replacement=replacement,
                           generator=g).numpy().ravel()
    p = w / w.sum()
    counts = np.bincount(draws, minlength=len(w))
    assert counts[1] == 0  # weight 0 is never drawn
    assert np.all(np.abs(counts - k * p) < 5 * np.sqrt(k * p * (1 - p)) + 1e-9)


def test_multinomial_without_replacement_draws_distinct_categories_in_weight_order():
    # P(first = i, second = j) = w_i / W * w_j / (W - w_i): check the second draw's marginal.
    w = np.array([4.0, 2.0, 1.0, 1.0])
    k = 20000
    g = ag.Generator().manual_seed(11)
    out = ag.multinomial(ag.tensor(np.tile(w, (k, 1))), 2, generator=g).numpy()
    assert np.all(out[:, 0] != out[:, 1])
    W = w.sum()
    second = np.array([sum(w[i] / W * w[j] / (W - w[i]) for i in range(4) if i != j)
                       for j in range(4)])
    counts = np.bincount(out[:, 1], minlength=4)
    assert np.all(np.abs(counts - k * second) < 5 * np.sqrt(k * second * (1 - second)))
    full = ag.multinomial(ag.tensor(w), 4, generator=g).numpy()
    np.testing.assert_array_equal(np.sort(full), np.arange(4))


def test_multinomial_takes_zero_weights_last_as_torch():
    out = ag.multinomial(ag.tensor([1.0, 0.0, 0.0]), 2).numpy()
    assert out[0] == torch.multinomial(torch.tensor([1.0, 0.0, 0.0]), 2)[0].item() == 0


@pytest.mark.parametrize("args,match", [
    (([1.0, 1.0], 3), "cannot draw 3 samples without replacement from 2 categories"),
    (([-1.0, 1.0], 1), "inf, nan or an element < 0"),
    (([1.0, float("nan")], 1), "inf, nan or an element < 0"),
    (([0.0, 0.0], 1), "sums to 0"),
    (([1.0, 1.0], 0), "num_samples must be > 0"),
    (([[[1.0]]], 1), "must be 1 or 2 dim"),
])
def test_multinomial_errors_where_torch_raises(args, match):
    data, n = args
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(data), n)
    with pytest.raises(RuntimeError, match="^multinomial: .*" + match):
        ag.multinomial(ag.tensor(data), n)


def test_multinomial_refuses_integer_weights_as_torch():
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor([1, 1]), 1)
    with pytest.raises(RuntimeError, match="^multinomial: input must be a floating point"):
        ag.multinomial(ag.tensor([1, 1]), 1)


def test_rand_and_randn_distributions():
    g = ag.Generator().manual_seed(3)
    n = 100000
    u, z = ag.rand(n, generator=g).numpy(), ag.randn(n, generator=g).numpy()
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(z.mean()) < 5 / np.sqrt(n) and abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    r = ag.randint_like(ag.zeros(n, dtype=ag.int32), 3, 6, generator=g)
    assert r.dtype == ag.int32 and set(np.unique(r.numpy())) == {3, 4, 5}


def test_data_loader_and_random_split_take_a_generator():
    data = TensorDataset(ag.arange(10))

    def epoch(seed):
        loader = DataLoader(data, batch_size=3, shuffle=True,
                            generator=ag.Generator().manual_seed(seed))
        return [b[0].tolist() for b in loader]

    assert epoch(1) == epoch(1)
    assert sorted(sum(epoch(1), [])) == list(range(10))
    parts = random_split(data, [7, 3], generator=ag.Generator().manual_seed(2))
    again = random_split(data, [7, 3], generator=ag.Generator().manual_seed(2))
    assert [len(p) for p in parts] == [7, 3]
    assert list(parts[0].indices) == list(again[0].indices)


def test_normal_draws_with_elementwise_mean_and_std():
    g = ag.Generator().manual_seed(9)
    n = 50000
    mean, std = ag.tensor([0.0, 10.0]), ag.tensor([1.0, 2.0])
    x = ag.normal(mean.expand(n, 2), std, generator=g).numpy()
    assert np.all(np.abs(x.mean(0) - mean.numpy()) < 5 * std.numpy() / np.sqrt(n))
    assert np.all(np.abs(x.var(0) / std.numpy() ** 2 - 1) < 5 * np.sqrt(2 / n))
    for args in [(0.0, -1.0, (2,)), (ag.zeros(2), -1.0)]:
        with pytest.raises(RuntimeError):
            torch.normal(*(torch.tensor(a.numpy()) if isinstance(a, ag.Tensor) else a
                           for a in args))
        with pytest.raises(RuntimeError, match="^normal: expected std >= 0"):
            ag.normal(*args)
    with pytest.raises(TypeError, match="^normal: with float mean and std, pass size="):
        ag.normal(0.0, 1.0)
