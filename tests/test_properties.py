"""Property tests: broadcasting and reductions agree with numpy for arbitrary shapes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag

FLOATS = st.floats(-10, 10, allow_nan=False, width=64)
settings.register_profile("chainrule", max_examples=60, deadline=None)
settings.load_profile("chainrule")


@st.composite
def broadcastable_pair(draw):
    a_shape, b_shape = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4,
                                                                max_side=4)).input_shapes
    a = draw(hnp.arrays(np.float64, a_shape, elements=FLOATS))
    b = draw(hnp.arrays(np.float64, b_shape, elements=FLOATS))
    return a, b


def _sum_to(g, shape):
    """Reference: sum a broadcast gradient back to `shape` with plain numpy."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


@given(broadcastable_pair())
def test_broadcast_mul_matches_numpy_and_sums_grads_back(pair):
    a, b = pair
    ta, tb = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    out = ta * tb
    np.testing.assert_array_equal(out.numpy(), a * b)
    out.sum().backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    np.testing.assert_allclose(ta.grad.numpy(), _sum_to(np.broadcast_to(b, full), a.shape))
    np.testing.assert_allclose(tb.grad.numpy(), _sum_to(np.broadcast_to(a, full), b.shape))
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                  elements=FLOATS), st.data())
def test_reductions_match_numpy(x, data):
    dims = data.draw(st.lists(st.integers(0, x.ndim - 1), unique=True, min_size=1))
    neg = [d - x.ndim if data.draw(st.booleans()) else d for d in dims]
    keep = data.draw(st.booleans())
    t = ag.tensor(x)
    axis = tuple(dims)
    np.testing.assert_allclose(t.sum(dim=tuple(neg), keepdim=keep).numpy(),
                               x.sum(axis=axis, keepdims=keep))
    np.testing.assert_allclose(t.mean(dim=tuple(neg), keepdim=keep).numpy(),
                               x.mean(axis=axis, keepdims=keep))
    np.testing.assert_allclose(t.amax(dim=tuple(neg), keepdim=keep).numpy(),
                               x.max(axis=axis, keepdims=keep))
    np.testing.assert_allclose(t.var(dim=tuple(neg), unbiased=False, keepdim=keep).numpy(),
                               x.var(axis=axis, keepdims=keep), atol=1e-9)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=4),
                  elements=FLOATS))
def test_sum_over_split_dims_equals_one_sum(x):
    t = ag.tensor(x)
    np.testing.assert_allclose(t.sum((0, 1)).numpy(), t.sum(1).sum(0).numpy())


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=FLOATS))
def test_adding_zero_keeps_the_gradient(x):
    a, b = ag.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    (a.tanh() * 3).sum().backward()
    ((b + 0).tanh() * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-1e4, 1e4, width=64)))
def test_logsumexp_is_finite_and_its_gradient_is_softmax(x):
    t = ag.tensor(x, requires_grad=True)
    out = t.logsumexp(dim=-1)
    assert np.isfinite(out.numpy()).all()
    out.sum().backward()
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(t.grad.numpy(), e / e.sum(axis=-1, keepdims=True), atol=1e-12)
