"""softplus: a primitive with PyTorch's beta/threshold semantics, exact at 0 and stable at ±1e4."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import autograd as ag

from helpers import UNARY_SHAPES, OpCase, assert_close, cases, check_gradcheck, check_parity

# 0 (the kink of relu and abs in the composed form), ±1e4, and either side of the threshold.
EDGES = [0.0, -0.0, 1e4, -1e4, 19.5, 20.0, 20.5, -20.0, 1.0, -1.0, 88.0, -88.0, 1e-8]

SOFTPLUS = [
    OpCase("softplus", ag.softplus, F.softplus, UNARY_SHAPES),
    OpCase("softplus_method", lambda a: a.softplus(), F.softplus, [((2, 3),)]),
    OpCase("softplus_beta", lambda a: ag.softplus(a, beta=2.0, threshold=5.0),
           lambda a: F.softplus(a, beta=2.0, threshold=5.0), [((3, 4),)]),
    OpCase("softplus_zero", ag.softplus, F.softplus, data=[[0.0, 0.0]]),
    OpCase("softplus_edges", ag.softplus, F.softplus, data=[EDGES]),
    # a low threshold makes the linear branch visible: its gradient is 1, not sigmoid(x)
    OpCase("softplus_threshold", lambda a: ag.softplus(a, beta=1.5, threshold=2.0),
           lambda a: F.softplus(a, beta=1.5, threshold=2.0), data=[[0.0, 1.0, 4 / 3, 1.5, 3.0]]),
]


@pytest.mark.parametrize("case,shapes", cases(SOFTPLUS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_matches_torch(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize("case,shapes", cases(SOFTPLUS[:3]))
def test_softplus_gradcheck(case, shapes):
    check_gradcheck(case.ours, case.inputs(shapes))


@pytest.mark.parametrize("x", [0.0, -3.0, 2.5, 19.0, -19.0, 21.0])
def test_softplus_gradcheck_at_points(x):
    check_gradcheck(ag.softplus, [np.array([x])])


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_softplus_derivative_at_zero_is_exactly_half(dtype):
    x = ag.tensor([0.0], dtype=dtype, requires_grad=True)
    ag.softplus(x).sum().backward()
    assert x.grad.numpy().tolist() == [0.5]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_second_derivative_matches_torch(dtype):
    data = np.array([0.0, -2.0, 3.0, 19.0, 25.0, -1e4, 1e4], dtype)
    x = ag.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    (g,) = ag.grad(ag.softplus(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(F.softplus(tx).sum(), tx, create_graph=True)
    assert_close(g, tg, dtype, "first derivative")
    (h,) = ag.grad(g.sum(), x)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    assert_close(h, th, dtype, "second derivative")
    check_gradcheck(lambda t: ag.grad(ag.softplus(t).sum(), t, create_graph=True)[0],
                    [data.astype(np.float64)[:5]])


def test_softplus_is_finite_and_warns_nothing_at_extremes():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = ag.tensor([-1e4, 1e4, -np.inf, np.inf], dtype=ag.float32, requires_grad=True)
        y = ag.softplus(x)
        y.sum().backward()
    assert y.numpy().tolist() == [0.0, 1e4, 0.0, np.inf]
    assert x.grad.numpy().tolist() == [0.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize("dtype", [ag.int64, ag.bool])
def test_softplus_refuses_non_float(dtype):
    with pytest.raises(TypeError, match=r"softplus: expected a floating point tensor.*"):
        ag.softplus(ag.tensor([1, 0], dtype=dtype))
