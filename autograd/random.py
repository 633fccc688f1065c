"""The one random generator behind every draw of autograd, nn and optim, and `Generator`,
PyTorch's own generator object for `generator=` arguments."""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the shared generator: every later random draw becomes reproducible."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The shared generator (look it up at each draw: manual_seed replaces it)."""
    return _generator


class Generator:
    """A random generator of its own, for `generator=` (`Generator().manual_seed(42)`).

    Its streams are numpy's PCG64, not PyTorch's: the same seed gives the same draws here,
    not the numbers PyTorch draws."""

    def __init__(self, device: Any = "cpu") -> None:
        from .device import check

        check(device, "Generator")
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns the generator itself, as PyTorch does."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"Generator.manual_seed: expected an int seed, got {seed!r}")
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self) -> dict:
        """A copy of the generator's state (pass it to `set_state` to replay the draws)."""
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Restore a state from `get_state`."""
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self) -> Any:
        from .device import CPU

        return CPU


def numpy_generator(gen: Any, op: str) -> np.random.Generator:
    """The numpy generator behind `generator=`: the shared one for None, a Generator's own,
    or a numpy Generator itself."""
    if gen is None:
        return _generator
    if isinstance(gen, Generator):
        return gen._rng
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"{op}: generator must be None or an autograd.Generator, got "
                    f"{type(gen).__name__}")
