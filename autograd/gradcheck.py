"""Check an op's analytic gradients against central finite differences, in float64."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .engine import grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytic and numerical Jacobians differ beyond the tolerances."""


def _outputs(result: Any) -> list[Tensor]:
    results = result if isinstance(result, tuple | list) else (result,)
    return [r for r in results if isinstance(r, Tensor) and r.dtype.kind == "f"]


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare every Jacobian entry of `fn` at `inputs` with central differences.

    Inputs that require grad are checked; float32 ones on float64 copies. Returns True,
    or raises `GradcheckError` naming the input, the worst element and both values.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    xs = [
        Tensor(x._data.astype(np.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad
        else x
        for x in inputs
    ]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    outs = _outputs(fn(*xs))
    if not outs:
        raise ValueError("gradcheck: fn returned no floating-point Tensor")
    analytic = _analytic(outs, [xs[i] for i in checked])
    for k, i in enumerate(checked):
        numerical = _numerical(fn, xs, i, eps)
        _compare(analytic[k], numerical, i, xs[i].shape, atol, rtol)
    return True


def _analytic(outs: list[Tensor], xs: list[Tensor]) -> list[np.ndarray]:
    """Jacobians d(all outputs, flattened)/d(x), one (n_out, x.size) array per input."""
    n_out = sum(o._data.size for o in outs)
    jac = [np.zeros((n_out, x._data.size)) for x in xs]
    row = 0
    for o in outs:
        for j in range(o._data.size):
            seed = np.zeros(o.shape, o.dtype)
            seed.flat[j] = 1.0
            if o.requires_grad:
                gs = grad(o, xs, seed, retain_graph=True, allow_unused=True)
                for k, g in enumerate(gs):
                    if g is not None:
                        jac[k][row] = g._data.reshape(-1)
            row += 1
    return jac


def _numerical(fn: Callable[..., Any], xs: list[Any], i: int, eps: float) -> np.ndarray:
    x = xs[i]._data
    cols = []
    for j in range(x.size):  # fn runs as given: it may itself differentiate (second order)
        orig = x.flat[j]
        x.flat[j] = orig + eps
        plus = np.concatenate([o._data.reshape(-1) for o in _outputs(fn(*xs))])
        x.flat[j] = orig - eps
        minus = np.concatenate([o._data.reshape(-1) for o in _outputs(fn(*xs))])
        x.flat[j] = orig
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _compare(a: np.ndarray, n: np.ndarray, i: int, shape: tuple, atol: float, rtol: float) -> None:
    if a.size == 0:
        return
    excess = np.abs(a - n) - (atol + rtol * np.abs(n))
    excess = np.where(np.isnan(a) != np.isnan(n), np.inf, np.nan_to_num(excess, nan=-1.0))
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    if excess[worst] > 0:
        out_j, in_j = worst
        in_idx = tuple(int(k) for k in np.unravel_index(in_j, shape)) if shape else ()
        raise GradcheckError(
            f"gradcheck: input {i} (shape {shape}), element {in_idx}, output element {out_j}: "
            f"analytic {a[worst]:.8g} vs numerical {n[worst]:.8g} "
            f"(atol={atol}, rtol={rtol})"
        )
