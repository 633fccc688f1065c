"""Reductions: when `_sum` sums the outer dims as `ones @ (M, K) matrix` through BLAS (M rows
summed, K kept elements per row) instead of numpy's own loop. The only table here whose fast
path is BLAS: compare BLAS kernels (`OPENBLAS_CORETYPE`) and thread counts on it."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograd.ops import reduce

from .core import F32, HUGE, Row, Settings, Table, channels_last, race, set_attr, with_cuts


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


def sum_row(table: Table, case: str, arr: np.ndarray, dims: tuple[int, ...],
            param: float | None, s: Settings, label: str = "") -> None:
    """`_sum` with BLAS forced on and off (a copy of the library's function, its constants
    bound) and the library's own choice; `param` None: the rows summed, M."""
    def forced(on: bool) -> Callable[[], Any]:  # reduce._sum, its constants bound in a copy
        sum_ = with_cuts(reduce, "_sum", {}, {"_BLAS_SUM_M_FROM": 0 if on else HUGE,
                                              "_BLAS_SUM_K_UNDER": HUGE if on else 0})
        return lambda: sum_(arr, dims, False)

    fast, slow = forced(True), forced(False)
    r2 = set_attr(reduce, "_BLAS_SUM_K_UNDER", HUGE)
    r1 = set_attr(reduce, "_BLAS_SUM_M_FROM", 0)
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
    table.rows.append(Row(case, rows_summed if param is None else param, label, t_fast, t_plain,
                          _library_sums_by_blas(arr, dims), spread, rows_summed,
                          {"M": rows_summed, "K": arr.size // rows_summed}))


def bench_blas_sum_m(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_BLAS_SUM_M_FROM", reduce.__name__, f"M >= {reduce._BLAS_SUM_M_FROM} rows are "
              f"summed (and K < {reduce._BLAS_SUM_K_UNDER})", "M", "above",
              reduce._BLAS_SUM_M_FROM, key_name="M")
    sides = (4, 16, 28) if s.quick else (2, 4, 6, 8, 11, 16, 23, 28, 40)
    for c in (8, 32) if not s.quick else (8,):
        for h in sides:  # batch-norm statistics / conv bias gradient, channels-last
            if c * 4 * h * h > 2**17 and h != sides[-1]:
                continue
            arr = channels_last((4, c, h, h), rng)
            sum_row(t, f"(4,{c},H,H) dims (0,2,3)", arr, (0, 2, 3), None, s, f"H={h}")
    if not s.quick:
        for m in (16, 64, 256, 512, 1024, 4096, 16384):  # a linear layer's bias gradient
            arr = rng.standard_normal((m, 10), dtype=F32)
            sum_row(t, "(M,10) dim 0", arr, (0,), None, s)
        for shape, name in (((32, 8, 28, 28), "cnn"), ((32, 16, 14, 14), "cnn"),
                            ((128, 32, 28, 28), "cnn_big"), ((128, 64, 14, 14), "cnn_big")):
            arr = channels_last(shape, rng)
            sum_row(t, f"{name} {shape}", arr, (0, 2, 3), None, s)
    return t


def bench_blas_sum_k(s: Settings, rng: np.random.Generator) -> Table:
    t = Table("_BLAS_SUM_K_UNDER", reduce.__name__, f"the kept row has K < "
              f"{reduce._BLAS_SUM_K_UNDER} elements (and M >= {reduce._BLAS_SUM_M_FROM})",
              "row K", "below", reduce._BLAS_SUM_K_UNDER, key_name="M")
    ks = (8, 128, 512) if s.quick else (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
    for m in ((2048,) if s.quick else (256, 512, 1024, 4096, 16384)):
        for k in ks:
            if m * k <= 2**23:  # up to 32 MB
                arr = rng.standard_normal((m, k), dtype=F32)
                sum_row(t, f"(M,K) dim 0, M={m}", arr, (0,), k, s, "")
    return t


# the rule before, scored on the same rows: >= 8192 elements, rows of K < 128
PREVIOUS = ("previous: size >= 8192 and K < 128",
            lambda r: r.info["M"] * r.info["K"] >= 8192 and r.info["K"] < 128)
