"""Bind the op functions as Tensor methods, so `x.exp()` and `ag.exp(x)` are one function."""

from __future__ import annotations

from . import elementwise, extremes, reduce, shape, smooth
from .elementwise import Add, Div, Mul, Pow, Sub, arithmetic

_METHODS = {
    elementwise: "exp log log1p sqrt abs sin cos tanh sigmoid relu clip clamp maximum minimum",
    reduce: "sum mean var std logsumexp log_softmax",
    extremes: "amax amin max min argmax argmin",
    smooth: "softplus",
    shape: "reshape view flatten squeeze unsqueeze permute transpose expand broadcast_to",
}


_ARITHMETIC = {"add": Add, "sub": Sub, "mul": Mul, "truediv": Div, "pow": Pow}


def install_methods(cls: type) -> None:
    for module, names in _METHODS.items():
        for name in names.split():
            setattr(cls, name, getattr(module, name))
    for name, fn in _ARITHMETIC.items():
        setattr(cls, f"__{name}__", arithmetic(fn))
        setattr(cls, f"__r{name}__", arithmetic(fn, reflected=True))
