"""Every differentiable op: PyTorch parity (float64 and float32) and float64 gradcheck."""

import numpy as np
import pytest
import torch

import autograd as ag

from helpers import (
    BROADCAST_PAIRS,
    OpCase,
    cases,
    check_gradcheck,
    check_parity,
    positive,
)


def _tdim(dim, ndim):
    """torch wants an explicit tuple where we accept None for every dim."""
    return tuple(range(ndim)) if dim is None else dim


ELEMENTWISE = [
    OpCase("add", lambda a, b: a + b, torch.add, BROADCAST_PAIRS),
    OpCase("sub", lambda a, b: a - b, torch.sub, BROADCAST_PAIRS),
    OpCase("mul", lambda a, b: a * b, torch.mul, BROADCAST_PAIRS),
    OpCase("div", lambda a, b: a / b, torch.div, BROADCAST_PAIRS, make=positive),
    OpCase("pow", lambda a, b: a**b, torch.pow, BROADCAST_PAIRS, make=positive),
    OpCase("maximum", ag.maximum, torch.maximum, BROADCAST_PAIRS),
    OpCase("minimum", ag.minimum, torch.minimum, BROADCAST_PAIRS),
    OpCase("radd", lambda a: 2.5 + a, lambda a: 2.5 + a),
    OpCase("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a),
    OpCase("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a),
    OpCase("rdiv", lambda a: 2.5 / a, lambda a: 2.5 / a, make=positive),
    OpCase("pow_scalar", lambda a: a**3, lambda a: a**3),
    OpCase("pow_frac", lambda a: a**0.5, lambda a: a**0.5, make=positive),
    OpCase("pow_neg", lambda a: a**-2, lambda a: a**-2, make=positive),
    OpCase("rpow", lambda a: 2.0**a, lambda a: 2.0**a),
    OpCase("neg", lambda a: -a, torch.neg),
    OpCase("exp", ag.exp, torch.exp),
    OpCase("log", ag.log, torch.log, make=positive),
    OpCase("log1p", ag.log1p, torch.log1p, make=positive),
    OpCase("sqrt", ag.sqrt, torch.sqrt, make=positive),
    OpCase("abs", ag.abs, torch.abs),
    OpCase("sin", ag.sin, torch.sin),
    OpCase("cos", ag.cos, torch.cos),
    OpCase("tanh", ag.tanh, torch.tanh),
    OpCase("sigmoid", ag.sigmoid, torch.sigmoid),
    OpCase("relu", ag.relu, torch.relu),
    OpCase("clip", lambda a: a.clip(-0.5, 0.7), lambda a: a.clamp(-0.5, 0.7)),
    OpCase("clip_min", lambda a: a.clip(min=0.1), lambda a: a.clamp(min=0.1)),
    OpCase("clip_max", lambda a: a.clip(max=0.1), lambda a: a.clamp(max=0.1)),
    OpCase(
        "where",
        lambda a, b: ag.where(a.detach() > 0, a, b),
        lambda a, b: torch.where(a.detach() > 0, a, b),
        BROADCAST_PAIRS,
    ),
    OpCase("where_scalar", lambda a: ag.where(a > 0, a, 0.5), lambda a: torch.where(a > 0, a, 0.5)),
    OpCase("cast", lambda a: a.float().double() * 1, lambda a: a.float().double() * 1, eps=1e-2),
    OpCase("clone", lambda a: a.clone() * 2, lambda a: a.clone() * 2),
]

ND = [((2, 3, 4),)]
REDUCE_DIMS = [None, 0, -1, (0, 2), (-1, 0)]
REDUCTIONS = []
for _dim in REDUCE_DIMS:
    for _keep in (False, True):
        tag = f"dim={_dim},keepdim={_keep}"
        REDUCTIONS += [
            OpCase(f"sum[{tag}]", lambda a, d=_dim, k=_keep: a.sum(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.sum(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"mean[{tag}]", lambda a, d=_dim, k=_keep: a.mean(axis=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.mean(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"var[{tag}]", lambda a, d=_dim, k=_keep: a.var(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.var(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"var_biased[{tag}]",
                   lambda a, d=_dim, k=_keep: a.var(dim=d, unbiased=False, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.var(dim=_tdim(d, a.ndim), correction=0,
                                                    keepdim=k), ND),
            OpCase(f"std[{tag}]", lambda a, d=_dim, k=_keep: a.std(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.std(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"amax[{tag}]", lambda a, d=_dim, k=_keep: a.amax(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.amax(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"amin[{tag}]", lambda a, d=_dim, k=_keep: a.amin(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.amin(dim=_tdim(d, a.ndim), keepdim=k), ND),
            OpCase(f"logsumexp[{tag}]", lambda a, d=_dim, k=_keep: a.logsumexp(dim=d, keepdim=k),
                   lambda a, d=_dim, k=_keep: a.logsumexp(dim=_tdim(d, a.ndim), keepdim=k), ND),
        ]
for _dim in (0, -1, 1):
    for _keep in (False, True):
        REDUCTIONS += [
            OpCase(f"max_dim[{_dim},{_keep}]", lambda a, d=_dim, k=_keep: a.max(d, k).values,
                   lambda a, d=_dim, k=_keep: a.max(d, k).values, ND),
            OpCase(f"min_dim[{_dim},{_keep}]",
                   lambda a, d=_dim, k=_keep: a.min(dim=d, keepdim=k)[0],
                   lambda a, d=_dim, k=_keep: a.min(dim=d, keepdim=k)[0], ND),
        ]
REDUCTIONS += [
    OpCase("sum_0d", lambda a: a.sum(), lambda a: a.sum(), [((),)]),
    OpCase("sum_0d_dim", lambda a: a.sum(0), lambda a: a.sum(0), [((),)]),
    OpCase("sum_empty", lambda a: a.sum(dim=0), lambda a: a.sum(dim=0), [((0, 3),)]),
    OpCase("mean_vec", lambda a: a.mean(), lambda a: a.mean(), [((5,),)]),
    OpCase("max_full", lambda a: a.max(), lambda a: a.max(), ND),
    OpCase("min_full", lambda a: a.min(), lambda a: a.min(), ND),
    OpCase("logsumexp_0d", lambda a: a.logsumexp(0), lambda a: a.logsumexp(0), [((),)]),
    OpCase("log_softmax_0d", lambda a: ag.log_softmax(a, 0), lambda a: a.log_softmax(0),
           [((),)]),
    OpCase("log_softmax_empty", lambda a: a.log_softmax(1), lambda a: a.log_softmax(1),
           [((0, 3),)]),
]
for _dim in (0, 1, -1):
    REDUCTIONS.append(OpCase(f"log_softmax[{_dim}]", lambda a, d=_dim: ag.log_softmax(a, d) * a,
                             lambda a, d=_dim: a.log_softmax(d) * a, ND))

SHAPE_OPS = [
    OpCase("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), ND),
    OpCase("reshape_tuple", lambda a: a.reshape((6, 4)), lambda a: a.reshape((6, 4)), ND),
    OpCase("view", lambda a: a.view(24), lambda a: a.view(24), ND),
    OpCase("flatten", lambda a: a.flatten(), lambda a: a.flatten(), ND),
    OpCase("flatten_1", lambda a: a.flatten(1), lambda a: a.flatten(1), ND),
    OpCase("flatten_0d", lambda a: a.flatten(), lambda a: a.flatten(), [((),)]),
    OpCase("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), [((2, 1, 3, 1),)]),
    OpCase("squeeze_dim", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [((2, 1, 3, 1),)]),
    OpCase("squeeze_not1", lambda a: a.squeeze(0), lambda a: a.squeeze(0), [((2, 1, 3),)]),
    OpCase("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), ND),
    OpCase("unsqueeze_0d", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), [((),)]),
    OpCase("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), ND),
    OpCase("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), ND),
    OpCase("T_2d", lambda a: a.T, lambda a: a.T, [((3, 4),)]),
    OpCase("mT", lambda a: a.mT, lambda a: a.mT, ND),
    OpCase("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [((3, 1),)]),
    OpCase("expand_keep", lambda a: a.expand(5, -1, -1), lambda a: a.expand(5, -1, -1),
           [((3, 4),)]),
    OpCase("broadcast_to", lambda a: a.broadcast_to((2, 3)),
           lambda a: a.broadcast_to((2, 3)), [((3,),)]),
    OpCase("cat", lambda a, b: ag.cat([a, b], 1), lambda a, b: torch.cat([a, b], 1),
           [((2, 3), (2, 5))]),
    OpCase("cat_neg", lambda a, b, c: ag.cat([a, b, c], -1),
           lambda a, b, c: torch.cat([a, b, c], -1), [((2, 1), (2, 2), (2, 3))]),
    OpCase("stack", lambda a, b: ag.stack([a, b], 1), lambda a, b: torch.stack([a, b], 1),
           [((2, 3), (2, 3))]),
    OpCase("pad", lambda a: ag.pad(a, ((1, 2), (0, 3)), value=0.5),
           lambda a: torch.nn.functional.pad(a, (0, 3, 1, 2), value=0.5), [((2, 3),)]),
]

LINALG = [
    OpCase("matmul_2d", lambda a, b: a @ b, torch.matmul, [((3, 4), (4, 5))]),
    OpCase("matmul_vec_vec", lambda a, b: a @ b, torch.matmul, [((4,), (4,))]),
    OpCase("matmul_mat_vec", lambda a, b: a @ b, torch.matmul, [((3, 4), (4,))]),
    OpCase("matmul_vec_mat", lambda a, b: a @ b, torch.matmul, [((4,), (4, 5))]),
    OpCase("matmul_batched", lambda a, b: a @ b, torch.matmul, [((2, 3, 4), (2, 4, 5))]),
    OpCase("matmul_bcast", lambda a, b: a @ b, torch.matmul, [((2, 3, 4), (4, 5))]),
    OpCase("matmul_bcast2", lambda a, b: a @ b, torch.matmul, [((2, 1, 3, 4), (5, 4, 2))]),
    OpCase("matmul_batch_vec", lambda a, b: a @ b, torch.matmul, [((2, 3, 4), (4,))]),
    OpCase("matmul_vec_batch", lambda a, b: a @ b, torch.matmul, [((4,), (2, 4, 3))]),
    OpCase("matmul_fn", ag.matmul, torch.matmul, [((3, 4), (4, 2))]),
]

# Kinks and ties pinned to PyTorch's choices (the truth is the installed torch).
KINKS = [
    OpCase("relu_at_0", ag.relu, torch.relu, data=[[-1.0, 0.0, 2.0]]),
    OpCase("abs_at_0", ag.abs, torch.abs, data=[[-1.0, 0.0, 2.0]]),
    OpCase("clip_at_bounds", lambda a: a.clip(-1, 1), lambda a: a.clamp(-1, 1),
           data=[[-2.0, -1.0, 0.0, 1.0, 2.0]]),
    OpCase("max_ties", lambda a: a.max(), lambda a: a.max(), data=[[2.0, 2.0, 1.0]]),
    OpCase("amax_ties", lambda a: a.amax(-1), lambda a: a.amax(-1),
           data=[[[2.0, 2.0, 1.0], [3.0, 3.0, 3.0]]]),
    OpCase("max_dim_ties", lambda a: a.max(-1).values, lambda a: a.max(-1).values,
           data=[[[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]]]),
    OpCase("min_full_ties", lambda a: a.min(), lambda a: a.min(), data=[[1.0, 5.0, 1.0]]),
    OpCase("maximum_tie", ag.maximum, torch.maximum, data=[[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    OpCase("maximum_self", lambda a: ag.maximum(a, a), lambda a: torch.maximum(a, a),
           data=[[1.0, -2.0]]),
    OpCase("minimum_tie", ag.minimum, torch.minimum, data=[[1.0, 2.0], [1.0, 0.0]]),
    OpCase("pow_zero_base", lambda a, b: a**b, torch.pow, data=[[0.0, 0.0, 2.0], [2.0, 0.0, 0.0]]),
    OpCase("sqrt_1", ag.sqrt, torch.sqrt, data=[[1.0, 4.0]]),
    OpCase("sigmoid_extreme", ag.sigmoid, torch.sigmoid, data=[[-1e4, -40.0, 0.0, 40.0, 1e4]]),
    OpCase("tanh_extreme", ag.tanh, torch.tanh, data=[[-1e4, 0.0, 1e4]]),
    OpCase("logsumexp_extreme", lambda a: a.logsumexp(-1), lambda a: a.logsumexp(-1),
           data=[[[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]]),
    OpCase("log_softmax_extreme", lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1),
           data=[[[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [0.0, -np.inf, 1.0]]]),
]

ALL = ELEMENTWISE + REDUCTIONS + SHAPE_OPS + LINALG
NO_GRADCHECK = {"relu_at_0", "abs_at_0", "clip_at_bounds", "max_ties", "amax_ties",
                "max_dim_ties", "min_full_ties", "maximum_tie", "maximum_self", "minimum_tie",
                "pow_zero_base", "sigmoid_extreme", "tanh_extreme", "logsumexp_extreme",
                "log_softmax_extreme"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case,shapes", cases(ALL + KINKS))
def test_parity_with_torch(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize(
    "case,shapes", cases([c for c in ALL + KINKS if c.name not in NO_GRADCHECK])
)
def test_gradcheck(case, shapes):
    check_gradcheck(case.ours, case.inputs(shapes), case.eps)


def test_every_primitive_is_covered():
    """A new Function subclass without a table row fails here."""
    from autograd.function import Function

    primitives = set()
    todo = list(Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("autograd.ops"):
            primitives.add(cls.__name__)
    covered_by = {
        "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Neg": "neg",
        "Exp": "exp", "Log": "log", "Log1p": "log1p", "Sqrt": "sqrt", "Abs": "abs",
        "Sin": "sin", "Cos": "cos", "Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu",
        "Clip": "clip", "Maximum": "maximum", "Minimum": "minimum", "Where": "where",
        "Cast": "cast", "Clone": "clone", "Sum": "sum[dim=None,keepdim=False]",
        "LogSoftmax": "log_softmax[1]",
        "Amax": "amax[dim=0,keepdim=True]", "Amin": "amin[dim=0,keepdim=True]",
        "_Extreme": "amax[dim=0,keepdim=True]",
        "Reshape": "reshape", "Permute": "permute",
        "Expand": "expand", "Cat": "cat", "Pad": "pad", "MatMul": "matmul_2d",
        "Index": "tests/test_indexing.py", "IndexBackward": "tests/test_indexing.py",
        "TakeAlongDim": "max_dim[0,False]", "PutAlongDim": "tests/test_engine.py",
        "SlidingWindow": "tests/test_window.py", "WindowFold": "tests/test_window.py",
        "Softplus": "tests/test_edge_softplus.py", "StdSqrt": "tests/test_edge_numerics.py",
        "SetItem": "tests/test_inplace.py", "Erf": "tests/test_torchlike_layers.py",
        "Log10": "tests/test_compat_methods.py", "Log2": "tests/test_compat_methods.py",
        "PNorm": "tests/test_compat_methods.py", "Cumsum": "tests/test_compat_methods.py",
        "Einsum": "tests/test_compat_functions.py",
    }
    names = {c.name for c in ALL + KINKS}
    assert primitives <= set(covered_by), primitives - set(covered_by)
    for prim, row in covered_by.items():
        assert row.startswith("tests/") or row in names, (prim, row)

