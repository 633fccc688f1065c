"""The one random generator behind every draw of autograd, nn and optim."""

from __future__ import annotations

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
