"""Training: the full-batch solvers, the mini-batch optimisers and loop, and :func:`train`, the entry point.

The modules, one job each (bottom to top; each imports only those above it in this list):

- ``results``: :class:`OptimizeResult` and :class:`MinibatchResult`, what training returns;
- ``callbacks``: calling user code (callbacks, scoring) with the parameters read-only;
- ``fullbatch_run``, ``lbfgs`` and ``fullbatch``: :func:`minimize` (minFunc's L-BFGS run by the core, SciPy's
  L-BFGS-B and CG, gradient descent) and the bookkeeping of one run;
- ``optimizers``: :class:`SGD` and :class:`Adam`, their hyperparameters, schedules and state;
- ``minibatch_run`` and ``minibatch``: :func:`train_minibatch`, its steps, and the calls into the compiled
  core of one run;
- ``checkpoint``: :class:`Checkpoint`, a full-batch run's iterate saved atomically and resumed from;
- ``training``: :func:`train`, one entry point for every solver (``SOLVERS``).

``ufldl.minibatch`` and ``ufldl.training``, the modules these names came from, re-export them.
"""

from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
from ufldl.optimize.checkpoint import Checkpoint
from ufldl.optimize.fullbatch import METHODS, minimize
from ufldl.optimize.fullbatch_run import VERBOSE_EVERY
from ufldl.optimize.minibatch import train_minibatch
from ufldl.optimize.optimizers import SCHEDULES, SGD, Adam, MinibatchOptimizer
from ufldl.optimize.results import MinibatchResult, OptimizeResult
from ufldl.optimize.training import DEFAULT_TOL, SOLVERS, train

__all__ = [
    "DEFAULT_TOL",
    "METHODS",
    "SCHEDULES",
    "SGD",
    "SOLVERS",
    "VERBOSE_EVERY",
    "Adam",
    "Checkpoint",
    "MinibatchOptimizer",
    "MinibatchResult",
    "NonFiniteError",
    "OptimizeResult",
    "TrainingInterrupted",
    "minimize",
    "train",
    "train_minibatch",
]
