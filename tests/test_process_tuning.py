"""Importing chainrule leaves the host process alone; `tune_process()` changes it on request."""

import json
import platform
import subprocess
import sys

import pytest

# Everything process-wide that a numeric library could be tempted to change on import.
_SNAPSHOT = """
import gc, json, sys, threading, warnings
import numpy as np
def snapshot():
    return json.dumps(dict(
        gc=gc.get_threshold(), gc_enabled=gc.isenabled(), recursion=sys.getrecursionlimit(),
        switch=sys.getswitchinterval(), numpy_err=sorted(np.geterr().items()),
        numpy_print=repr(sorted(np.get_printoptions().items())),
        warnings=repr(warnings.filters), threads=threading.active_count(),
        float_repr=repr(0.1 + 0.2)))
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", _SNAPSHOT + code], capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_importing_autograd_nn_and_optim_changes_no_process_setting():
    code = """
import ctypes
def refuse(*args, **kwargs):
    raise AssertionError("import loaded a C library through ctypes")
before = snapshot()
real_cdll, ctypes.CDLL = ctypes.CDLL, refuse
import autograd, nn, optim, autograd.viz, nn.functional
ctypes.CDLL = real_cdll
print(json.dumps([before, snapshot()]))
"""
    before, after = json.loads(_run(code))
    assert json.loads(after) == json.loads(before)


def test_a_model_step_in_a_fresh_process_leaves_the_collector_alone():
    code = """
before = snapshot()
import autograd as ag, nn, optim
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
opt = optim.SGD(model.parameters(), lr=0.1)
loss = nn.functional.cross_entropy(model(ag.randn(16, 4)), ag.tensor([0, 1] * 8))
loss.backward()
opt.step()
print(json.dumps([before, snapshot()]))
"""
    before, after = json.loads(_run(code))
    assert json.loads(after)["gc"] == json.loads(before)["gc"]


def test_tune_process_raises_the_collector_thresholds_by_name():
    code = """
import gc, autograd as ag
default = gc.get_threshold()
applied = ag.tune_process(malloc=False)
print(json.dumps([default, gc.get_threshold(), applied]))
"""
    default, tuned, applied = json.loads(_run(code))
    assert applied == {"malloc": False, "collector": True}
    assert tuned == [max(default[0], 2000), default[1], max(default[2], 100)]
    assert tuned[2] > 10


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                    reason="glibc only: other C libraries keep their own policy")
def test_tune_process_sets_glibcs_heap_thresholds():
    code = """
import gc, autograd as ag
default = gc.get_threshold()
applied = ag.tune_process(collector=False)
print(json.dumps([applied, gc.get_threshold() == default]))
"""
    applied, collector_untouched = json.loads(_run(code))
    assert applied == {"malloc": True, "collector": False}
    assert collector_untouched


def test_the_demo_the_bench_and_every_notebook_opt_in_by_name():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for script in ("examples/train_digits.py", "benchmarks/run.py"):
        assert "tune_process()" in (root / script).read_text(encoding="utf-8"), script
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        setup = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                 if c["cell_type"] == "code"][1]  # the cell after the parameters cell
        assert "ag.tune_process()" in "".join(setup["source"]), path.name
