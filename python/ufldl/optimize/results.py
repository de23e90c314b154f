"""What training returns: :class:`OptimizeResult` for the full-batch solvers (:func:`ufldl.minimize`) and
:class:`MinibatchResult`, the same with epochs for iterations, for the mini-batch ones
(:func:`ufldl.train_minibatch`). Both are plain dataclasses; the NonFiniteError a run raises carries one in
its ``.result``.
"""

import math
from dataclasses import dataclass, field

from typing import Any

import numpy as np
import numpy.typing as npt

from ufldl._lib.types import Float64Array

__all__ = ["MinibatchResult", "OptimizeResult"]


@dataclass(repr=False)
class OptimizeResult:
    """The outcome of :func:`ufldl.minimize`.

    Attributes
    ----------
    theta : ndarray, shape (n_params,), float64
        The parameters reached: the last iterate (for an interrupted run, the last one completed; always
        finite). A new array, never the caller's ``theta0``.
    cost : float
        ``fun(theta)[0]``: the cost at ``theta`` (NaN only if the run was interrupted before the first
        evaluation at ``theta0`` finished).
    n_iter : int
        Iterations completed (0 if the starting point already met the gradient tolerance).
    n_evals : int
        Calls of ``fun``, including line-search trials and interrupted or non-finite evaluations.
    loss_curve : list of float, length n_iter
        ``loss_curve[k - 1]`` is the cost after iteration k (the cost at ``theta0`` is ``initial_cost``).
    message : str
        Why the run stopped, in words.
    converged : bool
        True when the method's own convergence test (``tol``, ``gtol``) ended the run; False when ``max_iter``,
        the callback, Ctrl-C or a line-search failure did.
    interrupted : bool
        True when Ctrl-C (KeyboardInterrupt) ended the run.
    seconds : float
        Wall time of the whole run.
    method : str
        ``"lbfgs"``, ``"cg"`` or ``"gd"``.
    initial_cost : float
        The cost at ``theta0`` (NaN if interrupted before it was computed).
    """

    theta: npt.NDArray[Any]
    cost: float
    n_iter: int
    n_evals: int
    loss_curve: list[float] = field(default_factory=list)
    message: str = ""
    converged: bool = False
    interrupted: bool = False
    seconds: float = 0.0
    method: str = "lbfgs"
    initial_cost: float = math.nan

    def __repr__(self) -> str:
        return (f"OptimizeResult(method={self.method!r}, cost={self.cost!r}, n_iter={self.n_iter}, "
                f"n_evals={self.n_evals}, converged={self.converged}, interrupted={self.interrupted}, "
                f"seconds={self.seconds:.3f}, message={self.message!r}, theta=<{self.theta.size} float64>)")


@dataclass(repr=False)
class MinibatchResult(OptimizeResult):
    """The outcome of :func:`ufldl.train_minibatch`: an :class:`ufldl.OptimizeResult` whose iterations are epochs.

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        A copy of the parameters left in the network (with early stopping, the best validated ones), in the
        network's dtype.
    cost : float
        The last epoch's training loss (``loss_curve[-1]``; NaN if no epoch finished).
    n_iter : int
        Epochs completed.
    n_evals : int
        Batch evaluations made (each followed by an update, except a non-finite one).
    loss_curve : list of float
        The training loss of each epoch: the mean of its batch costs weighted by the batches' sizes (the cost
        of each batch includes the weight-decay and sparsity terms).
    n_updates : int
        Updates made in this call.
    batch_loss_curve : ndarray, float64
        The cost of every batch evaluated in this call, in order.
    validation_scores : list of float or None
        The validation score after each epoch (higher is better), with early stopping or validation data.
    best_iteration : int or None
        The epoch of the best validation score (its parameters are the ones kept with early stopping).
    learning_rates : list of float
        The learning rate each epoch used.
    method : str
        ``"sgd"`` or ``"adam"``.
    """

    n_updates: int = 0
    batch_loss_curve: Float64Array = field(default_factory=lambda: np.empty(0))
    validation_scores: list[float] | None = None
    best_iteration: int | None = None
    learning_rates: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"MinibatchResult(method={self.method!r}, cost={self.cost!r}, n_iter={self.n_iter}, "
                f"n_updates={self.n_updates}, converged={self.converged}, interrupted={self.interrupted}, "
                f"seconds={self.seconds:.3f}, message={self.message!r}, theta=<{self.theta.size} {self.theta.dtype}>)")
