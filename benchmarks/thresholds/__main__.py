"""`python -m benchmarks.thresholds`: every tuned cut-off, timed both ways on this host.

`--quick` for a smoke run, `--only NAME` for one table (repeatable), `--untuned` without
`autograd.tune_process()`. The package's docstring says how each table is measured and read.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import Callable

import numpy as np

import autograd as ag

from . import fold, knockout, relu, sums, widen
from .core import Row, Settings, Table

BENCHES: dict[str, Callable[[Settings, np.random.Generator], Table]] = {
    "widen_runs_size": widen.bench_runs_by_size,
    "widen_runs_channels": widen.bench_runs_by_channels,
    "widen_ratio": widen.bench_ratio_cut,
    "widen_target": widen.bench_target_cut,
    "blas_sum_m": sums.bench_blas_sum_m,
    "blas_sum_k": sums.bench_blas_sum_k,
    "block_bytes": fold.bench_block_bytes,
    "relu": relu.bench_relu,
    "knockout_from": knockout.bench_knockout_from,
    "knockout_k": knockout.bench_knockout_k,
}

# the rule each cut replaced, scored on the same rows beside the library's
CANDIDATES: dict[str, list[tuple[str, Callable[[Row], bool]]]] = {
    "widen_runs_size": [widen.PREVIOUS], "widen_runs_channels": [widen.PREVIOUS],
    "blas_sum_m": [sums.PREVIOUS], "blas_sum_k": [sums.PREVIOUS],
    "knockout_k": [knockout.PREVIOUS_K],
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
        table.print()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
