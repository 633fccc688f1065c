"""PyTorch's Tensor method aliases and the ops behind them (issue 17, items 2, 6, 7):
value and gradient parity with torch in float64 and float32, float64 gradcheck, the
non-differentiable results' dtypes, PyTorch's errors, and the Python protocols."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

from helpers import OpCase, cases, check_gradcheck, check_parity, positive

ND = [((2, 3, 4),)]
MAT = [((3, 4),)]
MASK = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])


def _weighted(pieces):
    """One tensor from a tuple of pieces, each scaled differently (gradients tell them apart)."""
    return [p * (i + 1) for i, p in enumerate(pieces)]


METHODS = [
    OpCase("t", lambda a: a.t(), lambda a: a.t(), MAT),
    OpCase("t_1d", lambda a: a.t() * 1, lambda a: a.t() * 1, [((3,),)]),
    OpCase("t_0d", lambda a: a.t() * 1, lambda a: a.t() * 1, [((),)]),
    OpCase("mm", lambda a, b: a.mm(b), lambda a, b: a.mm(b), [((3, 4), (4, 2))]),
    OpCase("bmm", lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), [((2, 3, 4), (2, 4, 5))]),
    OpCase("contiguous", lambda a: a.t().contiguous() * 2, lambda a: a.t().contiguous() * 2, MAT),
    OpCase("view_as", lambda a, b: a.view_as(b) * b, lambda a, b: a.view_as(b) * b,
           [((2, 6), (3, 4))]),
    OpCase("reshape_as", lambda a, b: a.reshape_as(b) * b, lambda a, b: a.reshape_as(b) * b,
           [((2, 6), (3, 4))]),
    OpCase("norm", lambda a: a.norm(), lambda a: a.norm(), ND + [((3,),)]),
    OpCase("norm_fro_dims", lambda a: a.norm("fro", dim=(0, 2)),
           lambda a: a.norm("fro", dim=(0, 2)), ND),
    OpCase("norm_2_dim", lambda a: a.norm(2, dim=1, keepdim=True),
           lambda a: a.norm(2, dim=1, keepdim=True), ND),
    OpCase("norm_1", lambda a: a.norm(p=1, dim=-1), lambda a: a.norm(p=1, dim=-1), ND),
    OpCase("norm_3", lambda a: a.norm(p=3, dim=0), lambda a: a.norm(p=3, dim=0), ND),
    OpCase("norm_1p5", lambda a: a.norm(p=1.5), lambda a: a.norm(p=1.5), ND),
    OpCase("norm_0p5", lambda a: a.norm(p=0.5, dim=1), lambda a: a.norm(p=0.5, dim=1), ND),
    OpCase("norm_inf", lambda a: a.norm(p=math.inf, dim=1), lambda a: a.norm(p=math.inf, dim=1),
           ND),
    OpCase("norm_neg_inf", lambda a: a.norm(p=-math.inf), lambda a: a.norm(p=-math.inf), ND),
    OpCase("log10", lambda a: a.log10(), lambda a: a.log10(), make=positive),
    OpCase("log2", lambda a: a.log2(), lambda a: a.log2(), make=positive),
    OpCase("repeat", lambda a: a.repeat(2, 3), lambda a: a.repeat(2, 3), MAT),
    OpCase("repeat_lead", lambda a: a.repeat(2, 1, 2), lambda a: a.repeat(2, 1, 2), MAT),
    OpCase("repeat_0d", lambda a: a.repeat(3), lambda a: a.repeat(3), [((),)]),
    OpCase("repeat_zero", lambda a: a.repeat(0, 2), lambda a: a.repeat(0, 2), MAT),
    OpCase("masked_fill", lambda a: a.masked_fill(ag.tensor(MASK), -1.5),
           lambda a: a.masked_fill(torch.tensor(MASK), -1.5), MAT),
    OpCase("masked_fill_tensor", lambda a, v: a.masked_fill(ag.tensor(MASK), v),
           lambda a, v: a.masked_fill(torch.tensor(MASK), v), [((3, 4), ())]),
    OpCase("masked_fill_bcast", lambda a: a.masked_fill(ag.tensor(MASK), 2.0),
           lambda a: a.masked_fill(torch.tensor(MASK), 2.0), [((4,),)]),
    OpCase("cumsum_0", lambda a: a.cumsum(0), lambda a: a.cumsum(0), ND),
    OpCase("cumsum_neg", lambda a: a.cumsum(-1), lambda a: a.cumsum(-1), ND),
    OpCase("cumsum_0d", lambda a: a.cumsum(0), lambda a: a.cumsum(0), [((),)]),
    OpCase("cumsum_empty", lambda a: a.cumsum(1), lambda a: a.cumsum(1), [((0, 3),)]),
    OpCase("chunk", lambda a: ag.cat(_weighted(a.chunk(3, 1)), 1),
           lambda a: torch.cat(_weighted(a.chunk(3, 1)), 1), [((2, 7),)]),
    OpCase("split", lambda a: ag.cat(_weighted(a.split(2, -1)), -1),
           lambda a: torch.cat(_weighted(a.split(2, -1)), -1), [((2, 5),)]),
    OpCase("split_sections", lambda a: ag.cat(_weighted(a.split([1, 3, 1])), 0),
           lambda a: torch.cat(_weighted(a.split([1, 3, 1])), 0), [((5, 2),)]),
    OpCase("pow_method", lambda a: a.pow(3), lambda a: a.pow(3)),
    OpCase("pow_tensor", lambda a, b: a.pow(b), lambda a, b: a.pow(b), [((3,), (3,))],
           make=positive),
    OpCase("square", lambda a: a.square(), lambda a: a.square()),
    OpCase("softmax", lambda a: a.softmax(1) * a, lambda a: a.softmax(1) * a, ND),
    OpCase("softmax_neg", lambda a: a.softmax(-1) * a, lambda a: a.softmax(-1) * a, ND),
    OpCase("sort", lambda a: a.sort().values, lambda a: a.sort().values, ND),
    OpCase("sort_desc_0", lambda a: a.sort(0, descending=True)[0],
           lambda a: a.sort(0, descending=True)[0], ND),
    OpCase("sort_1d", lambda a: a.sort().values, lambda a: a.sort().values, [((5,),)]),
    OpCase("topk", lambda a: a.topk(2).values, lambda a: a.topk(2).values, ND),
    OpCase("topk_smallest", lambda a: a.topk(2, dim=1, largest=False)[0],
           lambda a: a.topk(2, dim=1, largest=False)[0], ND),
    OpCase("tril", lambda a: a.tril(), lambda a: a.tril(), MAT + ND),
    OpCase("tril_diag", lambda a: a.tril(-1), lambda a: a.tril(-1), MAT),
    OpCase("triu", lambda a: a.triu(), lambda a: a.triu(), MAT + ND),
    OpCase("triu_diag", lambda a: a.triu(2), lambda a: a.triu(2), MAT),
]

# Kinks and ties, pinned to the installed torch.
KINKS = [
    OpCase("norm_zero", lambda a: a.norm(), lambda a: a.norm(), data=[[0.0, 0.0, 0.0]]),
    OpCase("norm_zero_row", lambda a: a.norm(dim=1), lambda a: a.norm(dim=1),
           data=[[[0.0, 0.0], [3.0, 4.0]]]),
    OpCase("norm_3_zero", lambda a: a.norm(3), lambda a: a.norm(3), data=[[0.0, 0.0]]),
    OpCase("norm_p_zero_entry", lambda a: a.norm(1.5, dim=1) + a.norm(0.5, dim=1),
           lambda a: a.norm(1.5, dim=1) + a.norm(0.5, dim=1),
           data=[[[0.0, 2.0, -1.0], [0.0, 0.0, 0.0]]]),
    OpCase("norm_1_zero", lambda a: a.norm(1), lambda a: a.norm(1), data=[[0.0, 1.0]]),
    OpCase("norm_inf_ties", lambda a: a.norm(math.inf, dim=1), lambda a: a.norm(math.inf, dim=1),
           data=[[[1.0, -3.0, 3.0], [3.0, 0.0, 2.0]]]),
    OpCase("norm_neg_inf_zero", lambda a: a.norm(-math.inf, dim=1),
           lambda a: a.norm(-math.inf, dim=1), data=[[[1.0, -3.0], [3.0, 0.0]]]),
    OpCase("sort_ties", lambda a: a.sort(descending=True).values,
           lambda a: a.sort(descending=True).values, data=[[1.0, 2.0, 2.0, 1.0, 2.0]]),
    OpCase("tril_inf", lambda a: a.tril(), lambda a: a.tril(), data=[[[1.0, np.inf], [2.0, 3.0]]]),
]
NO_GRADCHECK = {"norm_zero", "norm_zero_row", "norm_3_zero", "norm_p_zero_entry", "norm_1_zero",
                "norm_inf_ties", "norm_neg_inf_zero", "sort_ties", "tril_inf"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case,shapes", cases(METHODS + KINKS))
def test_parity_with_torch(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize(
    "case,shapes", cases([c for c in METHODS + KINKS if c.name not in NO_GRADCHECK])
)
def test_gradcheck(case, shapes):
    check_gradcheck(case.ours, case.inputs(shapes), case.eps)


def test_second_derivatives_through_the_new_primitives():
    """Each new backward is built of Tensor ops, so it differentiates again."""
    fns = [lambda a: a.norm(dim=1).sum() * a.norm(), lambda a: a.norm(p=3, dim=0),
           lambda a: (a.cumsum(1) ** 2), lambda a: (a * a).log10(), lambda a: (a * a).log2(),
           lambda a: a.sort(0).values ** 3]
    x = np.random.default_rng(3).uniform(0.5, 2.0, (3, 4))
    for fn in fns:
        def first(a, fn=fn):
            (g,) = ag.grad(fn(a).sum(), a, create_graph=True)
            return g
        check_gradcheck(first, [x])


@pytest.mark.parametrize("name", ["eq", "ne", "gt", "lt", "ge", "le"])
def test_comparison_methods_match_torch(name):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    for other in (2.0, a[::-1].copy(), np.array([1.0, 2.0, 4.0])):
        ours = getattr(ag.tensor(a, requires_grad=True), name)(
            ag.tensor(other) if isinstance(other, np.ndarray) else other)
        theirs = getattr(torch.tensor(a), name)(
            torch.tensor(other) if isinstance(other, np.ndarray) else other)
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_sort_and_topk_indices_match_torch():
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype(np.float32)
    for dim in (0, 1, -1):
        for desc in (False, True):
            ours, theirs = ag.tensor(x).sort(dim, desc), torch.tensor(x).sort(dim, desc)
            assert ours.indices.dtype == np.int64
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(ag.tensor(x).argsort(dim, desc).numpy(),
                                          torch.tensor(x).argsort(dim, desc).numpy())
        for k in (0, 1, 3):
            for largest in (True, False):
                ours = ag.tensor(x).topk(k, dim, largest)
                theirs = torch.tensor(x).topk(k, dim, largest)
                np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
                np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_sort_ties_are_stable_as_torch_stable_sort():
    x = [1.0, 2.0, 2.0, 1.0, 2.0, np.nan, 0.0, 2.0]
    for desc in (False, True):
        ours = ag.tensor(x).sort(descending=desc)
        theirs = torch.tensor(x).sort(stable=True, descending=desc)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    ints = ag.tensor([3, 1, 2, 1]).sort()
    assert ints.values.dtype == np.int64 and ints.indices.tolist() == [1, 3, 2, 0]


def test_topk_ties_take_the_first_positions():
    """torch's topk picks some of the tied entries (here the later ones); the values match,
    and chainrule takes the first ones, as its stable sort does."""
    data = [1.0, 2.0, 2.0, 1.0, 2.0]
    ours, theirs = ag.tensor(data).topk(2), torch.tensor(data).topk(2)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    assert ours.indices.tolist() == [1, 2]


@pytest.mark.parametrize("call", [lambda t: t.topk(0), lambda t: t.topk(1), lambda t: t.sort(),
                                  lambda t: t.sort(0, descending=True)])
def test_sort_and_topk_of_a_0d_tensor_as_torch(call):
    ours, theirs = call(ag.tensor(3.0)), call(torch.tensor(3.0))
    assert ours.values.shape == tuple(theirs.values.shape) == ()
    assert ours.values.item() == theirs.values.item() and ours.indices.item() == 0


def test_round_is_refused_as_torch():
    for m in (ag, torch):
        with pytest.raises(TypeError, match="__round__"):
            round(m.tensor(1.5))


def test_results_unpack_and_name_their_fields():
    values, indices = ag.tensor([3.0, 1.0, 2.0]).sort()
    assert values.tolist() == [1.0, 2.0, 3.0] and indices.tolist() == [1, 2, 0]
    top = ag.tensor([3.0, 1.0, 2.0]).topk(2)
    assert top.values.tolist() == [3.0, 2.0] and top[1].tolist() == [0, 2]


def test_cumsum_dtypes_match_torch():
    for data, dtype in (([1, 2, 3], np.int64), ([True, False, True], np.int64),
                        ([1.5, 2.5], np.float32)):
        ours, theirs = ag.tensor(data).cumsum(0), torch.tensor(data).cumsum(0)
        assert ours.dtype == theirs.numpy().dtype == dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ag.tensor([1, 2]).cumsum(0, dtype=ag.float64).dtype == np.float64


def test_log10_log2_of_ints_and_powers():
    assert ag.tensor([1, 10, 1000]).log10().dtype == np.float32
    assert ag.tensor([1.0, 10.0, 1000.0], dtype=ag.float64).log10().tolist() == [0.0, 1.0, 3.0]
    assert ag.tensor([1.0, 8.0, 1024.0]).log2().tolist() == [0.0, 3.0, 10.0]


@pytest.mark.parametrize("n,chunks", [(10, 4), (6, 4), (7, 7), (3, 5), (0, 3), (12, 3)])
def test_chunk_sizes_match_torch(n, chunks):
    ours = [c.shape for c in ag.arange(n).chunk(chunks)]
    assert ours == [tuple(c.shape) for c in torch.arange(n).chunk(chunks)]


def test_contiguous_returns_self_or_a_c_contiguous_copy():
    x = ag.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.numpy().flags.c_contiguous and y.grad_fn is not None
    np.testing.assert_array_equal(y.numpy(), x.numpy().T)


def test_masked_fill_keeps_dtype_and_is_out_of_place():
    x = ag.ones(2, 3, dtype=ag.int64)
    out = x.masked_fill(ag.tensor([True, False, True]), 5.5)
    assert out.dtype == np.int64 and out.tolist() == [[5, 1, 5], [5, 1, 5]]
    assert x.tolist() == [[1, 1, 1], [1, 1, 1]]


def test_nelement_and_one_line_aliases():
    x = ag.zeros(2, 3, 4)
    assert x.nelement() == x.numel() == 24
    assert ag.tensor(2.0).pow(ag.tensor(3.0)).item() == 8.0


@pytest.mark.parametrize("call,message", [
    (lambda: ag.zeros(2, 3, 4).t(), "<= 2 dimensions"),
    (lambda: ag.zeros(2, 3).mm(ag.zeros(2, 3)), "cannot be multiplied"),
    (lambda: ag.zeros(3).mm(ag.zeros(3, 3)), "must be a matrix"),
    (lambda: ag.zeros(2, 3, 4).bmm(ag.zeros(3, 4, 3)), "first two dimensions"),
    (lambda: ag.zeros(2, 3).bmm(ag.zeros(2, 3, 3)), "3D tensor"),
    (lambda: ag.zeros(3).masked_fill(ag.tensor([1, 0, 1]), 5.0), "boolean masks"),
    (lambda: ag.zeros(3).masked_fill(ag.tensor([True, False, True]), ag.zeros(3)),
     "0-dimensional"),
    (lambda: ag.zeros(2, 3).repeat(2), "can not be smaller"),
    (lambda: ag.tensor([1, 2]).norm(), "floating point"),
    (lambda: ag.tensor([1, 2]).softmax(0), "floating point"),
    (lambda: ag.zeros(3).topk(4), "out of range"),
    (lambda: ag.zeros(5).split([2, 2]), "add up"),
    (lambda: ag.zeros(3).tril(), "at least 2 dimensions"),
])
def test_errors_as_torch(call, message):
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError), match=message):
        call()


@pytest.mark.parametrize("make", [
    lambda m: m.tensor(1), lambda m: m.tensor([2]), lambda m: m.tensor(True),
    lambda m: m.tensor([[1]]), lambda m: m.tensor(1, dtype=m.int32),
])
def test_index_protocol_as_torch(make):
    items = [10, 20, 30]
    assert items[make(ag)] == items[make(torch)]
    assert list(range(5))[: make(ag)] == list(range(5))[: make(torch)]


@pytest.mark.parametrize("make", [lambda m: m.tensor(1.0), lambda m: m.tensor([1, 2])])
def test_index_protocol_refuses_as_torch(make):
    with pytest.raises(TypeError, match="single element"):
        [10, 20, 30][make(torch)]
    with pytest.raises(TypeError, match="single element"):
        [10, 20, 30][make(ag)]


@pytest.mark.parametrize("spec", ["", ".2f", ".3e", "8.4f", "g"])
def test_format_protocol_as_torch(spec):
    for value in (3.14159, -2.5):
        x = ag.tensor(value, requires_grad=True)
        assert format(x, spec) == format(torch.tensor(value, requires_grad=True), spec)
    assert format(ag.tensor(7), "d" if spec in ("", "g") else "") == "7"


def test_format_of_a_tensor_with_dims_as_torch():
    x = ag.tensor([1.5, 2.0])
    assert "{}".format(x) == repr(x)
    for m in (ag, torch):
        with pytest.raises(TypeError, match="unsupported format string"):
            "{:.2f}".format(m.tensor([1.5]))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
                  elements=st.floats(-10, 10)),
       st.lists(st.integers(0, 3), min_size=3, max_size=4))
def test_repeat_is_numpy_tile_and_its_gradient_counts_copies(x, reps):
    t = ag.tensor(x, requires_grad=True)
    out = t.repeat(*reps)
    np.testing.assert_array_equal(out.numpy(), np.tile(x, reps))
    out.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full(x.shape, float(np.prod(reps))))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-10, 10)), st.integers(1, 6), st.data())
def test_chunks_and_splits_cat_back_and_sort_agrees_with_numpy(x, n, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = ag.tensor(x)
    for pieces in (t.chunk(n, dim), t.split(n, dim)):
        np.testing.assert_array_equal(ag.cat(list(pieces), dim).numpy(), x)
    values, indices = t.sort(dim, descending=True)
    np.testing.assert_array_equal(values.numpy(), -np.sort(-x, axis=dim))
    np.testing.assert_array_equal(np.take_along_axis(x, indices.numpy(), dim), values.numpy())
    np.testing.assert_allclose(t.cumsum(dim).numpy(), np.cumsum(x, axis=dim))
