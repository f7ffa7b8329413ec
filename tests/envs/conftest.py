"""Shared helpers for the envs tests (NumPy and pygame only; no TensorFlow, no Qt)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


def sample_available(avail: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(C, N, A) bool mask -> (C, N) uniformly random *available* actions."""
    scores = rng.random(avail.shape) * avail  # unavailable actions score 0
    scores += avail * 1e-9  # so an available action always beats an unavailable one
    return scores.argmax(axis=-1)


@pytest.fixture
def random_available() -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """The sampler above, as a fixture so test modules need not import conftest."""
    return sample_available
