"""Relu's formulation: `np.maximum(x, 0.0)` against the other ways to write it. Not a cut;
the fastest one has changed between hosts, so it is timed here, not chosen in a comment."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.ops import unary

from .core import F32, LOSE, Row, Settings, Table, channels_last, race


def bench_relu(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("Relu.forward np.maximum(x, 0.0)", unary.__name__, "always "
              "(a formulation, not a cut); 'fast' is the library's, 'plain' the alternative",
              "", "above", 0, judge=relu_verdict)
    shapes = (((32, 8, 14, 14), "cnn"),) if s.quick else (
        ((128, 256), "mlp"), ((32, 8, 28, 28), "cnn/bn_cnn"), ((32, 16, 14, 14), "cnn/bn_cnn"),
        ((128, 32, 28, 28), "cnn_big"), ((128, 64, 14, 14), "cnn_big"))
    for shape, name in shapes:
        x = channels_last(shape, rng) if len(shape) == 4 else rng.standard_normal(shape,
                                                                                   dtype=F32)

        def lib(x: np.ndarray = x) -> Any:
            return np.maximum(x, 0.0, out=...)

        memory = x.transpose(np.argsort([-st for st in x.strides]))
        assert memory.flags.c_contiguous
        memory.reshape(-1)[:4] = (np.nan, -np.inf, np.inf, -0.0)  # relu keeps NaN, as PyTorch

        def zeros_in_place(x: np.ndarray = x) -> Any:
            out = np.zeros_like(x)  # x's layout
            return np.maximum(x, out, out=out)

        alternatives = {
            "max(x, zeros_like(x))": lambda x=x: np.maximum(x, np.zeros_like(x)),
            "zeros_like, max out=": zeros_in_place,
            "max(x, f32(0))": lambda x=x: np.maximum(x, F32(0)),
            "clip(x, 0)": lambda x=x: np.clip(x, F32(0), None),
        }
        ref = lib()
        for alt, f in alternatives.items():
            if not np.array_equal(f(), ref, equal_nan=True):
                raise AssertionError(f"relu {shape}: {alt} differs from np.maximum(x, 0.0)")
            a, b, spread = race(lib, f, s)
            t.rows.append(Row(f"{name} {shape}", x.size, alt, a, b, True, spread))
    return t


def relu_verdict(t: Table) -> str:
    """Whether any alternative is more than 5% faster than the library's formulation."""
    worse = [r for r in t.rows if r.ratio > LOSE]
    if not worse:
        return "np.maximum(x, 0.0) is the fastest or within 5% of it for every shape"
    return "an alternative is more than 5% faster: " + ", ".join(
        f"{r.case} {r.label} ({r.ratio:.2f})" for r in worse)


