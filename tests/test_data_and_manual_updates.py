"""`.data` as PyTorch has it, and the hand-written update idioms of teaching code: each runs
the same program on chainrule and PyTorch, and each must train (its loss falls)."""

import numpy as np
import pytest
import torch

import autograd as ag
import nn

LR = 0.1


def _problem(m):
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((64, 3)).astype(np.float32)
    x = m.tensor(inputs)
    y = m.tensor(inputs @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.25)
    w = m.tensor(np.zeros((3, 1), np.float32), requires_grad=True)
    b = m.tensor(np.zeros(1, np.float32), requires_grad=True)
    return x, y, w, b


def _loss(x, y, w, b):
    return ((x @ w + b - y) ** 2).mean()


def _loop_variable_update(m, w, b):
    with m.no_grad():
        for p in (w, b):
            p -= LR * p.grad


def _named_update(m, w, b):
    with m.no_grad():
        w -= LR * w.grad
        b -= LR * b.grad


def _data_update(m, w, b):
    for p in (w, b):
        p.data += -LR * p.grad


def _data_add_alpha(m, w, b):
    for p in (w, b):
        p.data.add_(p.grad, alpha=-LR)


def _data_sub_grad_data(m, w, b):
    for p in (w, b):
        p.data.sub_(LR * p.grad.data)


IDIOMS = [_loop_variable_update, _named_update, _data_update, _data_add_alpha,
          _data_sub_grad_data]


@pytest.mark.parametrize("update", IDIOMS, ids=lambda f: f.__name__.strip("_"))
def test_the_manual_update_trains_as_in_torch(update):
    curves = {}
    for m in (ag, torch):
        x, y, w, b = _problem(m)
        losses = []
        for _ in range(30):
            loss = _loss(x, y, w, b)
            losses.append(loss.item())
            loss.backward()
            update(m, w, b)
            w.grad = b.grad = None
        curves[m.__name__] = losses
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
    ours, theirs = curves["autograd"], curves["torch"]
    assert ours[-1] < 0.1 * ours[0]  # it trains
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_an_update_outside_no_grad_is_refused_on_a_leaf():
    for m in (ag, torch):
        w = m.ones(3, requires_grad=True)
        (w * 2).sum().backward()
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w -= LR * w.grad


def test_data_shares_memory_with_no_graph():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.data
    assert isinstance(d, ag.Tensor) and not d.requires_grad and d.grad_fn is None
    d[0] = 10.0
    assert x.tolist() == [10.0, 2.0, 3.0]
    assert isinstance(x.numpy(), np.ndarray) and np.shares_memory(x.numpy(), d.numpy())
    x.data = ag.tensor([4.0, 5.0])  # replaces the values, as p.data = t does in PyTorch
    assert x.tolist() == [4.0, 5.0] and x.requires_grad


@pytest.mark.parametrize("expression", [
    lambda m, t: m.max(t.data, 1)[1],
    lambda m, t: m.max(t.data, 1)[0],
    lambda m, t: t.data.max(1)[0],
    lambda m, t: t.data.max(1)[1],
    lambda m, t: t.data.std(),
    lambda m, t: t.data.std(1),
    lambda m, t: t.data.mean(),
    lambda m, t: (t.data.argmax(1) == m.tensor([2, 0, 1])).sum(),
])
def test_data_gives_torchs_results(expression):
    values = np.array([[0.1, 0.5, 2.0], [3.0, -1.0, 0.0], [0.2, 0.9, 0.3]], np.float32)
    ours = expression(ag, ag.tensor(values, requires_grad=True) * 1)
    theirs = expression(torch, torch.tensor(values, requires_grad=True) * 1)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert str(ours.dtype).replace("torch.", "") in str(theirs.dtype)


def test_tensors_work_where_numpy_expects_an_array():
    t = ag.tensor([[1.0, np.nan], [3.0, 4.0]], requires_grad=True)
    assert np.asarray(t).shape == (2, 2)
    np.testing.assert_array_equal(np.isnan(t), [[False, True], [False, False]])
    assert isinstance(np.isnan(t), np.ndarray)
    out = np.ones(2, np.float32) * t  # an ndarray on the left: the Tensor's op, recorded
    assert isinstance(out, ag.Tensor) and out.grad_fn is not None


def test_nn_init_writes_in_place_and_counts_versions():
    lin = nn.Linear(4, 3)
    before = lin.weight._version
    nn.init.uniform_(lin.weight, -0.1, 0.1)
    nn.init.zeros_(lin.bias)
    assert lin.weight._version > before and lin.bias.tolist() == [0.0, 0.0, 0.0]
    assert np.abs(lin.weight.numpy()).max() <= 0.1 and lin.weight.requires_grad


def test_uniform_and_normal_fill_from_the_shared_generator():
    ag.manual_seed(3)
    a = ag.zeros(1000).uniform_(-2, 2)
    ag.manual_seed(3)
    b = ag.zeros(1000).uniform_(-2, 2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert -2 <= a.numpy().min() and a.numpy().max() < 2 and a.dtype == np.float32
    n = ag.zeros(20000, dtype=ag.float64).normal_(1.0, 0.5)
    assert abs(n.numpy().mean() - 1.0) < 0.02 and abs(n.numpy().std() - 0.5) < 0.02
