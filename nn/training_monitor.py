"""`TrainingMonitor`: follow a model's layers over training steps; `check_first_loss`;
`saturation_image`.

The checks of the lecture series on activations and gradients, recorded at every step:

- the update-to-data ratio of each parameter, std(update) / std(data), measured around the
  optimiser's step (so it holds for SGD, momentum, Adam, ... alike; ~1e-3 is healthy);
- each layer's output mean and std;
- the saturated fraction of tanh and sigmoid outputs (|tanh| > 0.97 by default);
- the fraction of dead units of ReLU-family outputs: units that are zero on every example.

```python
monitor = TrainingMonitor(model, opt)           # wraps opt.step for as long as it watches
for step in range(200):
    loss = F.cross_entropy(model(x), y)
    if step == 0:
        check_first_loss(loss, num_classes=10)  # about log(10) at a sane init
    opt.zero_grad(); loss.backward(); opt.step()
monitor.remove()
monitor.plot()                                  # ratios with the 1e-3 guide, std, saturation, dead
```

Hooks read `.data` only and keep float64 summaries: training runs exactly as without them.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from autograd import Tensor

from .activation import LeakyReLU, PReLU, ReLU, Sigmoid, Tanh
from .module import Module

__all__ = ["FirstLossCheck", "TrainingMonitor", "check_first_loss", "saturation_image"]

DPI = 120
PANELS = ("ratio", "mean", "std", "saturated", "dead")
_RELU_FAMILY = (ReLU, LeakyReLU, PReLU)
_TITLES = {"ratio": "update / data: std(Δw) / std(w)", "mean": "activation mean",
           "std": "activation std", "saturated": "saturated fraction",
           "dead": "dead units (zero on every example)"}


def choose_modules(model: Module, modules: Any, who: str) -> dict[str, Module]:
    """{name: module} as `model.named_modules()` names them: every module without children
    (None), those of the given type(s), or the given modules."""
    named = [(n or type(m).__name__, m) for n, m in model.named_modules()]
    if isinstance(modules, type):
        modules = (modules,)
    if modules is None:
        return {n: m for n, m in named if next(m.children(), None) is None}
    if isinstance(modules, tuple) and all(isinstance(t, type) for t in modules):
        return {n: m for n, m in named if isinstance(m, modules)}
    names = {id(m): n for n, m in reversed(named)}
    missing = [type(m).__name__ for m in modules if id(m) not in names]
    if missing:
        raise ValueError(f"{who}: modules {missing} are not part of the model")
    return {names[id(m)]: m for m in modules}


def layer_label(name: str, module: Module) -> str:
    """'fc1: Linear', '3: Tanh': the module's name in the model, then its type."""
    kind = type(module).__name__
    return name if name == kind else f"{name}: {kind}"


def layer_colours(names: Sequence[str]) -> dict[str, Any]:
    """One colour per drawn layer, the same in every panel and never shared: matplotlib's
    C0-C9 for up to 10 layers, else evenly spaced along viridis by depth (short of its pale
    yellow end, which is hard to see on white)."""
    if len(names) <= 10:
        return {n: f"C{i}" for i, n in enumerate(names)}
    from matplotlib import colormaps

    return {n: colormaps["viridis"](0.9 * i / (len(names) - 1)) for i, n in enumerate(names)}


def saturated_mask(h: np.ndarray, threshold: float, kind: str) -> np.ndarray:
    """Where a tanh output has |h| > threshold, or a sigmoid output is outside
    [1 - threshold, threshold]."""
    if kind == "tanh":
        return np.abs(h) > threshold
    if kind == "sigmoid":
        return (h < 1 - threshold) | (h > threshold)
    raise ValueError(f"saturation: kind must be 'tanh' or 'sigmoid', got {kind!r}")


def _kind(module: Module) -> str | None:
    return "tanh" if isinstance(module, Tanh) else "sigmoid" if isinstance(module, Sigmoid) \
        else None


@dataclass(frozen=True)
class FirstLossCheck:
    """The first loss against log(C), the loss of a uniform guess over C classes."""

    loss: float
    expected: float
    num_classes: int
    tol: float

    @property
    def relative_error(self) -> float:
        return abs(self.loss - self.expected) / self.expected

    @property
    def ok(self) -> bool:
        return self.relative_error <= self.tol

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"off by more than {self.tol:.0%}"
        return (f"first loss {self.loss:.4g} vs log({self.num_classes}) = {self.expected:.4g}: "
                f"{self.relative_error:.1%} apart, {verdict}")


def check_first_loss(loss: Tensor | float, num_classes: int, tol: float = 0.1,
                     strict: bool = True) -> FirstLossCheck:
    """Compare a mean cross-entropy at initialisation with -log(1/C) = log C.

    Returns a `FirstLossCheck` (printable); raises ValueError when the loss is further than
    `tol` (relative) from log C, unless `strict=False`.

    >>> check_first_loss(F.cross_entropy(model(x), y), num_classes=10)
    """
    if num_classes < 2:
        raise ValueError(f"check_first_loss: num_classes must be >= 2, got {num_classes}")
    value = float(loss._data) if isinstance(loss, Tensor) else float(loss)
    result = FirstLossCheck(value, math.log(num_classes), num_classes, tol)
    if strict and not result.ok:
        hint = ("the initial logits are too large: scale the last layer's weights down "
                "(e.g. by 0.01) and zero its bias" if value > result.expected else
                "a loss below log C at init means the model already prefers the right "
                "classes: check for a data leak or a loss that is not a mean")
        raise ValueError(f"check_first_loss: {result}; {hint}")
    return result


def saturation_image(h: Tensor | np.ndarray, threshold: float = 0.97, kind: str = "tanh",
                     title: str | None = None, ax: Any = None) -> Any:
    """|h| > threshold over a batch as a black-and-white image, units down, examples across:
    a white row is a unit saturated on every example (its gradient is ~0 for the whole batch).

    `h` is a (batch, units, ...) output of a tanh (or sigmoid, `kind="sigmoid"`) layer; dims
    after the first two are flattened into the units. Returns the matplotlib Figure.
    """
    a = np.asarray(h._data if isinstance(h, Tensor) else h, dtype=np.float64)
    if a.ndim < 2:
        raise ValueError(f"saturation_image: expected (batch, units, ...), got shape {a.shape}")
    mask = saturated_mask(a.reshape(a.shape[0], -1), threshold, kind).T
    fig, ax = _axes(ax, (7, 3.6))
    ax.imshow(mask, cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect="auto")
    ax.grid(False)  # grid lines (rcParams["axes.grid"]) would draw over the pixels
    frac, rows = mask.mean(), int(mask.all(axis=1).sum())
    ax.set_title(title or (f"{kind} outputs with |h| > {threshold:g}: {frac:.0%} white; "
                           f"{rows} of {mask.shape[0]} units saturated on every example"),
                 fontsize=11)
    ax.set_xlabel("example in the batch", fontsize=10)
    ax.set_ylabel("unit", fontsize=10)
    return fig


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure  # matplotlib is needed only to plot

    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.subplots()


class TrainingMonitor:
    """Per-layer statistics at every training step, for plots over steps.

    `modules` chooses the layers as `LayerStats` does (None: every module without
    children). With an `optimizer`, its `step` is wrapped for as long as the monitor watches;
    without one, put the update in `with monitor.update(): ...`. Each update adds one
    record (every `every`-th update only, to save time) with the ratios of that update and
    the statistics of the last forward run in training mode before it.
    """

    def __init__(self, model: Module, optimizer: Any = None,
                 modules: Sequence[Module] | tuple[type, ...] | type | None = None,
                 saturation: float = 0.97, every: int = 1) -> None:
        if every < 1:
            raise ValueError(f"TrainingMonitor: every must be >= 1, got {every}")
        self.modules = choose_modules(model, modules, "TrainingMonitor")
        self.saturation, self.every = saturation, every
        self.params: dict[str, dict[str, Tensor]] = {
            layer: {f"{layer}.{n}": p for n, p in m.named_parameters()}
            for layer, m in self.modules.items()}
        self.last_output: dict[str, np.ndarray] = {}  # of tanh/sigmoid layers, for the image
        self.steps: list[int] = []
        self.records: list[dict[str, dict[str, float]]] = []
        self._pending: dict[str, dict[str, float]] = {}
        self._updates = 0
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in self.modules.items()]
        self._optimizer = optimizer
        if optimizer is not None:
            step = optimizer.step

            def watched_step(*args: Any, **kwargs: Any) -> Any:
                with self.update():
                    return step(*args, **kwargs)

            optimizer.step = watched_step
            self._wrapper = watched_step

    # ---- recording ---------------------------------------------------------------------
    def _hook(self, name: str) -> Any:
        def hook(module: Module, inputs: Any, output: Any) -> None:
            if module.training and isinstance(output, Tensor):
                self._pending[name] = self._activation_stats(name, module, output._data)
        return hook

    def _activation_stats(self, name: str, module: Module, data: np.ndarray) -> dict:
        a = np.array(data, dtype=np.float64)  # a copy: last_output keeps it
        stats = {"mean": float(a.mean()), "std": float(a.std())} if a.size else {}
        kind = _kind(module)
        if kind is not None and a.size:
            stats["saturated"] = float(saturated_mask(a, self.saturation, kind).mean())
            self.last_output[name] = a
        if isinstance(module, _RELU_FAMILY) and a.ndim >= 2 and a.size:
            alive = np.moveaxis(a != 0, 1, 0).reshape(a.shape[1], -1).any(axis=1)
            stats["dead"] = float((~alive).mean())
        return stats

    @contextmanager
    def update(self) -> Iterator[None]:
        """Measure the parameter update made inside the block (an optimiser's step, or a
        hand-written `p._data -= lr * p.grad._data`) and close the step's record."""
        record = self._updates % self.every == 0
        before = {k: p._data.astype(np.float64) for ps in self.params.values()
                  for k, p in ps.items()} if record else {}
        yield
        self._updates += 1
        if not record:
            self._pending = {}
            return
        row = {name: dict(self._pending.get(name, {})) for name in self.modules}
        for layer, ps in self.params.items():
            for key, p in ps.items():
                w = before[key]
                delta = np.asarray(p._data, np.float64) - w
                spread = float(w.std())
                row[layer]["ratio:" + key] = float(delta.std()) / spread if spread > 0 \
                    else math.nan
        self.steps.append(self._updates - 1)
        self.records.append(row)
        self._pending = {}

    # ---- control -----------------------------------------------------------------------
    def remove(self) -> None:
        """Unregister the hooks and unwrap the optimiser; the records stay readable."""
        for h in self._handles:
            h.remove()
        self._handles = []
        opt = self._optimizer
        if opt is not None and opt.__dict__.get("step") is self._wrapper:
            del opt.step
        self._optimizer = None

    def __enter__(self) -> TrainingMonitor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    # ---- reading -----------------------------------------------------------------------
    def series(self, layer: str, stat: str) -> np.ndarray:
        """One statistic of one layer over the recorded steps ('mean', 'std', 'saturated',
        'dead', or 'ratio:<parameter name>'); NaN where it was not recorded."""
        if layer not in self.modules:
            raise KeyError(f"TrainingMonitor: no layer {layer!r}; layers: {list(self.modules)}")
        return np.array([r[layer].get(stat, math.nan) for r in self.records], np.float64)

    def update_ratios(self, weights_only: bool = False) -> dict[str, np.ndarray]:
        """{parameter name: std(update) / std(data) at each recorded step}; NaN where the
        data's std is 0 (a one-element or constant parameter). `weights_only` keeps the
        parameters with two or more dims."""
        return {key: self.series(layer, "ratio:" + key)
                for layer, ps in self.params.items() for key, p in ps.items()
                if not weights_only or p.ndim >= 2}

    def summary(self) -> dict[str, dict[str, float]]:
        """The last record: {layer: {mean, std, saturated?, dead?, ratio:<param>...}}."""
        return self.records[-1] if self.records else {}

    def plot(self, panels: Sequence[str] | None = None, layers: Any = None,
             weights_only: bool = True, figsize: tuple[float, float] | None = None) -> Any:
        """A matplotlib Figure with one panel per statistic over steps: 'ratio' (log scale,
        with the 1e-3 guide line), 'mean', 'std' (log scale), 'saturated', 'dead'; by default
        every panel that has data. `layers`: names or module types to draw (default all);
        each drawn layer has its own colour, the same in every panel. `weights_only`: no
        ratios of biases."""
        unknown = [p for p in panels or () if p not in PANELS]
        if unknown:
            raise ValueError(f"TrainingMonitor.plot: unknown panels {unknown}; choose from "
                             f"{PANELS}")
        names = list(self.modules) if layers is None else [
            n for n, m in self.modules.items()
            if (isinstance(m, layers) if isinstance(layers, type | tuple) else n in layers)]
        lines = {p: self._lines(p, names, weights_only) for p in panels or PANELS}
        panels = list(panels) if panels is not None else [p for p in PANELS if lines[p]]
        drawn = {n for p in panels for n, _ in lines[p].values()}
        colours = layer_colours([n for n in names if n in drawn])
        lines = {p: {k: (colours[n], v) for k, (n, v) in lines[p].items()} for p in panels}
        from matplotlib.figure import Figure

        cols = 1 if len(panels) == 1 else 2
        rows = max(1, math.ceil(len(panels) / cols))
        fig = Figure(figsize=figsize or (6.2 * cols, 3.6 * rows), dpi=DPI, layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, panel in zip(axes, panels):
            self._panel(ax, panel, lines[panel])
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        return fig

    def _lines(self, panel: str, names: list[str],
               weights_only: bool) -> dict[str, tuple[str, np.ndarray]]:
        """{legend label: (layer name, values)} of the lines with data."""
        if panel == "ratio":
            lines = {key: (n, self.series(n, "ratio:" + key)) for n in names
                     for key, p in self.params[n].items() if not weights_only or p.ndim >= 2}
        else:
            lines = {layer_label(n, self.modules[n]): (n, self.series(n, panel))
                     for n in names}
        return {k: v for k, v in lines.items() if not np.isnan(v[1]).all()}

    def _panel(self, ax: Any, panel: str, lines: dict[str, tuple[str, np.ndarray]]) -> None:
        steps = np.asarray(self.steps)
        for label, (colour, values) in lines.items():
            ax.plot(steps, values, label=label, color=colour, linewidth=1.6)
        if panel == "ratio":
            ax.axhline(1e-3, color="0.35", linestyle="--", linewidth=1.2, label="1e-3 guide")
        if panel in ("ratio", "std") and lines:
            ax.set_yscale("log")
        if panel in ("saturated", "dead"):
            ax.set_ylim(-0.02, 1.02)
        ax.set_title(_TITLES[panel] + ("" if lines else ": nothing recorded"), fontsize=11)
        ax.set_xlabel("step", fontsize=10)
        ax.tick_params(labelsize=9)
        ax.grid(True, alpha=0.3)
        if lines:
            ax.legend(fontsize=8, ncols=2 if len(lines) > 6 else 1)

    def saturation_image(self, layer: str | None = None) -> Any:
        """`saturation_image` of the last training batch of a tanh or sigmoid layer (the
        first one when `layer` is None)."""
        if not self.last_output:
            raise ValueError("TrainingMonitor.saturation_image: no tanh or sigmoid layer has "
                             "run in training mode yet")
        name = layer if layer is not None else next(iter(self.last_output))
        if name not in self.last_output:
            raise KeyError(f"TrainingMonitor.saturation_image: no tanh/sigmoid output of "
                           f"{name!r}; recorded: {list(self.last_output)}")
        module = self.modules[name]
        a, kind = self.last_output[name], _kind(module) or "tanh"
        title = (f"{layer_label(name, module)}: |h| > {self.saturation:g} "
                 f"({saturated_mask(a, self.saturation, kind).mean():.0%} white)")
        return saturation_image(a, self.saturation, kind, title=title)
