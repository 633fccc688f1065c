"""nn layers against torch.nn with the same weights: forward, input and parameter gradients,
running statistics, dropout's mask, gradcheck of nn.functional, and errors on bad input.

Convolution and pooling are in test_nn_conv.py, which reuses `check_module` from here.
"""

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F

from helpers import TOL, assert_close, check_gradcheck

DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random parameters, so that default inits (ones, zeros, 0.25) cannot hide a mix-up."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.numpy()[...] = rng.uniform(-1.0, 1.0, p.shape)
    return module


def copy_to_torch(ours: nn.Module, theirs: torch.nn.Module, dtype) -> None:
    ours.to(dtype)
    theirs.to(TORCH_DTYPE[dtype])
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def check_module(ours, theirs, xs, dtype, copy=True):
    """Ours and theirs (ours' state copied in) agree on each input of `xs` in turn: forward,
    input gradient and every parameter's gradient for a fixed random cotangent."""
    if copy:
        copy_to_torch(ours, theirs, dtype)
    tparams = dict(theirs.named_parameters())
    assert sorted(n for n, _ in ours.named_parameters()) == sorted(tparams)
    rng = np.random.default_rng(1)
    for step, x in enumerate(xs if isinstance(xs, list) else [xs]):
        xo = ag.tensor(x.astype(dtype), requires_grad=True)
        xt = torch.tensor(x.astype(dtype), requires_grad=True)
        out, tout = ours(xo), theirs(xt)
        assert_close(out, tout, dtype, f"step {step}: forward")
        g = rng.standard_normal(out.shape).astype(dtype)
        out.backward(ag.tensor(g))
        tout.backward(torch.tensor(g))
        assert_close(xo.grad, xt.grad, dtype, f"step {step}: grad of the input")
        for name, p in ours.named_parameters():
            assert p.grad is not None, f"step {step}: {name} has no grad"
            assert_close(p.grad, tparams[name].grad, dtype, f"step {step}: grad of {name}")


def normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- Linear ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)], ids=["rank1", "rank2", "rank3"])
def test_linear_matches_torch(shape, bias, dtype):
    ours = nn.Linear(5, 4, bias=bias)
    assert (ours.bias is None) == (not bias)
    check_module(ours, torch.nn.Linear(5, 4, bias=bias), normal(*shape), dtype)


# ---- BatchNorm -----------------------------------------------------------------------------
BN_CASES = [
    pytest.param(nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3), id="1d-NC"),
    pytest.param(nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5), id="1d-NCL"),
    pytest.param(nn.BatchNorm2d, torch.nn.BatchNorm2d, (2, 3, 4, 5), id="2d"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("ours_cls,torch_cls,shape", BN_CASES)
def test_batchnorm_train_then_eval_matches_torch(ours_cls, torch_cls, shape, affine, momentum,
                                                  dtype):
    ours = randomize(ours_cls(3, momentum=momentum, affine=affine))
    theirs = torch_cls(3, momentum=momentum, affine=affine)
    # shifted, scaled batches so that the running statistics move away from 0 and 1
    batches = [normal(*shape, seed=s) * (1 + s) + s for s in range(4)]
    check_module(ours, theirs, batches, dtype)
    for name in ("running_mean", "running_var"):
        assert_close(getattr(ours, name), getattr(theirs, name), dtype, name)
    assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    for m in (ours, theirs):
        m.zero_grad()
    check_module(ours, theirs, [normal(*shape, seed=9) + 2], dtype, copy=False)
    assert int(ours.num_batches_tracked.item()) == 4, "eval mode must not count batches"


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_batch_norm_updates_running_tensors_in_place(dtype):
    x = normal(6, 3, 2) * 3 + 1
    mean, var = ag.zeros(3, dtype=dtype), ag.ones(3, dtype=dtype)
    tmean, tvar = torch.zeros(3, dtype=TORCH_DTYPE[dtype]), torch.ones(3, dtype=TORCH_DTYPE[dtype])
    out = F.batch_norm(ag.tensor(x.astype(dtype)), mean, var, training=True, momentum=0.2)
    tout = torch.nn.functional.batch_norm(torch.tensor(x.astype(dtype)), tmean, tvar,
                                          training=True, momentum=0.2)
    assert_close(out, tout, dtype, "forward")
    assert_close(mean, tmean, dtype, "running_mean")
    assert_close(var, tvar, dtype, "running_var")


# ---- Dropout -------------------------------------------------------------------------------
def test_dropout_eval_is_identity():
    m = nn.Dropout(0.5).eval()
    x = ag.tensor(normal(4, 5), requires_grad=True)
    y = m(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.backward(ag.ones_like(y))
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 5)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_training_mask_and_scale(p, dtype):
    x = ag.tensor(np.random.default_rng(0).uniform(1, 2, (200, 500)).astype(dtype),
                  requires_grad=True)
    y = nn.Dropout(p)(x)
    assert y.dtype == dtype
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - p) < 0.01, f"zero fraction {1 - kept.mean()} for p={p}"
    np.testing.assert_allclose(y.numpy(), x.numpy() * kept / (1 - p), **TOL[dtype])
    g = normal(200, 500, seed=3).astype(dtype)
    y.backward(ag.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g * kept / (1 - p), **TOL[dtype])


def test_dropout_is_reproducible_after_manual_seed():
    x = ag.ones(50, 40)
    m = nn.Dropout(0.5)
    ag.manual_seed(7)
    first = m(x).numpy().copy()
    second = m(x).numpy().copy()
    ag.manual_seed(7)
    np.testing.assert_array_equal(m(x).numpy(), first)
    np.testing.assert_array_equal(m(x).numpy(), second)
    assert not np.array_equal(first, second), "two draws in a row gave the same mask"


def test_dropout_p0_in_training_is_identity():
    x = ag.tensor(normal(3, 4))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())


# ---- activations ----------------------------------------------------------------------------
def _with_zeros(*shape):
    """Normal values with some exact zeros, where the kinks are."""
    x = normal(*shape, seed=5)
    x.reshape(-1)[::4] = 0.0
    return x


ACTIVATIONS = [
    ("relu", nn.ReLU, torch.nn.ReLU, {}),
    ("sigmoid", nn.Sigmoid, torch.nn.Sigmoid, {}),
    ("tanh", nn.Tanh, torch.nn.Tanh, {}),
    ("leaky_relu", nn.LeakyReLU, torch.nn.LeakyReLU, {}),
    ("leaky_relu_0.2", nn.LeakyReLU, torch.nn.LeakyReLU, dict(negative_slope=0.2)),
    ("prelu_shared", nn.PReLU, torch.nn.PReLU, {}),
    ("prelu_channels", nn.PReLU, torch.nn.PReLU, dict(num_parameters=3)),
    ("prelu_init", nn.PReLU, torch.nn.PReLU, dict(num_parameters=3, init=0.1)),
    ("softmax_dim1", nn.Softmax, torch.nn.Softmax, dict(dim=1)),
    ("softmax_dim-1", nn.Softmax, torch.nn.Softmax, dict(dim=-1)),
    ("log_softmax_dim0", nn.LogSoftmax, torch.nn.LogSoftmax, dict(dim=0)),
    ("log_softmax_dim-1", nn.LogSoftmax, torch.nn.LogSoftmax, dict(dim=-1)),
    ("flatten", nn.Flatten, torch.nn.Flatten, {}),
    ("flatten_0_1", nn.Flatten, torch.nn.Flatten, dict(start_dim=0, end_dim=1)),
    ("identity", nn.Identity, torch.nn.Identity, {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
@pytest.mark.parametrize("name,ours_cls,torch_cls,kw", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_torch(name, ours_cls, torch_cls, kw, shape, dtype):
    ours = ours_cls(**kw)
    if name != "prelu_init":  # keep the init value there, to check it against torch's
        randomize(ours)
    theirs = torch_cls(**kw)
    if name == "prelu_init":
        np.testing.assert_array_equal(ours.weight.numpy(), theirs.weight.detach().numpy())
    check_module(ours, theirs, _with_zeros(*shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_is_positive_and_sums_to_one(dim, dtype):
    x = ag.tensor((normal(3, 4, 5) * 30).astype(dtype))
    y = nn.Softmax(dim)(x)
    assert np.all(y.numpy() > 0)
    np.testing.assert_allclose(y.numpy().sum(axis=dim), 1.0, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", [nn.LogSoftmax, nn.Softmax])
def test_softmax_extreme_logits_finite_and_match_torch(cls, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    check_module(cls(-1), getattr(torch.nn, cls.__name__)(-1), x, dtype)
    xo = ag.tensor(x.astype(dtype), requires_grad=True)
    y = cls(-1)(xo)
    y.backward(ag.ones_like(y))
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(xo.grad.numpy()))


class TorchMaxout(torch.nn.Module):
    def __init__(self, in_features, out_features, pieces):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = torch.nn.Linear(in_features, out_features * pieces)

    def forward(self, x):
        z = self.linear(x)
        return z.view(*z.shape[:-1], self.out_features, self.pieces).amax(-1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (6, 5), (2, 3, 5)])
@pytest.mark.parametrize("pieces", [1, 3])
def test_maxout_matches_torch_linear_then_amax(pieces, shape, dtype):
    ours = nn.Maxout(5, 4, pieces)
    assert [n for n, _ in ours.named_parameters()] == ["linear.weight", "linear.bias"]
    check_module(ours, TorchMaxout(5, 4, pieces), normal(*shape), dtype)


# ---- gradcheck of nn.functional ---------------------------------------------------------------
def _dropout_seeded(x):
    ag.manual_seed(3)  # the same mask on every call of the numerical Jacobian
    return F.dropout(x, 0.4, training=True)


def _distinct(*shape, seed=0):
    """Distinct values at least 0.1 apart: no ties or kinks within gradcheck's step."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1 - 1.05


FUNCTIONAL = [
    ("linear", lambda x, w, b: F.linear(x, w, b), [normal(3, 4), normal(2, 4), normal(2)]),
    ("linear_nobias", lambda x, w: F.linear(x, w), [normal(2, 3, 4), normal(5, 4)]),
    ("relu", F.relu, [_distinct(3, 4)]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), [_distinct(3, 4)]),
    ("prelu_shared", F.prelu, [_distinct(2, 3, 4), np.array([0.3])]),
    ("prelu_channels", F.prelu, [_distinct(2, 3, 4), np.array([0.3, -0.2, 0.7])]),
    ("softmax", lambda x: F.softmax(x, 1), [normal(3, 4, 2)]),
    ("log_softmax", lambda x: F.log_softmax(x, -1), [normal(3, 4)]),
    ("dropout", _dropout_seeded, [normal(4, 5)]),
    ("pad", lambda x: F.pad(x, [1, 2, 0, 1], value=0.5), [normal(2, 3, 4)]),
    ("batch_norm_train",
     lambda x, w, b: F.batch_norm(x, ag.zeros(3, dtype=ag.float64), ag.ones(3, dtype=ag.float64),
                                  w, b, training=True),
     [normal(4, 3, 2), normal(3, seed=1), normal(3, seed=2)]),
    ("batch_norm_eval",
     lambda x, w, b: F.batch_norm(x, ag.tensor(np.array([0.1, -0.2, 0.3])),
                                  ag.tensor(np.array([0.5, 1.5, 2.0])), w, b),
     [normal(4, 3), normal(3, seed=1), normal(3, seed=2)]),
]


@pytest.mark.parametrize("name,fn,arrays", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional_gradcheck(name, fn, arrays):
    check_gradcheck(fn, arrays)


def test_functional_pad_matches_torch():
    x = normal(2, 3, 4)
    out = F.pad(ag.tensor(x), [1, 2, 0, 3], value=-1.0)
    tout = torch.nn.functional.pad(torch.tensor(x), [1, 2, 0, 3], value=-1.0)
    assert_close(out, tout, np.float64, "pad")


# ---- bad input: raise at once, naming layer, expected and received; state untouched ----------
def _raises(fn, *fragments):
    with pytest.raises(ValueError) as info:
        fn()
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


def test_linear_rejects_wrong_last_dim():
    m = nn.Linear(5, 3)
    _raises(lambda: m(ag.ones(2, 4)), "Linear", "5", "(2, 4)")
    _raises(lambda: m(ag.tensor(1.0)), "Linear", "5", "()")
    _raises(lambda: F.linear(ag.ones(2, 4), m.weight), "linear", "5", "(2, 4)")


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1])
def test_dropout_rejects_p_outside_0_1(p):
    _raises(lambda: nn.Dropout(p), "Dropout", str(p))
    _raises(lambda: F.dropout(ag.ones(3), p), "dropout", str(p))


BN_BAD = [  # (layer, a good shape, a bad shape)
    pytest.param(nn.BatchNorm1d, (6, 3), (2, 4), id="1d-channels"),
    pytest.param(nn.BatchNorm1d, (6, 3, 2), (2, 4, 5), id="1d-channels-NCL"),
    pytest.param(nn.BatchNorm1d, (6, 3), (2, 3, 4, 5), id="1d-rank4"),
    pytest.param(nn.BatchNorm1d, (6, 3), (3,), id="1d-rank1"),
    pytest.param(nn.BatchNorm2d, (2, 3, 2, 2), (2, 3, 5), id="2d-rank3"),
    pytest.param(nn.BatchNorm2d, (2, 3, 2, 2), (2, 4, 5, 5), id="2d-channels"),
]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("cls,good,shape", BN_BAD)
def test_batchnorm_rejects_bad_input_and_keeps_its_state(cls, good, shape, training):
    m = cls(3).train(training)
    m(ag.tensor(normal(*good) + 1))  # running statistics away from their initial values
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    _raises(lambda: m(ag.ones(*shape)), cls.__name__, "3", str(shape))
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=f"{k} changed by a failed call")


def _net():
    ag.manual_seed(11)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 5 * 5, 2))


def _train_step(model, x):
    model.zero_grad()
    loss = (model(ag.tensor(x)) ** 2).mean()
    loss.backward()
    return loss.item(), {n: p.grad.numpy().copy() for n, p in model.named_parameters()}


@pytest.mark.parametrize("bad_shape", [(2, 2, 5, 5), (5, 5), (2, 3, 5, 5, 1)],
                         ids=["channels", "rank2", "rank5"])
def test_model_trains_normally_after_a_bad_input(bad_shape):
    x = normal(2, 3, 5, 5)
    clean, model = _net(), _net()
    with pytest.raises(ValueError):
        model(ag.ones(*bad_shape))
    loss, grads = _train_step(model, x)
    ref_loss, ref_grads = _train_step(clean, x)
    assert loss == ref_loss
    for name, g in ref_grads.items():
        np.testing.assert_array_equal(grads[name], g, err_msg=name)
    for (k, v), (_, ref) in zip(model.state_dict().items(), clean.state_dict().items()):
        np.testing.assert_array_equal(v.numpy(), ref.numpy(), err_msg=k)
