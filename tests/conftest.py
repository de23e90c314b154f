"""Shared fixtures; the shared helpers and tolerances live in tests/helpers.py."""

import numpy as np
import pytest

from .helpers import SEED


@pytest.fixture(autouse=True, scope="session")
def clusters_fail_without_workers():
    """A Dask cluster that lost every worker (under heavy load a worker can lose its scheduler and close) makes
    its tasks wait for new workers forever; the schedulers the tests start fail them after a minute instead."""
    try:
        import dask
    except ImportError:
        yield
        return
    with dask.config.set({"distributed.scheduler.no-workers-timeout": "60s"}):
        yield


@pytest.fixture
def rng():
    """A freshly seeded generator: every test sees the same data."""
    return np.random.default_rng(SEED)
