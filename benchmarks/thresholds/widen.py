"""Binary ops: when `_widen_small_operand` materialises a small broadcast operand (a
per-channel scale over a channels-last activation) in the large one's layout."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograd.ops import binary

from .core import F32, Row, Settings, Table, _num, channels_last, race, with_cuts

_WIDEN_LITERALS = {
    "small.size * 32 > big.size": "small.size * _RATIO_CUT > big.size",
    "math.prod(target) * 4 > big.size": "math.prod(target) * _TARGET_CUT > big.size",
}


def _widen_forced_on() -> Callable[..., Any]:
    return with_cuts(binary, "_widen_small_operand", _WIDEN_LITERALS,
                     {"_WIDEN_FROM": 0, "_WIDEN_RUNS_FROM": 0, "_RATIO_CUT": 1, "_TARGET_CUT": 1})


def innermost_runs(big: np.ndarray) -> int:
    """The innermost runs numpy loops over when it broadcasts onto `big`: its size over the
    extent of its innermost (smallest-stride) dim, as `_widen_small_operand` counts them."""
    order = sorted(range(big.ndim), key=lambda d: (big.shape[d] > 1, -big.strides[d]))
    return big.size // big.shape[order[-1]]


def widen_row(table: Table, case: str, big: np.ndarray, small: np.ndarray, param: float | None,
              s: Settings, label: str = "") -> None:
    """`big * small` with the small operand widened (the library's code, every cut off) and
    as numpy broadcasts it; the library's own choice from its unpatched function. `param`
    None: the row's innermost runs."""
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
    runs = innermost_runs(big)
    table.rows.append(Row(case, runs if param is None else param, label, t_fast, t_plain,
                          lib_fast, spread, runs, {"runs": runs, "size": big.size}))


def _runs_table(sweep: str) -> Table:
    return Table("_WIDEN_RUNS_FROM" + sweep, binary.__name__, "the large operand has >= "
                 f"{binary._WIDEN_RUNS_FROM} innermost runs (its size / its innermost "
                 "extent)", "runs", "above", binary._WIDEN_RUNS_FROM, key_name="runs")


def bench_runs_by_size(s: Settings, rng: np.random.Generator) -> Table:
    t = _runs_table(", by size")
    # (N, C, H, W) * (1, C, 1, 1): a batch-norm scale over a conv activation (N >= 4, so the
    # other cuts let it widen)
    sides = (4, 8, 16, 28) if s.quick else (2, 4, 6, 8, 11, 16, 23, 28, 40)
    for c, n in ((8, 4), (32, 4)):
        for h in sides:
            if c * n * h * h > 2**17 and h != sides[-1]:
                continue
            big = channels_last((n, c, h, h), rng)
            widen_row(t, f"(4,{c},H,H)*(1,{c},1,1)", big, rng.standard_normal((1, c, 1, 1),
                      dtype=F32), None, s, f"H={h}")
    if not s.quick:
        for shape, name in (((32, 8, 28, 28), "cnn"), ((32, 16, 14, 14), "cnn"),
                            ((128, 32, 28, 28), "cnn_big")):
            big = channels_last(shape, rng)
            widen_row(t, f"{name} {shape}", big, rng.standard_normal((1, shape[1], 1, 1),
                      dtype=F32), None, s)
    return t


def bench_runs_by_channels(s: Settings, rng: np.random.Generator) -> Table:
    """Fixed sizes, the channels (the innermost extent) swept: few long runs against many
    short ones."""
    t = _runs_table(", by channels")
    chans = (8, 64, 512) if s.quick else (8, 16, 32, 64, 128, 256, 512, 1024)
    for total in ((2**14,) if s.quick else (2**16, 2**18, 2**20)):
        n = 8
        for c in chans:
            side = max(1, round(math.sqrt(total / n / c)))
            big = channels_last((n, c, side, side), rng)
            widen_row(t, f"({n},C,H,H) ~{_num(total)}", big,
                      rng.standard_normal((1, c, 1, 1), dtype=F32), None, s, f"C={c}")
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


# the rule before the runs count, scored on the same rows: size >= 8192, innermost run < 256
PREVIOUS = ("previous: size >= 8192 and innermost extent < 256",
            lambda r: r.info["size"] >= 8192 and r.info["size"] // r.info["runs"] < 256)

