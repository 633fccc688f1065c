"""Adadelta, LambdaLR and OneCycleLR against torch, step for step: parameters, learning rates
and the momentum (SGD) or beta1 (Adam) that OneCycleLR cycles; state dicts; bad arguments."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

import autograd as ag
import optim
from optim import lr_scheduler as sched

_RNG = np.random.default_rng(2024)
X = _RNG.standard_normal((8, 4))
Y = _RNG.standard_normal(8)
INIT = [_RNG.standard_normal((3, 4)), _RNG.standard_normal(3), _RNG.standard_normal(3)]


def mlp_loss(params, x, y):
    """mean((tanh(x W1^T + b1) . w2 - y)^2): the same expression in both engines."""
    w1, b1, w2 = params
    return (((x @ w1.T + b1).tanh() @ w2 - y) ** 2).mean()


def _groups(params, two_groups):
    if two_groups:
        return [{"params": params[:2], "lr": 0.3}, {"params": params[2:]}]
    return params


def _make(two_groups, build, tbuild):
    ours = [ag.tensor(a.copy(), requires_grad=True) for a in INIT]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in INIT]
    return ours, theirs, build(_groups(ours, two_groups)), tbuild(_groups(theirs, two_groups))


def _step(params, opt, lib):
    opt.zero_grad()
    mlp_loss(params, lib.tensor(X), lib.tensor(Y)).backward()
    opt.step()


def _close_params(ours, theirs, what, tol=1e-6):
    """Each parameter within tol of torch's, relative to the tensor's largest entry.

    The loss gradients of the two engines differ by ~1e-14 relative (tanh, mean, the BLAS
    kernel's summation order) and a training run amplifies that: measured up to 4e-9 of the
    largest entry by step 100 of Adadelta with lr=1, eps=1e-3, on two OpenBLAS kernels, where
    an entry passing near 0 has no meaningful relative error. The update rules alone are
    pinned to a few ulps below."""
    for i, (p, tp) in enumerate(zip(ours, theirs)):
        t = tp.detach().numpy()
        np.testing.assert_allclose(p.data, t, rtol=0, atol=tol * np.abs(t).max(),
                                   err_msg=f"{what}: param {i}")


# ---- Adadelta ------------------------------------------------------------------------------
ADADELTA = [
    dict(),
    dict(lr=0.5, rho=0.7),
    dict(eps=1e-3),
    dict(weight_decay=0.1),
    dict(lr=0.3, maximize=True),
    dict(lr=2.0, rho=0.95, eps=1e-4, weight_decay=0.05),
]


@pytest.mark.parametrize("kwargs", ADADELTA, ids=lambda k: ",".join(k) or "defaults")
@pytest.mark.parametrize("two_groups", [False, True])
def test_adadelta_matches_torch_every_step(kwargs, two_groups):
    ours, theirs, opt, topt = _make(two_groups, lambda p: optim.Adadelta(p, **kwargs),
                                    lambda p: torch.optim.Adadelta(p, **kwargs))
    start = [p.numpy().copy() for p in ours]
    for step in range(100):
        _step(ours, opt, ag)
        _step(theirs, topt, torch)
        _close_params(ours, theirs, f"Adadelta({kwargs}) step {step}")
    assert all(not np.allclose(p.data, s) for p, s in zip(ours, start)), "nothing moved"
    tstate = topt.state[theirs[0]]
    assert opt.state[ours[0]]["step"] == int(tstate["step"]) == 100
    acc = tstate["acc_delta"].numpy()
    np.testing.assert_allclose(opt.state[ours[0]]["acc_delta"], acc, rtol=0,
                               atol=1e-6 * acc.max())


@pytest.mark.parametrize("kwargs", ADADELTA, ids=lambda k: ",".join(k) or "defaults")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adadelta_update_rule_equals_torch_on_the_same_gradients(kwargs, dtype):
    """Each engine's gradient is one formula of its own parameters, computed in numpy: the
    runs then differ only by the update rule's rounding, a few ulps after 100 steps."""
    start = _RNG.standard_normal((4, 5)).astype(dtype)
    p, tp = ag.tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(),
                                                                      requires_grad=True)
    opt, topt = optim.Adadelta([p], **kwargs), torch.optim.Adadelta([tp], **kwargs)
    for step in range(100):
        for q, data in ((p, p.numpy()), (tp, tp.detach().numpy())):
            g = (0.5 * data + np.cos(step + np.arange(data.size).reshape(data.shape))).astype(dtype)
            q.grad = ag.tensor(g) if q is p else torch.tensor(g)
        opt.step()
        topt.step()
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=64 * eps, atol=64 * eps)


def test_adadelta_state_dict_resumes_the_same_trajectory():
    ours = [ag.tensor(a.copy(), requires_grad=True) for a in INIT]
    opt = optim.Adadelta(ours, lr=0.7)
    for _ in range(10):
        _step(ours, opt, ag)
    saved_params, saved = [p.numpy().copy() for p in ours], copy.deepcopy(opt.state_dict())
    for _ in range(10):
        _step(ours, opt, ag)
    fresh = [ag.tensor(a, requires_grad=True) for a in saved_params]
    fresh_opt = optim.Adadelta(fresh, lr=0.1)
    fresh_opt.load_state_dict(saved)
    assert fresh_opt.param_groups[0]["lr"] == 0.7
    for _ in range(10):
        _step(fresh, fresh_opt, ag)
    for p, q in zip(fresh, ours):
        assert np.array_equal(p.data, q.data)


@pytest.mark.parametrize("kwargs,message", [
    (dict(rho=-0.1), "Adadelta: Invalid rho value: -0.1"),
    (dict(rho=1.5), "Adadelta: Invalid rho value: 1.5"),
    (dict(rho=math.nan), "Adadelta: Invalid rho value: nan"),
    (dict(lr=-1.0), "Adadelta: Invalid learning rate: -1.0"),
    (dict(eps=-1e-6), "Adadelta: Invalid epsilon value"),
    (dict(weight_decay=-0.1), "Adadelta: Invalid weight_decay value"),
])
def test_adadelta_refuses_bad_hyper_parameters_as_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adadelta([ag.tensor([1.0], requires_grad=True)], **kwargs)
    if not any(isinstance(v, float) and math.isnan(v) for v in kwargs.values()):
        with pytest.raises(ValueError):
            torch.optim.Adadelta([torch.tensor([1.0], requires_grad=True)], **kwargs)


# ---- schedules: both optimisers stepped, lrs (and momenta) compared at every step -----------
def _two_group_sgd(lib, om, momentum=0.9):
    params = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
    return om.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.03}],
                  lr=0.1, momentum=momentum)


def _hyper(opt):
    """What a schedule may change in each group: lr, momentum, betas."""
    return [(g["lr"], g.get("momentum"), tuple(g["betas"]) if "betas" in g else None)
            for g in opt.param_groups]


def _assert_same_hyper(opt, topt, what):
    for k, (ours, theirs) in enumerate(zip(_hyper(opt), _hyper(topt))):
        for name, o, t in zip(("lr", "momentum", "betas"), ours, theirs):
            np.testing.assert_allclose(o if o is not None else np.nan,
                                       t if t is not None else np.nan, rtol=1e-13, atol=0,
                                       err_msg=f"{what}: group {k} {name}")


LAMBDAS = [
    ("one-function", lambda epoch: 0.95 ** epoch),
    ("list", [lambda epoch: 1 / (1 + epoch), lambda epoch: 0.5 if epoch % 3 else 2.0]),
    ("warmup", lambda epoch: min(1.0, (epoch + 1) / 10)),
]


@pytest.mark.parametrize("name,fn", LAMBDAS, ids=[n for n, _ in LAMBDAS])
def test_lambda_lr_matches_torch_over_50_epochs(name, fn):
    opt, topt = _two_group_sgd(ag, optim), _two_group_sgd(torch, torch.optim)
    s, ts = sched.LambdaLR(opt, fn), tsched.LambdaLR(topt, fn)
    _assert_same_hyper(opt, topt, f"{name} at construction")
    for epoch in range(50):
        opt.step()
        topt.step()
        s.step()
        ts.step()
        assert s.get_last_lr() == ts.get_last_lr(), f"{name}: epoch {epoch}"
        _assert_same_hyper(opt, topt, f"{name} epoch {epoch}")


def test_lambda_lr_state_dict_resumes_and_errors():
    opt = _two_group_sgd(ag, optim)
    s = sched.LambdaLR(opt, lambda e: 0.9 ** e)
    for _ in range(7):
        s.step()
    state = s.state_dict()
    assert "lr_lambdas" not in state and state["last_epoch"] == 7
    opt2 = _two_group_sgd(ag, optim)
    s2 = sched.LambdaLR(opt2, lambda e: 0.9 ** e)
    s2.load_state_dict(state)
    s.step()
    s2.step()
    assert s2.get_last_lr() == s.get_last_lr()
    with pytest.raises(ValueError, match="LambdaLR: expected 2 lr_lambdas"):
        sched.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda must be callable, got float"):
        sched.LambdaLR(opt, 0.5)


ONE_CYCLE = [
    ("cos", dict(max_lr=1.0, total_steps=60)),
    ("linear", dict(max_lr=0.5, total_steps=47, anneal_strategy="linear", pct_start=0.25)),
    ("three-phase", dict(max_lr=0.8, total_steps=50, three_phase=True)),
    ("three-phase-linear", dict(max_lr=0.8, total_steps=33, three_phase=True,
                                anneal_strategy="linear", pct_start=0.4)),
    ("epochs", dict(max_lr=[0.4, 0.2], epochs=6, steps_per_epoch=9, div_factor=10.0,
                    final_div_factor=100.0)),
    ("momenta", dict(max_lr=0.3, total_steps=40, base_momentum=[0.7, 0.8],
                     max_momentum=0.99)),
    ("no-momentum-cycle", dict(max_lr=0.3, total_steps=40, cycle_momentum=False)),
    ("pct-0", dict(max_lr=0.3, total_steps=20, pct_start=0.0)),
]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("name,kwargs", ONE_CYCLE, ids=[n for n, _ in ONE_CYCLE])
def test_one_cycle_lr_and_momentum_match_torch_at_every_step(name, kwargs, optimizer):
    if optimizer == "sgd":
        opt, topt = _two_group_sgd(ag, optim), _two_group_sgd(torch, torch.optim)
    else:
        def adam(lib, om):
            return om.Adam([{"params": [lib.tensor([1.0], requires_grad=True)]},
                            {"params": [lib.tensor([2.0], requires_grad=True)]}],
                           betas=(0.8, 0.99))
        opt, topt = adam(ag, optim), adam(torch, torch.optim)
    s, ts = sched.OneCycleLR(opt, **kwargs), tsched.OneCycleLR(topt, **kwargs)
    _assert_same_hyper(opt, topt, f"{name} at construction")
    for key in ("initial_lr", "max_lr", "min_lr"):
        assert [g[key] for g in opt.param_groups] == [g[key] for g in topt.param_groups]
    for step in range(ts.total_steps - 1):
        opt.step()
        topt.step()
        s.step()
        ts.step()
        _assert_same_hyper(opt, topt, f"{name} step {step}")
        np.testing.assert_allclose(s.get_last_lr(), ts.get_last_lr(), rtol=1e-13)
    s.step()  # the total_steps-th step is allowed (as torch); the next one is not
    with pytest.raises(ValueError, match=f"tried to step {s.total_steps + 1} times"):
        s.step()


def test_one_cycle_drives_the_same_sgd_trajectory_as_torch():
    kwargs = dict(max_lr=0.5, total_steps=80, pct_start=0.2)
    ours, theirs, opt, topt = _make(False, lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9))
    s, ts = sched.OneCycleLR(opt, **kwargs), tsched.OneCycleLR(topt, **kwargs)
    for step in range(80):
        _step(ours, opt, ag)
        _step(theirs, topt, torch)
        s.step()
        ts.step()
        _close_params(ours, theirs, f"SGD + OneCycleLR step {step}")


@pytest.mark.parametrize("kwargs,message", [
    (dict(max_lr=0.1), "define either total_steps or"),
    (dict(max_lr=0.1, total_steps=0), "positive integer total_steps"),
    (dict(max_lr=0.1, epochs=2, steps_per_epoch=2.5), "positive integer steps_per_epoch"),
    (dict(max_lr=0.1, total_steps=10, pct_start=1.5), "between 0 and 1 for pct_start"),
    (dict(max_lr=0.1, total_steps=10, pct_start=1), "between 0 and 1 for pct_start"),
    (dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     "anneal_strategy must be 'cos' or 'linear'"),
    (dict(max_lr=[0.1], total_steps=10), "expected 2 values for max_lr"),
])
def test_one_cycle_refuses_bad_arguments_as_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sched.OneCycleLR(_two_group_sgd(ag, optim), **kwargs)
    with pytest.raises(ValueError):
        tsched.OneCycleLR(_two_group_sgd(torch, torch.optim), **kwargs)


def test_one_cycle_needs_momentum_or_betas_unless_told_not_to():
    opt = optim.Adagrad([ag.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="Adagrad has neither momentum nor betas"):
        sched.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError):
        tsched.OneCycleLR(torch.optim.Adagrad([torch.tensor([1.0], requires_grad=True)]),
                          max_lr=0.1, total_steps=10)
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert s.get_last_lr() == pytest.approx([0.1 / 25], rel=1e-15)
