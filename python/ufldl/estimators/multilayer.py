"""``MultiLayerEstimator``: the hyperparameters and scikit-learn MLP style attributes of the multi-layer
networks (``NeuralNetClassifier``, ``NeuralNetRegressor``)."""

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ufldl._lib.types import (ActivationName, BatchSize, DTypeName, FloatArray, LossName, RandomStateLike, RowsLike,
                              ScheduleName, SolverName)
from ufldl.estimators.base import NetworkEstimator, NetworkSpec, read_only
from ufldl.estimators.constraints import Constraint, ParameterConstraints, real_in
from ufldl.estimators.hyperparameters import FITTING, HIDDEN_ACTIVATIONS, LBFGS, OPTIMIZER, TRAINING

__all__ = ["MultiLayerEstimator", "HIDDEN_LAYER_SIZES", "HIDDEN_ACTIVATION"]


def _hidden_layer_sizes(given: Any, name: str) -> tuple[int, ...]:
    if isinstance(given, str):
        raise TypeError(f"{name} must be an int or a sequence of ints >= 1; got str {given!r}")
    sizes = (given,) if isinstance(given, numbers.Integral) else given
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints >= 1; got {type(given).__name__} "
                        f"{given!r}") from None
    for position, n in enumerate(sizes):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{name} must hold integers >= 1; got {type(n).__name__} {n!r} at position "
                            f"{position} of {given!r}")
        if n < 1:
            raise ValueError(f"{name} must hold integers >= 1; got {n} at position {position} of {given!r}")
    return tuple(int(n) for n in sizes)


def _hidden_activation(given: Any, name: str) -> str | tuple[str, ...]:
    if isinstance(given, str):
        names = (given,)
    else:
        try:
            names = tuple(given)
        except TypeError:
            raise TypeError(f"{name} must be a name or a sequence of names (one per hidden layer); got "
                            f"{type(given).__name__} {given!r}") from None
    for one in names:
        if not isinstance(one, str) or one not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"{name} must be one of {HIDDEN_ACTIVATIONS} (or a sequence of them, one per hidden "
                             f"layer); got {one!r}")
    return given if isinstance(given, str) else names


#: An int or a sequence of ints >= 1 (returned as a tuple).
HIDDEN_LAYER_SIZES = Constraint("an int or a sequence of ints >= 1", _hidden_layer_sizes)
#: A hidden activation's name, or a sequence of them (one per hidden layer).
HIDDEN_ACTIVATION = Constraint(f"one of {HIDDEN_ACTIVATIONS} or a sequence of them", _hidden_activation)


class MultiLayerEstimator(NetworkEstimator):
    """Hidden layers of any depth and the full set of solver hyperparameters; the output layer is the
    subclass's ``_OUTPUT = (activation, loss)``."""

    _OUTPUT: tuple[ActivationName, LossName]  # every subclass sets it
    _parameter_constraints: ParameterConstraints = {
        "hidden_layer_sizes": HIDDEN_LAYER_SIZES, "activation": HIDDEN_ACTIVATION, "weight_decay": real_in(low=0.0),
        **TRAINING, **OPTIMIZER, **LBFGS, **FITTING}

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: ActivationName | Sequence[ActivationName] = "relu", *, weight_decay: float = 1e-4,
                 solver: SolverName = "adam", max_iter: int = 200, tol: float | None = None,
                 batch_size: BatchSize = "auto", learning_rate: float | None = None,
                 lr_schedule: ScheduleName = "constant", power_t: float = 0.5, momentum: float = 0.9,
                 nesterov: bool = True, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 shuffle: bool = True, early_stopping: bool = False, validation_fraction: float = 0.1,
                 n_iter_no_change: float = 10, max_corrections: int = 100, max_fun: int | None = None,
                 dtype: DTypeName = "float64", random_state: RandomStateLike = None, verbose: int = 0,
                 warm_start: bool = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.weight_decay = weight_decay
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_corrections = max_corrections
        self.max_fun = max_fun
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _hidden_activations(self, params: Mapping[str, Any]) -> tuple[ActivationName, ...]:
        sizes: tuple[int, ...] = params["hidden_layer_sizes"]
        activation: ActivationName | tuple[ActivationName, ...] = params["activation"]  # (HIDDEN_ACTIVATION's)
        if isinstance(activation, str):
            return (activation,) * len(sizes)
        if len(activation) != len(sizes):
            raise ValueError(f"activation must be one name, or one name per hidden layer ({len(sizes)} for "
                             f"hidden_layer_sizes={self.hidden_layer_sizes!r}); got {len(activation)}: "
                             f"{self.activation!r}")
        return activation

    def _check_combination(self, params: Mapping[str, Any]) -> None:
        self._hidden_activations(params)

    def _output_layer(self, Y: RowsLike) -> tuple[ActivationName, LossName]:
        """``(activation, loss)`` of the output layer for the targets Y (the class's ``_OUTPUT`` by default)."""
        return self._OUTPUT

    def _network_spec(self, n_features: int, Y: RowsLike, n_outputs: int, params: Mapping[str, Any]) -> NetworkSpec:
        sizes = params["hidden_layer_sizes"]
        activation, loss = self._output_layer(Y)
        return NetworkSpec((n_features, *sizes, n_outputs), (*self._hidden_activations(params), activation), loss,
                           params["weight_decay"])

    @property
    def coefs_(self) -> list[FloatArray]:
        """list of ndarray: ``coefs_[i]`` of shape (n_in, n_out), scikit-learn's orientation (read-only views of
        ``network_.weights[i].T``)."""
        check_is_fitted(self)
        return [read_only(W.T) for W in self.network_.weights]

    @property
    def intercepts_(self) -> list[FloatArray]:
        """list of ndarray: ``intercepts_[i]`` of shape (n_out,) (read-only views of ``network_.biases``)."""
        check_is_fitted(self)
        return [read_only(b) for b in self.network_.biases]

    @property
    def n_layers_(self) -> int:
        """int: layers including the input and the output (scikit-learn's count): ``len(hidden) + 2``."""
        check_is_fitted(self)
        return self.network_.n_layers + 1

    @property
    def n_outputs_(self) -> int:
        """int: output units (classes for a classifier, targets for a regressor)."""
        check_is_fitted(self)
        return self.network_.layer_sizes[-1]

    @property
    def out_activation_(self) -> str:
        """str: the output layer's activation."""
        check_is_fitted(self)
        return self.network_.activations[-1]
