"""Compatibility: mini-batch training now lives in :mod:`ufldl.optimize` (``ufldl.optimize.minibatch`` for
:func:`train_minibatch`, ``ufldl.optimize.optimizers`` for :class:`SGD` and :class:`Adam`). This module
re-exports the public names it used to define; nothing inside the package imports it.
"""

from ufldl.optimize import SCHEDULES, SGD, Adam, MinibatchOptimizer, MinibatchResult, train_minibatch  # noqa: F401
from ufldl.optimize.callbacks import call_with_parameters_read_only, read_only_view  # noqa: F401

__all__ = ["SCHEDULES", "SGD", "Adam", "MinibatchResult", "train_minibatch"]
