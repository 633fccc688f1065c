"""Re-execute the notebooks in place and redraw docs/ figures: `python tools/execute_notebooks.py`.

Run it after any library change that can alter what a notebook prints or draws; commit the
notebooks and docs/*.svg it rewrites. Each notebook runs top to bottom in a fresh kernel with
notebooks/ as the working directory (as tests/test_notebooks.py runs them), its outputs replace
the committed ones, and a failing cell stops the run with the cell and its traceback, leaving
that notebook unwritten.

    python tools/execute_notebooks.py                 # every notebook, then docs/make_figures.py
    python tools/execute_notebooks.py 04 10           # only notebooks whose name starts so
    python tools/execute_notebooks.py --no-figures    # notebooks only
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT = 120  # seconds per cell, as in tests/test_notebooks.py


def notebooks(prefixes: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(s) for s in prefixes)]
    return paths


def execute(nb: nbformat.NotebookNode, cwd: Path = NOTEBOOKS) -> nbformat.NotebookNode:
    """Run every cell of `nb` in a fresh python3 kernel with `cwd` as its working directory."""
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def execute_in_place(path: Path) -> float:
    """Execute the notebook at `path`, write it back with the fresh outputs; the seconds taken."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute(nb, path.parent)
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="run only notebooks whose name starts so (e.g. 04)")
    parser.add_argument("--no-figures", action="store_true",
                        help="do not rerun docs/make_figures.py")
    args = parser.parse_args(argv)
    paths = notebooks(args.only)
    if not paths:
        parser.error(f"no notebook in {NOTEBOOKS} starts with {args.only}")
    total = 0.0
    for path in paths:
        seconds = execute_in_place(path)
        total += seconds
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT)}: {seconds:5.1f} s, {size / 1e6:.2f} MB", flush=True)
    print(f"executed {len(paths)} notebooks in {total:.1f} s")
    if not args.no_figures:
        subprocess.run([sys.executable, str(ROOT / "docs" / "make_figures.py")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
