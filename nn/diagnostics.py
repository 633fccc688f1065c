"""`nn.diagnostics.LayerStats`: watch the activations and gradients of a model, layer by layer.

The diagnosis for bad initialisation: activations should be neither all saturated nor all
zero, and their spread should neither explode nor vanish from layer to layer.

```python
with nn.diagnostics.LayerStats(model) as stats:
    loss = F.cross_entropy(model(x), y)
    loss.backward()
print(stats.table())
stats.plot()
```

Hooks only read `.data`: the graph and every value stay as they were. To follow a model over
training steps (update-to-data ratios, saturation, dead units) use `TrainingMonitor`, and
check the first loss with `check_first_loss`; both are re-exported here.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Tensor

from .activation import Sigmoid, Tanh
from .module import Module
from .training_monitor import (
    DPI,
    FirstLossCheck,
    TrainingMonitor,
    check_first_loss,
    choose_modules,
    layer_label,
    saturation_image,
)

__all__ = ["FirstLossCheck", "LayerStats", "TrainingMonitor", "check_first_loss",
           "saturation_image"]


class _Stats:
    """Running statistics of the values seen so far: exact moments, pooled histogram."""

    def __init__(self, bins: int) -> None:
        self.bins, self.steps, self.n = bins, 0, 0
        self.mean = self.m2 = self.sumsq = 0.0
        self.zeros = 0
        self.saturated: int | None = None
        self.counts: np.ndarray | None = None
        self.edges: np.ndarray | None = None

    def add(self, a: np.ndarray, saturated: int | None) -> None:
        """Merge one step's values (Chan et al.'s pairwise update of mean and M2)."""
        a = np.asarray(a, np.float64).ravel()
        n = a.size
        if n == 0:
            return
        mean = float(a.sum()) / n
        d = a - mean
        m2 = float(np.einsum("i,i->", d, d))  # no BLAS call: its threads wake slowly
        total = self.n + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.n * n / total
        self.mean += delta * n / total
        self.n, self.steps = total, self.steps + 1
        self.sumsq += float(np.einsum("i,i->", a, a))
        self.zeros += n - int(np.count_nonzero(a))
        if saturated is not None:
            self.saturated = (self.saturated or 0) + saturated
        self._histogram(a)

    def _histogram(self, a: np.ndarray) -> None:
        """Counts of the finite non-zero values over one range that also covers the zeros
        (exact zeros are counted apart, in `zeros`); when new values fall outside the range, it
        grows and the old counts move to the new bins by their centres."""
        lo, hi = float(a.min()), float(a.max())
        if not np.isfinite(lo + hi):
            a = a[np.isfinite(a)]
            if a.size == 0:
                return
            lo, hi = float(a.min()), float(a.max())
        if self.edges is not None:
            lo, hi = min(lo, self.edges[0]), max(hi, self.edges[-1])
        counts, edges = np.histogram(a[a != 0], self.bins, (lo, hi))
        if self.edges is not None:
            centres = (self.edges[:-1] + self.edges[1:]) / 2
            counts = counts + np.histogram(centres, edges, weights=self.counts)[0].astype(int)
        self.counts, self.edges = counts, edges

    def histogram(self, zeros: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(counts, edges), the exact zeros in the bin that holds 0 (as np.histogram puts
        them) or left out."""
        if self.counts is None:
            return None
        counts = self.counts.copy()
        if zeros and self.zeros:
            i = min(int(np.searchsorted(self.edges, 0.0, side="right")) - 1, len(counts) - 1)
            counts[max(i, 0)] += self.zeros
        return counts, self.edges

    @property
    def std(self) -> float | None:
        return float(np.sqrt(self.m2 / self.n)) if self.n else None

    def fraction(self, count: int | None) -> float | None:
        return count / self.n if self.n and count is not None else None


class LayerStats:
    """Forward hooks (and tensor hooks on the outputs) that record, per watched layer, the
    mean, std, fraction of zeros, fraction saturated and histogram of its output, and the
    same (plus the L2 norm) of the gradient of the loss with respect to that output.

    `modules`: None watches every module without children; or a list of modules of `model`;
    or a module type or tuple of types. Layers are named as `model.named_modules()` names
    them. Saturated means |a| > `saturation` after a `Tanh` and a < 1 - `saturation` or
    a > `saturation` after a `Sigmoid` (None for other layers).
    With `accumulate=False` each forward and each backward replaces the numbers of the last
    one; with `accumulate=True` they are pooled over every step since `reset()`, and
    `grad_norm` is the root mean square of the per-step norms.
    """

    def __init__(self, model: Module,
                 modules: Sequence[Module] | tuple[type, ...] | type | None = None,
                 bins: int = 40, accumulate: bool = False, saturation: float = 0.97) -> None:
        self.modules: dict[str, Module] = choose_modules(model, modules, "LayerStats")
        self.bins, self.accumulate, self.saturation = bins, accumulate, saturation
        self._active = True
        self._leaf_hooks: dict[str, Any] = {}
        self.reset()
        self._handles = [m.register_forward_hook(self._forward_hook(n))
                         for n, m in self.modules.items()]

    def _forward_hook(self, name: str) -> Any:
        def hook(module: Module, inputs: Any, output: Any) -> None:
            if not (self._active and isinstance(output, Tensor)):
                return
            a = output._data
            self.act[name] = self._record(self.act[name], a, self._saturated(module, a))
            if not output.requires_grad:
                return
            if name in self._leaf_hooks:  # a leaf keeps its hooks: drop the last one's
                self._leaf_hooks.pop(name).remove()
            handle = output.register_hook(self._grad_hook(name))
            if output.grad_fn is None:
                self._leaf_hooks[name] = handle
        return hook

    def _grad_hook(self, name: str) -> Any:
        def hook(grad: Tensor) -> None:
            if self._active:
                self.grad[name] = self._record(self.grad[name], grad._data, None)
        return hook

    def _record(self, old: _Stats, a: np.ndarray, saturated: int | None) -> _Stats:
        stats = old if self.accumulate else _Stats(self.bins)
        stats.add(a, saturated)
        return stats

    def _saturated(self, module: Module, a: np.ndarray) -> int | None:
        s = self.saturation
        if isinstance(module, Tanh):
            return int(np.count_nonzero(np.abs(a) > s))
        if isinstance(module, Sigmoid):
            return int(np.count_nonzero((a < 1 - s) | (a > s)))
        return None

    # ---- control -----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every recorded number."""
        self.act: dict[str, _Stats] = {n: _Stats(self.bins) for n in self.modules}
        self.grad: dict[str, _Stats] = {n: _Stats(self.bins) for n in self.modules}

    def remove(self) -> None:
        """Unregister every hook; the numbers recorded so far stay readable."""
        self._active = False
        for h in self._handles + list(self._leaf_hooks.values()):
            h.remove()
        self._handles, self._leaf_hooks = [], {}

    def __enter__(self) -> LayerStats:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    # ---- reading -----------------------------------------------------------------------
    def histogram(self, name: str, kind: str = "act",
                  zeros: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """(counts, bin edges) of layer `name`'s activations (`kind="act"`) or gradients;
        `zeros=False` leaves the exact zeros out (a ReLU's zero bin hides everything else)."""
        return (self.act if kind == "act" else self.grad)[name].histogram(zeros)

    def summary(self) -> dict[str, dict[str, float | None]]:
        """{layer name: {act_mean, act_std, act_zeros, act_saturated, grad_mean, grad_std,
        grad_zeros, grad_norm}}; fractions in [0, 1]; None where nothing was recorded."""
        out = {}
        for name in self.modules:
            a, g = self.act[name], self.grad[name]
            out[name] = {
                "act_mean": a.mean if a.n else None, "act_std": a.std,
                "act_zeros": a.fraction(a.zeros), "act_saturated": a.fraction(a.saturated),
                "grad_mean": g.mean if g.n else None, "grad_std": g.std,
                "grad_zeros": g.fraction(g.zeros),
                "grad_norm": float(np.sqrt(g.sumsq / g.steps)) if g.steps else None,
            }
        return out

    def table(self) -> str:
        """One aligned row per layer: name, type, act mean/std, zeros %, saturated %,
        grad std and grad norm."""
        head = ["layer", "type", "act mean", "act std", "zeros %", "sat %", "grad std",
                "grad norm"]
        rows = [head]
        for name, s in self.summary().items():
            pct = [None if v is None else 100 * v for v in (s["act_zeros"], s["act_saturated"])]
            rows.append([name, type(self.modules[name]).__name__]
                        + [_num(v) for v in (s["act_mean"], s["act_std"])]
                        + [_num(v, ".1f") for v in pct]
                        + [_num(v) for v in (s["grad_std"], s["grad_norm"])])
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)

    def plot(self, figsize: tuple[float, float] | None = None,
             drop_zeros: float = 0.05) -> Any:
        """A matplotlib Figure: one row per layer (titled by its name and type), activation
        histogram left, gradient histogram right. Where exact zeros are at least `drop_zeros`
        of the values (a ReLU's output), they are left out of the bars and the title says
        how many there were."""
        from matplotlib.figure import Figure  # matplotlib is needed only to plot

        n = len(self.modules)
        fig = Figure(figsize=figsize or (10, 2.3 * n + 0.6), dpi=DPI, layout="constrained")
        axes = fig.subplots(max(n, 1), 2, squeeze=False)
        for row, (name, module) in zip(axes, self.modules.items()):
            for ax, kind, stats in zip(row, ("activation", "gradient"),
                                       (self.act[name], self.grad[name])):
                title = f"{layer_label(name, module)}: {kind}s"
                zero_share = stats.fraction(stats.zeros) or 0.0
                drop = zero_share >= drop_zeros
                hist = stats.histogram(zeros=not drop)
                if hist is not None:
                    ax.stairs(*hist, fill=True, alpha=0.8,
                              color="C0" if kind == "activation" else "C1")
                    title += f"\nmean {stats.mean:.3g}, std {stats.std:.3g}"
                    if drop:
                        title += f"; exact zeros ({zero_share:.0%}) not drawn"
                else:
                    title += f"\nno {kind} recorded"
                ax.set_title(title, fontsize=10)
                ax.set_xlabel(f"{kind} value", fontsize=9)
                ax.set_ylabel("count", fontsize=9)
                ax.tick_params(labelsize=8)
        return fig


def _num(v: float | None, fmt: str = ".3g") -> str:
    return "-" if v is None else format(v, fmt)
