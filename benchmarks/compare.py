"""`python -m benchmarks.compare BEFORE [AFTER]`: chainrule against an earlier chainrule.

`make bench` gives each workload's ratio to PyTorch, but two runs of it differ by more than
the 5% a change may cost (PyTorch's own time drifts between runs on a shared host). Since
PyTorch is the same on both sides, a change moves a ratio by exactly as much as it moves
chainrule's own time, and that is what this measures, paired: each version runs in a process
of its own, and every round times one block of steps in each, back to back, in alternating
order, so that drift hits both alike. It prints, per workload, the median of the rounds'
after/before time ratios with a bootstrap 90% interval.

BEFORE and AFTER are source trees (a directory holding `autograd/` and `benchmarks/`) or git
revisions of this repository, which are exported to a temporary directory; AFTER defaults to
the working tree. Both processes opt into `tune_process()` where the version has it (the
first version tuned the process on import).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .workloads import WORKLOADS

REPO = Path(__file__).resolve().parent.parent
SLOW = ("cnn_big", "scalar", "deep")  # a step of tens of ms or more: longer blocks

# Runs inside each version's process, with that version's root first on sys.path.
_WORKER = """
import statistics, sys, time
import autograd
getattr(autograd, "tune_process", lambda: None)()
from benchmarks.workloads import build
w = build(sys.argv[1], "chainrule")
w.step()
print("ready", flush=True)
for line in sys.stdin:
    block = float(line)
    if block <= 0:
        break
    times, end = [], time.perf_counter() + block
    while not times or time.perf_counter() < end:
        start = time.perf_counter()
        w.step()
        times.append(time.perf_counter() - start)
    print(statistics.median(times), flush=True)
"""


def source_tree(spec: str, scratch: Path) -> Path:
    """`spec` as a directory: itself when it is one, else a git revision exported into a
    new directory under `scratch`."""
    path = Path(spec)
    if (path / "autograd").is_dir():
        return path.resolve()
    out = Path(tempfile.mkdtemp(dir=scratch))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", spec], capture_output=True)
    if archive.returncode:
        raise SystemExit(f"compare: {spec!r} is neither a source tree nor a git revision: "
                         f"{archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out


def _start(root: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", _WORKER, name], cwd=root, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"compare: the {name} worker in {root} did not start")
    return proc


def _time(proc: subprocess.Popen, block: float) -> float:
    proc.stdin.write(f"{block}\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


def compare(name: str, before: Path, after: Path, rounds: int, block: float) -> dict:
    """Per-step medians of both versions and the paired after/before ratio with its 90%
    bootstrap interval, over `rounds` rounds of one block each."""
    procs = {"before": _start(before, name), "after": _start(after, name)}
    times: dict[str, list[float]] = {"before": [], "after": []}
    ratios = []
    try:
        for r in range(rounds):
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            got = {k: _time(procs[k], block) for k in order}
            for k, t in got.items():
                times[k].append(t)
            ratios.append(got["after"] / got["before"])
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
    rng = random.Random(0)
    boots = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    return {"before": statistics.median(times["before"]),
            "after": statistics.median(times["after"]),
            "ratio": statistics.median(ratios), "low": boots[100], "high": boots[1899]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="a source tree or git revision")
    parser.add_argument("after", nargs="?", default=str(REPO), help="default: this tree")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--rounds", type=int, default=30, help="paired blocks per workload")
    parser.add_argument("--block", type=float, default=0.2,
                        help="seconds per block (5x for cnn_big, scalar and deep)")
    args = parser.parse_args(argv)
    names = args.only.split(",")
    unknown = set(names) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; expected some of {WORKLOADS}")
    with tempfile.TemporaryDirectory() as scratch:
        before = source_tree(args.before, Path(scratch))
        after = source_tree(args.after, Path(scratch))
        print(f"before: {args.before}   after: {args.after}   ({args.rounds} paired rounds)")
        print(f"{'workload':9s} {'before/step':>12s} {'after/step':>12s}  after/before  "
              "90% interval")
        for name in names:
            block = args.block * (5 if name in SLOW else 1)
            r = compare(name, before, after, args.rounds, block)
            print(f"{name:9s} {r['before'] * 1e3:9.3f} ms {r['after'] * 1e3:9.3f} ms"
                  f"  {r['ratio']:12.3f}  [{r['low']:.3f}, {r['high']:.3f}]", flush=True)


if __name__ == "__main__":
    main()
