"""nn.init: gains equal torch's; every initialiser draws from the right distribution
(bounds, mean, std over a large tensor: fixed seed, tolerances of several standard errors);
Linear and Conv2d start as PyTorch's do; all of it reproducible after ag.manual_seed."""

import math

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn import init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]
SHAPES = [(400, 300), (128, 64, 3, 3)]  # (out, in) and (out, in, kH, kW)


@pytest.fixture(autouse=True)
def _seed_torch():
    """conftest seeds our generator; torch's draws are seeded here."""
    torch.manual_seed(0)


def fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def check_uniform(a, low, high):
    """All in [low, high], reaching both ends, with the mean and std of U(low, high)."""
    n, width = a.size, high - low
    assert a.min() >= low and a.max() <= high
    assert a.min() < low + 1e-3 * width and a.max() > high - 1e-3 * width
    assert abs(a.mean() - (low + high) / 2) < 6 * width / math.sqrt(12 * n)
    assert a.std() == pytest.approx(width / math.sqrt(12), rel=0.02)


def check_normal(a, mean, std):
    assert abs(a.mean() - mean) < 6 * std / math.sqrt(a.size)
    assert a.std() == pytest.approx(std, rel=0.02)
    assert np.mean(np.abs(a - mean) < std) == pytest.approx(0.6827, abs=0.01)


def both(fn_name, shape, *args, **kwargs):
    """Our initialiser and torch's, applied to fresh float32 tensors of `shape`."""
    ours = ag.zeros(*shape)
    out = getattr(init, fn_name)(ours, *args, **kwargs)
    assert out is ours and ours.dtype == np.float32 and ours.shape == shape
    theirs = torch.zeros(shape)
    getattr(torch.nn.init, fn_name)(theirs, *args, **kwargs)
    return ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64)


# ---- gains ---------------------------------------------------------------------------------
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)


@pytest.mark.parametrize("slope", [0.2, 0, 1, 0.01])
def test_leaky_relu_gain_with_slope(slope):
    assert init.calculate_gain("leaky_relu", slope) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)


@pytest.mark.parametrize(("args", "match"), [
    (("gelu",), "unsupported nonlinearity 'gelu'"),
    (("leaky_relu", True), "negative_slope True"),
    (("leaky_relu", "x"), "negative_slope 'x'"),
])
def test_calculate_gain_rejects(args, match):
    with pytest.raises(ValueError, match=match):
        init.calculate_gain(*args)


# ---- distributions -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_uniform(shape, gain):
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    for a in both("xavier_uniform_", shape, gain=gain):
        check_uniform(a, -bound, bound)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_normal(shape, gain):
    fan_in, fan_out = fans(shape)
    for a in both("xavier_normal_", shape, gain=gain):
        check_normal(a, 0.0, gain * math.sqrt(2 / (fan_in + fan_out)))


KAIMING = [
    ("fan_in", "leaky_relu", 0.0), ("fan_in", "leaky_relu", 0.3), ("fan_out", "relu", 0.0),
    ("fan_out", "leaky_relu", math.sqrt(5)), ("fan_in", "linear", 0.0), ("fan_out", "tanh", 0.0),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("mode", "nonlinearity", "a"), KAIMING)
def test_kaiming_uniform(shape, mode, nonlinearity, a):
    fan = fans(shape)[mode == "fan_out"]
    bound = torch.nn.init.calculate_gain(nonlinearity, a) * math.sqrt(3 / fan)
    for arr in both("kaiming_uniform_", shape, a=a, mode=mode, nonlinearity=nonlinearity):
        check_uniform(arr, -bound, bound)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("mode", "nonlinearity", "a"), KAIMING)
def test_kaiming_normal(shape, mode, nonlinearity, a):
    fan = fans(shape)[mode == "fan_out"]
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    for arr in both("kaiming_normal_", shape, a=a, mode=mode, nonlinearity=nonlinearity):
        check_normal(arr, 0.0, std)


def test_kaiming_defaults_are_torch_defaults():
    """a=0, mode='fan_in', nonlinearity='leaky_relu': std sqrt(2 / fan_in)."""
    for arr in both("kaiming_normal_", (400, 300)):
        check_normal(arr, 0.0, math.sqrt(2 / 300))


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-3.0, -1.0), (2.0, 7.0)])
def test_uniform(low, high):
    for a in both("uniform_", (400, 300), low, high):
        check_uniform(a, low, high)


def test_uniform_defaults_to_0_1():
    for a in both("uniform_", (400, 300)):
        check_uniform(a, 0.0, 1.0)


@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (3.0, 0.5), (-2.0, 4.0)])
def test_normal(mean, std):
    for a in both("normal_", (400, 300), mean, std):
        check_normal(a, mean, std)


@pytest.mark.parametrize(("fn", "args", "value"), [
    ("zeros_", (), 0.0), ("ones_", (), 1.0), ("constant_", (0.25,), 0.25),
    ("constant_", (-7,), -7.0)])
def test_constant_fills(fn, args, value):
    for a in both(fn, (3, 4, 5), *args):
        np.testing.assert_array_equal(a, np.full((3, 4, 5), value))


def test_init_writes_in_place_into_a_parameter_of_any_dtype():
    p = nn.Parameter(np.zeros((50, 40)))  # float64
    data = p.numpy()
    init.xavier_uniform_(p)
    assert p.numpy() is data and p.dtype == np.float64 and p.requires_grad and p.is_leaf
    assert np.unique(p.numpy()).size == p.numpy().size  # float64 draws, not float32 ones


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                "kaiming_normal_"])
def test_fan_based_init_needs_2_dims(fn):
    with pytest.raises(ValueError, match=r"at least 2 dims, got shape \(5,\)"):
        getattr(init, fn)(ag.zeros(5))


def test_kaiming_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(ag.zeros(3, 3), mode="fan_avg")


# ---- layers' default init ------------------------------------------------------------------
LAYERS = [
    ("Linear", (400, 300), 400),
    ("Conv2d", (64, 128, 3), 64 * 9),
    ("Conv2d", (64, 128, (3, 5)), 64 * 15),
    ("Conv2d", (64, 128, 3, 1, 0, 1, 4), 16 * 9),  # groups=4: fan_in = in / groups * k * k
]


@pytest.mark.parametrize(("layer", "args", "fan_in"), LAYERS)
def test_layer_default_init_matches_torch(layer, args, fan_in):
    """kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    bound = 1 / math.sqrt(fan_in)
    ours, theirs = getattr(nn, layer)(*args), getattr(torch.nn, layer)(*args)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    for module in (ours, theirs):
        w = np.asarray(module.weight.detach().numpy(), np.float64)
        check_uniform(w, -bound, bound)
        assert w.std() == pytest.approx(1 / math.sqrt(3 * fan_in), rel=0.02)
        b = np.asarray(module.bias.detach().numpy(), np.float64)
        assert b.min() >= -bound and b.max() <= bound
        assert b.min() < -0.5 * bound and b.max() > 0.5 * bound  # spread over the range


def test_layer_init_reproducible_after_manual_seed():
    def draw():
        lin, conv = nn.Linear(20, 10), nn.Conv2d(3, 4, 3)
        return [p.numpy().copy() for p in (*lin.parameters(), *conv.parameters())]

    ag.manual_seed(123)
    first = draw()
    ag.manual_seed(123)
    second = draw()
    ag.manual_seed(124)
    third = draw()
    for a, b, c in zip(first, second, third):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                "kaiming_normal_", "uniform_", "normal_"])
def test_init_reproducible_after_manual_seed(fn):
    def draw():
        return getattr(init, fn)(ag.zeros(30, 20)).numpy().copy()

    ag.manual_seed(7)
    a = draw()
    b = draw()
    ag.manual_seed(7)
    np.testing.assert_array_equal(a, draw())
    assert not np.array_equal(a, b)
