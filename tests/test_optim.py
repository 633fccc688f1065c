"""Optimisers: PyTorch parity step by step, parameter groups, skipped parameters, state dicts
and bad input."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import optim

# One row per optimiser option: (id, our class, torch class, kwargs).
OPTIMS = [
    ("sgd", optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    ("sgd-momentum", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("sgd-dampening", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("sgd-weight_decay", optim.SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=0.1)),
    ("sgd-nesterov", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("sgd-all", optim.SGD, torch.optim.SGD,
     dict(lr=0.05, momentum=0.7, weight_decay=0.05, nesterov=True)),
    ("adagrad", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    ("adagrad-lr_decay", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.1)),
    ("adagrad-weight_decay", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, weight_decay=0.2)),
    ("adagrad-init_acc", optim.Adagrad, torch.optim.Adagrad,
     dict(lr=0.1, initial_accumulator_value=0.5)),
    ("adagrad-eps", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, eps=1e-2)),
    ("adagrad-all", optim.Adagrad, torch.optim.Adagrad,
     dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-3)),
    ("rmsprop", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    ("rmsprop-alpha", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.7)),
    ("rmsprop-eps", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, eps=1e-2)),
    ("rmsprop-weight_decay", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, weight_decay=0.2)),
    ("rmsprop-momentum", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.8)),
    ("rmsprop-centered", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    ("rmsprop-all", optim.RMSprop, torch.optim.RMSprop,
     dict(lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1, momentum=0.5, centered=True)),
    ("adam", optim.Adam, torch.optim.Adam, dict(lr=0.05)),
    ("adam-betas", optim.Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.5, 0.8))),
    ("adam-eps", optim.Adam, torch.optim.Adam, dict(lr=0.05, eps=1e-2)),
    ("adam-weight_decay", optim.Adam, torch.optim.Adam, dict(lr=0.05, weight_decay=0.2)),
    ("adam-amsgrad", optim.Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.5), amsgrad=True)),
    ("adam-all", optim.Adam, torch.optim.Adam,
     dict(lr=0.05, betas=(0.8, 0.6), eps=1e-3, weight_decay=0.1, amsgrad=True)),
    ("adamw", optim.AdamW, torch.optim.AdamW, dict(lr=0.05)),
    ("adamw-weight_decay", optim.AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.5)),
    ("adamw-amsgrad", optim.AdamW, torch.optim.AdamW,
     dict(lr=0.05, betas=(0.9, 0.5), weight_decay=0.3, amsgrad=True)),
]

_RNG = np.random.default_rng(1234)
X = _RNG.standard_normal((6, 4))
Y = _RNG.standard_normal(6)
INIT = [_RNG.standard_normal((3, 4)), _RNG.standard_normal(3), _RNG.standard_normal(3)]


def mlp_loss(params, x, y):
    """mean((tanh(x W1^T + b1) . w2 - y)^2): the same expression in both engines."""
    w1, b1, w2 = params
    return (((x @ w1.T + b1).tanh() @ w2 - y) ** 2).mean()


def _groups(params, scenario):
    if scenario == "groups":  # the first layer gets its own lr, the rest the default
        return [{"params": params[:2], "lr": 0.02}, {"params": params[2:]}]
    return params


def _run_both(ours_cls, torch_cls, kwargs, scenario, steps=25):
    """Yield (step, our params, torch params) after each of `steps` steps."""
    ours = [ag.tensor(a.copy(), requires_grad=True) for a in INIT]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in INIT]
    opt, topt = ours_cls(_groups(ours, scenario), **kwargs), torch_cls(
        _groups(theirs, scenario), **kwargs)
    x, tx, tt = ag.tensor(X), torch.tensor(X), torch.tensor(Y)
    for step in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        mlp_loss(ours, x, ag.tensor(Y)).backward()
        mlp_loss(theirs, tx, tt).backward()
        if scenario == "skip" and step % 4 in (1, 2):  # b1 has no gradient on these steps
            ours[1].grad, theirs[1].grad = None, None
        opt.step()
        topt.step()
        yield step, ours, theirs


# Every option alone; then groups with their own lr, and a parameter with no gradient on some
# steps, for the row of each optimiser that combines all its options.
PARITY = [pytest.param(*o, "plain", id=o[0]) for o in OPTIMS] + [
    pytest.param(*o, scenario, id=f"{o[0]}-{scenario}")
    for o in OPTIMS if o[0].endswith("-all") or o[0] == "adamw-amsgrad"
    for scenario in ("groups", "skip")
]


@pytest.mark.parametrize("name,ours_cls,torch_cls,kwargs,scenario", PARITY)
def test_matches_torch_every_step(name, ours_cls, torch_cls, kwargs, scenario):
    for step, ours, theirs in _run_both(ours_cls, torch_cls, kwargs, scenario):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            assert p.dtype == np.float64
            np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-12,
                                       err_msg=f"{name} {scenario}: param {i} at step {step}")


def test_parameters_move_and_skipped_parameter_is_untouched():
    """The parity runs above are not vacuous: parameters move, and a parameter without a
    gradient keeps its value and gets no state."""
    p, q = ag.tensor([1.0, -2.0], requires_grad=True), ag.tensor([3.0], requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert not np.allclose(p.numpy(), [1.0, -2.0])
    assert q.numpy().tolist() == [3.0] and q not in opt.state and p in opt.state


def test_param_groups_fill_defaults_and_zero_grad():
    a, b = ag.tensor([1.0], requires_grad=True), ag.tensor([2.0], requires_grad=True)
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": b}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    c = ag.tensor([3.0], requires_grad=True)
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    (a * b * c).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert a.grad.numpy().tolist() == [0.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None and c.grad is None


# ---- state dict: resume mid-training ---------------------------------------------------------
RESUME = [
    ("sgd-momentum", lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True)),
    ("adam", lambda ps, lr: optim.Adam(ps, lr=lr, amsgrad=True)),
    ("rmsprop", lambda ps, lr: optim.RMSprop(ps, lr=lr, momentum=0.5, centered=True)),
    ("adagrad", lambda ps, lr: optim.Adagrad(ps, lr=lr, lr_decay=0.01)),
]


def _model():
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1)).double()


def _train(model, opt, steps):
    x, y = ag.tensor(X), ag.tensor(Y.reshape(-1, 1))
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()


def _params(model):
    return [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("name,make", RESUME, ids=[r[0] for r in RESUME])
def test_state_dict_resume_reproduces_trajectory(name, make):
    model = _model()
    opt = make(model.parameters(), 0.03)
    _train(model, opt, 10)
    saved_model = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    saved_opt = opt.state_dict()
    assert len(saved_opt["state"]) == 4  # every parameter has state after 10 steps
    _train(model, opt, 10)
    expected = _params(model)

    ag.manual_seed(99)  # a different initialisation and a different lr, both overwritten
    fresh = _model()
    fresh_opt = make(fresh.parameters(), 0.5)
    fresh.load_state_dict(saved_model)
    fresh_opt.load_state_dict(copy.deepcopy(saved_opt))
    assert fresh_opt.param_groups[0]["lr"] == 0.03
    _train(fresh, fresh_opt, 10)
    for i, (got, want) in enumerate(zip(_params(fresh), expected)):
        assert np.array_equal(got, want), f"{name}: parameter {i} differs after resuming"


def test_state_dict_is_a_snapshot_and_refers_to_params_by_index():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(model, opt, 2)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3] and sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    before = sd["state"][0]["momentum_buffer"].copy()
    _train(model, opt, 2)
    assert np.array_equal(sd["state"][0]["momentum_buffer"], before)


def test_load_state_dict_rejects_mismatched_groups():
    model = _model()
    sd = optim.SGD(model.parameters(), lr=0.1).state_dict()
    other = optim.SGD(list(model.parameters())[:2], lr=0.1)
    with pytest.raises(ValueError, match="groups"):
        other.load_state_dict(sd)


# ---- bad input: ValueError at construction ---------------------------------------------------
def _p(lib=ag, requires_grad=True):
    return lib.tensor([1.0, 2.0], requires_grad=requires_grad)


BAD = [  # (id, build from a tensor library and an optim module, message, torch raises too)
    ("negative-lr", lambda lib, om, p: om.SGD([p], lr=-0.1), "lr", True),
    ("negative-lr-adam", lambda lib, om, p: om.Adam([p], lr=-1e-3), "lr", True),
    ("negative-momentum", lambda lib, om, p: om.SGD([p], lr=0.1, momentum=-0.5), "momentum", True),
    ("negative-weight_decay", lambda lib, om, p: om.RMSprop([p], weight_decay=-1), "weight_decay",
     True),
    ("negative-eps", lambda lib, om, p: om.Adagrad([p], eps=-1e-10), "eps", True),
    ("beta1-is-1", lambda lib, om, p: om.Adam([p], betas=(1.0, 0.999)), "beta", True),
    ("beta2-negative", lambda lib, om, p: om.AdamW([p], betas=(0.9, -0.1)), "beta", True),
    ("beta2-above-1", lambda lib, om, p: om.Adam([p], betas=(0.9, 1.5)), "beta", True),
    ("twice-in-a-group", lambda lib, om, p: om.SGD([p, p], lr=0.1), "more than once", False),
    ("twice-across-groups", lambda lib, om, p: om.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
     "more than once", True),
    ("empty", lambda lib, om, p: om.Adam([]), "empty", True),
    ("empty-generator", lambda lib, om, p: om.Adam(iter([])), "empty", True),
    ("no-requires-grad", lambda lib, om, p: om.SGD([_p(lib, requires_grad=False)], lr=0.1),
     "require grad", False),
    ("nesterov-without-momentum", lambda lib, om, p: om.SGD([p], lr=0.1, nesterov=True),
     "Nesterov", True),
    ("nesterov-with-dampening",
     lambda lib, om, p: om.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov", True),
]


@pytest.mark.parametrize("name,build,message,torch_raises", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error(name, build, message, torch_raises):
    with pytest.raises(ValueError, match=message):
        build(ag, optim, _p())
    if torch_raises:  # PyTorch only warns on a duplicate and accepts requires_grad=False
        with pytest.raises(ValueError):
            build(torch, torch.optim, _p(torch))


def test_non_tensor_and_non_leaf_are_rejected():
    p = _p()
    with pytest.raises(TypeError, match="Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([p * 2], lr=0.1)
