"""`Optimizer`: parameter groups, per-parameter state, and state dicts, as PyTorch."""

from __future__ import annotations

import copy
from typing import Any, Iterable

import numpy as np

from autograd import Tensor


class Optimizer:
    """Base class. Subclasses set `defaults` and implement `_update(p, grad, state, group)`,
    which changes `p._data` in place; `step()` calls it for each parameter with a gradient."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own hyper-parameters (defaults fill the rest)."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        name = type(self).__name__
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: expected Tensors to optimise, got {type(p).__name__}")
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(f"{name}: can only optimise leaf tensors that require grad")
        ids = [id(p) for p in params]
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if len(set(ids)) != len(ids) or existing & set(ids):
            raise ValueError(f"{name}: some parameters appear more than once")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._check(full)
        full["params"] = params
        self.param_groups.append(full)

    _NAMES = {"lr": "learning rate", "eps": "epsilon value"}

    def _check(self, group: dict[str, Any]) -> None:
        """Reject bad hyper-parameters (NaN, negative, betas that are not a pair in [0, 1))
        when a group is added, before any step can turn the parameters into NaN."""
        name = type(self).__name__
        for key in ("lr", "eps", "weight_decay", "momentum", "lr_decay", "alpha",
                    "initial_accumulator_value", "dampening"):
            if key in group and not _at_least_0(group[key]):
                what = self._NAMES.get(key, f"{key} value")
                raise ValueError(f"{name}: Invalid {what}: {group[key]!r} ({key} must be a "
                                 "number >= 0, not NaN)")
        if "rho" in group and not (_at_least_0(group["rho"]) and group["rho"] <= 1):
            raise ValueError(f"{name}: Invalid rho value: {group['rho']!r} (must be in [0, 1])")
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, tuple | list) or len(betas) != 2:
                raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
            for i, beta in enumerate(betas):
                if not (_at_least_0(beta) and beta < 1):
                    raise ValueError(f"{name}: Invalid beta parameter at index {i}: {beta!r} "
                                     "(must be in [0, 1))")

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0

    def step(self) -> None:
        """One update of every parameter that has a gradient (others are skipped). Every
        gradient is checked against its parameter's shape and dtype before any update."""
        updates = []
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                g, data = g._data, p._data  # the arrays: cheaper than the Tensor properties
                if g.shape != data.shape or g.dtype != data.dtype:
                    raise ValueError(
                        f"{type(self).__name__}.step: a parameter of shape {p.shape} and dtype "
                        f"{p.dtype} has a .grad of shape {g.shape} and dtype {g.dtype}; they "
                        "must match (no parameter was changed)"
                    )
                updates.append((p, g, group))
        states = self.state
        for p, g, group in updates:
            state = states.get(p)
            if state is None:
                state = states[p] = {}
            self._update(p, g, state, group)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    # ---- state dicts: parameters are referred to by their position ---------------------
    def state_dict(self) -> dict[str, Any]:
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        params = [p for g in self.param_groups for p in g["params"]]
        state = {index[id(p)]: copy.deepcopy(self.state[p]) for p in params if p in self.state}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state; everything is checked before anything changes."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = list(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', "
                             f"got {keys}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)
        ):
            raise ValueError(
                f"{name}: the saved groups do not match this optimizer's parameter groups"
            )
        by_index = {}
        for g, own in zip(groups, self.param_groups):
            for i, p in zip(g["params"], own["params"]):
                by_index[i] = p
            self._check({**own, **g})
        unknown = [i for i in state_dict["state"] if i not in by_index]
        if unknown:
            raise ValueError(
                f"{name}: state for parameter indices {unknown}, but the saved groups only "
                f"list indices {sorted(by_index)}"
            )
        state = {by_index[i]: copy.deepcopy(s) for i, s in state_dict["state"].items()}
        for g, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in g.items() if k != "params"})
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _at_least_0(value: Any) -> bool:
    """A real number >= 0 (False for NaN, None, strings, arrays)."""
    try:
        return bool(float(value) >= 0)
    except (TypeError, ValueError):
        return False
