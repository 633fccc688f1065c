"""Extremes: when `_first_extreme` finds max(dim)'s index by a knockout over the positions
(whole-array passes) instead of numpy's argmax (a loop over the rows): max pooling's windows,
gathered window-major, are many short rows."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd.ops import extremes
from autograd.tensor import _make

from .core import F32, HUGE, Row, Settings, Table, race, set_attr, with_cuts


def extreme_row(table: Table, case: str, arr: np.ndarray, param: float, s: Settings,
                label: str = "") -> None:
    """`max(dim=0)` with values and indices, as max pooling asks for it (window-major)."""
    # forced on for any k: the sweeps stay within the 127 positions int8 indices can name
    on = with_cuts(extremes, "_first_extreme", {}, {"_KNOCKOUT_K_MAX": HUGE,
                                                    "_KNOCKOUT_FROM": 0})
    off = with_cuts(extremes, "_first_extreme", {}, {"_KNOCKOUT_K_MAX": 0,
                                                     "_KNOCKOUT_FROM": HUGE})
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
    if not (np.array_equal(a.values._data, b.values._data)
            and np.array_equal(a.indices._data, b.indices._data)):
        raise AssertionError(f"{table.name} {case} {arr.shape}: knockout differs from argmax")
    lib_fast = extremes._first_extreme(arr, 0, True)[1] is not None
    t_fast, t_plain, spread = race(fast, slow, s)
    table.rows.append(Row(case, param, label, t_fast, t_plain, lib_fast, spread))


def bench_knockout_from(s: Settings, rng: np.random.Generator) -> Table:
    lib, k_max = extremes._KNOCKOUT_FROM, extremes._KNOCKOUT_K_MAX
    t = Table("_KNOCKOUT_FROM", extremes.__name__, f"the array has >= {lib} elements (and "
              f"2 <= k <= {k_max})", "size", "above", lib)
    ms = (256, 4096, 50176) if s.quick else (64, 256, 512, 1024, 2048, 4096, 16384, 50176)
    for k in (4,) if s.quick else (4, 2, 9):  # 9: a 3x3 pool window
        for m in ms:  # (k, M): a k-window pool gathered window-major, M = N*Ho*Wo*C
            arr = rng.standard_normal((k, m), dtype=F32)
            extreme_row(t, f"({k},M) dim 0", arr, arr.size, s, f"M={m}")
    return t


def bench_knockout_k(s: Settings, rng: np.random.Generator) -> Table:
    lib = extremes._KNOCKOUT_K_MAX
    t = Table("_KNOCKOUT_K_MAX", extremes.__name__, f"the reduced dim has 2 to {lib} "
              f"entries (and >= {extremes._KNOCKOUT_FROM} elements)", "k", "below", lib)
    ks = (4, 9, 48) if s.quick else (2, 3, 4, 6, 8, 9, 12, 16, 25, 32, 33, 48, 64, 100)
    for m in ((4096,) if s.quick else (4096, 50176)):
        for k in ks:  # 9: a 3x3 pool window, 25: 5x5
            arr = rng.standard_normal((k, m), dtype=F32)
            extreme_row(t, f"(k,{m}) dim 0", arr, k, s, "")
    return t


PREVIOUS_K = ("previous: k <= 8", lambda r: r.param <= 8)
