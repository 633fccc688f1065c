"""Conv2d, MaxPool2d and AvgPool2d against torch.nn with the same weights (forward, input and
parameter gradients, float64 and float32), gradcheck of their functionals, and bad input."""

import itertools

import numpy as np
import pytest
import torch
from test_nn_layers import DTYPES, check_module, normal

import autograd as ag
import nn
import nn.functional as F

from helpers import check_gradcheck

KERNELS = [(1, 1), (3, 3), (2, 5)]
# Every kernel x stride x padding x dilation x groups; bias alternates so that each kernel,
# stride, padding, dilation and groups value is seen both with and without it.
CONV_GRID = [
    pytest.param(k, s, p, d, g, i % 2 == 0,
                 id=f"k{k[0]}x{k[1]}-s{s}-p{p}-d{d}-g{g}-bias{1 - i % 2}")
    for i, (k, s, p, d, g) in enumerate(
        itertools.product(KERNELS, (1, 2, 3), (0, 1, 2), (1, 2), (1, 2, 4)))
]
CONV_GRID += [  # different values per spatial dim
    pytest.param((3, 2), (1, 2), (2, 0), (2, 1), 2, True, id="asym-a"),
    pytest.param((2, 3), (3, 1), (0, 1), (1, 2), 4, False, id="asym-b"),
]


@pytest.mark.parametrize("kernel,stride,padding,dilation,groups,bias", CONV_GRID)
def test_conv2d_matches_torch(kernel, stride, padding, dilation, groups, bias):
    x = normal(2, 4, 7, 9)
    for dtype in DTYPES:
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
        ours = nn.Conv2d(4, 8, kernel, **kw)
        assert ours.weight.shape == (8, 4 // groups, *kernel)
        check_module(ours, torch.nn.Conv2d(4, 8, kernel, **kw), x, dtype)


@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    ((3, 3), 1, 1, 1), ((2, 5), (1, 2), (0, 2), 1), ((3, 2), (2, 1), 1, (2, 1)), ((1, 1), 1, 0, 1),
])
def test_single_channel_conv2d_matches_torch(kernel, stride, padding, dilation):
    """One input channel gathers its windows window-major (stride 1 along W) or window by
    window (otherwise); both must agree with torch, the input's gradient included."""
    x = normal(3, 1, 8, 9)
    for dtype in DTYPES:
        kw = dict(stride=stride, padding=padding, dilation=dilation)
        check_module(nn.Conv2d(1, 4, kernel, **kw), torch.nn.Conv2d(1, 4, kernel, **kw), x, dtype)


def test_conv2d_in_a_net_matches_torch():
    ours = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 4, 2, groups=2), nn.Flatten(), nn.Linear(16, 3))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 4, 2, groups=2), torch.nn.Flatten(), torch.nn.Linear(16, 3))
    for dtype in DTYPES:
        check_module(ours, theirs, normal(2, 3, 6, 7), dtype)


# ---- pooling ---------------------------------------------------------------------------------
def _pool_input(kind, shape=(2, 3, 7, 9)):
    x = normal(*shape, seed=4)
    if kind == "relu":  # many zeros: windows tie, torch sends the gradient to one element
        return np.maximum(x, 0)
    if kind == "ints":  # ties among equal positive and negative values too
        return np.round(x).clip(-1, 1)
    return x


POOL_GEOMETRY = list(itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1]))


@pytest.mark.parametrize("kind", ["normal", "relu", "ints"])
@pytest.mark.parametrize("kernel,stride,padding", POOL_GEOMETRY)
def test_max_pool2d_matches_torch(kernel, stride, padding, kind):
    x = _pool_input(kind)
    for dtype in DTYPES:
        check_module(nn.MaxPool2d(kernel, stride, padding),
                     torch.nn.MaxPool2d(kernel, stride, padding), x, dtype)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel,stride,padding", POOL_GEOMETRY)
def test_avg_pool2d_matches_torch(kernel, stride, padding, count_include_pad):
    x = normal(2, 3, 7, 9, seed=4)
    for dtype in DTYPES:
        check_module(nn.AvgPool2d(kernel, stride, padding, count_include_pad),
                     torch.nn.AvgPool2d(kernel, stride, padding,
                                        count_include_pad=count_include_pad), x, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pools_accept_unbatched_input(dtype):
    x = _pool_input("relu", (3, 5, 6))
    check_module(nn.MaxPool2d(2, 1, 1), torch.nn.MaxPool2d(2, 1, 1), x, dtype)
    check_module(nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                 torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), x, dtype)


def test_max_pool2d_tie_gradient_goes_to_one_element():
    x = ag.zeros(1, 1, 4, 4, requires_grad=True)
    nn.MaxPool2d(2)(x).sum().backward()
    assert x.grad.numpy().sum() == 4 and np.count_nonzero(x.grad.numpy()) == 4


# ---- gradcheck of the functionals --------------------------------------------------------------
def _distinct(*shape):
    """Distinct values 0.1 apart: no two tie within gradcheck's step."""
    return np.random.default_rng(2).permutation(np.prod(shape)).reshape(shape) * 0.1 - 3.0


CONV_FUNCTIONAL = [
    ("plain", {}, (1, 2, 5, 6), (3, 2, 3, 3)),
    ("stride2-pad1", dict(stride=2, padding=1), (2, 2, 5, 6), (3, 2, 3, 2)),
    ("dilation2", dict(dilation=2, padding=(1, 2)), (1, 2, 6, 5), (2, 2, 2, 3)),
    ("groups2", dict(groups=2, stride=(1, 2)), (1, 4, 5, 5), (4, 2, 3, 3)),
    ("depthwise", dict(groups=4, padding=1, dilation=(2, 1)), (1, 4, 4, 5), (8, 1, 2, 2)),
    ("one-channel", dict(padding=1), (2, 1, 5, 6), (3, 1, 3, 3)),
    ("one-channel-dilated", dict(dilation=(1, 2), stride=(2, 1)), (1, 1, 6, 7), (2, 1, 2, 3)),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name,kw,xshape,wshape", CONV_FUNCTIONAL,
                         ids=[c[0] for c in CONV_FUNCTIONAL])
def test_conv2d_gradcheck(name, kw, xshape, wshape, bias):
    arrays = [normal(*xshape), normal(*wshape, seed=1)]
    if bias:
        check_gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), arrays + [normal(wshape[0])])
    else:
        check_gradcheck(lambda x, w: F.conv2d(x, w, **kw), arrays)


POOL_FUNCTIONAL = [
    ("max", lambda x: F.max_pool2d(x, 2)),
    ("max-overlap-pad", lambda x: F.max_pool2d(x, 3, stride=2, padding=1)),
    ("avg", lambda x: F.avg_pool2d(x, (2, 3), stride=1)),
    ("avg-pad", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1)),
    ("avg-pad-exclude", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
]


@pytest.mark.parametrize("name,fn", POOL_FUNCTIONAL, ids=[c[0] for c in POOL_FUNCTIONAL])
def test_pool_gradcheck(name, fn):
    check_gradcheck(fn, [_distinct(2, 2, 5, 6)])


# ---- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(7, 7), (4, 7), (1, 2, 4, 7, 7), (2, 3, 7, 7), (2, 8, 7, 7)],
                         ids=["rank2", "rank2b", "rank5", "channels3", "channels8"])
def test_conv2d_rejects_wrong_rank_or_channels(shape):
    m = nn.Conv2d(4, 8, 3)
    with pytest.raises(ValueError) as info:
        m(ag.ones(*shape))
    msg = str(info.value)
    for fragment in ("Conv2d", "(N, 4, H, W)", str(shape)):
        assert fragment in msg, f"{fragment!r} not in {msg!r}"


def test_conv2d_functional_rejects_channel_mismatch():
    with pytest.raises(ValueError, match=r"conv2d: .*groups=2 expects 4 input channels.*"
                                         r"\(1, 3, 5, 5\)"):
        F.conv2d(ag.ones(1, 3, 5, 5), ag.ones(4, 2, 3, 3), groups=2)
