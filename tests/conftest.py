"""Shared fixtures; the shared helpers and tolerances live in tests/helpers.py."""

import numpy as np
import pytest

from .helpers import SEED


@pytest.fixture
def rng():
    """A freshly seeded generator: every test sees the same data."""
    return np.random.default_rng(SEED)
