"""`EarlyStopping`: stop when the validation metric stops improving, keep the best weights."""

from __future__ import annotations

from typing import Any


class EarlyStopping:
    """Feed the validation metric once per epoch; `step` returns True when training should
    stop, i.e. after `patience` epochs without an improvement of more than `min_delta`."""

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience ({patience}) and min_delta ({min_delta}) "
                             "must be >= 0")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best: float | None = None
        self.best_epoch = -1
        self.epochs = 0
        self.should_stop = False
        self._best_state: dict[str, Any] | None = None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, metric: float, model: Any = None) -> bool:
        """Record this epoch's metric (and the model's weights if it is the best so far)."""
        value = float(metric)
        if self._improved(value):
            self.best, self.best_epoch = value, self.epochs
            if model is not None:
                self._best_state = {k: v._data.copy() for k, v in model.state_dict().items()}
        self.epochs += 1
        bad_epochs = self.epochs - 1 - self.best_epoch  # an improving epoch never stops
        self.should_stop = bad_epochs > 0 and bad_epochs >= self.patience
        return self.should_stop

    def restore(self, model: Any) -> None:
        """Load the best epoch's weights back into `model`."""
        if self._best_state is None:
            raise RuntimeError("EarlyStopping.restore: no state kept; pass model= to step()")
        model.load_state_dict(self._best_state)
