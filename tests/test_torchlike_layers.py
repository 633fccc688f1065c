"""Issue 17's layers and functions against torch: erf (a new primitive), GELU, ELU, LayerNorm,
Embedding, AdaptiveAvgPool2d, Dropout2d, one_hot, smooth-L1 and Huber losses (their kinks
included), and the containers' names in named_parameters / state_dict."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd as ag
import nn
import nn.functional as F
from autograd.ops.special import erf

from helpers import assert_close, check_gradcheck, check_parity

DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def _normal(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


# ---- erf: the new primitive ---------------------------------------------------------------
ERF_POINTS = np.concatenate([
    np.linspace(-7, 7, 2001), [0.0, -0.0, 0.46875, -0.46875, 0.4687501, 4.0, -4.0, 4.0000001,
                               1e-300, -1e-20, 5.9, 26.0, 27.0, -30.0, 1e10]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_forward_matches_torch_to_rounding(dtype):
    x = ERF_POINTS.astype(dtype)
    ours, theirs = erf(ag.tensor(x)).numpy(), torch.erf(torch.tensor(x)).numpy()
    assert ours.dtype == theirs.dtype == dtype
    # float64: Cody's approximation is within a few ulp; float32: ours is computed in float64
    # and rounded once, torch's float32 kernel is within an ulp or two of the true value
    ulps = 4 if dtype == np.float64 else 2
    np.testing.assert_allclose(ours, theirs, rtol=ulps * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)
    assert np.signbit(erf(ag.tensor(np.array([-0.0], dtype))).numpy()[0])


def test_erf_keeps_nan_and_infinities():
    out = erf(ag.tensor([np.nan, np.inf, -np.inf], dtype=ag.float64)).numpy()
    assert np.isnan(out[0]) and out[1] == 1.0 and out[2] == -1.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4), (0, 3)])
def test_erf_parity_and_gradcheck(dtype, shape):
    x = _normal(*shape, seed=len(shape), scale=1.5)
    check_parity(erf, torch.erf, [x], dtype)
    if dtype == np.float64:
        check_gradcheck(erf, [x])


def test_erf_second_derivative_gradcheck_and_errors():
    x = ag.tensor([-2.0, -0.3, 0.0, 0.5, 3.0], dtype=ag.float64, requires_grad=True)

    def first(v):
        (g,) = ag.grad(erf(v).sum(), v, create_graph=True)
        return g

    assert ag.gradcheck(first, [x])
    with pytest.raises(TypeError, match="erf: expected a floating point tensor, got dtype int64"):
        erf(ag.tensor([1, 2]))
    with pytest.raises(TypeError, match="erf: expected a Tensor, got list"):
        erf([1.0])


# ---- activations ---------------------------------------------------------------------------
ACT_POINTS = np.array([-30.0, -5.0, -1.0, -1e-3, -1e-7, 0.0, 1e-7, 1e-3, 0.7, 3.0, 30.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_and_gradcheck(dtype, approximate):
    for x in (ACT_POINTS, _normal(2, 3, 4, seed=3, scale=2)):
        check_parity(lambda v: F.gelu(v, approximate),
                     lambda v: TF.gelu(v, approximate=approximate), [x], dtype)
    if dtype == np.float64:
        check_gradcheck(lambda v: F.gelu(v, approximate=approximate), [ACT_POINTS])
    m, tm = nn.GELU(approximate), torch.nn.GELU(approximate)
    assert repr(m) == repr(tm)
    check_parity(m, tm, [ACT_POINTS], dtype)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        nn.GELU("erf")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha", [1.0, 2.5, 0.3])
def test_elu_matches_torch_at_zero_tiny_and_large_inputs(dtype, alpha):
    for x in (ACT_POINTS, np.array([0.0, 0.0]), _normal(3, 4, seed=4, scale=3)):
        check_parity(lambda v: F.elu(v, alpha), lambda v: TF.elu(v, alpha), [x], dtype)
    m, tm = nn.ELU(alpha), torch.nn.ELU(alpha)
    assert repr(m) == repr(tm)
    check_parity(m, tm, [ACT_POINTS], dtype)
    away_from_zero = ACT_POINTS[np.abs(ACT_POINTS) > 1e-4]
    check_gradcheck(lambda v: F.elu(v, alpha), [away_from_zero])


def test_elu_of_a_tiny_negative_is_relatively_exact_in_float32():
    x = np.array([-1e-6, -3e-8], np.float32)
    ours = F.elu(ag.tensor(x)).numpy()
    np.testing.assert_allclose(ours, np.expm1(x.astype(np.float64)), rtol=2 * 2.0**-24)


# ---- LayerNorm -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((6,), [6]),
                                              ((2, 3, 1), 1)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_module_matches_torch(dtype, shape, normalized, affine, bias):
    m = nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias)
    tm = torch.nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias)
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    rng = np.random.default_rng(7)
    for p in m.parameters():
        p.data[...] = rng.uniform(-1, 1, p.shape)
    m.to(dtype)
    tm.to(TORCH_DTYPE[dtype]).load_state_dict({k: torch.tensor(v.numpy())
                                               for k, v in m.state_dict().items()})
    x = _normal(*shape, seed=8, scale=3) + 2
    xo, xt = ag.tensor(x.astype(dtype), requires_grad=True), torch.tensor(x.astype(dtype),
                                                                          requires_grad=True)
    out, tout = m(xo), tm(xt)
    assert_close(out, tout, dtype, "forward")
    g = _normal(*shape, seed=9).astype(dtype)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xo.grad, xt.grad, dtype, "input grad")
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tparams[name].grad, dtype, f"grad of {name}")


def test_layer_norm_functional_gradcheck_and_errors():
    x, w, b = _normal(3, 4, seed=1), _normal(4, seed=2), _normal(4, seed=3)
    check_gradcheck(lambda v, ww, bb: F.layer_norm(v, (4,), ww, bb, 1e-5), [x, w, b])
    check_parity(lambda v, ww, bb: F.layer_norm(v, [4], ww, bb),
                 lambda v, ww, bb: TF.layer_norm(v, [4], ww, bb), [x, w, b], np.float32)
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(3, 4\) must end in "
                                         r"normalized_shape \(3,\)"):
        F.layer_norm(ag.randn(3, 4), 3)


# ---- Embedding and one_hot -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding_matches_torch_and_padding_row_gets_no_gradient(dtype, padding_idx):
    m = nn.Embedding(5, 3, padding_idx=padding_idx)
    tm = torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    assert repr(m) == repr(tm) and m.padding_idx == tm.padding_idx
    if padding_idx is not None:
        assert not m.weight.data[padding_idx].any()  # initialised to zero, as torch
    m.weight.data[...] = _normal(5, 3, seed=5)  # nonzero everywhere: the row's grad must be 0
    m.to(dtype)
    tm.to(TORCH_DTYPE[dtype]).load_state_dict({"weight": torch.tensor(m.weight.numpy())})
    idx = np.array([[0, 3, 3, 4], [1, 0, 4, 3]])
    out, tout = m(ag.tensor(idx)), tm(torch.tensor(idx))
    assert_close(out, tout, dtype, "forward")
    g = _normal(2, 4, 3, seed=6).astype(dtype)
    out.backward(ag.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(m.weight.grad, tm.weight.grad, dtype, "weight grad (repeats accumulate)")
    if padding_idx is not None:
        assert not m.weight.grad.data[padding_idx].any()
    check_parity(lambda w: F.embedding(ag.tensor(idx), w, padding_idx),
                 lambda w: TF.embedding(torch.tensor(idx), w, padding_idx), [_normal(5, 3)],
                 dtype)


def test_embedding_gradcheck_from_pretrained_and_errors():
    idx = ag.tensor([2, 0, 2])
    check_gradcheck(lambda w: F.embedding(idx, w), [_normal(4, 2)])  # (padding: no grad by design)
    w = ag.tensor(_normal(4, 2))
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and np.array_equal(m.weight.data, w.data)
    assert m.weight.data is not w.data
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match=r"embedding: index 5 is out of range for 5 embeddings"):
        nn.Embedding(5, 2)(ag.tensor([1, 5]))
    with pytest.raises(TypeError, match="embedding: expected integer indices"):
        nn.Embedding(5, 2)(ag.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="Embedding: max_norm=1.0 is not supported"):
        nn.Embedding(5, 2, max_norm=1.0)
    with pytest.raises(NotImplementedError, match="embedding: sparse=True is not supported"):
        F.embedding(ag.tensor([1]), w, sparse=True)
    positional = nn.Embedding(4, 2, None, None, 2.0, False, False, w)  # torch's order
    assert np.array_equal(positional.weight.data, w.data)


@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5),
                                                ([], 3), (4, -1)])
def test_one_hot_matches_torch(values, num_classes):
    ours = F.one_hot(ag.tensor(np.array(values, np.int64)), num_classes)
    theirs = TF.one_hot(torch.tensor(np.array(values, np.int64)), num_classes)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_one_hot_errors_name_the_values():
    with pytest.raises(ValueError, match="smaller than num_classes=3, got 5"):
        F.one_hot(ag.tensor([1, 5]), 3)
    with pytest.raises(ValueError, match="non-negative, got -1"):
        F.one_hot(ag.tensor([-1, 0]), 3)
    with pytest.raises(ValueError, match="cannot infer the number of classes from an empty"):
        F.one_hot(ag.tensor(np.zeros(0, np.int64)))
    with pytest.raises(TypeError, match="one_hot: expected an int64"):
        F.one_hot(ag.tensor([1.0]), 3)


# ---- AdaptiveAvgPool2d ---------------------------------------------------------------------
POOL_CASES = [((2, 3, 6, 6), (3, 2)), ((1, 2, 5, 7), (3, 4)), ((2, 1, 4, 4), 1),
              ((1, 1, 3, 3), (5, 4)), ((3, 7, 5), (2, None)), ((1, 2, 9, 8), (None, 3)),
              ((0, 2, 4, 4), 2)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,size", POOL_CASES)
def test_adaptive_avg_pool2d_matches_torch(dtype, shape, size):
    x = _normal(*shape, seed=11)
    check_parity(lambda v: F.adaptive_avg_pool2d(v, size),
                 lambda v: TF.adaptive_avg_pool2d(v, size), [x], dtype)
    m, tm = nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size)
    assert repr(m) == repr(tm)
    check_parity(m, tm, [x], dtype)
    if dtype == np.float64 and x.size:
        check_gradcheck(lambda v: F.adaptive_avg_pool2d(v, size), [x])


def test_adaptive_avg_pool2d_errors():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected input of shape"):
        F.adaptive_avg_pool2d(ag.randn(4, 4), 2)
    with pytest.raises(ValueError, match="output height must be a positive int"):
        F.adaptive_avg_pool2d(ag.randn(1, 4, 4), (0, 2))


# ---- Dropout2d -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(64, 32, 3, 2), (64, 32, 5)])
def test_dropout2d_zeroes_whole_channels_at_rate_p(shape):
    p = 0.3
    x = ag.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    out = nn.Dropout2d(p)(x)
    ratio = np.round(out.data / x.data, 12)  # 0 or 1/(1-p), up to the division's rounding
    per_plane = ratio.reshape(shape[0], shape[1], -1)
    assert np.all(per_plane.min(-1) == per_plane.max(-1)), "a channel was partly zeroed"
    values = set(np.unique(per_plane))
    assert values <= {0.0, round(1 / (1 - p), 12)}
    dropped = (per_plane[..., 0] == 0).mean()
    n = shape[0] * shape[1]
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / n)  # 4 sigma of a binomial
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, ratio, rtol=1e-12)  # the gradient is the mask


def test_dropout2d_eval_identity_repr_and_errors():
    m, x = nn.Dropout2d(0.5), ag.randn(2, 3, 4, 4)
    assert repr(m) == repr(torch.nn.Dropout2d(0.5))
    assert m.eval()(x) is x
    assert F.dropout2d(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match=r"Dropout2d: p must be in \[0, 1\), got 1.0"):
        nn.Dropout2d(1.0)
    with pytest.raises(ValueError, match=r"dropout2d: expected input of shape"):
        F.dropout2d(ag.randn(4), 0.5)


# ---- smooth L1 and Huber, at their joins ---------------------------------------------------
def _loss_points(width):
    """Differences at and around the joins +-width and the minimum 0, all dyadic."""
    return np.array([-3 * width, -width, -0.5 * width, -2.0**-10, 0.0, 2.0**-10, 0.5 * width,
                     width, 3 * width])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.0])
def test_smooth_l1_matches_torch_at_plus_minus_beta_and_zero(dtype, reduction, beta):
    d = _loss_points(beta if beta else 1.0)
    target = np.array([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, -2.0])
    x = d + target  # dyadic: x - target is exactly d in either dtype, the joins included
    assert np.array_equal(x.astype(dtype) - target.astype(dtype), d.astype(dtype))
    t_ours, t_theirs = ag.tensor(target.astype(dtype)), torch.tensor(target.astype(dtype))
    check_parity(lambda v: F.smooth_l1_loss(v, t_ours, reduction, beta),
                 lambda v: TF.smooth_l1_loss(v, t_theirs, reduction=reduction, beta=beta),
                 [x], dtype)
    m, tm = nn.SmoothL1Loss(reduction, beta), torch.nn.SmoothL1Loss(reduction=reduction,
                                                                    beta=beta)
    check_parity(lambda v: m(v, t_ours), lambda v: tm(v, t_theirs), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_matches_torch_at_plus_minus_delta_and_zero(dtype, reduction, delta):
    d = _loss_points(delta)
    target = np.zeros_like(d)
    t_ours, t_theirs = ag.tensor(target.astype(dtype)), torch.tensor(target.astype(dtype))
    check_parity(lambda v: F.huber_loss(v, t_ours, reduction, delta),
                 lambda v: TF.huber_loss(v, t_theirs, reduction=reduction, delta=delta),
                 [d], dtype)
    m, tm = nn.HuberLoss(reduction, delta), torch.nn.HuberLoss(reduction=reduction, delta=delta)
    check_parity(lambda v: m(v, t_ours), lambda v: tm(v, t_theirs), [d], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_huber_with_weight_matches_torch(dtype, reduction):
    d, w = _loss_points(1.0), np.linspace(0.1, 2.0, 9)
    check_parity(lambda v, ww: F.huber_loss(v, ag.zeros(9, dtype=dtype), reduction, 1.0, ww),
                 lambda v, ww: TF.huber_loss(v, torch.zeros(9, dtype=TORCH_DTYPE[dtype]),
                                             reduction=reduction, delta=1.0, weight=ww),
                 [d, w], dtype)
    with pytest.raises(ValueError, match=r"weight shape \(3,\) must match input shape \(9,\)"):
        F.huber_loss(ag.tensor(d), ag.tensor(d), weight=ag.ones(3, dtype=ag.float64))


def test_smooth_l1_gradient_exactly_at_the_joins():
    d = ag.tensor([-1.0, 1.0, 0.0, -0.5, 0.5], dtype=ag.float64, requires_grad=True)
    F.smooth_l1_loss(d, ag.zeros(5, dtype=ag.float64), "sum", beta=1.0).backward()
    np.testing.assert_array_equal(d.grad.data, [-1.0, 1.0, 0.0, -0.5, 0.5])
    away = np.array([-2.3, -0.7, 0.2, 0.9, 1.8])
    for fn in (lambda v: F.smooth_l1_loss(v, ag.zeros(5, dtype=ag.float64), beta=0.8),
               lambda v: F.huber_loss(v, ag.zeros(5, dtype=ag.float64), "sum", delta=1.3)):
        check_gradcheck(fn, [away])


def test_smooth_l1_and_huber_errors():
    x = ag.randn(3)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, x, beta=-1)
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match=r"target shape \(2,\) must match input shape \(3,\)"):
        F.smooth_l1_loss(x, ag.randn(2))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.huber_loss(x, x, reduction="max")
    assert repr(nn.SmoothL1Loss()) == repr(torch.nn.SmoothL1Loss())


# ---- containers: PyTorch's names -----------------------------------------------------------
def _keys(module):
    return list(module.state_dict()), [n for n, _ in module.named_parameters()]


def test_module_dict_names_and_dict_protocol_match_torch():
    def build(lib):
        d = lib.ModuleDict({"enc": lib.Linear(2, 3), "act": lib.ReLU()})
        d["dec"] = lib.Linear(3, 2)
        d.update([("norm", lib.LayerNorm(2))])
        return d

    ours, theirs = build(nn), build(torch.nn)
    assert _keys(ours) == _keys(theirs)
    assert list(ours) == list(theirs) and list(ours.keys()) == list(theirs.keys())
    assert len(ours) == 4 and "enc" in ours and "nope" not in ours
    assert isinstance(ours.pop("act"), nn.ReLU) and "act" not in ours
    del ours["norm"]
    assert [k for k, _ in ours.items()] == ["enc", "dec"]
    with pytest.raises(TypeError, match="ModuleDict: 'x' must be a Module, got int"):
        ours["x"] = 3


def test_parameter_list_and_dict_names_match_torch():
    def build(lib, tensor):
        m = lib.Module()
        m.plist = lib.ParameterList([lib.Parameter(tensor(np.ones(2))), tensor(np.zeros(3))])
        m.plist.append(tensor(np.ones(1)))
        m.pdict = lib.ParameterDict({"scale": tensor(np.ones(2))})
        m.pdict["shift"] = lib.Parameter(tensor(np.zeros(2)))
        return m

    ours, theirs = build(nn, ag.tensor), build(torch.nn, torch.tensor)
    assert _keys(ours) == _keys(theirs)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.plist)
    assert len(ours.plist) == 3 and ours.plist[1].shape == (3,)
    assert list(ours.pdict) == ["scale", "shift"] and ours.pdict["scale"].shape == (2,)
    sub = ours.plist[1:]
    assert isinstance(sub, nn.ParameterList) and len(sub) == 2
