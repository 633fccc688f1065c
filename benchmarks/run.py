"""`make bench`: chainrule against PyTorch CPU, interleaved in one run.

For each workload both engines are built from the same weights, their first losses must
agree, then steps alternate between the engines (so machine drift hits both alike) after a
warm-up, until each has run for the time budget. Prints the median time per step, the ratio
chainrule / PyTorch against its target, and the peak memory of a step, measured for each engine
in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from .workloads import WORKLOADS, build

# chainrule / PyTorch, at most (the performance issue's targets).
TARGETS = {"mlp": 0.9, "cnn": 2.0, "cnn_big": 2.0, "bn_cnn": 2.0, "overhead": 0.4,
           "scalar": 0.5, "deep": 0.5}
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
    if len(losses) == 2:
        a, b = losses["chainrule"], losses["torch"]
        if abs(a - b) > 1e-4 * max(1.0, abs(b)):
            raise AssertionError(f"{name}: first losses disagree: chainrule {a} vs torch {b}")
    return losses


def time_workload(name: str, engines: tuple[str, ...], budget: float) -> dict[str, float]:
    """Median seconds per step for each engine, steps interleaved."""
    loads = {e: build(name, e) for e in engines}
    for w in loads.values():  # warm-up
        w.step()
        w.step()
    times: dict[str, list[float]] = {e: [] for e in engines}
    spent = dict.fromkeys(engines, 0.0)
    while min(len(t) for t in times.values()) < 3 or (
        min(spent.values()) < budget and min(len(t) for t in times.values()) < 200
    ):
        for e, w in loads.items():
            start = time.perf_counter()
            w.step()
            dt = time.perf_counter() - start
            times[e].append(dt)
            spent[e] += dt
    return {e: statistics.median(t) / loads[e].per for e, t in times.items()}


def peak_memory_mb(name: str, engine: str) -> float:
    """Peak resident memory added by two steps, in a fresh process (MB)."""
    code = (
        "import sys, json; sys.path.insert(0, '.');"
        "from benchmarks.workloads import build; from benchmarks.run import _rss;"
        f"w = build({name!r}, {engine!r}); w.step();"
        "open('/proc/self/clear_refs', 'w').write('5'); base = _rss('VmRSS');"
        "w.step(); w.step(); print(json.dumps((_rss('VmHWM') - base) / 1024))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    engines = ENGINES if _has_torch() else ("chainrule",)
    if args.quick:
        for name in names:
            losses = check_losses(name, engines)
            for e in engines:
                build(name, e).step()
            print(f"{name:9s} first loss " + "  ".join(f"{e} {v:.6f}" for e, v in losses.items()))
        return 0
    print(f"{'workload':9s} {'chainrule':>16s} {'PyTorch':>16s} {'ratio':>6s} {'target':>7s}"
          f"  peak MB (chainrule / PyTorch)")
    failed = []
    for name in names:
        check_losses(name, engines)
        unit = build(name, "chainrule").unit
        med = time_workload(name, engines, args.budget)
        mem = {e: peak_memory_mb(name, e) for e in engines}
        ratio = med["chainrule"] / med["torch"] if "torch" in med else float("nan")
        ok = ratio <= TARGETS[name]
        if not ok:
            failed.append(name)
        torch_time = _fmt_time(med["torch"], unit) if "torch" in med else "-"
        print(f"{name:9s} {_fmt_time(med['chainrule'], unit):>16s} {torch_time:>16s} "
              f"{ratio:6.2f} {'<= ' + str(TARGETS[name]):>7s} {'ok' if ok else 'MISSED':6s} "
              f"{mem['chainrule']:7.1f} / {mem.get('torch', float('nan')):.1f}", flush=True)
    print(f"mlp: resident memory growth from step 100 to 1000: {mlp_memory_growth():+.1f} MB")
    if failed:
        print("targets missed: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
