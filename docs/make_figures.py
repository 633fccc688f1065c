"""Draw the figures in docs/ with autograd.viz: `python docs/make_figures.py [OUT_DIR]`.

- scalar_graph.svg: L = (a*b + c) * f after L.backward(), read as a worked chain-rule example.
- cnn_graph.svg: one training step of the digits CNN (examples/train_digits.py) on 4 images,
  one node per module, coloured by gradient norm.

tests/test_viz.py reruns this script and checks the committed SVGs are current in what does not
depend on the machine (ops, names, shapes, modules, edges: tools/graph_labels.py).
`python tools/execute_notebooks.py` reruns it after re-executing the notebooks.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

import autograd as ag
import nn.functional as F
from autograd import viz

ROOT = Path(__file__).resolve().parent.parent


def scalar_graph(path: Path) -> None:
    """The micrograd example: every value with its data and grad, every op its own node."""
    a = ag.tensor(2.0, requires_grad=True)
    b = ag.tensor(-3.0, requires_grad=True)
    c = ag.tensor(10.0, requires_grad=True)
    f = ag.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    viz.to_svg(L, params=dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L), path=path)


def cnn_graph(path: Path) -> None:
    """One forward and backward of the digits CNN, collapsed per module, by gradient norm."""
    spec = importlib.util.spec_from_file_location("train_digits", ROOT / "examples" /
                                                  "train_digits.py")
    train_digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_digits)
    digits = load_digits()
    x = ag.tensor((digits.images[:4] / 16.0).astype(np.float32)[:, None])
    y = digits.target[:4].astype(np.int64)
    model = train_digits.make_model()
    loss = F.cross_entropy(model(x), y)
    with viz.record_grad_norms():
        loss.backward()
    viz.to_svg(loss, params=dict(model.named_parameters()), collapse=True, show="grad",
               path=path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    ag.manual_seed(0)
    scalar_graph(out / "scalar_graph.svg")
    cnn_graph(out / "cnn_graph.svg")
    for name in ("scalar_graph.svg", "cnn_graph.svg"):
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
