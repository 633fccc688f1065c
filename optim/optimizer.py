"""`Optimizer`: parameter groups, per-parameter state, and state dicts, as PyTorch."""

from __future__ import annotations

import copy
from typing import Any, Iterable

import numpy as np

from autograd import Tensor


class Optimizer:
    """Base class. Subclasses set `defaults` and implement `_update(p, grad, state, group)`,
    which changes `p.data` in place; `step()` calls it for each parameter with a gradient."""

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

    def _check(self, group: dict[str, Any]) -> None:
        """Reject bad hyper-parameters at construction, as PyTorch does."""
        name = type(self).__name__
        for key in ("lr", "eps", "weight_decay", "momentum", "lr_decay", "alpha",
                    "initial_accumulator_value", "dampening"):
            if key in group and group[key] < 0:
                raise ValueError(f"{name}: invalid {key} {group[key]} (must be >= 0)")
        for i, beta in enumerate(group.get("betas", ())):
            if not 0 <= beta < 1:
                raise ValueError(f"{name}: invalid beta at index {i}: {beta} (must be in [0, 1))")

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def step(self) -> None:
        """One update of every parameter that has a gradient (others are skipped)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    state = self.state.setdefault(p, {})
                    self._update(p, p.grad.data, state, group)

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
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)
        ):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved groups do not match this "
                "optimizer's parameter groups"
            )
        by_index = {}
        for g, own in zip(groups, self.param_groups):
            for i, p in zip(g["params"], own["params"]):
                by_index[i] = p
            own.update({k: v for k, v in g.items() if k != "params"})
        self.state = {by_index[i]: copy.deepcopy(s) for i, s in state_dict["state"].items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])
