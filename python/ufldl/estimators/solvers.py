"""From an estimator's checked hyperparameters to ``ufldl.train``: the network to train (``NetworkSpec``), the
optimiser object, the solver's options, the validation score's signature, and one training call with the
library's warnings and errors handled."""

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import numpy as np
from sklearn.utils.metaestimators import available_if

from ufldl._lib.types import ActivationName, Float64Array, LossName, RowsLike, SolverName, WeightDecay
from ufldl.layers import KLSparsity
from ufldl.network import Network
from ufldl.optimize import SGD, Adam, NonFiniteError, OptimizeResult, TrainingInterrupted, train

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["DEFAULT_LEARNING_RATE", "UNEXPOSED_DEFAULTS", "MINIBATCH_SOLVERS", "NetworkSpec", "ValidationScore",
           "is_minibatch", "new_optimizer", "solver_options", "fit_network", "minibatch_only"]

#: The step size of each solver when ``learning_rate=None``.
DEFAULT_LEARNING_RATE = {"gd": 0.1, "sgd": 0.01, "adam": 0.001}
#: The values of the hyperparameters an estimator does not expose (SoftmaxRegression has no momentum, ...).
UNEXPOSED_DEFAULTS = {"momentum": 0.9, "nesterov": True, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
                      "lr_schedule": "constant", "power_t": 0.5, "shuffle": True, "max_corrections": 100,
                      "rho_hat_decay": None, "max_fun": None}
MINIBATCH_SOLVERS = ("sgd", "adam")

_Method = TypeVar("_Method", bound=Callable[..., Any])


class NetworkSpec:
    """The network an estimator trains: ``Network(layer_sizes, activations, loss, weight_decay, sparsity)``."""

    def __init__(self, layer_sizes: Sequence[int], activations: Sequence[ActivationName], loss: LossName,
                 weight_decay: WeightDecay, sparsity: KLSparsity | None = None) -> None:
        self.layer_sizes = tuple(layer_sizes)
        self.activations = tuple(activations)
        self.loss = loss
        self.weight_decay = weight_decay
        self.sparsity = sparsity

    def build(self, dtype: np.dtype[Any]) -> Network:
        return Network(self.layer_sizes, self.activations, self.loss, weight_decay=self.weight_decay,
                       sparsity=self.sparsity, dtype=dtype)

    def matches(self, net: Network, dtype: np.dtype[Any]) -> bool:
        """Whether ``net`` has this architecture and dtype (so that warm start can continue from it)."""
        return (net.layer_sizes == self.layer_sizes and net.activations == self.activations
                and net.loss == self.loss and net.dtype == dtype)


class ValidationScore(Protocol):
    """``score(net, X_val, Y_val[, sample_weight_val]) -> float``, higher is better (``ufldl.train_minibatch``'s
    ``scoring``, which passes the held-out weights only when there are some)."""

    def __call__(self, net: Network, X_val: RowsLike, Y_val: RowsLike, sample_weight: Float64Array | None = None,
                 /) -> float: ...


def is_minibatch(estimator: "BaseEstimator") -> bool:
    """Whether the estimator's solver trains on mini-batches (and so offers ``partial_fit``)."""
    return estimator.solver in MINIBATCH_SOLVERS


def minibatch_only(method: _Method) -> _Method:
    """Decorator: scikit-learn's ``available_if(is_minibatch)``, the method (``partial_fit``) present only when
    the estimator's solver trains on mini-batches; typed as the method itself (scikit-learn's decorator is not
    annotated), so that a type checker keeps its signature."""
    return cast(_Method, available_if(is_minibatch)(method))


def _learning_rate(params: Mapping[str, Any]) -> float:
    rate = params["learning_rate"]
    return DEFAULT_LEARNING_RATE[params["solver"]] if rate is None else rate


def new_optimizer(params: Mapping[str, Any]) -> SGD | Adam:
    """The SGD or Adam object of a mini-batch solver, from the checked hyperparameters ``params``."""
    rate, schedule, power_t = _learning_rate(params), params["lr_schedule"], params["power_t"]
    if params["solver"] == "sgd":
        return SGD(rate, params["momentum"], params["nesterov"], schedule, power_t)
    return Adam(rate, params["beta_1"], params["beta_2"], params["epsilon"], schedule, power_t)


def solver_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``ufldl.train`` for the solver (early stopping and the optimiser aside)."""
    solver = params["solver"]
    full_batch = {"max_evals": params["max_fun"]}  # (scikit-learn's MLP calls the cap on evaluations max_fun)
    if solver in ("lbfgs", "lbfgsb"):
        return {**full_batch, "max_corrections": params["max_corrections"]}
    if solver == "cg":
        return full_batch
    if solver == "gd":
        return {**full_batch, "learning_rate": _learning_rate(params), "n_iter_no_change": params["n_iter_no_change"]}
    return {"batch_size": params["batch_size"], "shuffle": params["shuffle"],
            "n_iter_no_change": params["n_iter_no_change"], "rho_hat_decay": params["rho_hat_decay"]}


def fit_network(net: Network, X: RowsLike, Y: RowsLike, solver: SolverName, record: Callable[[OptimizeResult], None], *,
                stacklevel: int, **kwargs: Any) -> OptimizeResult:
    """``ufldl.train(net, X, Y, solver, **kwargs)`` for an estimator.

    ``record(result)`` files the outcome, also that of a run that stopped on a non-finite value (before the
    NonFiniteError goes on, so that the last finite parameters and the history stay inspectable), and a Ctrl-C
    warning is re-issued from ``stacklevel`` frames above, so that it points at the caller's ``fit``.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TrainingInterrupted)
            result = train(net, X, Y, solver, **kwargs)
    except NonFiniteError as err:
        record(err.result)
        raise
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=stacklevel + 1)
    record(result)
    return result
