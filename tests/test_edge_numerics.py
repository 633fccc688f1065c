"""Silent wrong answers from issue 14, each against PyTorch: kinks, NaN, empty dims, dtypes."""

import warnings

import numpy as np
import pytest
import torch

import autograd as ag

from helpers import OpCase, assert_close, cases, check_gradcheck, check_parity

NAN, INF = float("nan"), float("inf")

# Rows at the kinks: exact points where a part of the op is not smooth, or where 0 * inf lurks.
KINKS = [
    # std/var of a constant: var' = 0 there and sqrt'(0) = inf; PyTorch's gradient is 0.
    OpCase("std_const", lambda a: a.std(), lambda a: a.std(), data=[[2.0, 2.0, 2.0]]),
    OpCase("var_const", lambda a: a.var(), lambda a: a.var(), data=[[2.0, 2.0, 2.0]]),
    OpCase("std_const_row", lambda a: a.std(dim=1), lambda a: a.std(dim=1),
           data=[[[2.0, 2.0], [1.0, 3.0]]]),
    OpCase("std_biased_single", lambda a: a.std(unbiased=False),
           lambda a: a.std(unbiased=False), data=[[5.0]]),
    OpCase("std_keepdim_const", lambda a: a.std(dim=0, keepdim=True),
           lambda a: a.std(dim=0, keepdim=True), data=[[[1.0, 4.0], [1.0, 2.0]]]),
    # pow at base 0: exponent negative, zero, fractional, one, two, tensor and scalar sides.
    OpCase("pow_zero_base", lambda a, b: a**b, torch.pow,
           data=[[0.0, 0.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.5, 1.0, 2.0]]),
    OpCase("pow_scalar_zero_base", lambda b: 0.0**b, lambda b: 0.0**b,
           data=[[-1.0, 0.0, 0.5, 1.0, 2.0]]),
    OpCase("pow_scalar_base", lambda b: 2.0**b, lambda b: 2.0**b, data=[[-1.0, 0.0, 1.0]]),
    OpCase("pow_zero_to_0", lambda a: a**0.0, lambda a: a**0.0, data=[[0.0, 1.0, -2.0]]),
    OpCase("pow_zero_to_int0", lambda a: a**0, lambda a: a**0, data=[[0.0, 1.0]]),
    OpCase("pow_zero_to_neg", lambda a: a**-1.0, lambda a: a**-1.0, data=[[0.0, 2.0]]),
    OpCase("pow_zero_to_half", lambda a: a**0.5, lambda a: a**0.5, data=[[0.0, 4.0]]),
    OpCase("pow_zero_to_1", lambda a: a**1.0, lambda a: a**1.0, data=[[0.0, -1.0]]),
    OpCase("pow_zero_to_2", lambda a: a**2, lambda a: a**2, data=[[0.0, -1.0]]),
    # NaN inside max/min: max() sends the gradient to the NaN(s); amax's is NaN everywhere.
    OpCase("max_nan", lambda a: a.max(), lambda a: a.max(), data=[[1.0, NAN, 3.0]]),
    OpCase("min_nan", lambda a: a.min(), lambda a: a.min(), data=[[1.0, NAN, 3.0]]),
    OpCase("max_two_nans", lambda a: a.max(), lambda a: a.max(), data=[[NAN, 2.0, NAN]]),
    OpCase("amax_nan", lambda a: a.amax(), lambda a: a.amax(), data=[[1.0, NAN, 3.0]]),
    OpCase("amin_nan", lambda a: a.amin(dim=0), lambda a: a.amin(dim=0), data=[[1.0, NAN]]),
    OpCase("max_dim_nan", lambda a: a.max(dim=1)[0], lambda a: a.max(dim=1)[0],
           data=[[[1.0, NAN, 3.0], [4.0, 5.0, 6.0]]]),
    OpCase("min_dim_nan", lambda a: a.min(dim=0)[0], lambda a: a.min(dim=0)[0],
           data=[[[1.0, NAN], [0.0, 2.0]]]),
    OpCase("max_ties", lambda a: a.max(), lambda a: a.max(), data=[[2.0, 2.0, 1.0]]),
    # logsumexp's max shift is a constant, so ties and -inf keep the true gradient softmax(x).
    OpCase("logsumexp_ties", lambda a: a.logsumexp(dim=0), lambda a: a.logsumexp(0),
           data=[[1.0, 1.0, 1.0]]),
    OpCase("logsumexp_big_ties", lambda a: a.logsumexp(dim=1), lambda a: a.logsumexp(1),
           data=[[[1e4, 1e4], [-1e4, -1e4]]]),
    OpCase("logsumexp_neg_inf", lambda a: a.logsumexp(dim=0), lambda a: a.logsumexp(0),
           data=[[-INF, 0.0, -INF]]),
    # empty dims: NaN as PyTorch (var and std divide by max(0, n - 1))
    OpCase("var_empty", lambda a: a.var(dim=0), lambda a: a.var(dim=0), data=[np.zeros((0, 3))]),
    OpCase("std_empty", lambda a: a.std(dim=0), lambda a: a.std(dim=0), data=[np.zeros((0, 3))]),
    OpCase("mean_empty", lambda a: a.mean(dim=0), lambda a: a.mean(dim=0),
           data=[np.zeros((0, 3))]),
    OpCase("mean_all_empty", lambda a: a.mean(), lambda a: a.mean(), data=[np.zeros((0,))]),
    OpCase("var_all_empty", lambda a: a.var(unbiased=False), lambda a: a.var(unbiased=False),
           data=[np.zeros((0,))]),
    OpCase("var_single", lambda a: a.var(), lambda a: a.var(), data=[[3.0]]),
    OpCase("std_single", lambda a: a.std(), lambda a: a.std(), data=[[3.0]]),
    OpCase("sum_empty", lambda a: a.sum(dim=0), lambda a: a.sum(dim=0), data=[np.zeros((0, 3))]),
]


@pytest.mark.parametrize("case,shapes", cases(KINKS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kinks_match_torch(case, shapes, dtype):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*degrees of freedom", UserWarning)  # torch's var
        warnings.filterwarnings("ignore", ".*divide by zero", RuntimeWarning)  # 0 ** -1 = inf
        check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize("op", ["var", "std", "mean"])
def test_empty_and_constant_reductions_warn_nothing(op):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in (np.zeros((0, 3)), np.full((3, 2), 2.0)):
            x = ag.tensor(data, requires_grad=True)
            getattr(x, op)(dim=0).sum().backward()


SMOOTH = [  # the primitives that replaced kinked compositions, away from and at the kink
    OpCase("std", lambda a: a.std(), lambda a: a.std(), [((3,),), ((2, 3, 4),)]),
    OpCase("std_dim", lambda a: a.std(dim=(0, 2), keepdim=True),
           lambda a: a.std(dim=(0, 2), keepdim=True), [((2, 3, 4),)]),
    OpCase("std_biased", lambda a: a.std(dim=-1, unbiased=False),
           lambda a: a.std(dim=-1, unbiased=False), [((3, 5),)]),
]


@pytest.mark.parametrize("case,shapes", cases(SMOOTH))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_std_matches_torch(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize("case,shapes", cases(SMOOTH))
def test_std_gradcheck(case, shapes):
    check_gradcheck(case.ours, case.inputs(shapes))


def test_std_is_twice_differentiable():
    data = [np.random.default_rng(0).standard_normal((2, 5))]
    check_gradcheck(lambda t: ag.grad(t.std(dim=1).sum(), t, create_graph=True)[0], data)


def test_std_double_backward_at_a_constant_row_is_finite():
    x = ag.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(x.std(dim=1).sum(), x, create_graph=True)
    (h,) = ag.grad((g * g).sum(), x)
    assert np.isfinite(h.numpy()).all() and not h.numpy()[0].any()


# ---- float16: accumulate in float32, as PyTorch ----------------------------------------------
F16 = [
    ("mean", lambda t: t.mean(), [60000.0, 60000.0]),
    ("mean_dim", lambda t: t.mean(dim=1), [[60000.0, 60000.0], [1.0, 2.0]]),
    ("sum", lambda t: t.sum(), [60000.0, 60000.0, -60000.0]),
    ("var", lambda t: t.var(), [100.0, -100.0] * 500),
    ("std", lambda t: t.std(), [100.0, -100.0] * 500),
    ("var_biased", lambda t: t.var(unbiased=False), [200.0, -200.0, 150.0, -150.0]),  # 125000
]


@pytest.mark.parametrize("name,fn,data", F16, ids=[r[0] for r in F16])
def test_float16_reductions_match_torch(name, fn, data):
    x = ag.tensor(np.array(data, np.float16), requires_grad=True)
    tx = torch.tensor(np.array(data, np.float16), requires_grad=True)
    out, tout = fn(x), fn(tx)
    assert out.dtype == ag.float16 and np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(out.numpy().astype(np.float64), tout.detach().double().numpy(),
                               rtol=1e-3)  # float16 keeps 11 bits: one rounding of the result
    out.sum().backward()
    tout.sum().backward()
    assert x.grad.dtype == ag.float16
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64), tx.grad.double().numpy(),
                               rtol=2e-3, atol=1e-6)


# ---- dtypes of the float-producing unary functions -------------------------------------------
UNARY = ["exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid"]
INT_DTYPES = [(np.bool_, torch.bool), (np.uint8, torch.uint8), (np.int8, torch.int8),
              (np.int16, torch.int16), (np.int32, torch.int32), (np.int64, torch.int64)]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtypes", INT_DTYPES, ids=[str(t) for _, t in INT_DTYPES])
def test_unary_of_bool_and_ints_is_float32_as_torch(op, dtypes):
    np_dtype, torch_dtype = dtypes
    values = [1, 0, 1] if np_dtype is np.bool_ else [1, 2, 20, 50]
    if np_dtype is np.uint8:
        values.append(200)  # -|x| of a uint8 wraps around: sigmoid must not compute it
    data = np.array(values, np_dtype)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "(overflow|divide by zero)", RuntimeWarning)  # as torch
        ours = getattr(ag, op)(ag.tensor(data))
    theirs = getattr(torch, op)(torch.tensor(data, dtype=torch_dtype))
    assert ours.dtype == ag.float32
    assert_close(ours, theirs, np.float32, f"{op} of {np_dtype.__name__}")


def test_sigmoid_of_uint8_does_not_wrap():
    x = ag.tensor(np.array([0, 1, 200, 255], np.uint8))
    ref = torch.sigmoid(torch.tensor([0, 1, 200, 255], dtype=torch.uint8))
    assert_close(ag.sigmoid(x), ref, np.float32, "sigmoid of uint8")


@pytest.mark.parametrize("np_dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_relu_keeps_the_int_dtype(np_dtype):
    data = np.array([0, 3, 7] if np_dtype is np.uint8 else [-3, 0, 7], np_dtype)
    out = ag.relu(ag.tensor(data))
    ref = torch.relu(torch.tensor(data))
    assert out.dtype == np_dtype
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_relu_of_bool_raises_as_torch():
    with pytest.raises(TypeError, match="relu: bool tensors are not supported"):
        ag.relu(ag.tensor([True, False]))


def test_unary_of_floats_keeps_the_dtype():
    for dtype in (ag.float16, ag.float32, ag.float64):
        for op in UNARY:
            assert getattr(ag, op)(ag.tensor([0.5, 1.0], dtype=dtype)).dtype == dtype


def test_amax_of_nan_has_a_nan_gradient_without_a_warning():
    x = ag.tensor([1.0, NAN, 3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.amax().backward()
    assert np.isnan(x.grad.numpy()).all()  # as PyTorch's amax
