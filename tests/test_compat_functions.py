"""PyTorch's module-level functions (issue 17, item 9): einsum (value and gradient parity in
float64 and float32, gradcheck, second derivatives), the function forms of the methods,
histc, Size, is_tensor and numel."""

import numpy as np
import pytest
import torch

import autograd as ag

from helpers import OpCase, cases, check_gradcheck, check_parity, positive

EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("bi,bi->b", [(2, 3), (2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("iij->j", [(2, 2, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 2)]),
    ("b h i d, b h j d -> b h i j", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,ij->ij", [(3, 1), (1, 4)]),
]

FUNCTIONS = [
    OpCase(f"einsum[{eq}]", lambda *xs, eq=eq: ag.einsum(eq, *xs),
           lambda *xs, eq=eq: torch.einsum(eq, *xs), [tuple(shapes)])
    for eq, shapes in EINSUMS
] + [
    OpCase("einsum_list", lambda a, b: ag.einsum("ij,jk", [a, b]),
           lambda a, b: torch.einsum("ij,jk", [a, b]), [((3, 4), (4, 2))]),
    OpCase("ag.softmax", lambda a: ag.softmax(a, 0) * a, lambda a: torch.softmax(a, 0) * a,
           [((2, 3, 4),)]),
    OpCase("ag.softmax_extreme", lambda a: ag.softmax(a, -1), lambda a: torch.softmax(a, -1),
           data=[[[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]]),
    OpCase("ag.tril", lambda a: ag.tril(a, 1), lambda a: torch.tril(a, 1), [((3, 4),)]),
    OpCase("ag.triu", lambda a: ag.triu(a, -1), lambda a: torch.triu(a, -1), [((2, 4, 3),)]),
    OpCase("ag.topk", lambda a: ag.topk(a, 3, 0).values, lambda a: torch.topk(a, 3, 0).values,
           [((5, 2),)]),
    OpCase("ag.sort", lambda a: ag.sort(a, 1, True)[0], lambda a: torch.sort(a, 1, True)[0],
           [((3, 4),)]),
    OpCase("ag.cumsum", lambda a: ag.cumsum(a, 1), lambda a: torch.cumsum(a, 1), [((3, 4),)]),
    OpCase("ag.mm", ag.mm, torch.mm, [((2, 3), (3, 4))]),
    OpCase("ag.bmm", ag.bmm, torch.bmm, [((2, 2, 3), (2, 3, 4))]),
    OpCase("ag.pow", ag.pow, torch.pow, [((3,), (3,))], make=positive),
    OpCase("ag.pow_scalar_base", lambda a: ag.pow(2.0, a), lambda a: torch.pow(2.0, a)),
    OpCase("ag.log10", ag.log10, torch.log10, make=positive),
    OpCase("ag.log2", ag.log2, torch.log2, make=positive),
    OpCase("ag.norm", lambda a: ag.norm(a, dim=0), lambda a: torch.norm(a, dim=0),
           [((3, 4),)]),
    OpCase("ag.chunk", lambda a: ag.chunk(a, 2, 1)[1] * 3, lambda a: torch.chunk(a, 2, 1)[1] * 3,
           [((2, 5),)]),
    OpCase("ag.split", lambda a: ag.split(a, [3, 2], 1)[0], lambda a: torch.split(a, [3, 2], 1)[0],
           [((2, 5),)]),
    OpCase("ag.masked_fill", lambda a: ag.masked_fill(a, ag.tensor([True, False]), 0.5),
           lambda a: torch.masked_fill(a, torch.tensor([True, False]), 0.5), [((3, 2),)]),
]
NO_GRADCHECK = {"ag.softmax_extreme"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case,shapes", cases(FUNCTIONS))
def test_parity_with_torch(case, shapes, dtype):
    check_parity(case.ours, case.theirs, case.inputs(shapes), dtype)


@pytest.mark.parametrize(
    "case,shapes", cases([c for c in FUNCTIONS if c.name not in NO_GRADCHECK])
)
def test_gradcheck(case, shapes):
    check_gradcheck(case.ours, case.inputs(shapes), case.eps)


@pytest.mark.parametrize("eq,shapes", [e for e in EINSUMS if len(e[1]) <= 2])
def test_einsum_second_derivatives(eq, shapes):
    """Einsum's backward is an einsum, so create_graph=True differentiates it again."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in shapes]

    def first(*xs):
        out = ag.einsum(eq, *xs)
        return ag.grad((out * out).sum(), xs, create_graph=True)[0]

    check_gradcheck(first, arrays)


def test_einsum_gradient_only_where_needed_and_int_operands():
    a = ag.randn(3, 4, requires_grad=True)
    b = ag.randn(4, 2)
    ag.einsum("ij,jk->ik", a, b).sum().backward()
    assert a.grad.shape == (3, 4) and b.grad is None
    ints = ag.einsum("ij,jk->ik", ag.tensor([[1, 2]]), ag.tensor([[3], [4]]))
    assert ints.dtype == np.int64 and ints.tolist() == [[11]]


@pytest.mark.parametrize("eq,shapes,message", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "size 3 and 4"),
    ("ij,jk->ik", [(2, 3)], "operand"),
    ("ijk->i", [(2, 3)], "do not fit"),
    ("ij->k", [(2, 3)], "output subscript"),
    ("ij->ii", [(2, 3)], "output subscript"),
    ("i1->i", [(2, 3)], "invalid subscript"),
])
def test_einsum_errors(eq, shapes, message):
    with pytest.raises((RuntimeError, ValueError), match=message):
        ag.einsum(eq, *[ag.zeros(*s) for s in shapes])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("data,kw", [
    ([1.0, 2.0, 1.0], dict(bins=4, min=0, max=3)),
    ([1.0, 1.0, 1.0], dict(bins=4)),
    ([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, -0.1], dict(bins=4, min=0, max=1)),
    ("normal", dict()),
    ("normal", dict(bins=7, min=-1, max=1)),
    ("normal", dict(bins=13)),
    ([], dict(bins=3, min=0, max=1)),
])
def test_histc_matches_torch(data, kw, dtype):
    if data == "normal":
        data = np.random.default_rng(2).standard_normal(1000)
    x = np.asarray(data, dtype)
    ours, theirs = ag.histc(ag.tensor(x), **kw), torch.histc(torch.tensor(x), **kw)
    assert ours.dtype == dtype and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_histc_refuses_ints_and_bad_ranges():
    with pytest.raises(TypeError, match="floating point"):
        ag.histc(ag.tensor([1, 2]))
    with pytest.raises(ValueError, match="larger than min"):
        ag.histc(ag.tensor([1.0]), min=2, max=1)


def test_size_is_a_tuple_like_torch_size():
    s = ag.Size([2, 3])
    assert isinstance(s, tuple) and s == (2, 3) and s == torch.Size([2, 3])
    assert s.numel() == 6 == torch.Size([2, 3]).numel() and ag.Size().numel() == 1
    assert repr(s) == "Size([2, 3])" and s[1:] == (3,)
    assert ag.zeros(2, 3).shape == s and ag.zeros(s).shape == (2, 3)


def test_is_tensor_numel_and_argsort():
    x = ag.tensor([[3.0, 1.0, 2.0]])
    assert ag.is_tensor(x) and not ag.is_tensor(x.numpy()) and not ag.is_tensor([1.0])
    assert ag.numel(x) == 3 == torch.numel(torch.tensor([[3.0, 1.0, 2.0]]))
    assert ag.argsort(x, 1).tolist() == [[1, 2, 0]]
    assert ag.argsort(x, descending=True).dtype == np.int64


def test_function_forms_without_grad_match_torch():
    x = np.random.default_rng(4).standard_normal((4, 5)).astype(np.float32)
    values, indices = ag.topk(ag.tensor(x), 2)
    tv, ti = torch.topk(torch.tensor(x), 2)
    np.testing.assert_array_equal(values.numpy(), tv.numpy())
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())
    np.testing.assert_array_equal(ag.sort(ag.tensor(x), 0).indices.numpy(),
                                  torch.sort(torch.tensor(x), 0).indices.numpy())
    np.testing.assert_array_equal(ag.cumsum(ag.tensor([1, 2, 3]), 0).numpy(),
                                  torch.cumsum(torch.tensor([1, 2, 3]), 0).numpy())
