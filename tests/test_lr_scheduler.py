"""Learning-rate schedules against PyTorch over 50 epochs, scheduler state dicts, and
early stopping on a synthetic validation curve."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tsched

import autograd as ag
import nn
import optim
from optim import lr_scheduler as sched

EPOCHS = 50
LRS = (0.1, 0.03)  # two parameter groups with their own lr

# A synthetic validation loss with plateaus: falls, stays flat, creeps down by less than a
# relative 1e-4 (no improvement in 'rel' mode, one in 'abs' mode with a tiny threshold), falls
# again, then noisy flat.
METRIC = np.concatenate([
    np.linspace(1.0, 0.6, 6),
    np.full(7, 0.6),
    0.6 - 1e-6 * np.arange(1, 9),
    np.linspace(0.55, 0.3, 5),
    0.3 + 0.01 * np.sin(np.arange(24)),
])
assert len(METRIC) == EPOCHS

SCHEDULERS = [  # (id, ours, torch, metric fed to step or None)
    ("step", lambda o: sched.StepLR(o, step_size=7, gamma=0.5),
     lambda o: tsched.StepLR(o, step_size=7, gamma=0.5), None),
    ("multistep", lambda o: sched.MultiStepLR(o, milestones=[30, 5, 12, 12], gamma=0.3),
     lambda o: tsched.MultiStepLR(o, milestones=[30, 5, 12, 12], gamma=0.3), None),
    ("exponential", lambda o: sched.ExponentialLR(o, gamma=0.93),
     lambda o: tsched.ExponentialLR(o, gamma=0.93), None),
    ("cosine", lambda o: sched.CosineAnnealingLR(o, T_max=50),
     lambda o: tsched.CosineAnnealingLR(o, T_max=50), None),
    ("cosine-eta_min-restarts", lambda o: sched.CosineAnnealingLR(o, T_max=8, eta_min=0.01),
     lambda o: tsched.CosineAnnealingLR(o, T_max=8, eta_min=0.01), None),
    ("plateau", lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=2),
     lambda o: tsched.ReduceLROnPlateau(o, factor=0.5, patience=2), METRIC),
    ("plateau-cooldown", lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=3),
     lambda o: tsched.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=3), METRIC),
    ("plateau-abs", lambda o: sched.ReduceLROnPlateau(
        o, factor=0.5, patience=2, threshold=1e-7, threshold_mode="abs"),
     lambda o: tsched.ReduceLROnPlateau(
        o, factor=0.5, patience=2, threshold=1e-7, threshold_mode="abs"), METRIC),
    ("plateau-abs-coarse", lambda o: sched.ReduceLROnPlateau(
        o, factor=0.7, patience=3, threshold=0.05, threshold_mode="abs"),
     lambda o: tsched.ReduceLROnPlateau(
        o, factor=0.7, patience=3, threshold=0.05, threshold_mode="abs"), METRIC),
    ("plateau-max-rel", lambda o: sched.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2),
     lambda o: tsched.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2), 2 - METRIC),
    ("plateau-max-abs", lambda o: sched.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=2, threshold=0.02, threshold_mode="abs"),
     lambda o: tsched.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=2, threshold=0.02, threshold_mode="abs"), -METRIC),
    ("plateau-min_lr", lambda o: sched.ReduceLROnPlateau(o, factor=0.3, patience=0, min_lr=0.02),
     lambda o: tsched.ReduceLROnPlateau(o, factor=0.3, patience=0, min_lr=0.02), METRIC),
]
IDS = [s[0] for s in SCHEDULERS]


def _optimizers():
    """Our SGD and torch's, each with two groups of their own lr."""
    def make(lib, optim_module):
        params = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
        groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS)]
        return optim_module.SGD(groups, lr=LRS[0], momentum=0.9)

    return make(ag, optim), make(torch, torch.optim)


def _epoch(opt, scheduler, metric, epoch):
    opt.step()  # no gradients: nothing moves, but the call order is PyTorch's
    if metric is None:
        scheduler.step()
    else:
        scheduler.step(float(metric[epoch]))
    return scheduler.get_last_lr()


def _sequence(opt, scheduler, metric, epochs):
    return [_epoch(opt, scheduler, metric, e) for e in epochs]


@pytest.mark.parametrize("name,ours,theirs,metric", SCHEDULERS, ids=IDS)
def test_lr_sequence_matches_torch(name, ours, theirs, metric):
    opt, topt = _optimizers()
    s, ts = ours(opt), theirs(topt)
    assert s.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
    got = _sequence(opt, s, metric, range(EPOCHS))
    want = _sequence(topt, ts, metric, range(EPOCHS))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=name)
    assert [g["lr"] for g in opt.param_groups] == got[-1]  # get_last_lr is the groups' lr
    assert len({lrs[0] for lrs in got}) >= 3, f"{name}: the schedule barely changes the lr"


def test_get_last_lr_is_a_copy():
    opt, _ = _optimizers()
    s = sched.StepLR(opt, step_size=2)
    s.get_last_lr()[0] = 123.0
    assert s.get_last_lr() == list(LRS) and opt.param_groups[0]["lr"] == LRS[0]


@pytest.mark.parametrize("name,ours,theirs,metric", SCHEDULERS, ids=IDS)
def test_state_dict_round_trip_resumes_schedule(name, ours, theirs, metric):
    opt, _ = _optimizers()
    s = ours(opt)
    _sequence(opt, s, metric, range(20))
    saved_opt, saved = opt.state_dict(), s.state_dict()
    want = _sequence(opt, s, metric, range(20, EPOCHS))

    fresh_opt, _ = _optimizers()
    fresh = ours(fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert "optimizer" not in saved and fresh.optimizer is fresh_opt
    assert _sequence(fresh_opt, fresh, metric, range(20, EPOCHS)) == want


def test_plateau_rejects_bad_arguments():
    opt, _ = _optimizers()
    for kwargs in (dict(factor=1.0), dict(mode="up"), dict(threshold_mode="pct")):
        with pytest.raises(ValueError):
            sched.ReduceLROnPlateau(opt, **kwargs)


# ---- early stopping -------------------------------------------------------------------------
#          epoch: 0    1    2    3    4     5     6      7     8    9    10   11   12   13
VAL_LOSS = [1.0, 0.8, 0.6, 0.5, 0.45, 0.44, 0.445, 0.46, 0.5, 0.4, 0.6, 0.7, 0.8, 0.9]

EARLY = [  # (id, kwargs, curve, epoch at which step() first returns True, best, best_epoch)
    ("patience-3", dict(patience=3), VAL_LOSS, 8, 0.44, 5),
    ("patience-0", dict(patience=0), VAL_LOSS, 6, 0.44, 5),
    ("patience-4-recovers", dict(patience=4), VAL_LOSS, 13, 0.4, 9),
    ("min_delta", dict(patience=3, min_delta=0.02), VAL_LOSS, 7, 0.45, 4),
    ("min_delta-large", dict(patience=2, min_delta=0.15), VAL_LOSS, 4, 0.6, 2),
    ("max", dict(patience=3, mode="max"), [1 - v for v in VAL_LOSS], 8, 1 - 0.44, 5),
    ("max-min_delta", dict(patience=3, mode="max", min_delta=0.02), [1 - v for v in VAL_LOSS],
     7, 1 - 0.45, 4),
]


@pytest.mark.parametrize("name,kwargs,curve,stop,best,best_epoch", EARLY,
                         ids=[e[0] for e in EARLY])
def test_early_stopping_stops_at_the_right_epoch(name, kwargs, curve, stop, best, best_epoch):
    model = nn.Linear(2, 1)
    es = optim.EarlyStopping(**kwargs)
    stopped_at = None
    for epoch, value in enumerate(curve):
        model.weight.numpy()[...] = epoch  # in place: a kept state must be a copy
        model.bias.numpy()[...] = -epoch
        assert not es.should_stop
        if es.step(value, model=model):
            stopped_at = epoch
            break
    assert stopped_at == stop and es.should_stop
    assert es.best == pytest.approx(best) and es.best_epoch == best_epoch
    es.restore(model)
    assert np.all(model.weight.numpy() == best_epoch) and np.all(model.bias.numpy() == -best_epoch)


def test_early_stopping_without_model_and_bad_arguments():
    es = optim.EarlyStopping(patience=1)
    assert not es.step(ag.tensor(0.5)) and es.best == 0.5 and es.best_epoch == 0
    assert es.step(0.7) and es.should_stop
    with pytest.raises(RuntimeError, match="model="):
        es.restore(nn.Linear(2, 1))
    with pytest.raises(ValueError, match="mode"):
        optim.EarlyStopping(patience=1, mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        optim.EarlyStopping(patience=-1)
