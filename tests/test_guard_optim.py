"""Optimisers, schedulers and gradient clipping refuse bad input before anything changes, and
match torch where it has an answer (issue 14)."""

import math

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import optim

NAN = float("nan")
OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.RMSprop]
TORCH = {optim.SGD: torch.optim.SGD, optim.Adam: torch.optim.Adam,
         optim.AdamW: torch.optim.AdamW, optim.Adagrad: torch.optim.Adagrad,
         optim.RMSprop: torch.optim.RMSprop}


def _param(shape=(2, 3), dtype=ag.float32):
    return ag.zeros(shape, dtype=dtype, requires_grad=True)


# ---- 5. hyper-parameters -------------------------------------------------------------------
BAD = [("lr", NAN, "Invalid learning rate: nan"), ("lr", -1.0, "Invalid learning rate: -1.0"),
       ("eps", NAN, "Invalid epsilon value: nan"), ("eps", -1.0, "Invalid epsilon value"),
       ("weight_decay", NAN, "Invalid weight_decay value: nan"),
       ("weight_decay", -1.0, "Invalid weight_decay value: -1.0"),
       ("momentum", NAN, "Invalid momentum value: nan"), ("momentum", -0.5, "Invalid momentum"),
       ("alpha", NAN, "Invalid alpha value: nan"), ("alpha", -1.0, "Invalid alpha value"),
       ("lr_decay", NAN, "Invalid lr_decay value: nan"),
       ("initial_accumulator_value", NAN, "Invalid initial_accumulator_value value: nan"),
       ("dampening", NAN, "Invalid dampening value: nan"),
       ("betas", (0.9,), r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
       ("betas", (0.9, 0.99, 0.9), "betas must be a pair"),
       ("betas", (NAN, 0.9), "Invalid beta parameter at index 0: nan"),
       ("betas", (0.9, 1.0), "Invalid beta parameter at index 1: 1.0")]


def _cases():
    import inspect

    for opt in OPTIMIZERS:
        for key, value, match in BAD:
            if key in inspect.signature(opt).parameters:
                yield pytest.param(opt, key, value, match, id=f"{opt.__name__}-{key}={value}")


@pytest.mark.parametrize("opt,key,value,match", list(_cases()))
def test_bad_hyper_parameters_are_refused_naming_the_optimizer(opt, key, value, match):
    kw = {"lr": 0.1, key: value}
    with pytest.raises(ValueError, match=f"{opt.__name__}: {match}"):
        opt([_param()], **kw)
    good = opt([_param()], lr=0.1)
    with pytest.raises(ValueError, match=match):  # a group added later is checked too
        good.add_param_group({"params": [_param()], key: value})
    assert len(good.param_groups) == 1
    if key in ("lr", "weight_decay") and value == -1.0:  # torch refuses these too
        with pytest.raises(ValueError, match=match):
            TORCH[opt]([torch.zeros(2, requires_grad=True)], **kw)


def test_perceptron_and_prox_refuse_nan():
    with pytest.raises(ValueError, match="Perceptron: lr must be > 0, got nan"):
        optim.Perceptron(ag.zeros(3), lr=NAN)
    with pytest.raises(ValueError, match="prox_l1_: threshold must be >= 0, got nan"):
        optim.prox_l1_([_param()], NAN)


def test_inf_lr_is_accepted_as_torch_does():
    optim.Adam([_param()], lr=math.inf)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=math.inf)


# ---- 6. gradients of the wrong shape or dtype ----------------------------------------------
@pytest.mark.parametrize("opt", OPTIMIZERS)
@pytest.mark.parametrize("grad", [np.ones(3, np.float32), np.ones((1, 3), np.float32),
                                  np.ones((2, 3), np.float64)])
def test_step_refuses_a_grad_of_the_wrong_shape_or_dtype_before_any_change(opt, grad):
    first, second = _param(), _param()
    first.grad = ag.ones((2, 3))
    second.grad = ag.tensor(grad)
    o = opt([first, second], lr=0.1)
    with pytest.raises(ValueError, match=rf"{opt.__name__}.step: a parameter of shape \(2, 3\) "
                                         rf"and dtype float32 has a .grad of shape "
                                         rf"{re_shape(grad.shape)} and dtype {grad.dtype}"):
        o.step()
    assert not first.numpy().any() and not second.numpy().any() and not o.state


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


# ---- 15. Optimizer.load_state_dict ----------------------------------------------------------
def test_optimizer_load_state_dict_with_an_unknown_index_changes_nothing():
    p = _param()
    o = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = ag.ones((2, 3))
    o.step()
    before_state = {k: {n: v.copy() for n, v in s.items()} for k, s in o.state.items()}
    sd = o.state_dict()
    sd["param_groups"][0]["lr"] = 0.5
    sd["state"] = {5: {"momentum_buffer": np.zeros((2, 3), np.float32)}}
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: state for parameter indices "
                                         r"\[5\], but the saved groups only list indices \[0\]"):
        o.load_state_dict(sd)
    assert o.param_groups[0]["lr"] == 0.1
    assert list(o.state) == [p]
    np.testing.assert_array_equal(o.state[p]["momentum_buffer"],
                                  before_state[p]["momentum_buffer"])


def test_optimizer_load_state_dict_with_a_bad_hyper_parameter_changes_nothing():
    o = optim.Adam([_param()], lr=0.1)
    sd = o.state_dict()
    sd["param_groups"][0]["lr"] = NAN
    with pytest.raises(ValueError, match="Adam: Invalid learning rate: nan"):
        o.load_state_dict(sd)
    assert o.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="expected a dict with keys 'state' and 'param_groups'"):
        o.load_state_dict({"param_groups": sd["param_groups"]})


def test_optimizer_load_state_dict_round_trip_still_works():
    p = _param()
    o = optim.Adam([p], lr=0.1)
    p.grad = ag.ones((2, 3))
    o.step()
    o2 = optim.Adam([p], lr=0.3)
    o2.load_state_dict(o.state_dict())
    assert o2.param_groups[0]["lr"] == 0.1 and o2.state[p]["step"] == 1


# ---- 9. resuming a scheduler without initial_lr ---------------------------------------------
SCHEDULERS = [
    lambda o, e: optim.lr_scheduler.StepLR(o, 2, last_epoch=e),
    lambda o, e: optim.lr_scheduler.MultiStepLR(o, [2], last_epoch=e),
    lambda o, e: optim.lr_scheduler.ExponentialLR(o, 0.5, last_epoch=e),
    lambda o, e: optim.lr_scheduler.CosineAnnealingLR(o, 10, last_epoch=e),
]


@pytest.mark.parametrize("make", SCHEDULERS)
def test_resuming_a_scheduler_needs_initial_lr(make):
    o = optim.SGD([_param()], lr=0.1)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in "
                                       r"param_groups\[0\] when resuming an optimizer"):
        make(o, 5)
    assert o.param_groups[0]["lr"] == 0.1 and "initial_lr" not in o.param_groups[0]
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified"):  # torch too
        torch.optim.lr_scheduler.StepLR(
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 2, last_epoch=5)
    o.param_groups[0]["initial_lr"] = 0.1  # as a loaded optimizer state provides
    make(o, 5)


# ---- 4. clip_grad_norm_ ---------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, 0, -1, math.inf, -math.inf, "inf"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("grads", [[[1.0, 0.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.5]]])
def test_clip_grad_norm_matches_torch(norm_type, dtype, grads):
    ours = [ag.zeros(len(g), dtype=dtype, requires_grad=True) for g in grads]
    theirs = [torch.zeros(len(g), dtype=getattr(torch, np.dtype(dtype).name),
                          requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = ag.tensor(np.array(g, dtype))
        t.grad = torch.tensor(np.array(g, dtype))
    total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    assert total.dtype == np.dtype(dtype)  # float64 grads: a float64 norm
    rtol = 8 * np.finfo(dtype).eps
    np.testing.assert_allclose(total.numpy(), ttotal.numpy(), rtol=rtol)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=0)


def test_clip_grad_norm_refuses_a_norm_type_that_is_not_a_number():
    p = _param()
    p.grad = ag.ones((2, 3))
    with pytest.raises(ValueError, match="clip_grad_norm_: norm_type must be a number"):
        nn.utils.clip_grad_norm_([p], 1.0, "two")
