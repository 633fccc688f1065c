"""The window fold (conv2d's input gradient): the block size of the window-major copy it adds
from. A size, not a switch: each block size tried is timed against the library's."""

from __future__ import annotations

import types
from functools import partial
from typing import Any

import numpy as np

from autograd.ops import window
from autograd.tensor import _make

from .core import F32, HUGE, WIN, Row, Settings, Table, _num, race, set_attr


def fold_grad(n: int, c: int, h: int, rng: np.random.Generator) -> tuple[Any, tuple, tuple]:
    """The gradient a 3x3, padding-1 conv2d hands its SlidingWindow in backward: (N, H, W, C,
    3, 3), stored (N, H, W, 3, 3, C) as the im2col matmul's gradient is, and the padded
    channels-last input's shape."""
    g = rng.standard_normal((n, h, h, 3, 3, c), dtype=F32).transpose(0, 1, 2, 5, 3, 4)
    return _make(g), (n, h + 2, h + 2, c), ((1, 2), (3, 3), (1, 1), (1, 1))


def run_fold(grad: Any, in_shape: tuple, spec: tuple, block: int) -> np.ndarray:
    restore = set_attr(window, "_BLOCK_BYTES", block)
    try:
        ctx = types.SimpleNamespace()
        return window.WindowFold.forward(ctx, grad, in_shape, *spec, None)._data
    finally:
        restore()


def fold_no_copy(grad: Any, in_shape: tuple, spec: tuple) -> np.ndarray:
    """The fold without the window-major copy: each offset adds a strided slice of `g`."""
    g = grad._data
    out = np.zeros(in_shape, g.dtype)
    dims, win, stride, _ = spec
    counts = g.shape[: g.ndim - len(win)]
    for i in range(win[0]):
        for j in range(win[1]):
            target = [slice(None)] * len(in_shape)
            target[dims[0]] = slice(i, i + stride[0] * (counts[dims[0]] - 1) + 1, stride[0])
            target[dims[1]] = slice(j, j + stride[1] * (counts[dims[1]] - 1) + 1, stride[1])
            out[tuple(target)] += g[..., i, j]
    return out


def bench_block_bytes(s: Settings, rng: np.random.Generator) -> Table:
    lib = window._BLOCK_BYTES
    t = Table("_BLOCK_BYTES", window.__name__, "(a block size, not a switch) each "
              "window-major copy holds about this many bytes", "block B", "below", lib,
              judge=block_verdict)
    t.rule += f"; here 'fast' is the block size tried, 'plain' the library's {_num(lib)}"
    blocks = (2**18, lib, HUGE) if s.quick else (
        2**16, 2**17, 2**18, 2**19, 2**20, 2**21, 2**22, 2**23, HUGE)
    cases = ((("cnn", 8, 8, 14),) if s.quick else
             (("cnn conv2", 32, 8, 14), ("cnn_big conv2", 128, 32, 14), ("x4 chans", 32, 128, 14)))
    for name, n, c, h in cases:
        grad, in_shape, spec = fold_grad(n, c, h, rng)
        ref = fold_no_copy(grad, in_shape, spec)
        label = f"{name} g={grad._data.nbytes / 2**20:.1f}MiB"
        lib_fold = partial(run_fold, grad, in_shape, spec, lib)
        for b in blocks:
            out = run_fold(grad, in_shape, spec, b)
            if not np.array_equal(out, ref):
                raise AssertionError(f"_BLOCK_BYTES {name}: block {b} changes the fold")
            a, base, spread = race(partial(run_fold, grad, in_shape, spec, b), lib_fold, s)
            t.rows.append(Row(label, b, "", a, base, b == lib, spread))
        a, base, spread = race(partial(fold_no_copy, grad, in_shape, spec), lib_fold, s)
        t.rows.append(Row(label, -1, "no copy", a, base, False, spread))
    return t


def block_verdict(t: Table) -> str:
    """Per case, the best block size and those within 5% of the library's."""
    lines = []
    for case in dict.fromkeys(r.case for r in t.rows):
        rows = [r for r in t.rows if r.case == case]
        best = min(rows, key=lambda r: r.ratio)
        near = [_num(r.param) for r in rows if r.ratio <= 1.05 and r.param > 0]
        lines.append(f"{case}: best {best.label or _num(best.param)} at {best.ratio:.2f} of "
                     f"{_num(t.cut)}'s time; within 5% of it: {', '.join(near)}")
    lib_ok = all(min(r.ratio for r in t.rows if r.case == c) >= WIN
                 for c in dict.fromkeys(r.case for r in t.rows))
    lines.append(f"library's {_num(t.cut)}: "
                 + ("no block size tried is 5% faster in any case" if lib_ok
                    else "another block size is more than 5% faster (above)"))
    return "\n   ".join(lines)


