"""benchmarks/thresholds/ as a smoke test: its --quick run prints a table for every tuned
threshold, each with rows and a verdict, and the two paths of every row agree (the benchmark
raises otherwise, so a fast path that computes something else fails here). No timings are
asserted: the benchmark's output is where they are read."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.thresholds import core, knockout, sums, widen

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick_output():
    run = subprocess.run([sys.executable, "-m", "benchmarks.thresholds", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _tables(out):
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^== (.+?)  \(.*?\n(.*?)(?=^== |\Z)", out, re.M | re.S)}


def test_quick_run_has_a_table_with_rows_for_every_threshold(quick_output):
    assert re.search(r"^CPU: ", quick_output, re.M)
    assert re.search(r"^BLAS: ", quick_output, re.M)
    tables = _tables(quick_output)
    names = ["_WIDEN_RUNS_FROM, by size", "_WIDEN_RUNS_FROM, by channels",
             "small.size * 32 > big.size", "prod(target) * 4 > big.size", "_BLAS_SUM_M_FROM",
             "_BLAS_SUM_K_UNDER", "_BLOCK_BYTES", "Relu.forward np.maximum(x, 0.0)",
             "_KNOCKOUT_FROM", "_KNOCKOUT_K_MAX"]
    assert list(tables) == names
    row = re.compile(r"\d+\.\d+ (?:us|ms) +\d+\.\d+ (?:us|ms) +\d+\.\d\d")
    for name, body in tables.items():
        assert len(row.findall(body)) >= 2, (name, body)
        assert "library's" in body or "np.maximum(x, 0.0) is" in body or "alternative" in body


def test_one_table_runs_alone():
    run = subprocess.run([sys.executable, "-m", "benchmarks.thresholds", "--quick", "--untuned",
                          "--only", "knockout_k"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert list(_tables(run.stdout)) == ["_KNOCKOUT_K_MAX"]
    assert "tune_process(): no" in run.stdout


def test_the_library_constants_are_the_ones_benchmarked():
    from autograd.ops import binary, extremes, reduce, window

    tables = {t.name: t for t in (widen.bench_runs_by_size(_QUICK, _rng()),
                                  sums.bench_blas_sum_m(_QUICK, _rng()),
                                  sums.bench_blas_sum_k(_QUICK, _rng()),
                                  knockout.bench_knockout_k(_QUICK, _rng()))}
    assert tables["_WIDEN_RUNS_FROM, by size"].cut == binary._WIDEN_RUNS_FROM
    assert tables["_BLAS_SUM_M_FROM"].cut == reduce._BLAS_SUM_M_FROM
    assert tables["_BLAS_SUM_K_UNDER"].cut == reduce._BLAS_SUM_K_UNDER
    assert tables["_KNOCKOUT_K_MAX"].cut == extremes._KNOCKOUT_K_MAX
    assert window._BLOCK_BYTES > 0
    # the monkeypatching is undone: the library runs with its own constants afterwards
    assert reduce.np is np
    assert extremes._first_extreme.__module__ == extremes.__name__


def test_the_rows_record_what_the_library_chose():
    """A row's `lib` is the unpatched library's choice: the runs rule decides the widening."""
    from autograd.ops import binary

    table = widen.bench_runs_by_size(_QUICK, _rng())
    for r in table.rows:
        assert r.param == r.info["runs"]
        assert r.lib_fast == (r.info["runs"] >= binary._WIDEN_RUNS_FROM), r


def test_a_wrong_fast_path_fails_the_benchmark(monkeypatch):
    """A fast path whose result differs from the plain one raises, not a timing."""
    monkeypatch.setattr(sums, "with_cuts", _skewing(core.with_cuts))
    with pytest.raises(AssertionError, match="differs"):
        sums.bench_blas_sum_k(_QUICK, _rng())


def _skewing(with_cuts):
    def patched(module, name, literals, values):
        f = with_cuts(module, name, literals, values)
        if name != "_sum" or not values.get("_BLAS_SUM_M_FROM") == 0:
            return f
        return lambda *a: f(*a) * np.float32(1.01)  # the forced fast path, 1% off
    return patched


_QUICK = core.Settings(quick=True, target=0.0001, rounds=1, retries=0)


def _rng():
    return np.random.default_rng(0)
