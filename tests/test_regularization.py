"""The perceptron rule, the delta rule as SGD on MSELoss, and L2 / L1 / proximal-L1
regularisation on a sparse linear regression."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim


# ---- perceptron -----------------------------------------------------------------------------
def _blobs(n=40, seed=0):
    """Two separated Gaussian blobs in 2-D, labels -1 / +1, shuffled."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal((2.0, 1.0), 0.6, (n, 2)), rng.normal((-1.0, -2.0), 0.6, (n, 2))])
    y = np.concatenate([np.ones(n), -np.ones(n)])
    order = rng.permutation(2 * n)
    return x[order], y[order]


@pytest.mark.parametrize("bias", [True, False])
def test_perceptron_converges_then_stops_changing(bias):
    x, y = _blobs()
    layer = nn.Linear(2, 1, bias=bias)
    nn.init.zeros_(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    rule = optim.Perceptron(layer.weight, layer.bias, lr=0.5)
    mistakes = [rule.step(x, y) for _ in range(20)]
    assert mistakes[0] > 0, "zero weights classify nothing: the first epoch must make mistakes"
    first_clean = mistakes.index(0)
    assert first_clean < 10 and all(m == 0 for m in mistakes[first_clean:])
    assert np.array_equal(rule.predict(x), y)
    assert np.array_equal(np.sign(layer(ag.tensor(x.astype(np.float32))).numpy()[:, 0]), y)
    before = [p.numpy().copy() for p in layer.parameters()]
    assert rule.step(x, y) == 0
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, layer.parameters()))


def test_perceptron_updates_only_on_mistakes():
    w, b = ag.tensor([0.0, 0.0], requires_grad=True), ag.tensor([0.0], requires_grad=True)
    rule = optim.Perceptron(w, b, lr=0.5)
    assert rule.step([[1.0, 2.0]], [1]) == 1  # score 0 counts as a mistake
    assert w.numpy().tolist() == [0.5, 1.0] and b.numpy().tolist() == [0.5]
    assert rule.step([[1.0, 2.0]], [1]) == 0
    assert w.numpy().tolist() == [0.5, 1.0] and b.numpy().tolist() == [0.5]
    assert rule.step([[1.0, 0.0]], [-1]) == 1
    assert w.numpy().tolist() == [0.0, 1.0] and b.numpy().tolist() == [0.0]


@pytest.mark.parametrize("make,match", [
    (lambda w: optim.Perceptron(w, lr=0.0), "lr"),
    (lambda w: optim.Perceptron(ag.zeros(2, 3)), "shape"),
    (lambda w: optim.Perceptron(w).step([[1.0, 2.0]], [0]), "labels"),
    (lambda w: optim.Perceptron(w).step([[1.0, 2.0, 3.0]], [1]), "shape"),
])
def test_perceptron_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make(ag.zeros(2))


# ---- delta rule = SGD on MSELoss -----------------------------------------------------------
def test_delta_rule_is_sgd_on_mse():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    layer = nn.Linear(3, 1).double()
    w0, b0 = layer.weight.numpy().copy(), layer.bias.numpy().copy()
    lr = 0.1
    opt = optim.SGD(layer.parameters(), lr=lr)
    nn.MSELoss()(layer(ag.tensor(x)), ag.tensor(y)).backward()
    opt.step()

    err = y - (x @ w0.T + b0)  # (8, 1): y - w.x, per sample
    # MSE = mean(err^2), so d/dw = -2 mean(err x): the factor 2 comes from the square.
    delta_w = lr * 2 * (err * x).mean(axis=0, keepdims=True)
    delta_b = lr * 2 * err.mean(axis=0)
    np.testing.assert_allclose(layer.weight.numpy(), w0 + delta_w, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.numpy(), b0 + delta_b, rtol=1e-12)
    assert not np.allclose(layer.weight.numpy(), w0 + delta_w / 2)  # the factor matters


# ---- L1 pieces --------------------------------------------------------------------------------
def test_l1_penalty_value_and_subgradient():
    a = ag.tensor([-2.0, 0.5, 0.0], requires_grad=True)
    b = ag.tensor([[3.0]], requires_grad=True)
    penalty = optim.l1_penalty([a, b], alpha=0.1)
    assert penalty.item() == pytest.approx(0.1 * 5.5)
    penalty.backward()
    assert a.grad.numpy().tolist() == pytest.approx([-0.1, 0.1, 0.0])  # abs'(0) = 0
    np.testing.assert_allclose(b.grad.numpy(), [[0.1]])
    with pytest.raises(ValueError, match="no parameters"):
        optim.l1_penalty([], 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prox_l1_soft_thresholds_in_place(dtype):
    p = ag.tensor(np.array([-3.0, -0.5, 0.0, 0.2, 1.0, 2.0], dtype), requires_grad=True)
    data = p.numpy()
    optim.prox_l1_([p], 1.0)
    assert p.numpy() is data and p.dtype == dtype
    assert p.numpy().tolist() == [-2.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    optim.prox_l1_([p], 0.0)
    assert p.numpy().tolist() == [-2.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="threshold"):
        optim.prox_l1_([p], -0.1)


# ---- L2 vs subgradient L1 vs proximal L1 on sparse regression ---------------------------------
N, D, INFORMATIVE = 200, 20, 3
TRUE_W = np.r_[[2.0, -1.5, 1.0], np.zeros(D - INFORMATIVE)]
LR, STEPS, ALPHA = 0.02, 400, 0.2


def _sparse_problem():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, D))
    y = x @ TRUE_W + 0.1 * rng.standard_normal(N)
    w0 = 0.1 * rng.standard_normal(D)
    return ag.tensor(x), ag.tensor(y), w0


def _fit(method):
    x, y, w0 = _sparse_problem()
    w = ag.tensor(w0, requires_grad=True)
    opt = optim.SGD([w], lr=LR, weight_decay=ALPHA if method == "l2" else 0.0)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        if method == "l1-subgradient":
            loss = loss + optim.l1_penalty([w], ALPHA)
        loss.backward()
        opt.step()
        if method == "l1-prox":
            optim.prox_l1_([w], LR * ALPHA)
    return w.numpy()


def test_l2_weight_decay_shrinks_but_makes_no_zeros():
    w = _fit("l2")
    x, y, _ = _sparse_problem()
    hessian = 2 / N * x.numpy().T @ x.numpy() + ALPHA * np.eye(D)  # of mean((xw - y)^2) + a/2 |w|^2
    ridge = np.linalg.solve(hessian, 2 / N * x.numpy().T @ y.numpy())
    np.testing.assert_allclose(w, ridge, atol=1e-4)  # converged to the ridge solution
    assert np.count_nonzero(w == 0) == 0
    assert np.all(np.abs(w[:INFORMATIVE]) > 0.5)
    assert np.all(np.abs(w[:INFORMATIVE]) < np.abs(TRUE_W[:INFORMATIVE]))  # shrunk


def test_l1_subgradient_gives_small_weights_but_few_exact_zeros():
    w = _fit("l1-subgradient")
    noise = w[INFORMATIVE:]
    assert np.count_nonzero(np.abs(noise) < 1e-2) >= 0.8 * noise.size
    assert np.count_nonzero(w == 0) <= 1
    assert np.all(np.abs(w[:INFORMATIVE]) > 0.5)


def test_l1_proximal_gives_exact_zeros_on_noise_features():
    w = _fit("l1-prox")
    assert np.all(w[INFORMATIVE:] == 0)
    assert np.all(np.abs(w[:INFORMATIVE]) > 0.5)
    assert np.all(np.sign(w[:INFORMATIVE]) == np.sign(TRUE_W[:INFORMATIVE]))
