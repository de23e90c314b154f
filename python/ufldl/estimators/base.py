"""``NetworkEstimator``: the one base of ufldl's scikit-learn estimators.

It owns what every estimator shares: the declarative hyperparameter checks (``_parameter_constraints``), the
random state, warm start, ``partial_fit``, the solver's options, early stopping on a held-out split, the
training record (``loss_curve_``, ``n_iter_``, ``t_``, ``converged_``, the validation scores) and saving. A
subclass supplies only what differs: its constraints, its network (``_network_spec``), how y becomes the
network's targets (``_validate_xy``, ``_targets``), and optionally its initial parameters, its validation
score and what it does after training.
"""

import math
import warnings
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import (_check_sample_weight, assert_all_finite, check_array, check_is_fitted,
                                      column_or_1d, validate_data)

from ufldl._lib.types import ArrayLike, Float64Array, IntArray, PathLike, RowsLike, SampleWeights
from ufldl import io, scale
from ufldl._lib.sparse import contiguous_rows
from ufldl._lib.validation import random_generator
from ufldl.estimators.constraints import ParameterConstraints, check_parameters
from ufldl.estimators.sklearn_names import explain_unknown_keywords
from ufldl.estimators.solvers import (UNEXPOSED_DEFAULTS, NetworkSpec, ValidationScore, fit_network, is_minibatch,
                                      new_optimizer, solver_options)
from ufldl.network import Network
from ufldl.optimize import SGD, Adam, OptimizeResult

__all__ = ["NetworkEstimator", "NetworkSpec", "FLOAT_DTYPES", "SPARSE_FORMATS", "FITTED_ATTRIBUTES",
           "ValidationScore", "checked_sample_weight", "preserve_dtype", "read_only"]

#: The input dtypes the estimators keep as they are (anything else is converted to float64).
FLOAT_DTYPES = [np.float64, np.float32]
#: The sparse formats the estimators take as they are (others are converted to CSR by scikit-learn; CSC is
#: converted to CSR once by the network, O(nnz): docs/math.md#sparse-input).
SPARSE_FORMATS = ("csr", "csc")
#: The fitted attributes of every estimator trained through ``NetworkEstimator._fit`` (saved with it).
FITTED_ATTRIBUTES = ("n_features_in_", "loss_curve_", "n_iter_", "t_", "converged_", "validation_scores_",
                     "best_validation_score_")

_Scalar = TypeVar("_Scalar", bound=np.generic)


def read_only(array: npt.NDArray[_Scalar]) -> npt.NDArray[_Scalar]:
    """A read-only view of ``array`` (fitted weights exposed without letting them be written by accident)."""
    view = array.view()
    view.flags.writeable = False
    return view


def _holdout_size(m: int, fraction: float) -> int:
    """The rows early stopping holds out of ``m`` (train_test_split's and train_minibatch's rounding), checked:
    at least 2 to score and 1 left to train on."""
    n_val = math.ceil(fraction * m)
    if n_val < 2 or m - n_val < 1:
        raise ValueError(f"The validation set is too small for early_stopping: validation_fraction={fraction} of "
                         f"n_samples={m} holds out {n_val} "
                         f"example(s), leaving {m - n_val} to train on; the validation set needs at least 2 to "
                         "score and training at least 1: raise validation_fraction or give more examples "
                         "(scikit-learn's MLP refuses a validation set this small too)")
    return n_val


def checked_sample_weight(sample_weight: ArrayLike | None, X: RowsLike) -> SampleWeights:
    """``fit``'s ``sample_weight`` as scikit-learn checks it (``_check_sample_weight``: shape (n_samples,), finite,
    >= 0, not all zero), float64; None stays None (every example weighs 1, the unweighted path).

    For an X read in pieces, the same checks without converting the weights whole: a Dask X's weights (NumPy or
    Dask) become a float64 Dask array with its row chunks, an h5py or zarr dataset's or ``RowBlocks``' stay as
    given (a memory-mapped array stays mapped), read with the blocks (``ufldl.scale.weights``). A scalar weighs
    every example the same, as scikit-learn's."""
    if sample_weight is None:
        return None
    if scale.is_dask_array(X) or scale.is_row_source(X):
        m = int(X.shape[0])
        if np.ndim(sample_weight) == 0 and not scale.is_dask_array(sample_weight):
            sample_weight = np.full(m, sample_weight, dtype=np.float64)
        if scale.is_dask_array(X):
            return scale.dask_weights(sample_weight, X)
        return scale.block_weights(sample_weight, m)
    try:
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    except ValueError as exc:
        raise ValueError(f"sample_weight: {exc}") from None


def preserve_dtype(tags: Any, dtype: npt.DTypeLike) -> Any:  # (tags: a sklearn.utils.Tags, untyped)
    """A transformer's scikit-learn tags, saying that it returns ``dtype`` (its parameters' precision)."""
    try:
        tags.transformer_tags.preserves_dtype = [np.dtype(dtype).name]
    except TypeError:
        pass  # an invalid dtype is reported by fit
    return tags


class NetworkEstimator(BaseEstimator):
    """Base of the estimators: a ``ufldl.Network`` trained by ``ufldl.train`` on (X, targets).

    A subclass defines

    - ``_parameter_constraints``: every hyperparameter of its ``__init__`` -> a constraint of
      ``ufldl.estimators.constraints``;
    - ``_network_spec(n_features, Y, n_outputs, params) -> NetworkSpec`` (Y: the network's targets);
    - ``_validate_xy(X, y, reset) -> (X, y)`` and ``_targets(y, first=, partial=, classes=) -> (Y, n_outputs,
      fitted attributes)``;

    and may override ``_check_combination(params)`` (checks across hyperparameters), ``_initial_parameters``,
    ``_validation_score`` (None: ``ufldl.train_minibatch`` holds out and scores minus the cost itself),
    ``_stratify``, ``_recorded(X)`` (after every training, also one that diverged) and ``_after_training(X)``.
    """

    # Set by fit: _fit (validate_data sets n_features_in_); StackedAutoencoder's own fit sets the first four only.
    network_: Network
    n_features_in_: int
    loss_curve_: list[float]
    n_iter_: int
    t_: int
    converged_: bool
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    _rng: np.random.Generator
    _optimizer: SGD | Adam | None  # (a mini-batch solver's; None for the full-batch ones)

    _parameter_constraints: ParameterConstraints = {}
    _fitted_attributes: tuple[str, ...] = FITTED_ATTRIBUTES

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            # (setattr: mypy refuses an assignment to a method)
            setattr(cls, "__init__", explain_unknown_keywords(cls.__dict__["__init__"]))
    _stratify = False
    _validation_score: ValidationScore | None = None

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # scipy.sparse X: the first layer's products run sparse in the core
        return tags

    # ------------------------------------------------------------------ hyperparameters

    def _checked_parameters(self) -> dict[str, Any]:
        """Every hyperparameter checked and normalised, with the defaults of those the class does not expose."""
        return {**UNEXPOSED_DEFAULTS, **check_parameters(self)}

    def _check_combination(self, params: dict[str, Any]) -> None:
        """Checks that involve more than one hyperparameter (none by default)."""

    # ------------------------------------------------------------------ what a subclass defines (class docstring)

    def _network_spec(self, n_features: int, Y: RowsLike, n_outputs: int, params: Mapping[str, Any]) -> NetworkSpec:
        raise NotImplementedError(f"{type(self).__name__} defines no _network_spec")

    def _validate_xy(self, X: RowsLike, y: ArrayLike | None, reset: bool) -> tuple[RowsLike, RowsLike]:
        raise NotImplementedError(f"{type(self).__name__} defines no _validate_xy")

    def _targets(self, y: RowsLike, *, first: bool, partial: bool,
                 classes: ArrayLike | None) -> tuple[RowsLike, int, dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} defines no _targets")

    # ------------------------------------------------------------------ fitting

    def _fit(self, X: RowsLike, y: ArrayLike | None, *, partial: bool, classes: ArrayLike | None = None,
             sample_weight: ArrayLike | None = None, checkpoint: Any = None) -> Self:
        """``fit`` (``partial=False``) and ``partial_fit`` (one epoch, ``partial=True``), with the examples
        weighted by ``sample_weight`` (docs/math.md#sample-weights)."""
        params = self._checked_parameters()
        self._check_combination(params)
        fitted_before = hasattr(self, "network_")
        # partial_fit after the first call, and fit with warm_start on a fitted estimator, continue from its
        # network: X must have the features it was fitted on (scikit-learn's "X has N features, but ... is
        # expecting M features as input"), not start afresh.
        X, y = self._validate_xy(X, y, reset=not (fitted_before and (partial or params["warm_start"])))
        weights = checked_sample_weight(sample_weight, X)
        first = not (partial and fitted_before)
        Y, n_outputs, fitted = self._targets(y, first=first, partial=partial, classes=classes)
        rng: np.random.Generator
        if partial and fitted_before:
            rng = getattr(self, "_rng", None) or random_generator(None)
        else:
            rng = random_generator(params["random_state"])
        spec = self._network_spec(X.shape[1], Y, n_outputs, params)
        reuse = not first or (params["warm_start"] and not partial and self._reusable(spec, fitted, params))
        if reuse:
            self._continue(spec, params)
        else:
            self._initialize(spec, params, rng)
        for name, value in fitted.items():
            setattr(self, name, value)
        self._rng = rng
        self._train(X, Y, rng, partial, params, weights, checkpoint)
        self._after_training(X)
        return self

    def _reusable(self, spec: NetworkSpec, fitted: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
        """warm_start: whether the fitted network can be trained further on data of this shape."""
        net = getattr(self, "network_", None)
        return net is not None and spec.matches(net, params["dtype"])

    def _initialize(self, spec: NetworkSpec, params: Mapping[str, Any], rng: np.random.Generator) -> None:
        self.network_ = spec.build(params["dtype"])
        self._initial_parameters(self.network_, rng)
        self._optimizer = new_optimizer(params) if is_minibatch(self) else None
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.t_ = 0
        self.converged_ = False
        self.validation_scores_ = None
        self.best_validation_score_ = None

    def _continue(self, spec: NetworkSpec, params: Mapping[str, Any]) -> None:
        """Train the fitted network further: the cost's hyperparameters as now set, and the optimiser's state
        kept unless the solver or its hyperparameters changed."""
        self.network_.weight_decay = spec.weight_decay
        self.network_.sparsity = spec.sparsity
        if is_minibatch(self):
            fresh = new_optimizer(params)
            if repr(getattr(self, "_optimizer", None)) != repr(fresh):
                self._optimizer = fresh
        else:  # a full-batch solver has none (a mini-batch one's left behind was saved, and refused by load)
            self._optimizer = None

    def _initial_parameters(self, net: Network, rng: np.random.Generator) -> None:
        net.initialize(rng)  # the tutorial's W ~ U(-r, r), r = sqrt(6 / (n_in + n_out + 1)); biases 0

    def _split(self, X: RowsLike, Y: RowsLike, rng: np.random.Generator, fraction: float,
               sample_weight: Float64Array | None = None) -> tuple[RowsLike, RowsLike, RowsLike, RowsLike,
                                                                   Float64Array | None, Float64Array | None]:
        """Hold out ``fraction`` of the examples for early stopping: stratified by class for a classifier
        (unless the classes are too few or too small for it, which is said in a warning), and at least 2
        examples (scikit-learn refuses fewer too). The weights, if any, go with their rows."""
        seed = int(rng.integers(np.iinfo(np.int32).max))
        m, n_val = X.shape[0], _holdout_size(X.shape[0], fraction)
        stratify = Y if self._stratify and Y.ndim == 1 else None
        if stratify is not None:
            problem = self._stratification_problem(Y, m, n_val)
            if problem is not None:
                warnings.warn(f"early_stopping: cannot stratify the validation_fraction={fraction} hold-out of the "
                              f"{m} examples by class: {problem}; holding out an unstratified one instead",
                              UserWarning, stacklevel=5)
                stratify = None
        if sample_weight is None:
            X, X_val, Y, Y_val = train_test_split(X, Y, test_size=n_val, random_state=seed, stratify=stratify)
            return contiguous_rows(X), contiguous_rows(Y), X_val, Y_val, None, None
        X, X_val, Y, Y_val, w, w_val = train_test_split(X, Y, sample_weight, test_size=n_val, random_state=seed,
                                                        stratify=stratify)
        if not (w.sum() > 0 and w_val.sum() > 0):
            raise ValueError("early_stopping: the examples held out for validation, or those left to train on, all "
                             "have sample_weight 0; give more examples of positive weight or change "
                             "validation_fraction")
        return contiguous_rows(X), contiguous_rows(Y), X_val, Y_val, w, w_val

    def _stratification_problem(self, Y: IntArray, m: int, n_val: int) -> str | None:
        """Why a stratified hold-out of ``n_val`` of the ``m`` examples is impossible (None: it is possible)."""
        return None

    def _train(self, X: RowsLike, Y: RowsLike, rng: np.random.Generator, partial: bool, params: Mapping[str, Any],
               sample_weight: SampleWeights = None, checkpoint: Any = None) -> None:
        options = solver_options(params)
        if checkpoint is not None:
            options["checkpoint"] = checkpoint  # (ufldl.train refuses it for the mini-batch solvers)
        early = False
        seen = 0
        # (set by _initialize or _continue whenever the solver is a mini-batch one)
        optimizer = self._optimizer if is_minibatch(self) else None
        if optimizer is not None:
            options.update(optimizer=optimizer, random_state=rng, early_stopping=False)
            if partial:
                options["n_iter_no_change"] = math.inf  # one epoch: no stopping rule
            elif params["early_stopping"]:
                early = True
                if self._validation_score is None:  # train_minibatch holds out and scores -cost itself
                    _holdout_size(X.shape[0], params["validation_fraction"])
                    options.update(early_stopping=True, validation_fraction=params["validation_fraction"])
                else:
                    X, Y, X_val, Y_val, sample_weight, w_val = self._split(X, Y, rng, params["validation_fraction"],
                                                                           sample_weight)
                    options.update(early_stopping=True, validation_data=(X_val, Y_val, w_val),
                                   scoring=self._validation_score)
            seen = optimizer.samples_seen
        m: int = X.shape[0]
        fit_network(self.network_, X, Y, params["solver"],
                    lambda result: self._record(result, m, early, partial, optimizer, seen, X), stacklevel=4,
                    max_iter=1 if partial else params["max_iter"], tol=params["tol"], verbose=params["verbose"],
                    sample_weight=sample_weight, **options)

    def _record(self, result: OptimizeResult, m: int, early: bool, partial: bool, optimizer: SGD | Adam | None,
                seen: int, X: RowsLike) -> None:
        self.loss_curve_ = self.loss_curve_ + [float(v) for v in result.loss_curve]
        self.n_iter_ += int(result.n_iter)
        self.converged_ = bool(result.converged)
        if optimizer is not None:
            self.t_ += int(optimizer.samples_seen - seen)
        else:
            self.t_ += int(result.n_evals) * m
        if early:
            scores = [float(s) for s in (getattr(result, "validation_scores", None) or [])]
            self.validation_scores_ = scores
            self.best_validation_score_ = max(scores) if scores else None
        elif not partial:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        self._recorded(X)

    def _recorded(self, X: RowsLike) -> None:
        """After every training, also one that stopped on a non-finite value (nothing by default)."""

    def _after_training(self, X: RowsLike) -> None:
        """After a training that completed (nothing by default)."""

    # ------------------------------------------------------------------ scikit-learn's loss attributes

    @property
    def loss_(self) -> float | None:
        """float or None: the training cost of the last iteration or epoch (``loss_curve_[-1]``, weight decay
        included, as scikit-learn's MLP ``loss_`` includes its ``alpha`` term); None before any iteration."""
        check_is_fitted(self)
        return self.loss_curve_[-1] if self.loss_curve_ else None

    @property
    def best_loss_(self) -> float | None:
        """float or None: the lowest training cost reached (``min(loss_curve_)``); None with early stopping,
        where the kept parameters are the best validated ones instead (scikit-learn's MLP does the same)."""
        check_is_fitted(self)
        if getattr(self, "validation_scores_", None) is not None or not self.loss_curve_:
            return None
        return min(self.loss_curve_)

    # ------------------------------------------------------------------ using the model

    def _validated_input(self, X: RowsLike) -> RowsLike:
        check_is_fitted(self)
        return self._validated_rows(X, reset=False)

    def _validated_rows(self, X: RowsLike, reset: bool, **checks: Any) -> RowsLike:
        """``validate_data(self, X, ...)``, which keeps a memory-mapped array mapped; an input read in pieces (a
        Dask array, an h5py or zarr dataset, ``ufldl.scale.RowBlocks``) gets the same checks without being read
        whole (``ufldl.scale.validate_rows``; its values are checked as its blocks are evaluated)."""
        if scale.is_dask_array(X) or scale.is_row_source(X):
            return scale.validate_rows(self, X, reset)
        return validate_data(self, X, reset=reset, dtype=FLOAT_DTYPES, accept_sparse=SPARSE_FORMATS, **checks)

    def _validated_xy(self, X: RowsLike, y: ArrayLike | None, reset: bool, *, multi_output: bool = False,
                      y_numeric: bool = False, **checks: Any) -> tuple[RowsLike, RowsLike]:
        """``validate_data(self, X, y, ...)``; for an X read in pieces, X as ``_validated_rows`` checks it and y (a
        Dask y computed: one value or row per example) as scikit-learn checks it."""
        if not (scale.is_dask_array(X) or scale.is_row_source(X)):
            X, checked = validate_data(self, X, y, reset=reset, dtype=FLOAT_DTYPES, accept_sparse=SPARSE_FORMATS,
                                       multi_output=multi_output, y_numeric=y_numeric, **checks)
            return X, checked
        X = scale.validate_rows(self, X, reset)
        y_checked = np.asarray(cast(Any, y).compute() if scale.is_dask_array(y) else y)  # (Dask's API: Any)
        if multi_output:
            y_checked = check_array(y_checked, ensure_2d=False, dtype="numeric" if y_numeric else None, input_name="y")
        else:
            y_checked = column_or_1d(y_checked, warn=True)
            assert_all_finite(y_checked, input_name="y")
        if y_checked.shape[0] != X.shape[0]:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{X.shape[0]}, "
                             f"{y_checked.shape[0]}]")
        return X, y_checked

    def save(self, path: PathLike, *, compress: bool = False) -> None:
        """Write the estimator (hyperparameters, fitted state, optimiser state) to a portable ``.npz``.

        Read it back with ``ufldl.load(path)``; see ``ufldl.io`` for the format (no pickle; writing is
        atomic).

        Parameters
        ----------
        path : str or os.PathLike
            The file, written exactly there (conventionally ``.npz``); an existing file is replaced atomically.
        compress : bool, default False
            Deflate the archive's members (``numpy.savez_compressed``).

        Raises
        ------
        TypeError
            A classifier's labels are not all ``int``, ``float``, ``bool`` or ``str`` (they are stored as
            JSON).
        """
        io.save(self, path, compress=compress)
