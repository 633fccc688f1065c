"""PyTorch-shaped programs run unchanged on PyTorch and, through the `torch` alias, on chainrule.

Each script in examples/torch_programs imports only `torch` (plus numpy and scikit-learn's
bundled data). It runs twice in a subprocess: once with the installed PyTorch, once with
PYTHONPATH=examples/torch_alias, where `import torch` gives chainrule. Both runs must exit 0
and train: the losses the program prints fall. The two engines draw different random numbers
from the same seed, so their losses are compared only where a program fixes its start with
numpy or constants; there both must match a float64 recomputation of that first loss.
"""

import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "examples" / "torch_programs"
ALIAS = ROOT / "examples" / "torch_alias"
NAMES = ["manual_sgd", "module_scheduler", "custom_function", "dataloader_device",
         "checkpoint_resume", "lenet_digits", "char_mlp"]
ENGINES = ["torch", "chainrule"]
EPS32 = float(np.finfo(np.float32).eps)
# The losses a program prints while training: lines starting "epoch" or "step", first "loss x".
LOSS_LINE = re.compile(r"^(?:epoch|step)\b.*?\bloss (-?\d+\.\d+)", re.MULTILINE)


def _run(name: str, engine: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"   # two programs share 2 cores
    if engine == "chainrule":
        env["PYTHONPATH"] = str(ALIAS)
    return subprocess.run([sys.executable, str(PROGRAMS / f"{name}.py")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every program on both engines, two subprocesses at a time."""
    cwd = tmp_path_factory.mktemp("torch_programs")
    jobs = [(name, engine) for name in NAMES for engine in ENGINES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda job: _run(*job, cwd), jobs)
        return dict(zip(jobs, done))


def _output(runs, name: str, engine: str) -> str:
    proc = runs[name, engine]
    assert proc.returncode == 0, (
        f"{name}.py on {engine} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout


def _losses(out: str) -> list[float]:
    return [float(v) for v in LOSS_LINE.findall(out)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", NAMES)
def test_program_exits_0_and_its_loss_falls(runs, name, engine):
    losses = _losses(_output(runs, name, engine))
    assert len(losses) >= 4, f"{name}.py printed {len(losses)} losses"
    assert all(np.isfinite(losses)), losses
    # Minibatch losses are noisy: the mean of the last three must be a quarter below the first.
    end = float(np.mean(losses[-3:]))
    assert end < 0.75 * losses[0], f"{name}.py on {engine}: loss {losses[0]} -> {losses[-3:]}"


def test_the_alias_only_renames():
    """Every public name of the alias is chainrule's own object; the submodules are its modules."""
    check = textwrap.dedent("""
        import sys, autograd, nn, optim, torch
        import torch.nn.functional as F, torch.optim.lr_scheduler as S
        from torch.utils.data import DataLoader
        assert torch.__file__.startswith(sys.argv[1]), torch.__file__
        assert torch.autograd is autograd and torch.nn is nn and torch.optim is optim
        assert F is nn.functional and S is optim.lr_scheduler
        assert DataLoader is nn.data.DataLoader and torch.utils.data is nn.data
        assert torch.nn.init is nn.init and torch.nn.utils is nn.utils
        mods = {"autograd": autograd, "nn": nn, "optim": optim, "utils": torch.utils, "sys": sys}
        for k, v in vars(torch).items():
            if not k.startswith("_"):
                assert v is mods.get(k, getattr(autograd, k, None)), k
        assert set(autograd.__all__) <= set(vars(torch))
    """)
    env = {**os.environ, "PYTHONPATH": str(ALIAS)}
    proc = subprocess.run([sys.executable, "-c", check, str(ALIAS)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _sum_error(total_of_magnitudes: float, n: int) -> float:
    """A float32 sum's rounding bound: numpy sums pairwise over blocks of 8 lanes x 16, torch
    by cascade, so the error grows as log2(n) (plus the block) rather than n roundings."""
    return (np.log2(n) + 16) * EPS32 * total_of_magnitudes


def _first_loss_manual_sgd() -> tuple[float, float]:
    """manual_sgd.py's first loss in float64 from its float32 inputs, and a rounding bound."""
    x = np.linspace(-np.pi, np.pi, 2000, dtype=np.float32).astype(np.float64)
    a, b, c, d = (float(np.float32(v)) for v in (0.5, -0.25, 0.1, 0.05))
    parts = np.abs([a + 0 * x, b * x, c * x ** 2, d * x ** 3, np.sin(x)]).sum(0)
    residual = a + b * x + c * x ** 2 + d * x ** 3 - np.sin(x)
    loss = (residual ** 2).sum()
    # Each residual is within ~10 roundings of its operands' scale, which moves its square by
    # 2 |r| times that; then the sum's own rounding.
    return loss, 10 * EPS32 * (2 * np.abs(residual) * parts).sum() + _sum_error(loss, x.size)


def _first_loss_custom_function() -> tuple[float, float]:
    """custom_function.py's first loss (Poisson NLL at w = 0.1, b = 0) in float64, and a bound."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(512, 3))
    counts = rng.poisson(np.exp(features @ np.array([0.6, -0.4, 0.3]) + 0.5))
    X, y = features.astype(np.float32).astype(np.float64), counts.astype(np.float64)
    z = X @ np.full(3, float(np.float32(0.1)))
    terms = np.exp(z) - y * z
    scale = (np.exp(z) + np.abs(y * z)).mean()
    return terms.mean(), 10 * EPS32 * scale + _sum_error(scale, len(terms))


@pytest.mark.parametrize("name, reference", [("manual_sgd", _first_loss_manual_sgd),
                                             ("custom_function", _first_loss_custom_function)])
def test_fixed_start_gives_both_engines_the_same_first_loss(runs, name, reference):
    expected, bound = reference()
    for engine in ENGINES:
        first = _losses(_output(runs, name, engine))[0]
        printed = 5e-7   # the programs print six decimals
        assert abs(first - expected) <= bound + printed, (name, engine, first, expected, bound)


@pytest.mark.parametrize("engine", ENGINES)
def test_custom_function_passes_gradcheck(runs, engine):
    assert "gradcheck: True" in _output(runs, "custom_function", engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_resumes_where_it_stopped(runs, engine):
    out = _output(runs, "checkpoint_resume", engine)
    saved, again = map(float, re.search(r"saved loss (\S+), recomputed loss (\S+)", out).groups())
    assert saved == pytest.approx(again, abs=1e-6)
    assert saved == pytest.approx(_losses(out)[5], abs=1e-6)   # epoch 5, the epoch saved
    assert "resumed at epoch 5" in out


@pytest.mark.parametrize("engine", ENGINES)
def test_device_loop_runs_on_the_cpu(runs, engine):
    assert "Using cpu device" in _output(runs, "dataloader_device", engine)
