"""Every tuned size cut-off in the library, timed both ways on this host.

`python -m benchmarks.thresholds` (`--quick` for a smoke run, `--only NAME` for one table).

For each threshold both paths run on float32 arrays shaped like the activations of
`benchmarks/workloads.py` (cnn, cnn_big, bn_cnn: conv and batch-norm activations, in the
channels-last layout conv2d returns), over a sweep that spans the cut: the library's fast path
forced on against it forced off, by setting the module constant in this process, or, for a
cut written as a literal, by a copy of the library's function with that literal made a name
(so the benchmark runs the library's own code). The two paths alternate within each round, so
drift hits both, and each keeps its best time; a row whose medians spread by more than 15% is
measured again. Every row first checks that the two paths agree (bit for bit where they do
the same adds, to float32 rounding where BLAS reorders a sum), so a broken fast path fails.

Each table prints `fast / plain` (below 1: the fast path wins), what the library chooses
there (`lib`: fast or plain, found by calling the unpatched library), and `!` where that
choice is more than 5% slower than the other path. The lines under it give the measured
crossover, whether the library's constant sits within it, and how a candidate rule for the
same choice would have scored on the same rows. The process opts into
`autograd.tune_process()`, as `make bench` runs chainrule (`--untuned` leaves it out). Timings
stay in this output; nothing is asserted about them. Only the matmul in the
`ones @ matrix` sum goes through BLAS; the other paths are numpy's own loops, so compare
BLAS kernels (`OPENBLAS_CORETYPE`) for the sums and numpy's SIMD targets (printed in the
header; `NPY_DISABLE_CPU_FEATURES` changes them) for the rest.
"""

from __future__ import annotations
import __future__

import argparse
import gc
import importlib
import inspect
import math
import os
import platform
import statistics
import sys
import textwrap
import time
import types
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd.ops import extremes, reduce, window
from autograd.tensor import _make


def _module_with(name: str, *modules: str) -> types.ModuleType:
    """The first of `modules` that defines `name` (the ops are being split into files)."""
    for module in modules:
        try:
            found = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(found, name):
            return found
    raise ImportError(f"none of {modules} defines {name}: update benchmarks/thresholds.py")


binary = _module_with("_widen_small_operand", "autograd.ops.binary", "autograd.ops.elementwise")
unary = _module_with("Relu", "autograd.ops.unary", "autograd.ops.elementwise")

F32 = np.float32
WIN, LOSE = 0.95, 1.05  # fast / plain below WIN: the fast path wins; above LOSE: it loses
HUGE = sys.maxsize


# ---- timing ----------------------------------------------------------------------------------
@dataclass
class Settings:
    quick: bool = False
    target: float = 0.004  # seconds per sample (calls per sample calibrated to reach it)
    rounds: int = 9  # samples of each path, alternating
    retries: int = 2  # re-measurements of a row whose samples spread


def race(fa: Callable[[], Any], fb: Callable[[], Any], s: Settings) -> tuple[float, float, float]:
    """Best time per call of `fa` and `fb`, sampled alternately (who goes first alternates
    too), and the spread (median / best, the worse of the two)."""
    t0 = time.perf_counter()
    fa()
    fb()
    once = max(time.perf_counter() - t0, 1e-7) / 2
    number = max(1, int(s.target / once))
    rounds = s.rounds
    for attempt in range(s.retries + 1):
        ta: list[float] = []
        tb: list[float] = []
        enabled = gc.isenabled()
        gc.disable()
        try:
            for r in range(rounds):
                for f, out in ((fa, ta), (fb, tb)) if r % 2 == 0 else ((fb, tb), (fa, ta)):
                    t = time.perf_counter()
                    for _ in range(number):
                        f()
                    out.append((time.perf_counter() - t) / number)
        finally:
            if enabled:
                gc.enable()
        a, b = min(ta), min(tb)
        spread = max(statistics.median(ta) / a, statistics.median(tb) / b)
        if spread <= 1.15 or s.quick or attempt == s.retries:
            return a, b, spread
        rounds *= 2  # noisy (another process on the machine): sample again, longer
    raise AssertionError("unreachable")


def fmt_time(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:8.1f} us"
    return f"{t * 1e3:8.2f} ms"


# ---- tables ----------------------------------------------------------------------------------
@dataclass
class Row:
    case: str
    param: float  # the swept quantity the cut is on
    label: str
    fast: float
    plain: float
    lib_fast: bool
    spread: float
    key: float = 0.0  # a second quantity the crossover may follow better (Table.key_name)
    info: dict[str, float] = field(default_factory=dict)  # what candidate rules read

    @property
    def ratio(self) -> float:
        return self.fast / self.plain

    @property
    def wrong(self) -> bool:
        """The library's choice is more than 5% slower than the other path here."""
        return self.ratio > LOSE if self.lib_fast else self.ratio < WIN


@dataclass
class Table:
    name: str  # the constant, as the library names it
    where: str
    rule: str  # when the library takes the fast path
    param: str  # what the sweep varies
    fast_when: str  # "above" or "below": the fast path is meant for params above/below the cut
    cut: float
    rows: list[Row] = field(default_factory=list)
    key_name: str = ""  # when set, the verdict also splits the rows by Row.key
    # other rules for the same choice, scored on the same rows: (text, row -> take fast path)
    candidates: list[tuple[str, Callable[[Row], bool]]] = field(default_factory=list)

    def print(self) -> None:
        print(f"\n== {self.name}  ({self.where}): fast path when {self.rule}")
        print(f"   {'case':<34} {self.param:>9} {'fast':>11} {'plain':>11} {'fast/plain':>10}"
              f"  lib")
        for r in self.rows:
            noisy = "~" if r.spread > 1.15 else " "
            print(f"   {r.case + ' ' + r.label:<34} {_num(r.param):>9} {fmt_time(r.fast)} "
                  f"{fmt_time(r.plain)} {r.ratio:9.2f}{noisy}  {'fast' if r.lib_fast else 'plain'}"
                  f"{' !' if r.wrong else ''}")
        print("   " + self.verdict())

    def verdict(self) -> str:
        parts, ok = [], True
        for case in dict.fromkeys(r.case for r in self.rows):
            rows = sorted((r for r in self.rows if r.case == case), key=lambda r: r.param)
            parts.append(f"{case}: {crossover(rows, self.fast_when)}")
            ok &= not any(r.wrong for r in rows)
        wrong = [f"{r.case} {_num(r.param)} ({r.ratio:.2f})" for r in self.rows if r.wrong]
        where = ("within the crossover in every case" if ok else
                 "NOT within it: the library's choice loses at " + ", ".join(wrong))
        if self.candidates:
            where += "\n   " + _library_score(self.rows)
        text = f"crossover: {'; '.join(parts)}.\n   library's {_num(self.cut)}: {where}"
        if self.key_name:
            text += "\n   " + by_key(self.rows, self.key_name)
        for rule, fast in self.candidates:
            text += "\n   " + score(self.rows, rule, fast)
        return text


def score(rows: list[Row], rule: str, fast: Callable[[Row], bool]) -> str:
    """How a candidate rule would have chosen on these rows: where it is > 5% slower."""
    wrong = [r for r in rows if (r.ratio > LOSE if fast(r) else r.ratio < WIN)]
    lost = sum(abs(r.fast - r.plain) for r in wrong)
    where = ", ".join(f"{r.case} {_num(r.param)} ({r.ratio:.2f})" for r in wrong)
    return (f"candidate rule '{rule}': > 5% slower at {len(wrong)} of {len(rows)} rows"
            + (f" ({lost * 1e6:.0f} us in all): {where}" if wrong else ""))


def _library_score(rows: list[Row]) -> str:
    wrong = [r for r in rows if r.wrong]
    lost = sum(abs(r.fast - r.plain) for r in wrong)
    return f"library: > 5% slower at {len(wrong)} of {len(rows)} rows ({lost * 1e6:.0f} us in all)"


def by_key(rows: list[Row], name: str) -> str:
    """Whether one number orders the rows of every case: where the fast path loses and wins
    by `name`."""
    lose = [r.key for r in rows if r.ratio > LOSE]
    win = [r.key for r in rows if r.ratio < WIN]
    most = _num(max(lose)) if lose else "-"
    least = _num(min(win)) if win else "-"
    text = f"across all cases, by {name}: fast loses at {name} <= {most}, wins at {name} >= {least}"
    if lose and win and max(lose) > min(win):
        mixed = sorted(r.key for r in rows if min(win) <= r.key <= max(lose))
        text += f" (overlap: {len(mixed)} rows between {_num(min(win))} and {_num(max(lose))})"
    return text


def crossover(rows: list[Row], fast_when: str) -> str:
    """Where the fast path starts winning along the sweep, in the direction it is meant for."""
    seq = rows if fast_when == "above" else rows[::-1]
    wins = [r.ratio < WIN for r in seq]
    loses = [r.ratio > LOSE for r in seq]
    side = ">=" if fast_when == "above" else "<="
    if all(wins):
        return f"fast wins at every {side} {_num(seq[0].param)} tried"
    if not any(wins):
        if all(loses):
            return "fast never wins (loses everywhere)"
        return "fast never wins by 5% (ties or loses)"
    last_bad = max(i for i, w in enumerate(wins) if not w)
    if last_bad == len(seq) - 1:
        where = ", ".join(_num(r.param) for r, w in zip(seq, wins) if w)
        return f"no clean crossover: fast wins only at {where}, not at the end of the sweep"
    lo, hi = seq[last_bad].param, seq[last_bad + 1].param
    mixed = any(wins[:last_bad])
    note = " (it also wins at some points before)" if mixed else ""
    verb = "from" if fast_when == "above" else "up to"
    between = f"between {_num(lo)} and {_num(hi)}"
    return f"fast wins {verb} {_num(hi)} on ({between}){note}"


def _num(v: float) -> str:
    if v < 0:
        return "-"
    if v >= HUGE:
        return "inf"
    if v == int(v):
        v = int(v)
        if v >= 2**20 and v % 2**20 == 0:
            return f"{v // 2**20}Mi"
        if v >= 2**10 and v % 2**10 == 0 and v % 1000:
            return f"{v // 2**10}Ki"
        return str(v)
    return f"{v:.3g}"


# ---- helpers ---------------------------------------------------------------------------------
def channels_last(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A float32 (N, C, H, W) array stored (N, H, W, C), as conv2d and max_pool2d return it."""
    n, c, h, w = shape
    return rng.standard_normal((n, h, w, c), dtype=F32).transpose(0, 3, 1, 2)


def with_cuts(module: types.ModuleType, name: str, literals: dict[str, str],
              values: dict[str, Any]) -> Callable[..., Any]:
    """`module.name`, recompiled with each literal cut in `literals` (exact source text ->
    the same text with a name in place of the number) and those names bound to `values`.
    Fails if the library's source changed, so this benchmark is updated with it."""
    src = textwrap.dedent(inspect.getsource(getattr(module, name)))
    for old, new in literals.items():
        if old not in src:
            raise RuntimeError(f"{module.__name__}.{name} no longer contains {old!r}: "
                               "update benchmarks/thresholds.py")
        src = src.replace(old, new)
    namespace = dict(vars(module))
    namespace.update(values)
    code = compile(src, f"<{module.__name__}.{name}, cuts as names>", "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, namespace)  # noqa: S102 (the library's own source, one literal renamed)
    return namespace[name]


def set_attr(module: types.ModuleType, name: str, value: Any) -> Callable[[], None]:
    old = getattr(module, name)
    setattr(module, name, value)
    return lambda: setattr(module, name, old)


# ---- binary ops: widening a small broadcast operand ----------------------------------------
_WIDEN_LITERALS = {
    "small.size * 32 > big.size": "small.size * _RATIO_CUT > big.size",
    "big.shape[order[-1]] >= 256": "big.shape[order[-1]] >= _RUN_CUT",
    "math.prod(target) * 4 > big.size": "math.prod(target) * _TARGET_CUT > big.size",
}


def _widen_forced_on() -> Callable[..., Any]:
    return with_cuts(binary, "_widen_small_operand", _WIDEN_LITERALS,
                     {"_WIDEN_FROM": 0, "_RATIO_CUT": 1, "_RUN_CUT": HUGE, "_TARGET_CUT": 1})


def widen_row(table: Table, case: str, big: np.ndarray, small: np.ndarray, param: float,
              s: Settings, label: str = "") -> None:
    """`big * small` with the small operand widened (the library's code, every cut off) and
    as numpy broadcasts it; the library's own choice from its unpatched function."""
    widen = _widen_forced_on()
    wx, wy = widen(big, small)
    if wx is big and wy is small:
        raise AssertionError(f"{table.name} {case}: the forced fast path did not widen")
    plain = np.multiply(big, small)
    if not np.array_equal(np.multiply(wx, wy), plain):
        raise AssertionError(f"{table.name} {case} {big.shape}: widened result differs")
    lx, ly = binary._widen_small_operand(big, small)
    lib_fast = not (lx is big and ly is small)

    def fast() -> Any:
        return np.multiply(*widen(big, small))

    def slow() -> Any:
        return np.multiply(big, small)

    t_fast, t_plain, spread = race(fast, slow, s)
    order = sorted(range(big.ndim), key=lambda d: (big.shape[d] > 1, -big.strides[d]))
    runs = big.size // big.shape[order[-1]]  # innermost runs numpy loops over when broadcasting
    table.rows.append(Row(case, param, label, t_fast, t_plain, lib_fast, spread, runs,
                          {"runs": runs, "size": big.size}))


def bench_widen_from(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_WIDEN_FROM", binary.__name__, "the large operand has >= "
              f"{binary._WIDEN_FROM} elements", "size", "above", binary._WIDEN_FROM,
              key_name="runs")
    # (N, C, H, W) * (1, C, 1, 1): a batch-norm scale over a conv activation (N >= 4, so the
    # other cuts let it widen)
    sides = (4, 8, 16, 28) if s.quick else (2, 4, 6, 8, 11, 16, 23, 28, 40)
    for c, n in ((8, 4), (32, 4)):
        for h in sides:
            if c * n * h * h > 2**17 and h != sides[-1]:
                continue
            big = channels_last((n, c, h, h), rng)
            widen_row(t, f"(4,{c},H,H)*(1,{c},1,1)", big, rng.standard_normal((1, c, 1, 1),
                      dtype=F32), big.size, s, f"H={h}")
    if not s.quick:
        for shape, name in (((32, 8, 28, 28), "cnn"), ((32, 16, 14, 14), "cnn"),
                            ((128, 32, 28, 28), "cnn_big")):
            big = channels_last(shape, rng)
            widen_row(t, f"{name} {shape}", big, rng.standard_normal((1, shape[1], 1, 1),
                      dtype=F32), big.size, s)
    return t


def bench_run_cut(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("innermost run >= 256", "_widen_small_operand", "the large operand's innermost "
              "run (C, channels-last) is < 256", "C", "below", 256, key_name="runs")
    chans = (8, 64, 512) if s.quick else (8, 16, 32, 64, 128, 256, 512, 1024)
    for total in ((2**14,) if s.quick else (2**16, 2**18, 2**20)):
        n = 8
        for c in chans:
            side = max(1, round(math.sqrt(total / n / c)))
            big = channels_last((n, c, side, side), rng)
            widen_row(t, f"({n},C,H,H) ~{_num(total)}", big,
                      rng.standard_normal((1, c, 1, 1), dtype=F32), c, s, f"H={side}")
    return t


def bench_ratio_cut(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("small.size * 32 > big.size", "_widen_small_operand", "the small operand is "
              "under 1/32 of the large", "big/small", "above", 32)
    ns = (4, 16, 64) if s.quick else (4, 8, 16, 24, 32, 48, 64, 128)
    for c, h, layout in ((8, 28, "C"), (16, 14, "C"), (8, 28, "CL")) if not s.quick else (
            (8, 14, "C"),):
        for n in ns:
            big = channels_last((n, c, h, h), rng)
            small = (rng.standard_normal((1, c, h, h), dtype=F32) if layout == "C" else
                     channels_last((1, c, h, h), rng))  # C order: a fresh tensor; CL: as big
            widen_row(t, f"(N,{c},{h},{h})*(1,{c},{h},{h}) {layout}", big, small, n, s,
                      f"N={n}")
    return t


def bench_target_cut(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("prod(target) * 4 > big.size", "_widen_small_operand", "the widened operand is "
              "at most 1/4 of the large", "big/widened", "above", 4)
    ns = (1, 4, 8) if s.quick else (1, 2, 3, 4, 6, 8, 16, 32)
    for c, h in ((8, 28), (32, 28), (16, 14)) if not s.quick else ((8, 14),):
        for n in ns:
            big = channels_last((n, c, h, h), rng)
            widen_row(t, f"(N,{c},{h},{h})*(1,{c},1,1)", big,
                      rng.standard_normal((1, c, 1, 1), dtype=F32), n, s, f"N={n}")
    return t


# ---- reduce: sums over the outer dims as ones @ matrix -------------------------------------
class _OnesSpy:
    """Stands in for numpy inside reduce.py to see whether `_sum` took the BLAS path."""

    def __init__(self) -> None:
        self.used = False

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    def ones(self, *args: Any, **kwargs: Any) -> Any:
        self.used = True
        return np.ones(*args, **kwargs)


def _library_sums_by_blas(arr: np.ndarray, dims: tuple[int, ...]) -> bool:
    spy = _OnesSpy()
    restore = set_attr(reduce, "np", spy)
    try:
        reduce._sum(arr, dims, False)
    finally:
        restore()
    return spy.used


def sum_row(table: Table, case: str, arr: np.ndarray, dims: tuple[int, ...], param: float,
            s: Settings, label: str = "") -> None:
    def forced(on: bool) -> Callable[[], Any]:  # reduce._sum, its constants bound in a copy
        sum_ = with_cuts(reduce, "_sum", {}, {"_BLAS_SUM_FROM": 0 if on else HUGE,
                                              "_BLAS_SUM_ROWS_UNDER": HUGE if on else 0})
        return lambda: sum_(arr, dims, False)

    fast, slow = forced(True), forced(False)
    r2 = set_attr(reduce, "_BLAS_SUM_ROWS_UNDER", HUGE)
    r1 = set_attr(reduce, "_BLAS_SUM_FROM", 0)
    try:
        if not _library_sums_by_blas(arr, dims):
            raise AssertionError(f"{table.name} {case}: the forced fast path is not taken")
    finally:
        r1()
        r2()
    a, b = fast(), slow()
    scale = np.add.reduce(np.abs(arr), axis=dims)
    if a.shape != b.shape or not np.all(np.abs(a - b) <= 1e-5 * scale + 1e-6):
        raise AssertionError(f"{table.name} {case} {arr.shape}: BLAS sum differs from numpy's")
    t_fast, t_plain, spread = race(fast, slow, s)
    rows_summed = math.prod(arr.shape[d] for d in dims)
    table.rows.append(Row(case, param, label, t_fast, t_plain,
                          _library_sums_by_blas(arr, dims), spread, rows_summed,
                          {"M": rows_summed, "K": arr.size // rows_summed}))


def bench_blas_sum_from(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_BLAS_SUM_FROM", reduce.__name__, f"the array has >= "
              f"{reduce._BLAS_SUM_FROM} elements", "size", "above", reduce._BLAS_SUM_FROM,
              key_name="M")
    sides = (4, 16, 28) if s.quick else (2, 4, 6, 8, 11, 16, 23, 28, 40)
    for c in (8, 32) if not s.quick else (8,):
        for h in sides:  # batch-norm statistics / conv bias gradient, channels-last
            if c * 4 * h * h > 2**17 and h != sides[-1]:
                continue
            arr = channels_last((4, c, h, h), rng)
            sum_row(t, f"(4,{c},H,H) dims (0,2,3)", arr, (0, 2, 3), arr.size, s, f"H={h}")
    if not s.quick:
        for m in (16, 64, 256, 512, 1024, 4096, 16384):  # a linear layer's bias gradient
            arr = rng.standard_normal((m, 10), dtype=F32)
            sum_row(t, "(M,10) dim 0", arr, (0,), arr.size, s, f"M={m}")
        for shape, name in (((32, 8, 28, 28), "cnn"), ((32, 16, 14, 14), "cnn"),
                            ((128, 32, 28, 28), "cnn_big"), ((128, 64, 14, 14), "cnn_big")):
            arr = channels_last(shape, rng)
            sum_row(t, f"{name} {shape}", arr, (0, 2, 3), arr.size, s)
    return t


def bench_blas_rows(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_BLAS_SUM_ROWS_UNDER", reduce.__name__, "the kept row has < "
              f"{reduce._BLAS_SUM_ROWS_UNDER} elements", "row K", "below",
              reduce._BLAS_SUM_ROWS_UNDER, key_name="M")
    ks = (8, 128, 512) if s.quick else (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
    for m in ((2048,) if s.quick else (256, 512, 1024, 4096, 16384)):
        for k in ks:
            if m * k <= 2**23:  # up to 32 MB
                arr = rng.standard_normal((m, k), dtype=F32)
                sum_row(t, f"(M,K) dim 0, M={m}", arr, (0,), k, s, "")
    return t


# ---- window: the fold's block size -----------------------------------------------------------
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
        return window.WindowFold.forward(ctx, grad, in_shape, *spec, None).data
    finally:
        restore()


def fold_no_copy(grad: Any, in_shape: tuple, spec: tuple) -> np.ndarray:
    """The fold without the window-major copy: each offset adds a strided slice of `g`."""
    g = grad.data
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
              "window-major copy holds about this many bytes", "block B", "below", lib)
    t.rule += f"; here 'fast' is the block size tried, 'plain' the library's {_num(lib)}"
    blocks = (2**18, lib, HUGE) if s.quick else (
        2**16, 2**17, 2**18, 2**19, 2**20, 2**21, 2**22, 2**23, HUGE)
    cases = ((("cnn", 8, 8, 14),) if s.quick else
             (("cnn conv2", 32, 8, 14), ("cnn_big conv2", 128, 32, 14), ("x4 chans", 32, 128, 14)))
    for name, n, c, h in cases:
        grad, in_shape, spec = fold_grad(n, c, h, rng)
        ref = fold_no_copy(grad, in_shape, spec)
        label = f"{name} g={grad.data.nbytes / 2**20:.1f}MiB"
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


# ---- relu's formulation ----------------------------------------------------------------------
def bench_relu(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("Relu.forward np.maximum(x, 0.0)", unary.__name__, "always "
              "(a formulation, not a cut); 'fast' is the library's, 'plain' the alternative",
              "", "above", 0)
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
    worse = [r for r in t.rows if r.ratio > LOSE]
    if not worse:
        return "np.maximum(x, 0.0) is the fastest or within 5% of it for every shape"
    return "an alternative is more than 5% faster: " + ", ".join(
        f"{r.case} {r.label} ({r.ratio:.2f})" for r in worse)


# ---- extremes: the knockout argmax -----------------------------------------------------------
_EXTREME_LITERALS = {"not 2 <= k <= 8 or arr.size < 8192": "not 2 <= k <= _K_MAX or "
                     "arr.size < _SIZE_FROM"}


def extreme_row(table: Table, case: str, arr: np.ndarray, param: float, s: Settings,
                label: str = "") -> None:
    """`max(dim=0)` with values and indices, as max pooling asks for it (window-major)."""
    on = with_cuts(extremes, "_first_extreme", _EXTREME_LITERALS, {"_K_MAX": HUGE,
                                                                   "_SIZE_FROM": 0})
    off = with_cuts(extremes, "_first_extreme", _EXTREME_LITERALS, {"_K_MAX": 0,
                                                                    "_SIZE_FROM": HUGE})
    x = _make(arr)

    def forced(f: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            restore = set_attr(extremes, "_first_extreme", f)
            try:
                with ag.no_grad():
                    return extremes.max(x, 0)
            finally:
                restore()
        return run

    fast, slow = forced(on), forced(off)
    if on(arr, 0, True)[1] is None:
        raise AssertionError(f"{table.name} {case}: the forced knockout was not taken")
    a, b = fast(), slow()
    if not (np.array_equal(a.values.data, b.values.data)
            and np.array_equal(a.indices.data, b.indices.data)):
        raise AssertionError(f"{table.name} {case} {arr.shape}: knockout differs from argmax")
    lib_fast = extremes._first_extreme(arr, 0, True)[1] is not None
    t_fast, t_plain, spread = race(fast, slow, s)
    table.rows.append(Row(case, param, label, t_fast, t_plain, lib_fast, spread))


def bench_extreme_size(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_first_extreme arr.size < 8192", extremes.__name__, "the array has "
              ">= 8192 elements (and 2 <= k <= 8)", "size", "above", 8192)
    ms = (256, 4096, 50176) if s.quick else (64, 256, 512, 1024, 2048, 4096, 16384, 50176)
    for k in (4,) if s.quick else (4, 2, 8):
        for m in ms:  # (k, M): a k-window pool gathered window-major, M = N*Ho*Wo*C
            arr = rng.standard_normal((k, m), dtype=F32)
            extreme_row(t, f"({k},M) dim 0", arr, arr.size, s, f"M={m}")
    return t


def bench_extreme_k(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_first_extreme k <= 8", extremes.__name__, "the reduced dim has 2 to "
              "8 entries (and >= 8192 elements)", "k", "below", 8)
    ks = (4, 9) if s.quick else (2, 3, 4, 6, 8, 9, 12, 16, 25)
    for m in ((4096,) if s.quick else (4096, 50176)):
        for k in ks:  # 9: a 3x3 pool window, 25: 5x5
            arr = rng.standard_normal((k, m), dtype=F32)
            extreme_row(t, f"(k,{m}) dim 0", arr, k, s, "")
    return t


# ---- main ------------------------------------------------------------------------------------
BENCHES: dict[str, Callable[[Settings, np.random.Generator], Table]] = {
    "widen_from": bench_widen_from,
    "widen_run": bench_run_cut,
    "widen_ratio": bench_ratio_cut,
    "widen_target": bench_target_cut,
    "blas_sum_from": bench_blas_sum_from,
    "blas_sum_rows": bench_blas_rows,
    "block_bytes": bench_block_bytes,
    "relu": bench_relu,
    "extreme_size": bench_extreme_size,
    "extreme_k": bench_extreme_k,
}


_RUNS = ("runs >= 2048 (runs: large size / its innermost extent)",
         lambda r: r.info["runs"] >= 2048)
_SUMS = ("M >= 1024 and K <= 512 (M rows of K summed)",
         lambda r: r.info["M"] >= 1024 and r.info["K"] <= 512)
CANDIDATES: dict[str, list[tuple[str, Callable[[Row], bool]]]] = {
    "widen_from": [_RUNS], "widen_run": [_RUNS], "widen_target": [_RUNS],
    "blas_sum_from": [_SUMS], "blas_sum_rows": [_SUMS],
    "extreme_k": [("k <= 32", lambda r: r.param <= 32)],
}


def host() -> list[str]:
    """CPU model, BLAS kernel and threads, numpy's SIMD targets, the environment that sets them."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"CPU: {model}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}, "
             f"numpy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info

        for p in threadpool_info():
            lines.append(f"BLAS: {p.get('internal_api')} {p.get('version')}, kernel "
                         f"{p.get('architecture')}, {p.get('num_threads')} threads")
    except ImportError:
        lines.append("BLAS: threadpoolctl not installed; numpy's build: "
                     + str(np.show_config(mode="dicts").get("Build Dependencies", {})
                           .get("blas", {}).get("name")))
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

        on = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
        lines.append(f"numpy SIMD dispatch available: {' '.join(on) or 'baseline only'}")
    except ImportError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                      "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "NPY_DISABLE_CPU_FEATURES") if k in os.environ}
    lines.append(f"environment: {env or 'none of the BLAS/numpy variables set'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few sizes, few samples")
    parser.add_argument("--only", action="append", choices=sorted(BENCHES),
                        help="run this table only (repeatable)")
    parser.add_argument("--untuned", action="store_true",
                        help="without autograd.tune_process() (make bench opts into it)")
    args = parser.parse_args(argv)
    if not args.untuned:
        ag.tune_process()
    s = Settings(quick=True, target=0.0002, rounds=2, retries=0) if args.quick else Settings()
    for line in host():
        print(line)
    print("autograd.tune_process(): " + ("no (--untuned)" if args.untuned else
                                         "yes, as make bench runs chainrule"))
    print(f"timing: best of {s.rounds} alternating samples of ~{s.target * 1e3:g} ms each"
          f"{', re-sampled when medians spread > 15%' if s.retries else ''}; "
          f"'~' marks a row still noisy; '!' where the library's choice is > 5% slower")
    rng = np.random.default_rng(0)
    for name in args.only or BENCHES:
        table = BENCHES[name](s, rng)
        table.candidates = CANDIDATES.get(name, [])
        if name == "block_bytes":
            table.verdict = types.MethodType(block_verdict, table)  # type: ignore[method-assign]
        elif name == "relu":
            table.verdict = types.MethodType(relu_verdict, table)  # type: ignore[method-assign]
        table.print()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
