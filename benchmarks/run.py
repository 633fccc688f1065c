"""`make bench`: chainrule against PyTorch CPU, interleaved in one run.

For each workload both engines are built from the same weights and their first losses must
agree. Each engine then runs in a process of its own (so their thread pools do not fight), and
blocks of steps alternate between them (so machine drift hits both alike), with a pause
between blocks for the idle engine's threads to stop spinning, until each has run for the
time budget. Prints the median time per step, the ratio chainrule / PyTorch (the median of
each round's ratio, so drift between rounds cancels) against its target, and the peak memory
of the first step from a cold start. `mlp` is also timed against a hand-written numpy step
(the issue's BLAS-bound floor), the same way.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from typing import Any

from .workloads import WORKLOADS, build

# chainrule / PyTorch, at most (the performance issue's targets).
TARGETS = {"mlp": 0.9, "cnn": 2.0, "cnn_big": 2.0, "bn_cnn": 2.0, "overhead": 0.4,
           "scalar": 0.5, "deep": 0.5}
NUMPY_MLP_TARGET = 1.3  # chainrule / a hand-written numpy mlp step, at most
ENGINES = ("chainrule", "torch")


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def check_losses(name: str, engines: tuple[str, ...]) -> dict[str, float]:
    """First losses of each engine; raises if they disagree (a fast wrong answer fails)."""
    losses = {e: build(name, e).check_loss() for e in engines}
    if len(engines) == 2:
        (first, a), (second, b) = losses.items()
        if abs(a - b) > 1e-4 * max(1.0, abs(b)):
            raise AssertionError(f"{name}: first losses disagree: {first} {a} vs {second} {b}")
    return losses


def _worker(conn: Any, name: str, engine: str, tuned: bool) -> None:
    """One engine in its own process: report the first step's peak memory, then time blocks
    of steps on request. Separate processes keep the engines' thread pools from fighting.
    chainrule's process opts into `autograd.tune_process()` unless `tuned` is False; the
    others keep the process defaults."""
    if engine == "chainrule" and tuned:
        import autograd

        autograd.tune_process()
    w = build(name, engine)
    base = _rss("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current size
    w.step()
    conn.send((_rss("VmHWM") - base) / 1024)
    while (block := conn.recv()) > 0:  # run steps for `block` seconds, report their times
        times, end = [], time.perf_counter() + block
        while not times or time.perf_counter() < end:
            start = time.perf_counter()
            w.step()
            times.append(time.perf_counter() - start)
        conn.send(times)


MIN_ROUNDS = 11  # a scalar step takes a whole block, and single steps vary by +-25%


def time_workload(name: str, engines: tuple[str, ...], budget: float,
                  min_rounds: int = MIN_ROUNDS, tuned: bool = True) -> tuple[dict, float, dict]:
    """Median seconds per unit for each engine, the ratio of the first engine's time to the
    second's (chainrule / PyTorch), and the peak MB of a step, blocks alternating for
    `budget` seconds and at least `min_rounds` rounds. The ratio is the median over rounds
    of the two blocks' medians in that round: drift slower than a round cancels out of
    every pair."""
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = {}, []
    for e in engines:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, name, e, tuned), daemon=True)
        proc.start()
        pipes[e] = parent
        procs.append(proc)
    try:
        peak = {e: pipes[e].recv() for e in engines}
        times: dict[str, list[float]] = {e: [] for e in engines}
        ratios = []
        for e in engines:  # warm-up
            pipes[e].send(0.1)
            pipes[e].recv()
        rounds = 0
        while min(sum(t) for t in times.values()) < budget or rounds < min_rounds:
            rounds += 1
            block = {}
            for e in engines:
                time.sleep(0.2)  # let the other engine's BLAS/OpenMP threads stop spinning
                pipes[e].send(min(0.25, budget / 4))
                block[e] = pipes[e].recv()
                times[e] += block[e]
            if len(engines) == 2:
                ratios.append(statistics.median(block[engines[0]])
                              / statistics.median(block[engines[1]]))
        for e in engines:
            pipes[e].send(0)
    finally:
        for proc in procs:
            proc.join(timeout=10)
    per = build(name, "chainrule").per
    ratio = statistics.median(ratios) if ratios else float("nan")
    return {e: statistics.median(t) / per for e, t in times.items()}, ratio, peak


def _rss(field: str) -> int:
    """A /proc/self/status memory field in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def mlp_memory_growth(steps: int = 1000) -> float:
    """Resident memory growth (MB) between step 100 and step `steps` of chainrule's mlp."""
    w = build("mlp", "chainrule")
    for _ in range(100):
        w.step()
    base = _rss("VmRSS")
    for _ in range(steps - 100):
        w.step()
    return (_rss("VmRSS") - base) / 1024


def _fmt_time(seconds: float, unit: str) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} µs/{unit}"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms/{unit}"
    return f"{seconds:8.2f} s/{unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="one step of each workload and the loss check; no timing")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per engine per workload")
    parser.add_argument("--untuned", action="store_true",
                        help="run chainrule without autograd.tune_process() (its effect)")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    engines = ENGINES if _has_torch() else ("chainrule",)
    if args.quick:
        for name in names:
            losses = check_losses(name, engines)
            for e in engines:
                build(name, e).step()
            print(f"{name:9s} first loss " + "  ".join(f"{e} {v:.6f}" for e, v in losses.items()))
        if "mlp" in names:
            check_losses("mlp", ("chainrule", "numpy"))
            build("mlp", "numpy").step()
        return 0
    print("chainrule " + ("without" if args.untuned else "with") + " autograd.tune_process()")
    print(f"{'workload':9s} {'chainrule':>16s} {'PyTorch':>16s} {'ratio':>6s} {'target':>7s}"
          f"  peak MB (chainrule / PyTorch)")
    failed = []
    for name in names:
        check_losses(name, engines)
        unit = build(name, "chainrule").unit
        med, ratio, mem = time_workload(name, engines, args.budget, tuned=not args.untuned)
        ok = ratio <= TARGETS[name]
        if not ok:
            failed.append(name)
        torch_time = _fmt_time(med["torch"], unit) if "torch" in med else "-"
        print(f"{name:9s} {_fmt_time(med['chainrule'], unit):>16s} {torch_time:>16s} "
              f"{ratio:6.2f} {'<= ' + str(TARGETS[name]):>7s} {'ok' if ok else 'MISSED':6s} "
              f"{mem['chainrule']:7.1f} / {mem.get('torch', float('nan')):.1f}", flush=True)
    if "mlp" in names:
        check_losses("mlp", ("chainrule", "numpy"))
        ratio = time_workload("mlp", ("chainrule", "numpy"), args.budget,
                              tuned=not args.untuned)[1]
        ok = ratio <= NUMPY_MLP_TARGET
        if not ok:
            failed.append("mlp against numpy")
        print(f"mlp: chainrule / hand-written numpy {ratio:.2f} (target <= {NUMPY_MLP_TARGET} "
              f"{'ok' if ok else 'MISSED'})")
    if not args.untuned:
        import autograd

        autograd.tune_process()
    print(f"mlp: resident memory growth from step 100 to 1000: {mlp_memory_growth():+.1f} MB")
    if failed:
        print("targets missed: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
