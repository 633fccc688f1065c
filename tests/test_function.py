"""User-defined ops with `autograd.Function`, and `gradcheck` catching wrong gradients."""

import numpy as np
import pytest
import torch

import autograd as ag
from autograd import Function, Tensor


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(x.numpy()**3)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class ScaledExp(Function):
    """Saves its output and takes a non-tensor argument."""

    @staticmethod
    def forward(ctx, x, scale):
        out = Tensor(np.exp(x.numpy()) * scale)
        ctx.save_for_backward(out)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out, None


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor(x.numpy()**2)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2 * x


class Passthrough(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_custom_function_forward_backward_and_second_order():
    x = ag.tensor([1.0, -2.0, 0.5], dtype=ag.float64, requires_grad=True)
    y = Cube.apply(x)
    assert repr(y.grad_fn) == "<CubeBackward0>"
    (g,) = ag.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy()**2)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())
    assert ag.gradcheck(Cube.apply, [x])


def test_saved_output_and_non_tensor_arguments():
    x = ag.tensor([0.1, 0.2], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: ScaledExp.apply(t, 3.0), [x])
    y = ScaledExp.apply(x, 3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(x.numpy()))


def test_needs_input_grad_and_no_graph_under_no_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = tuple(ctx.needs_input_grad[:2])
            return Tensor(a.numpy() * b.numpy())

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    a, b = ag.ones(2, requires_grad=True), ag.ones(2)
    out = Probe.apply(a, b)
    assert seen["needs"] == (True, False) and out.grad_fn is not None
    with ag.no_grad():
        out = Probe.apply(a, b)
    assert seen["needs"] == (False, False) and out.grad_fn is None


def test_forward_returning_its_input_gets_a_new_identity():
    x = ag.ones(2, requires_grad=True)
    y = Passthrough.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_backward_with_wrong_number_of_gradients_is_named():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return Tensor(x.numpy())

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match="TooMany.backward returned 2 gradients; expected 1"):
        TooMany.apply(ag.ones(2, requires_grad=True)).sum().backward()


def test_backward_gradient_of_wrong_shape_is_named():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return Tensor(x.numpy())

        @staticmethod
        def backward(ctx, grad):
            return ag.ones(5)

    with pytest.raises(RuntimeError, match=r"BadShapeBackward0.*shape \(5,\).*shape \(3,\)"):
        BadShape.apply(ag.ones(3, requires_grad=True)).sum().backward()


def test_forward_must_return_a_tensor():
    class ReturnsArray(Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy()

    with pytest.raises(TypeError, match="ReturnsArray.forward returned ndarray"):
        ReturnsArray.apply(ag.ones(2, requires_grad=True))


def test_gradcheck_catches_a_wrong_backward_and_names_it():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ag.GradcheckError, match=r"input 0 \(shape \(3,\)\), element \(2,\).*"
                       r"analytic 3 vs numerical 6"):
        ag.gradcheck(WrongSquare.apply, [x])
    assert isinstance(ag.GradcheckError("x"), RuntimeError)


def test_gradcheck_uses_float64_copies_and_leaves_inputs_alone():
    x = ag.tensor([0.5, 1.5], requires_grad=True)  # float32
    before = x.numpy().copy()
    assert ag.gradcheck(lambda t: (t * t).exp().sum(), [x])
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.dtype == ag.float32 and x.grad is None


def test_gradcheck_skips_inputs_without_grad_and_needs_one():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    c = ag.tensor([3.0, 4.0], dtype=ag.float64)
    assert ag.gradcheck(lambda a, b: a * b, [x, c])
    with pytest.raises(ValueError, match="no input requires grad"):
        ag.gradcheck(lambda a: a * 2, [c])


def test_custom_function_matches_torch_custom_function():
    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    data = np.array([0.5, -1.0, 2.0])
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (Cube.apply(x) * x).sum().backward()
    (TorchCube.apply(tx) * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_gradcheck_of_a_function_that_differentiates_itself():
    """Second derivatives: fn calls grad(create_graph=True) inside, as torch allows."""
    x = ag.tensor([0.3, -0.7, 1.1], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: ag.grad((t**3).sum(), t, create_graph=True)[0], [x])


class EarlyRelease(Cube):
    """Cube that frees its saved input as soon as backward has read it."""

    @staticmethod
    def backward(ctx, grad):
        grads = Cube.backward(ctx, grad)
        ctx.release_saved()
        return grads


def test_release_saved_frees_only_when_nothing_retains_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = EarlyRelease.apply(x * 1)
    y.sum().backward(retain_graph=True)  # retained: the release keeps what was saved
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 24.0])
    assert y.grad_fn.saved is None
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        y.sum().backward()


def test_a_custom_forward_written_with_tensor_ops_records_nothing_inside():
    """As in PyTorch, forward runs without recording: its result's only node is the
    Function's own, whose backward gives the gradient."""

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    y = Cube.apply(x)
    assert type(y.grad_fn) is Cube and y.grad_fn.parents == (x,)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert ag.is_grad_enabled()
