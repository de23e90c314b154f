"""Compatibility: :func:`train` now lives in :mod:`ufldl.optimize` (``ufldl.optimize.training``). This module
re-exports the public names it used to define; nothing inside the package imports it.
"""

from ufldl.optimize.training import DEFAULT_TOL, SOLVERS, train  # noqa: F401

__all__ = ["SOLVERS", "train"]
