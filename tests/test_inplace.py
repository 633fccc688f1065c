"""In-place ops against PyTorch: values and gradients, on views and through `x[idx] = v`,
version counters, leaves, and in-place against out-of-place as a property."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

from helpers import TOL


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _run(m, program, data, dtype):
    """Leaf x, then y = x * 1 (a non-leaf, so in-place is allowed), program(m, y), then a
    weighted sum backward: returns the result and x's gradient."""
    x = m.tensor(data.astype(dtype), requires_grad=True)
    y = x * 1
    out = program(m, y)
    weight = m.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape).astype(dtype))
    (out * weight).sum().backward()
    return _np(out), _np(x.grad)


def _other(m, dtype):
    return m.tensor(np.array([0.5, -2.0, 1.5], dtype=dtype))


INPLACE = [
    ("add_", lambda m, y: y.add_(_other(m, y.numpy().dtype if m is ag else np.float64))),
    ("add_alpha", lambda m, y: y.add_(2.0, alpha=-0.5)),
    ("sub_", lambda m, y: y.sub_(0.25)),
    ("sub_alpha", lambda m, y: y.sub_(y * 2, alpha=0.5)),
    ("mul_tensor", lambda m, y: y.mul_(y * 3)),
    ("mul_scalar", lambda m, y: y.mul_(-1.5)),
    ("div_", lambda m, y: y.div_(4.0)),
    ("pow_", lambda m, y: y.pow_(2)),
    ("neg_", lambda m, y: y.neg_()),
    ("zero_", lambda m, y: y.zero_()),
    ("fill_", lambda m, y: y.fill_(2.5)),
    ("copy_", lambda m, y: y.copy_(y.detach() * 0 + 7)),
    ("clamp_", lambda m, y: y.clamp_(-0.5, 0.5)),
    ("clip_", lambda m, y: y.clip_(min=0.0)),
    ("exp_", lambda m, y: y.exp_()),
    ("log_", lambda m, y: (y * y + 1).log_()),
    ("sqrt_", lambda m, y: (y * y + 1).sqrt_()),
    ("abs_", lambda m, y: y.abs_()),
    ("relu_", lambda m, y: y.relu_()),
    ("sigmoid_", lambda m, y: y.sigmoid_()),
    ("tanh_", lambda m, y: y.tanh_()),
    ("masked_fill_", lambda m, y: y.masked_fill_(y > 0.2, -1.0)),
    ("iadd", lambda m, y: _aug(y, "add")),
    ("isub", lambda m, y: _aug(y, "sub")),
    ("imul", lambda m, y: _aug(y, "mul")),
    ("itruediv", lambda m, y: _aug(y, "truediv")),
    ("ipow", lambda m, y: _aug(y, "pow")),
    ("chain", lambda m, y: y.mul_(2).add_(1).tanh_()),
    # views: the write reaches the base, and the base's gradient stays exact
    ("index_view", lambda m, y: _through_view(y, lambda v: v[1:], lambda v: v.mul_(3))),
    ("int_index_view", lambda m, y: _through_view(y, lambda v: v[0], lambda v: v.add_(5))),
    ("reshape_view", lambda m, y: _through_view(y, lambda v: v.reshape(3, 1),
                                                lambda v: v.exp_())),
    ("view_view", lambda m, y: _through_view(y, lambda v: v.view(1, 3), lambda v: v.pow_(2))),
    ("setitem_slice", lambda m, y: _setitem(y, slice(0, 2), y[1:] * 10)),
    ("setitem_int", lambda m, y: _setitem(y, 1, 3.0)),
    ("setitem_mask", lambda m, y: _setitem(y, y > 0, 0.0)),
    ("setitem_view_of_view", lambda m, y: _through_view(y, lambda v: v[1:],
                                                        lambda v: _setitem(v, 0, v[1] * 2))),
]


def _aug(y, op):
    other = 1.5
    if op == "add":
        y += other
    elif op == "sub":
        y -= other
    elif op == "mul":
        y *= other
    elif op == "truediv":
        y /= other
    else:
        y **= 2
    return y


def _through_view(y, make_view, write):
    write(make_view(y))
    return y


def _setitem(y, key, value):
    y[key] = value
    return y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,program", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_matches_torch(name, program, dtype):
    data = np.array([0.3, -1.2, 0.8])
    ours = _run(ag, program, data, dtype)
    theirs = _run(torch, program, data, dtype)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])


def test_gradcheck_through_item_assignment():
    def f(x, v):
        y = x * 1
        y[1:3] = v * 2
        y[0] = y[3].clone() * v[0]  # y[3] itself is a view that the write would change
        return y.tanh()

    x = ag.tensor(np.array([0.1, -0.4, 0.7, 0.2]), requires_grad=True)
    v = ag.tensor(np.array([0.5, -0.3]), requires_grad=True)
    assert ag.gradcheck(f, [x, v])


def test_item_assignment_broadcasts_and_casts_as_torch():
    for m in (ag, torch):
        x = m.zeros(2, 3, dtype=m.int64)
        x[0] = 2.7  # cast into the int tensor
        x[:, 1] = m.tensor([5, 6])
        assert x.tolist() == [[2, 5, 2], [0, 6, 0]]


# ---- version counters ---------------------------------------------------------------------
def _version_error(m, program):
    try:
        program(m)
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return True
    return False


VERSION_CASES = [
    # (name, program): torch raises for some and not for others; so must we
    ("saved_input_changed", lambda m: _saved_then_changed(m, lambda y: y * y, lambda y: y.add_(1))),
    ("saved_output_changed", lambda m: _saved_then_changed(m, lambda y: y.exp(),
                                                           lambda z: z.mul_(2), on_out=True)),
    ("unsaved_input_changed", lambda m: _saved_then_changed(m, lambda y: y + 1,
                                                            lambda y: y.add_(1))),
    ("scalar_mul_saves_nothing", lambda m: _saved_then_changed(m, lambda y: y * 3,
                                                               lambda y: y.mul_(2))),
    ("change_through_a_view", lambda m: _saved_then_changed(m, lambda y: y.tanh(),
                                                            lambda y: y[0:1].zero_(),
                                                            on_out=True)),
    ("base_changed_view_saved", lambda m: _view_saved_base_changed(m)),
    ("saved_view_then_setitem", lambda m: _saved_view_then_setitem(m)),
    ("own_node_saves_self", lambda m: _saved_then_changed(m, lambda y: y + 0,
                                                          lambda y: y.pow_(2))),
]


def _saved_then_changed(m, use, change, on_out=False):
    x = m.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    y = x * 1
    z = use(y)
    change(z if on_out else y)
    z.sum().backward()


def _saved_view_then_setitem(m):
    x = m.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    v = m.tensor(np.array([3.0]), requires_grad=True)
    y = x * 1
    y[0] = y[2] * v[0]
    y.sum().backward()


def _view_saved_base_changed(m):
    x = m.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    y = x * 1
    v = y[1:]
    z = v * v
    y.add_(1)
    z.sum().backward()


@pytest.mark.parametrize("name,program", VERSION_CASES, ids=[n for n, _ in VERSION_CASES])
def test_version_errors_where_torch_raises_them(name, program):
    assert _version_error(ag, program) == _version_error(torch, program)


def test_version_error_names_the_node_and_the_versions():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"saved by <MulBackward0>, is at version 1; "
                                           r"expected version 0"):
        z.sum().backward()


def test_versions_count_in_place_ops_and_views_share_them():
    for m in (ag, torch):
        y = m.zeros(4)
        v = y[1:3]
        assert (y._version, v._version) == (0, 0)
        v.add_(1)
        y.mul_(2)
        assert (y._version, v._version) == (2, 2)
        assert y.tolist() == [0.0, 2.0, 2.0, 0.0]


# ---- leaves -------------------------------------------------------------------------------
@pytest.mark.parametrize("write", [lambda w: w.add_(1), lambda w: w.zero_(),
                                   lambda w: w.__setitem__(0, 1.0), lambda w: w[0:1].mul_(2)])
def test_a_leaf_that_requires_grad_is_written_only_under_no_grad(write):
    for m in (ag, torch):
        w = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            write(w)
        with m.no_grad():
            write(w)
        assert w.requires_grad and w.grad_fn is None


def test_a_float_result_is_not_written_into_an_int_tensor():
    with pytest.raises(RuntimeError, match="add_: result type float.* can't be cast to the "
                                           "desired output type int64"):
        ag.tensor([1, 2]).add_(0.5)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).add_(0.5)


def test_a_result_that_does_not_fit_is_refused_before_anything_changes():
    x = ag.zeros(3)
    with pytest.raises(RuntimeError, match=r"add_: an operand of shape \(2, 3\) does not "
                                           r"broadcast to the tensor of shape \(3,\)"):
        x.add_(ag.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"mul_: the result has shape \(2, 3\), which does "
                                           r"not fit the tensor of shape \(3,\)"):
        x.mul_(ag.ones(2, 3, requires_grad=True))
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0


def test_writing_through_an_expanded_view_is_refused():
    y = ag.zeros(1, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="more than one element"):
        y.expand(4, 3).add_(1)


def test_a_detached_tensor_writes_into_its_source_as_in_torch():
    for m in (ag, torch):
        x = m.tensor(np.array([1.0, 2.0]), requires_grad=True)
        y = x * 3
        z = y * y  # saves y
        y.detach().zero_()  # allowed, and y's memory changes...
        assert y.tolist() == [0.0, 0.0] and y._version == 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()  # ...so the backward that needs the old y refuses


def test_matmul_assignment_rebinds_as_in_torch():
    for m in (ag, torch):
        x = m.ones(2, 3)
        w = m.ones(3, 4)
        before = x
        x @= w
        assert x.shape == (2, 4) and before.shape == (2, 3)


# ---- in-place equals out-of-place ---------------------------------------------------------
OPS = {"add_": (lambda t, c: t.add_(c), lambda t, c: t + c),
       "mul_": (lambda t, c: t.mul_(c), lambda t, c: t * c),
       "sub_": (lambda t, c: t.sub_(c), lambda t, c: t - c),
       "clamp_": (lambda t, c: t.clamp_(-abs(c), abs(c)), lambda t, c: t.clip(-abs(c), abs(c))),
       "tanh_": (lambda t, c: t.tanh_(), lambda t, c: t.tanh())}


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-5, 5), min_size=1, max_size=6), c=st.floats(-3, 3),
       op=st.sampled_from(sorted(OPS)))
def test_inplace_and_out_of_place_agree(values, c, op):
    inplace, outplace = OPS[op]
    data = np.array(values)
    x1 = ag.tensor(data, requires_grad=True)
    x2 = ag.tensor(data, requires_grad=True)
    a = inplace(x1 * 1, c)
    b = outplace(x2 * 1, c)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
