"""What every table shares: the timing race, the table with its verdict, and the helpers that
force a path (a constant set in this process, or a copy of a library function with its cuts
bound to other values)."""

from __future__ import annotations
import __future__

import gc
import inspect
import statistics
import sys
import textwrap
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

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
    judge: Callable[[Table], str] | None = None  # a verdict of its own, in place of verdict()

    def print(self) -> None:
        print(f"\n== {self.name}  ({self.where}): fast path when {self.rule}")
        print(f"   {'case':<34} {self.param:>9} {'fast':>11} {'plain':>11} {'fast/plain':>10}"
              f"  lib")
        for r in self.rows:
            noisy = "~" if r.spread > 1.15 else " "
            print(f"   {r.case + ' ' + r.label:<34} {_num(r.param):>9} {fmt_time(r.fast)} "
                  f"{fmt_time(r.plain)} {r.ratio:9.2f}{noisy}  {'fast' if r.lib_fast else 'plain'}"
                  f"{' !' if r.wrong else ''}")
        print("   " + (self.judge(self) if self.judge else self.verdict()))

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
                               "update benchmarks/thresholds/")
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


