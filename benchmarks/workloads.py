"""The benchmark workloads, each built for chainrule and for PyTorch from the same weights.

`build(name, engine)` returns a `Workload`: `step()` runs one training step (or one
forward+backward for the chains) and returns the loss as a float; `check_loss()` computes the
first loss deterministically (dropout off) so the two engines can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

WORKLOADS = ("mlp", "cnn", "cnn_big", "bn_cnn", "scalar", "overhead", "deep")
LR = 0.01
DROPOUT = 0.5


@dataclass
class Workload:
    step: Callable[[], float]
    check_loss: Callable[[], float]
    unit: str = "step"  # what one timing covers
    per: int = 1  # how many units one step holds (ops for the chains)


def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    batch, shape = {"mlp": (128, (784,)), "cnn": (32, (1, 28, 28)), "bn_cnn": (32, (1, 28, 28)),
                    "cnn_big": (128, (1, 28, 28))}[name]
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    return x, rng.integers(0, 10, batch)


def _chainrule_model(name: str) -> Any:
    import autograd as ag
    import nn

    ag.manual_seed(0)
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    c1, c2 = (32, 64) if name == "cnn_big" else (8, 16)
    bn = name == "bn_cnn"
    layers = [nn.Conv2d(1, c1, 3, padding=1)] + ([nn.BatchNorm2d(c1)] if bn else [])
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1)]
    layers += ([nn.BatchNorm2d(c2)] if bn else []) + [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
    layers += ([nn.Dropout(DROPOUT)] if bn else []) + [nn.Linear(c2 * 7 * 7, 10)]
    return nn.Sequential(*layers)


def _torch_model(name: str, reference: Any) -> Any:
    """The same architecture in torch.nn, loaded with chainrule's initial weights."""
    import torch

    layers = []
    for m in reference:
        kind = type(m).__name__
        if kind == "Linear":
            layers.append(torch.nn.Linear(m.in_features, m.out_features))
        elif kind == "Conv2d":
            layers.append(torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size,
                                          padding=m.padding))
        elif kind == "BatchNorm2d":
            layers.append(torch.nn.BatchNorm2d(m.num_features))
        elif kind == "MaxPool2d":
            layers.append(torch.nn.MaxPool2d(m.kernel_size))
        elif kind == "Dropout":
            layers.append(torch.nn.Dropout(m.p))
        else:
            layers.append(getattr(torch.nn, kind)())
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    return model


def _set_dropout(model: Any, p: float) -> None:
    for m in model.modules():
        if type(m).__name__ == "Dropout":
            m.p = p


def _network(name: str, engine: str) -> Workload:
    x_np, y_np = _data(name)
    reference = _chainrule_model(name)
    if engine == "chainrule":
        import autograd as ag
        import nn.functional as F
        import optim

        model, x, y = reference, ag.tensor(x_np), ag.tensor(y_np)
        opt = optim.SGD(model.parameters(), lr=LR)

        def loss_of() -> Any:
            return F.cross_entropy(model(x), y)
    else:
        import torch

        model = _torch_model(name, reference)
        x, y = torch.tensor(x_np), torch.tensor(y_np)
        opt = torch.optim.SGD(model.parameters(), lr=LR)

        def loss_of() -> Any:
            return torch.nn.functional.cross_entropy(model(x), y)

    def step() -> float:
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    def check_loss() -> float:  # dropout off: the two engines draw different masks
        _set_dropout(model, 0.0)
        value = loss_of().item()
        _set_dropout(model, DROPOUT)
        return value

    return Workload(step, check_loss)


def _numpy_mlp() -> Workload:
    """`mlp` written by hand in numpy: the BLAS-bound floor the issue measures chainrule
    against (forward, softmax cross-entropy, backward and SGD, in place where numpy can)."""
    x, y = _data("mlp")
    params = [v.numpy().copy() for v in _chainrule_model("mlp").state_dict().values()]
    rows = np.arange(len(y))

    def forward() -> tuple[list, np.ndarray, float]:
        acts, a = [x], x
        for i in range(0, len(params), 2):
            a = a @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                a = np.maximum(a, 0.0)
                acts.append(a)
        shifted = a - a.max(1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        return acts, log_p, float(-log_p[rows, y].mean())

    def step() -> float:
        acts, log_p, loss = forward()
        g = np.exp(log_p)  # d loss / d logits = (softmax - onehot) / batch
        g[rows, y] -= 1.0
        g /= len(y)
        for i in range(len(params) - 2, -1, -2):
            a = acts[i // 2]
            grad_w, grad_b = g.T @ a, g.sum(0)
            if i:
                g = g @ params[i]
                g *= a > 0  # relu's gradient: its output is positive where its input was
            params[i] -= LR * grad_w
            params[i + 1] -= LR * grad_b
        return loss

    return Workload(step, lambda: forward()[2])


def _moons(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with noise, labels -1/+1 (like sklearn's make_moons)."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, np.pi, n // 2)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    x = np.concatenate([upper, lower]) + rng.normal(0, 0.1, (n, 2))
    return x, np.concatenate([-np.ones(n // 2), np.ones(n // 2)])


def _scalar(engine: str) -> Workload:
    """micrograd's demo: an MLP 2-16-16-1 of 0-d tensors, hinge loss plus 1e-4 L2."""
    x_np, y_np = _moons()
    rng = np.random.default_rng(0)
    sizes = [2, 16, 16, 1]
    init = [(rng.uniform(-1, 1, (n_out, n_in)), rng.uniform(-1, 1, n_out))
            for n_in, n_out in zip(sizes, sizes[1:])]
    if engine == "chainrule":
        import autograd as ag

        def scalar(v: float) -> Any:
            return ag.tensor(v, requires_grad=True)

        relu = ag.relu
    else:
        import torch

        def scalar(v: float) -> Any:
            return torch.tensor(v, dtype=torch.float32, requires_grad=True)

        relu = torch.relu
    layers = [([[scalar(float(w)) for w in row] for row in weights],
               [scalar(float(b)) for b in biases]) for weights, biases in init]
    params = [p for ws, bs in layers for row in ws for p in row] + \
             [b for _, bs in layers for b in bs]
    xs = [[float(v) for v in row] for row in x_np]
    ys = [float(v) for v in y_np]

    def forward_loss() -> Any:
        losses = []
        for row, label in zip(xs, ys):
            act: list[Any] = row
            for i, (ws, bs) in enumerate(layers):
                out = []
                for w_row, b in zip(ws, bs):
                    s = b
                    for w, a in zip(w_row, act):
                        s = s + w * a
                    out.append(relu(s) if i < len(layers) - 1 else s)
                act = out
            losses.append(relu(1 - label * act[0]))
        data_loss = sum(losses[1:], losses[0]) * (1.0 / len(losses))
        reg = sum((p * p for p in params[1:]), params[0] * params[0])
        return data_loss + 1e-4 * reg

    def step() -> float:
        loss = forward_loss()
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= 0.1 * p.grad.data  # the same in-place update in both engines
        return loss.item()

    return Workload(step, lambda: forward_loss().item())


def _chain(engine: str, n_ops: int, shape: tuple[int, ...]) -> Workload:
    """x = x * 1.0001 + 0.001, n_ops/2 times, then backward: the per-op framework cost."""
    start = np.linspace(0.5, 1.5, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    if engine == "chainrule":
        import autograd as ag

        x0 = ag.tensor(start, requires_grad=True)
    else:
        import torch

        x0 = torch.tensor(start, requires_grad=True)

    def run() -> Any:
        x = x0
        for _ in range(n_ops // 2):
            x = x * 1.0001 + 0.001
        return x.sum()

    def step() -> float:
        x0.grad = None
        out = run()
        out.backward()
        return out.item()

    return Workload(step, lambda: run().item(), unit="op", per=n_ops)


def build(name: str, engine: str) -> Workload:
    """The workload `name` for `engine`: 'chainrule', 'torch', or for `mlp` also 'numpy'."""
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}; expected one of {WORKLOADS}")
    if engine == "numpy":
        if name != "mlp":
            raise ValueError(f"only mlp has a hand-written numpy version, not {name!r}")
        return _numpy_mlp()
    if name == "scalar":
        return _scalar(engine)
    if name == "overhead":
        return _chain(engine, 1000, (16,))
    if name == "deep":
        return _chain(engine, 100_000, ())
    return _network(name, engine)
