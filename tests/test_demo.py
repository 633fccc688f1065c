"""`make demo`'s training code on a small subset: shapes, learning, outputs written."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import train_digits  # noqa: E402


def test_demo_trains_on_a_subset_and_writes_its_outputs(tmp_path):
    history = train_digits.train(epochs=3, batch_size=32, limit=400, quiet=True)
    losses = history["train_loss"]
    assert len(losses) == 3 and losses[-1] < losses[0] * 0.8
    assert history["test_accuracy"] > 0.5  # 10 classes: chance is 0.1

    model = history["model"].eval()
    x, _ = history["sample"]
    with ag.no_grad():
        out = model(ag.tensor(x))
    assert out.shape == (len(x), 10)

    written = train_digits.write_outputs(history, tmp_path)
    names = {p.name for p in written}
    assert {"digits_cnn.npz", "loss.png"} <= names
    assert all(p.exists() and p.stat().st_size > 0 for p in written)

    fresh = train_digits.make_model().eval()
    fresh.load_state_dict(ag.load(tmp_path / "digits_cnn.npz"))
    with ag.no_grad():
        np.testing.assert_array_equal(fresh(ag.tensor(x)).numpy(), out.numpy())


def test_data_split_is_stratified_and_scaled():
    x_train, x_test, y_train, y_test = train_digits.load_data()
    assert x_train.shape[1:] == (1, 8, 8) and x_train.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert len(x_test) == 450 and set(np.unique(y_test)) == set(range(10))


DEMO = Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"
DEMO_ARGS = ["--epochs", "2", "--limit", "300"]
DEMO_STEPS = math.ceil(math.ceil(300 * 0.75) / 32)  # 225 training images in batches of 32


def assert_bars_advance(output: str, every_tenth: bool) -> None:
    """Each epoch's bar counts up to n/n; to a pipe it is drawn every tenth of the epoch (a
    terminal redraws by time, at most every 0.1 s, so a short epoch may show only 0/n and n/n)."""
    for epoch in (1, 2):
        counts = [(int(m[1]), int(m[2])) for m in
                  re.finditer(rf"epoch +{epoch}/2: +\d+%\|[^|]*\| *(\d+)/(\d+)", output)]
        assert counts, output[-2000:]
        assert all(total == DEMO_STEPS for _, total in counts), counts
        done = [n for n, _ in counts]
        assert done[-1] == DEMO_STEPS, counts  # the epoch's last drawing reads n/n, not 0/n
        assert done == sorted(done), counts
        if every_tenth:  # it advanced on the way
            assert set(range(0, DEMO_STEPS + 1)) <= set(done), counts


def test_progress_bar_advances_when_the_output_is_a_pipe(tmp_path):
    """`make demo > log`: each epoch's bar counts its steps and ends at n/n, not 0/n."""
    run = subprocess.run([sys.executable, str(DEMO), *DEMO_ARGS, "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert_bars_advance(run.stderr, every_tenth=True)
    assert "test accuracy" in run.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pseudo-terminal")
def test_progress_bar_advances_in_a_terminal(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a 120-column terminal, as tqdm draws nothing at width 0
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, str(DEMO), *DEMO_ARGS,
                                  "--out", str(tmp_path / "out")])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert_bars_advance(text, every_tenth=False)
