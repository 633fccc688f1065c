"""Bad input fails at once, with PyTorch's exception class and a message that names the op and
the shapes or values, and leaves nothing half-updated behind."""

import numpy as np
import pytest
import torch

import autograd as ag

Shape = ag.ShapeError  # shape errors: a RuntimeError as in PyTorch, a ValueError as in numpy
SUM_LIKE = ("sum", "mean", "amax", "logsumexp")

# (id, call with the module `m` = autograd or torch, our exception class, our message)
CASES = [
    *[(name, op, Shape, rf"{name}: shapes \(2, 3\) and \(4,\) do not broadcast") for name, op in [
        ("add", lambda m: m.ones(2, 3) + m.ones(4)),
        ("sub", lambda m: m.ones(2, 3) - m.ones(4)),
        ("mul", lambda m: m.ones(2, 3) * m.ones(4)),
        ("div", lambda m: m.ones(2, 3) / m.ones(4)),
        ("maximum", lambda m: m.maximum(m.ones(2, 3), m.ones(4))),
    ]],
    ("where", lambda m: m.where(m.ones(2, 3) > 0, m.ones(2, 3), m.ones(4)), Shape,
     r"where: shapes \(2, 3\) and \(2, 3\) and \(4,\) do not broadcast"),
    ("matmul", lambda m: m.ones(2, 3) @ m.ones(2, 3), Shape,
     r"matmul: shapes \(2, 3\) and \(2, 3\) do not align \(3 != 2\)"),
    ("matmul-1d", lambda m: m.ones(3) @ m.ones(4), Shape,
     r"matmul: shapes \(3,\) and \(4,\) do not align"),
    ("matmul-0d", lambda m: m.ones(2, 3) @ m.tensor(2.0), Shape,
     r"matmul: both operands must be at least 1-D, got \(2, 3\) and \(\)"),
    ("matmul-batch", lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 4), Shape,
     r"matmul: batch dims of \(2, 2, 3\) and \(3, 3, 4\) do not broadcast"),
    ("cat", lambda m: m.cat([m.ones(2, 3), m.ones(3, 2)]), Shape,
     r"cat: shapes \[\(2, 3\), \(3, 2\)\] must match except in dim 0"),
    ("cat-empty", lambda m: m.cat([]), ValueError, "cat: expected a non-empty"),  # as torch
    ("stack", lambda m: m.stack([m.ones(2), m.ones(3)]), Shape,
     r"stack: all tensors must have one shape, got \[\(2,\), \(3,\)\]"),
    ("reshape", lambda m: m.ones(2, 3).reshape(4, 2), Shape,
     r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    ("expand-fewer", lambda m: m.ones(2, 3).expand(3), Shape,
     r"expand: cannot expand shape \(2, 3\) to fewer dims \(3,\)"),
    ("expand-size", lambda m: m.ones(2, 3).expand(2, 4), Shape,
     r"expand: shapes \(2, 3\) and \(2, 4\) do not broadcast"),
    ("permute-repeat", lambda m: m.ones(2, 3).permute(0, 0), Shape,
     r"permute: \(0, 0\) is not a permutation of the 2 dims of \(2, 3\)"),
    ("permute-short", lambda m: m.ones(2, 3).permute(0), Shape,
     r"permute: \(0,\) is not a permutation of the 2 dims"),
    ("permute-range", lambda m: m.ones(2, 3).permute(0, 2), IndexError,
     r"permute: dim 2 is out of range for 2 dims \(expected -2 to 1\)"),
    *[(f"{op}-dim", lambda m, op=op: getattr(m.ones(2, 3), op)(dim=2), IndexError,
       rf"{op}: dim 2 is out of range for a tensor of 2 dims \(expected -2 to 1\)")
      for op in SUM_LIKE],
    *[(f"{op}-neg-dim", lambda m, op=op: getattr(m.ones(2, 3), op)(dim=(0, -3)), IndexError,
       rf"{op}: dim -3 is out of range") for op in SUM_LIKE],
    *[(f"{op}-repeated", lambda m, op=op: getattr(m.ones(2, 3), op)(dim=(0, -2)), Shape,
       rf"{op}: dim \(0, -2\) names a dim more than once") for op in SUM_LIKE],
    ("log_softmax-int", lambda m: m.log_softmax(m.tensor([1, 2, 3]), 0), RuntimeError,
     "log_softmax: expected a floating point tensor, got dtype int64"),
    ("log_softmax-dim", lambda m: m.log_softmax(m.ones(2, 3), 2), IndexError,
     r"log_softmax: dim 2 is out of range for a tensor of 2 dims"),
    ("index", lambda m: m.ones(2, 3)[5], IndexError,
     r"index: index 5 is out of bounds for axis 0 with size 2 .*shape \(2, 3\)"),
    ("index-dim1", lambda m: m.ones(2, 3)[:, -4], IndexError,
     r"index: index -4 is out of bounds for axis 1 with size 3"),
    ("item", lambda m: m.ones(2, 3).item(), RuntimeError,
     "item: a Tensor with 6 elements cannot be converted to a scalar"),
    ("clip", lambda m: m.ones(2).clip(), RuntimeError, "clip: at least one of min and max"),
    ("tensor-str", lambda m: m.tensor("abc"), TypeError, "tensor: cannot make a tensor from str"),
    ("tensor-ragged", lambda m: m.tensor([[1.0, 2.0], [3.0]]), ValueError,
     "tensor: cannot make a tensor from this data.*inhomogeneous"),
    ("int-requires-grad", lambda m: m.tensor([1, 2], requires_grad=True), RuntimeError,
     "requires_grad: only floating point tensors .*got dtype int64"),
    ("int-zeros-requires-grad", lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
     RuntimeError, "requires_grad: .*int64"),
    ("backward-no-grad", lambda m: m.ones(2).sum().backward(), RuntimeError,
     "backward: output 0 does not require grad and has no grad_fn"),
]


@pytest.mark.parametrize("call, exc, match", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_error_class_and_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call(ag)
    with pytest.raises(RuntimeError if exc is Shape else exc):  # the class PyTorch raises
        call(torch)


def test_shape_error_is_a_runtime_error_and_a_value_error():
    assert issubclass(ag.ShapeError, RuntimeError) and issubclass(ag.ShapeError, ValueError)


def test_requires_grad_setter_on_an_int_tensor_raises_and_keeps_the_flag():
    t = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="requires_grad: .*got dtype int64"):
        t.requires_grad = True
    assert not t.requires_grad and (t * 2.0).grad_fn is None


def test_tensor_of_strings_is_a_type_error():  # torch says ValueError for a list of str
    with pytest.raises(TypeError, match=r"tensor: cannot make a tensor from list data .*<U1"):
        ag.tensor(["a", "b"])


# ---- nothing is left half-updated ---------------------------------------------------------------
def _model(w, b, x):
    return ((x @ w + b).tanh() ** 2).mean()


BAD_CALLS = [
    lambda w, b, x: w @ x,
    lambda w, b, x: x @ w + b.reshape(2, 1),
    lambda w, b, x: ag.maximum(w, x),
    lambda w, b, x: ag.cat([w, x]),
    lambda w, b, x: w.reshape(5),
    lambda w, b, x: w.expand(4, 3, 3),
    lambda w, b, x: w.permute(1, 1),
    lambda w, b, x: w.sum(dim=(0, 2)),
    lambda w, b, x: w[3],
    lambda w, b, x: w.clip(),
    lambda w, b, x: (x @ w).backward(),
    lambda w, b, x: _model(w, b, x).backward(ag.ones(1)),
    lambda w, b, x: (x @ w + b).backward(ag.ones(2, 4)),
]


def test_failed_calls_change_nothing_and_training_goes_on():
    rng = np.random.default_rng(0)
    arrays = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((4, 3))
    w, b = (ag.tensor(a, requires_grad=True) for a in arrays[:2])
    tw, tb = (torch.tensor(a, requires_grad=True) for a in arrays[:2])
    x, tx = ag.tensor(arrays[2]), torch.tensor(arrays[2])
    _model(w, b, x).backward()
    _model(tw, tb, tx).backward()
    before = [(t.numpy().copy(), t.grad.numpy().copy()) for t in (w, b)]
    for i, bad in enumerate(BAD_CALLS):
        with pytest.raises((RuntimeError, IndexError)):
            bad(w, b, x)
        for t, (data, grad) in zip((w, b), before):
            np.testing.assert_array_equal(t.numpy(), data, err_msg=f"bad call {i} changed data")
            np.testing.assert_array_equal(t.grad.numpy(), grad,
                                          err_msg=f"bad call {i} changed grad")
            assert t.is_leaf and t.requires_grad
    np.testing.assert_array_equal(x.numpy(), arrays[2])
    loss, tloss = _model(w, b, x), _model(tw, tb, tx)  # a second step accumulates as in torch
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    for t, tt in ((w, tw), (b, tb)):
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-10)


def test_backward_on_non_scalar_needs_gradient_and_keeps_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    msg = r"backward: the output has shape \(2,\); pass gradient= of that shape"
    with pytest.raises(RuntimeError, match=msg):
        y.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (torch.tensor([1.0, 2.0], requires_grad=True) * 3).backward()
    assert x.grad is None
    y.backward(ag.tensor([1.0, 0.5]))  # the failed call did not free the graph
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.5])


def test_backward_with_a_gradient_of_the_wrong_shape():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match=r"backward: gradient has shape \(3,\) but the output "
                                           r"has shape \(2,\)"):
        y.backward(ag.ones(3))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (torch.tensor([1.0, 2.0], requires_grad=True) * 3).backward(torch.ones(3))
    assert x.grad is None
    y.backward(ag.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_backward_on_a_result_made_under_no_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        y = (x * x).sum()
    with pytest.raises(RuntimeError, match="backward: output 0 does not require grad"):
        y.backward()
    assert x.grad is None


# ---- a second backward through a freed graph -------------------------------------------------
def test_second_backward_through_a_freed_graph_raises_and_changes_no_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward: the graph through \w+ was freed by an "
                                           r"earlier backward\(\); pass retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = (tx * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ty.backward()


def test_partly_freed_graph_is_checked_before_any_grad_moves():
    """The fresh part (`* 3 + w`) is walked before the freed Mul node: nothing may move."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    h = w * w
    h.sum().backward()
    u = h * 3
    u.retain_grad()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (u + w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    assert u.grad is None  # its hook would run before the freed node is reached
    (w * w + w).sum().backward()  # a fresh graph still works
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 9.0])


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    tx = torch.tensor([1.0, -2.0], requires_grad=True)
    y, ty = (x * x).exp().sum(), (tx * tx).exp().sum()
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="retain_graph=True"):  # the second call freed it
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
