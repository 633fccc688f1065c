"""Shared test machinery: one table row drives PyTorch parity and float64 gradcheck."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

import autograd as ag

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=2e-5)}

# Broadcasting shape pairs shared by every binary op.
BROADCAST_PAIRS = [
    ((), ()),
    ((3,), ()),
    ((), (3,)),
    ((3,), (3,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((1,), (2, 3)),
    ((0, 3), (3,)),
]
UNARY_SHAPES = [((),), ((3,),), ((2, 3, 4),), ((0, 3),)]


def normal(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


@dataclass
class OpCase:
    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    shapes: list = field(default_factory=lambda: UNARY_SHAPES)
    make: Callable[[tuple, np.random.Generator], np.ndarray] = normal
    data: list | None = None  # fixed inputs instead of random ones (ties, kinks)
    eps: float = 1e-6  # gradcheck step; larger where a float32 round trip adds noise

    def inputs(self, shapes: tuple) -> list[np.ndarray]:
        if self.data is not None:
            return [np.asarray(d, dtype=np.float64) for d in self.data]
        rng = np.random.default_rng(zlib.crc32(repr((self.name, shapes)).encode()))
        return [self.make(s, rng) for s in shapes]


def cases(table: list[OpCase]) -> list:
    """pytest params: one per (op, shapes) row."""
    import pytest

    params = []
    for case in table:
        for shapes in [None] if case.data is not None else case.shapes:
            params.append(pytest.param(case, shapes, id=f"{case.name}-{shapes}"))
    return params


def _to_np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.numpy() if isinstance(t, ag.Tensor) else t)


def assert_close(ours: Any, theirs: Any, dtype: Any, what: str) -> None:
    o, t = _to_np(ours), _to_np(theirs)
    assert o.shape == t.shape, f"{what}: shape {o.shape} vs torch {t.shape}"
    assert o.dtype == t.dtype, f"{what}: dtype {o.dtype} vs torch {t.dtype}"
    np.testing.assert_allclose(o, t, err_msg=what, **TOL[dtype])


def check_parity(fn: Callable, tfn: Callable, arrays: list[np.ndarray], dtype: Any) -> None:
    """Forward values and input gradients of `fn` match torch's `tfn` at `dtype`."""
    ours = [ag.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, tout = fn(*ours), tfn(*theirs)
    assert_close(out, tout, dtype, "forward")
    seed = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    out.backward(ag.tensor(seed))
    tout.backward(torch.tensor(seed))
    for i, (x, tx) in enumerate(zip(ours, theirs)):
        if tx.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy()), f"grad {i}: torch has none"
            continue
        assert x.grad is not None, f"grad {i}: missing"
        assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
        assert_close(x.grad, tx.grad, dtype, f"grad of input {i}")


def check_gradcheck(fn: Callable, arrays: list[np.ndarray], eps: float = 1e-6) -> None:
    xs = [ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays]
    assert ag.gradcheck(fn, xs, eps=eps)


def numpy_with(**overrides: Callable) -> Any:
    """numpy, with the named functions replaced: patched in as a module's `np`, it lets a test
    watch (or change) the calls that module makes."""

    class Numpy:
        def __getattr__(self, name: str) -> Any:
            return getattr(np, name)

    patched = Numpy()
    for name, fn in overrides.items():
        setattr(patched, name, fn)
    return patched
