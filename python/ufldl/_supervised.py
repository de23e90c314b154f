"""What the supervised estimators of ``ufldl.classifiers`` share: hyperparameter validation, training through
``ufldl.train`` (early stopping on a held-out split, partial_fit, warm start), the fitted counters, and
saving with ``ufldl.io``.

Private: the public classes are ``SoftmaxRegression``, ``NeuralNetClassifier`` and ``NeuralNetRegressor``.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from ufldl import io
from ufldl._estimator import (estimator_from_state, estimator_to_state, fit_network, hyper, is_minibatch,
                              learning_rate, new_optimizer, read_only)
from ufldl._lib.validation import flag, integer, random_generator, real_scalar
from ufldl.network import Network
from ufldl.optimize import SCHEDULES, SOLVERS

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
FLOAT_DTYPES = [np.float64, np.float32]
class SupervisedEstimator(BaseEstimator):
    """Base of the supervised estimators: a ``ufldl.Network`` trained on (X, y) by ``ufldl.train``.

    A subclass provides the output layer (``_OUTPUT = (activation, loss)``), ``_hidden_layers()``,
    ``_validate_xy``, ``_targets`` (y into the network's targets), ``_validation_score`` and
    ``_stratify``.
    """

    _OUTPUT = None  # (output activation, loss)
    _stratify = False

    # ------------------------------------------------------------------ hyperparameters

    def _hidden_layers(self):
        """``(sizes, activations)`` of the hidden layers, validated."""
        return (), ()

    def _check_params(self):
        """Validate every hyperparameter (at fit time, as scikit-learn requires); returns the hidden layers."""
        if not isinstance(self.solver, str) or self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}")
        real_scalar(self.weight_decay, "weight_decay", low=0.0)
        integer(self.max_iter, "max_iter", 1)
        if self.tol is not None:
            real_scalar(self.tol, "tol", low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, str):
                raise ValueError(f"batch_size must be 'auto' or an integer >= 1; got {self.batch_size!r}")
            integer(self.batch_size, "batch_size", 1)
        if self.learning_rate is not None:
            real_scalar(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        real_scalar(self.validation_fraction, "validation_fraction", low=0.0, low_inclusive=False, high=1.0,
                    high_inclusive=False)
        integer(self.n_iter_no_change, "n_iter_no_change", 1)
        verbose = self.verbose
        integer(int(verbose) if isinstance(verbose, (bool, np.bool_)) else verbose, "verbose", 0)
        integer(hyper(self, "max_corrections"), "max_corrections", 1)
        for name in ("early_stopping", "warm_start", "shuffle", "nesterov"):
            flag(hyper(self, name), name)
        if hyper(self, "lr_schedule") not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}; got {hyper(self, 'lr_schedule')!r}")
        if self.dtype not in ("float64", "float32", np.float64, np.float32):
            raise ValueError(f"dtype must be 'float64' or 'float32'; got {self.dtype!r}")
        if is_minibatch(self):
            new_optimizer(self)  # validates momentum, beta_1, beta_2, epsilon, power_t (named in the message)
        return self._hidden_layers()

    def _solver_options(self):
        """Keyword arguments of ``ufldl.train`` for the solver (early stopping is added by ``_train``)."""
        if self.solver == "lbfgs":
            return {"max_corrections": hyper(self, "max_corrections")}
        if self.solver == "cg":
            return {}
        if self.solver == "gd":
            return {"learning_rate": learning_rate(self), "n_iter_no_change": self.n_iter_no_change}
        return {"batch_size": self.batch_size, "shuffle": hyper(self, "shuffle"),
                "n_iter_no_change": self.n_iter_no_change, "early_stopping": False}

    # ------------------------------------------------------------------ fitting

    def _fit(self, X, y, *, partial, classes=None):
        hidden_sizes, hidden_activations = self._check_params()
        first = not (partial and hasattr(self, "network_"))
        # partial_fit after the first call, and fit with warm_start on a fitted estimator, continue from its
        # network: X must have the features it was fitted on (scikit-learn's "X has N features, but ... is
        # expecting M features as input"), not start afresh.
        X, y = self._validate_xy(X, y, reset=not ((partial or self.warm_start) and hasattr(self, "network_")))
        Y, n_outputs, fitted = self._targets(y, first=first, partial=partial, classes=classes)
        if partial:
            rng = random_generator(self.random_state) if first else getattr(self, "_rng", None) or random_generator(None)
        else:
            rng = random_generator(self.random_state)
        sizes = (X.shape[1], *hidden_sizes, n_outputs)
        activations = (*hidden_activations, self._OUTPUT[0])
        if first and not (self.warm_start and not partial and self._reusable(sizes, activations, fitted)):
            self._initialize(sizes, activations, rng)
        elif is_minibatch(self):
            # Keep the optimiser's state unless the solver or its hyperparameters changed.
            fresh = new_optimizer(self)
            if repr(getattr(self, "_optimizer", None)) != repr(fresh):
                self._optimizer = fresh
        for name, value in fitted.items():
            setattr(self, name, value)
        self._rng = rng
        return self._train(X, Y, rng, partial)

    def _reusable(self, sizes, activations, fitted):
        """warm_start: whether the fitted network can be trained further on data of this shape."""
        net = getattr(self, "network_", None)
        return (net is not None and net.layer_sizes == sizes and net.activations == activations
                and net.dtype == np.dtype(self.dtype))

    def _initialize(self, sizes, activations, rng):
        self.network_ = Network(sizes, activations, self._OUTPUT[1], weight_decay=self.weight_decay,
                                dtype=np.dtype(self.dtype), seed=0)
        self._initial_parameters(self.network_, rng)
        self._optimizer = new_optimizer(self) if is_minibatch(self) else None
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.t_ = 0
        self.converged_ = False
        self.validation_scores_ = None
        self.best_validation_score_ = None

    def _initial_parameters(self, net, rng):
        net.initialize(rng)  # the tutorial's W ~ U(-r, r), r = sqrt(6 / (n_in + n_out + 1)); biases 0

    def _split(self, X, Y, rng):
        """Hold out ``validation_fraction`` of the examples (stratified by class for a classifier)."""
        seed = int(rng.integers(np.iinfo(np.int32).max))
        try:
            X, X_val, Y, Y_val = train_test_split(X, Y, test_size=self.validation_fraction, random_state=seed,
                                                  stratify=Y if self._stratify else None)
        except ValueError as exc:
            raise ValueError(f"early_stopping: cannot hold out validation_fraction={self.validation_fraction} "
                             f"of the {X.shape[0]} examples{' stratified by class' if self._stratify else ''}: "
                             f"{exc}") from None
        return np.ascontiguousarray(X), np.ascontiguousarray(Y), X_val, Y_val

    def _train(self, X, Y, rng, partial):
        net = self.network_
        net.weight_decay = self.weight_decay
        options = self._solver_options()
        early = False
        seen = 0
        if is_minibatch(self):
            options["optimizer"] = self._optimizer
            options["random_state"] = rng
            if partial:
                options["n_iter_no_change"] = 1 << 30
            elif self.early_stopping:
                X, Y, X_val, Y_val = self._split(X, Y, rng)
                options.update(early_stopping=True, validation_data=(X_val, Y_val),
                               scoring=self._validation_score)
                early = True
            seen = self._optimizer.samples_seen
        fit_network(net, X, Y, self.solver, lambda result: self._record(result, X.shape[0], early, partial, seen),
                    stacklevel=4, max_iter=1 if partial else self.max_iter, tol=self.tol, verbose=self.verbose,
                    **options)
        return self

    def _record(self, result, m, early, partial, seen):
        self.loss_curve_ = self.loss_curve_ + [float(v) for v in result.loss_curve]
        self.n_iter_ += int(result.n_iter)
        self.converged_ = bool(result.converged)
        if is_minibatch(self):
            self.t_ += int(self._optimizer.samples_seen - seen)
        else:
            self.t_ += int(result.n_evals) * m
        if early:
            scores = [float(s) for s in (result.validation_scores or [])]
            self.validation_scores_ = scores
            self.best_validation_score_ = max(scores) if scores else None
        elif not partial:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _validated_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=FLOAT_DTYPES)

    def save(self, path, *, compress=False):
        """Write the estimator (hyperparameters, fitted state, optimiser state) to a portable ``.npz``.

        Read it back with ``ufldl.load(path)``; see ``ufldl.io`` for the format (no pickle; atomic).

        Parameters
        ----------
        path : str or os.PathLike
        compress : bool, default False

        Raises
        ------
        TypeError
            A classifier's labels are not all ``int``, ``float``, ``bool`` or ``str`` (they are stored as
            JSON).
        """
        io.save(self, path, compress=compress)


class MultiLayerEstimator(SupervisedEstimator):
    """The multi-layer estimators' hyperparameters and scikit-learn MLP style attributes."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, weight_decay=1e-4, solver="adam",
                 max_iter=200, tol=None, batch_size="auto", learning_rate=None, lr_schedule="constant",
                 power_t=0.5, momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, shuffle=True,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, max_corrections=100,
                 dtype="float64", random_state=None, verbose=0, warm_start=False):
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
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _hidden_layers(self):
        given = self.hidden_layer_sizes
        if isinstance(given, str):
            raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints >= 1; got str {given!r}")
        sizes = (given,) if isinstance(given, numbers.Integral) else given
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints >= 1; got "
                            f"{type(given).__name__} {given!r}") from None
        for position, n in enumerate(sizes):
            if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
                raise TypeError(f"hidden_layer_sizes must hold integers >= 1; got {type(n).__name__} {n!r} at "
                                f"position {position} of {given!r}")
            if n < 1:
                raise ValueError(f"hidden_layer_sizes must hold integers >= 1; got {n} at position {position} "
                                 f"of {given!r}")
        act = self.activation
        if isinstance(act, str):
            acts = (act,) * len(sizes)
        else:
            try:
                acts = tuple(act)
            except TypeError:
                raise TypeError(f"activation must be a name or a sequence of names (one per hidden layer); got "
                                f"{type(act).__name__} {act!r}") from None
            if len(acts) != len(sizes):
                raise ValueError(f"activation must be one name, or one name per hidden layer ({len(sizes)} for "
                                 f"hidden_layer_sizes={given!r}); got {len(acts)}: {act!r}")
        for name in acts or ((act,) if isinstance(act, str) else ()):  # (a name is checked without layers too)
            if not isinstance(name, str) or name not in HIDDEN_ACTIVATIONS:
                raise ValueError(f"activation must be one of {HIDDEN_ACTIVATIONS} (or a sequence of them, one per "
                                 f"hidden layer); got {name!r}")
        return tuple(int(n) for n in sizes), acts

    @property
    def coefs_(self):
        """list of ndarray: ``coefs_[i]`` of shape (n_in, n_out), scikit-learn's orientation (read-only views of
        ``network_.weights[i].T``)."""
        check_is_fitted(self)
        return [read_only(W.T) for W in self.network_.weights]

    @property
    def intercepts_(self):
        """list of ndarray: ``intercepts_[i]`` of shape (n_out,) (read-only views of ``network_.biases``)."""
        check_is_fitted(self)
        return [read_only(b) for b in self.network_.biases]

    @property
    def n_layers_(self):
        """int: layers including the input and the output (scikit-learn's count): ``len(hidden) + 2``."""
        check_is_fitted(self)
        return self.network_.n_layers + 1

    @property
    def n_outputs_(self):
        """int: output units (classes for a classifier, targets for a regressor)."""
        check_is_fitted(self)
        return self.network_.layer_sizes[-1]

    @property
    def out_activation_(self):
        """str: the output layer's activation."""
        check_is_fitted(self)
        return self.network_.activations[-1]


# ----------------------------------------------------------------------------------------------- saving

_STATE_VERSION = 1
_FITTED_META = ("n_features_in_", "loss_curve_", "n_iter_", "t_", "converged_", "validation_scores_",
                "best_validation_score_")


def to_state(est, targets_to_meta):
    """``(meta, arrays)`` of a supervised estimator; ``targets_to_meta(est)`` gives the target-side state."""
    meta, arrays = estimator_to_state(est, _FITTED_META, _STATE_VERSION)
    if meta["fitted"]:
        meta["targets"] = targets_to_meta(est)
    return meta, arrays


def from_state(cls, meta, arrays, targets_from_meta):
    """The estimator ``to_state`` described; ``targets_from_meta(est, meta["targets"])`` restores the target
    side."""
    est = estimator_from_state(cls, meta, arrays, _FITTED_META, _STATE_VERSION)
    if meta["fitted"]:
        targets_from_meta(est, meta["targets"])
    return est
