"""Train a small CNN on scikit-learn's bundled 8x8 digits with chainrule (`make demo`).

Writes into out/: the trained weights (.npz), the training/validation loss curves (.png) and
the computation graph of one training step (.svg, once autograd.viz exists).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import autograd as ag
import nn
import nn.functional as F
import optim


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 2 * 2, 10),
    )


def load_data(limit: int | None = None) -> tuple[np.ndarray, ...]:
    """Digits as (N, 1, 8, 8) float32 in [0, 1], split 75/25, stratified."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    if limit:
        x, y = x[:limit], y[:limit]
    return tuple(train_test_split(x, y, test_size=0.25, random_state=0, stratify=y))


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) in eval mode, without recording a graph."""
    model.eval()
    with ag.no_grad():
        logits = model(ag.tensor(x))
        loss = F.cross_entropy(logits, y).item()
    model.train()
    return loss, float((logits.argmax(dim=1).numpy() == y).mean())


def progress_bar(steps: int, desc: str, quiet: bool = False) -> tqdm:
    """A bar the loop advances with `update()`: in a terminal it redraws at most 10 times a
    second and vanishes at the end of the epoch; written to a file or pipe (`make demo > log`)
    it redraws about every tenth of the epoch and stays, so the log shows each epoch's n/n."""
    if sys.stderr.isatty():
        return tqdm(total=steps, desc=desc, leave=False, disable=quiet, mininterval=0.1)
    return tqdm(total=steps, desc=desc, leave=True, disable=quiet, mininterval=0,
                miniters=max(1, math.ceil(steps / 10)))


def train(epochs: int = 20, batch_size: int = 32, limit: int | None = None,
          quiet: bool = False) -> dict:
    ag.manual_seed(0)
    x_train, x_test, y_train, y_test = load_data(limit)
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = nn.data.DataLoader(nn.data.TensorDataset(x_train, y_train), batch_size,
                                shuffle=True)
    history = {"train_loss": [], "val_loss": []}
    for epoch in range(epochs):
        bar = progress_bar(len(loader), f"epoch {epoch + 1:2d}/{epochs}", quiet)
        total, correct, seen = 0.0, 0, 0
        for xb, yb in loader:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            correct += int((logits.data.argmax(1) == yb.data).sum())
            seen += len(yb)
            bar.set_postfix(loss=f"{total / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
            bar.update()  # counts the step, and redraws by mininterval/miniters
        bar.refresh()  # the epoch's final n/n, whatever the last update drew
        bar.close()
        sched.step()
        val_loss, val_acc = evaluate(model, x_test, y_test)
        history["train_loss"].append(total / seen)
        history["val_loss"].append(val_loss)
        if not quiet:
            tqdm.write(f"epoch {epoch + 1:2d}: train loss {total / seen:.4f} "
                       f"acc {correct / seen:.3f} | test loss {val_loss:.4f} acc {val_acc:.3f}")
    history["test_accuracy"] = evaluate(model, x_test, y_test)[1]
    history["model"] = model
    history["sample"] = (x_train[:8], y_train[:8])
    return history


def write_outputs(history: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    model = history["model"]
    weights = out / "digits_cnn.npz"
    ag.save(model.state_dict(), weights)
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training loss")
    ax.plot(epochs, history["val_loss"], label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title("CNN on scikit-learn digits (chainrule)")
    ax.legend()
    fig.tight_layout()
    curve = out / "loss.png"
    fig.savefig(curve, dpi=100)
    plt.close(fig)
    written = [weights, curve]
    graph = _write_graph(model, history["sample"], out / "train_step_graph.svg")
    if graph is not None:
        written.append(graph)
    return written


def _write_graph(model: nn.Module, sample: tuple, path: Path) -> Path | None:
    try:
        from autograd import viz
    except ImportError:
        print("graph: autograd.viz is not built yet (issue 5); no SVG written")
        return None
    x, y = sample
    loss = F.cross_entropy(model(ag.tensor(x)), y)
    loss.backward()
    viz.to_svg(loss, params=dict(model.named_parameters()), path=path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first LIMIT images (a quick check)")
    args = parser.parse_args()
    ag.tune_process()  # the demo is a training script: opt in (README: Speed)
    start = time.perf_counter()
    history = train(args.epochs, limit=args.limit)
    written = write_outputs(history, args.out)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {history['test_accuracy']:.2%}")
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
