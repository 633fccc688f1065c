"""The core's shape: one recorder, methods visible on Tensor, an engine that knows no op,
broadcasting undone in one place, and small modules."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
import torch

import autograd as ag
from autograd.function import Function
from autograd.ops import binary, unary
from autograd.tensor import Tensor
from autograd.tensor_methods import TensorMethods

ROOT = Path(__file__).resolve().parents[1]

TWO_OPERANDS = [binary.Add, binary.Sub, binary.Mul, binary.Div, binary.Pow, binary.Maximum,
                binary.Minimum]
ONE_OPERAND = [unary.Exp, unary.Log, unary.Log1p, unary.Sqrt, unary.Sin, unary.Cos,
               unary.Tanh, unary.Neg, unary.Abs, unary.Sigmoid, unary.Relu, unary.Clone]


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad"])
@pytest.mark.parametrize("fn", TWO_OPERANDS + ONE_OPERAND, ids=lambda c: c.__name__)
def test_every_primitive_works_through_apply_in_every_grad_mode(fn, mode):
    x = ag.tensor([0.5, 1.5, 2.0], dtype=ag.float64, requires_grad=True)
    y = ag.tensor([2.0, 0.25, 3.0], dtype=ag.float64)
    args = (x, y) if fn in TWO_OPERANDS else (x,)
    with getattr(ag, mode)():
        out = fn.apply(*args)
    assert out.requires_grad == (mode == "enable_grad")
    name = fn.__name__.lower()
    expected = {"sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "pow": np.power,
                "clone": np.copy, "neg": np.negative, "relu": lambda a: np.maximum(a, 0),
                "sigmoid": lambda a: 1 / (1 + np.exp(-a))}
    ref = expected.get(name) or getattr(np, name)
    np.testing.assert_allclose(out.numpy(), ref(*(a.numpy() for a in args)), rtol=1e-12)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow"])
def test_operators_are_the_recorders_fast_path_of_apply(op):
    cls = {"add": binary.Add, "sub": binary.Sub, "mul": binary.Mul, "truediv": binary.Div,
           "pow": binary.Pow}[op]
    x = ag.tensor([1.5, 2.0], dtype=ag.float64, requires_grad=True)
    assert type(getattr(x, f"__{op}__")(2.0).grad_fn) is cls
    assert type(getattr(x, f"__r{op}__")(2.0).grad_fn) is cls
    with ag.no_grad():
        assert getattr(x, f"__{op}__")(x).grad_fn is None


def test_tensors_methods_are_defined_in_its_class_body():
    """help(Tensor) and editors see every method: none is set from elsewhere at import."""
    ours = {**TensorMethods.__dict__, **Tensor.__dict__}
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "clip", "sum",
                 "mean", "var", "std", "logsumexp", "log_softmax", "amax", "max", "argmax",
                 "reshape", "view", "flatten", "permute", "transpose", "expand",
                 "sum_to_size", "backward", "register_hook", "detach"]:
        assert name in ours and inspect.isfunction(ours[name]), name
    assert "exp(self)" in inspect.getsource(TensorMethods)
    for path in (ROOT / "autograd").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "tensor.py":
            assert "setattr(Tensor" not in text and "Tensor." + "__" not in text, path


def test_the_engine_imports_no_op():
    tree = ast.parse((ROOT / "autograd" / "engine.py").read_text(encoding="utf-8"))
    modules = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert modules and not any(m.startswith("ops") or ".ops" in m for m in modules), modules


@pytest.mark.parametrize("have, size", [((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)),
                                        ((4, 2, 3), (2, 1)), ((3,), (3,)), ((2, 3), ())])
def test_sum_to_size_matches_torch(have, size):
    data = np.arange(np.prod(have), dtype=np.float64).reshape(have)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = x.sum_to_size(size), tx.sum_to_size(size)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    weight = np.linspace(1, 2, max(1, out.numel())).reshape(out.shape)
    (out * ag.tensor(weight)).sum().backward()
    (tout * torch.tensor(weight)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert ag.gradcheck(lambda t: t.sum_to_size(size), [x])


def test_sum_to_size_refuses_a_size_that_does_not_broadcast():
    with pytest.raises(ag.ShapeError, match=r"sum_to_size: size \(4,\) does not broadcast"):
        ag.ones(2, 3).sum_to_size(4)


def test_a_custom_functions_gradient_of_the_wrong_shape_names_the_node():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return ag.Tensor(x.numpy() * 2)

        @staticmethod
        def backward(ctx, grad):
            return ag.ones(5)

    x = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward: <BadBackward0> returned a gradient of "
                                           r"shape \(5,\) for an input of shape \(3,\)"):
        Bad.apply(x).sum().backward()


@pytest.mark.parametrize("package", ["autograd", "nn", "optim", "benchmarks", "examples"])
def test_every_module_is_at_most_400_lines(package):
    for path in (ROOT / package).rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines"
