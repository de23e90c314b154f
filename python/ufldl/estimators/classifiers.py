"""The classifiers: ``SoftmaxRegression`` (the tutorial's softmax exercise) and ``NeuralNetClassifier`` (its
multi-layer networks); ``NeuralNetRegressor`` is their regression twin (``ufldl.estimators.regressor``).

Every estimator minimises the tutorial's cost (``docs/math.md``),

    J = J_data + (lambda / 2) sum_l ||W_l||_F^2,        lambda = ``weight_decay``,

with ``J_data = -(1/m) sum_i log p(y_i | x_i)`` (softmax output, cross-entropy) for the classifiers and
``J_data = (1/m) sum_i 0.5 ||yhat_i - y_i||^2`` (identity output) for the regressor. Two differences from
scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` (``alpha``) and ``LogisticRegression`` (``C``):

* the decay is not divided by m: ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (scikit-learn's
  mini-batch solvers scale it by the batch size instead: ``lambda = alpha / batch_size``) and ``C`` to
  ``lambda = 1 / (C m)``; the biases (intercepts) are never decayed;
* the squared loss is summed over the outputs: scikit-learn's MLPRegressor also divides by the number of
  targets (its loss is ours divided by ``n_targets``).

Training goes through ``ufldl.train``: ``"lbfgs"``, ``"cg"`` and ``"gd"`` on the whole training set,
``"sgd"`` and ``"adam"`` on mini-batches (these two offer ``partial_fit``). Estimators are saved with
``est.save(path)`` and read back with ``ufldl.load(path)``.
"""

import functools
from collections.abc import Mapping
from typing import Any, Self, cast
import numpy as np
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ufldl._lib.types import (ActivationName, ArrayLike, BatchSize, DTypeName, Float64Array, FloatArray, IntArray,
                              Labels, LossName, RandomStateLike, RowsLike, RowsResult, SolverName)
from ufldl import scale
from ufldl._lib.sparse import is_sparse
from ufldl.estimators.base import NetworkEstimator, NetworkSpec, read_only
from ufldl.estimators.constraints import ParameterConstraints, real_in
from ufldl.estimators.docstrings import (DOC_CLASSES_CHANGE, DOC_FIT_ATTRIBUTES, DOC_HIDDEN, DOC_LBFGS,
                                         DOC_MLP_ATTRIBUTES, DOC_OPTIMIZER, DOC_REST, DOC_SOLVER,
                                         DOC_STOP_CLASSIFIER)
from ufldl.estimators.hyperparameters import FITTING, TRAINING
from ufldl.estimators.labels import (check_class_labels, encode_labels, label_set, labels_from_state,
                                     labels_to_state)
from ufldl.estimators.multilayer import MultiLayerEstimator
from ufldl.estimators.persistence import register
from ufldl.estimators.solvers import minibatch_only
from ufldl.network import Network

__all__ = ["NetworkClassifier", "SoftmaxRegression", "NeuralNetClassifier"]


class NetworkClassifier(ClassifierMixin, NetworkEstimator):
    """A softmax output layer trained with cross-entropy on any labels (``classes_``); with ``_multilabel``, also
    an indicator matrix y, trained as sigmoid outputs with binary cross-entropy."""

    classes_: Labels  # set by fit (NetworkEstimator._fit, from _targets)
    _OUTPUT: tuple[ActivationName, LossName] = ("softmax", "cross_entropy")
    _MULTILABEL_OUTPUT: tuple[ActivationName, LossName] = ("sigmoid", "binary_cross_entropy")
    _stratify = True
    _multilabel = False

    def _validate_xy(self, X: RowsLike, y: ArrayLike | None, reset: bool) -> tuple[RowsLike, RowsLike]:
        # y: 1-D (a column vector is accepted with scikit-learn's DataConversionWarning), finite; or, for a
        # multilabel classifier, an (n_samples, n_labels) indicator matrix.
        if not self._multilabel:
            return self._validated_xy(X, y, reset, ensure_min_samples=1)  # (a memmap, a Dask X: not read whole)
        X, Y = self._validated_xy(X, y, reset, ensure_min_samples=1, multi_output=True)
        return X, (column_or_1d(Y, warn=True) if Y.ndim == 2 and Y.shape[1] == 1 else Y)

    def _output_layer(self, Y: RowsLike) -> tuple[ActivationName, LossName]:
        return self._MULTILABEL_OUTPUT if Y.ndim == 2 else self._OUTPUT

    @property
    def _is_multilabel(self) -> bool:
        return self.network_.loss == self._MULTILABEL_OUTPUT[1]

    def _multilabel_targets(self, y: RowsLike, *, first: bool,
                            classes: Any) -> tuple[FloatArray, int, dict[str, Any]]:
        """An indicator matrix y (one 0/1 column per label): the targets as they are, ``classes_`` the column
        indices (scikit-learn's convention)."""
        kind = type_of_target(y)
        if kind != "multilabel-indicator" or not np.isin(y, (0, 1)).all():
            found = np.unique(y)[:5].tolist() if kind == "multilabel-indicator" else kind
            raise ValueError(f"y of shape {y.shape} must be a multilabel indicator matrix (0/1, one column per "
                             f"label) or 1-D class labels; got {found!r}")
        n_labels = y.shape[1]
        if not first and (not self._is_multilabel or n_labels != self.classes_.size):
            raise ValueError(f"y must have the {self.classes_.size} label column(s) of the first call to "
                             f"partial_fit; got shape {y.shape}")
        if classes is not None and len(classes) != n_labels:
            raise ValueError(f"classes must name the {n_labels} label columns of y; got {len(classes)}")
        return np.asarray(y, dtype=np.float64), n_labels, {"classes_": np.arange(n_labels)}

    def _targets(self, y: RowsLike, *, first: bool, partial: bool,
                 classes: Any) -> tuple[FloatArray | IntArray, int, dict[str, Any]]:  # (partial_fit's classes)
        if y.ndim == 2:
            return self._multilabel_targets(y, first=first, classes=classes)
        check_class_labels(y)
        if first:
            if partial and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit: every label y will "
                                 "ever hold, for instance classes=np.unique(y_all); got classes=None")
            found = label_set(classes) if partial else np.unique(y)
            if found.size < 2:
                raise ValueError(f"{'classes' if partial else 'y'} must hold at least 2 classes to train a "
                                 f"classifier; got 1 class: {found.tolist()!r}")
        else:
            found = self.classes_
            if classes is not None and not np.array_equal(label_set(classes), found):
                raise ValueError(f"classes must be those of the first call to partial_fit, {found.tolist()!r}; "
                                 f"got {label_set(classes).tolist()!r}")
        return encode_labels(y, found), found.size, {"classes_": found}

    def _reusable(self, spec: NetworkSpec, fitted: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
        if getattr(self, "network_", None) is not None and not np.array_equal(self.classes_, fitted["classes_"]):
            raise ValueError(f"warm_start needs y to hold the classes of the previous fit, "
                             f"{self.classes_.tolist()!r}; got {fitted['classes_'].tolist()!r} (set "
                             "warm_start=False to start afresh)")
        return super()._reusable(spec, fitted, params)

    def _stratification_problem(self, Y: IntArray, m: int, n_val: int) -> str | None:
        """Why a stratified hold-out of ``n_val`` of the ``m`` examples is impossible, naming the user's labels
        (None: it is possible)."""
        counts = np.bincount(Y, minlength=len(self.classes_))
        single = self.classes_[counts < 2]
        if single.size:
            return (f"{single.size} class(es) have fewer than 2 examples ({single[:5].tolist()!r}"
                    f"{', ...' if single.size > 5 else ''})")
        if n_val < len(self.classes_) or m - n_val < len(self.classes_):
            return (f"{len(self.classes_)} classes do not fit into {min(n_val, m - n_val)} examples "
                    f"({n_val} held out, {m - n_val} left to train on)")
        return None

    @staticmethod
    def _validation_score(net: Network, X_val: RowsLike, y_val: RowsLike,
                          sample_weight: Float64Array | None = None) -> float:
        """Accuracy on the held-out examples (scikit-learn's MLPClassifier uses it too; for multilabel targets,
        the subset accuracy: every label of a row right), weighted by their weights."""
        P = net.forward(X_val)
        if y_val.ndim == 2:
            right = np.all((P > 0.5) == (y_val > 0.5), axis=1)
        else:
            right = np.argmax(P, axis=1) == y_val
        return float(np.average(right, weights=sample_weight))

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            checkpoint: Any = None) -> Self:
        """Train on (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Finite real numbers.
        y : array_like, shape (n_samples,)
            Class labels of any kind (ints, strings, ...), at least two distinct ones.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost becomes their weighted mean (``docs/math.md#sample-weights``).
        checkpoint : str, os.PathLike, ufldl.optimize.Checkpoint or None, default None
            Full-batch solvers: save the network's parameters to this file atomically every 10 iterations and
            when training ends; a fit given an existing checkpoint resumes from it (``ufldl.train``'s
            ``checkpoint``). A fit parameter rather than a hyperparameter, so that clones (a grid search) never
            share a file.

        Returns
        -------
        self

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, y, partial=False, sample_weight=sample_weight, checkpoint=checkpoint)

    @minibatch_only
    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None,
                    sample_weight: ArrayLike | None = None) -> Self:
        """One epoch of the mini-batch solver over (X, y) (``solver="sgd"`` or ``"adam"`` only).

        The first call initialises the network and needs ``classes``; later calls continue with the
        optimiser's state. Early stopping and ``max_iter`` do not apply.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
        classes : array_like, shape (n_classes,), optional
            Every label y will ever hold (scikit-learn's convention): required on the first call, optional
            afterwards (then it must be the same set).
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost becomes their weighted mean (``docs/math.md#sample-weights``).

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=True, classes=classes, sample_weight=sample_weight)

    def _logits(self, X: ArrayLike) -> RowsResult:
        """The output layer's input Z (n_samples, n_classes), computed in float64."""
        X = self._validated_input(X)
        net = self.network_.copy() if scale.is_dask_array(X) else self.network_  # (lazy: the parameters of now)
        W, b = net.weights[-1].T.astype(np.float64), net.biases[-1].astype(np.float64)

        def logits(rows: Any) -> Float64Array:  # (rows: an in-memory block, dense or sparse)
            H = rows if net.n_layers == 1 else net.forward(rows, stop=net.n_layers - 1)
            if is_sparse(H):  # (a softmax regression's sparse X: a sparse x dense product, not densified)
                return np.asarray(H.astype(np.float64) @ W) + b
            return np.asarray(H, dtype=np.float64) @ W + b

        return scale.apply_rows(X, logits, W.shape[1], np.float64)  # (in blocks, or lazily by Dask chunks)

    def predict(self, X: ArrayLike) -> np.ndarray[Any, Any]:
        """The most probable class of each example: ndarray of shape (n_samples,), labels from ``classes_``;
        for multilabel targets, the indicator matrix (n_samples, n_labels) of the labels whose probability
        exceeds 0.5."""
        Z = self._logits(X)  # (checks that the estimator is fitted)
        if self._is_multilabel:  # (scale.per_row's RowsResult is Any: an ndarray, or lazy for a Dask X)
            return cast(IntArray, scale.per_row(Z, _positive, dtype=np.int64))
        classes = self.classes_
        return cast(Labels, scale.per_row(Z, lambda rows: classes[np.argmax(rows, axis=1)], dtype=classes.dtype,
                                          columns=False))

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """Log-probabilities of the classes, shape (n_samples, n_classes), columns in ``classes_`` order (for
        multilabel targets, of each label independently).

        Computed from float64 logits (``scipy.special.log_softmax``; ``-log(1 + exp(-z))`` per label): finite
        even where a probability underflows to 0.
        """
        Z = self._logits(X)  # (scale.per_row's RowsResult is Any: an ndarray, or lazy for a Dask X)
        return cast(Float64Array, scale.per_row(Z, _log_sigmoid if self._is_multilabel else _log_softmax_rows,
                                                dtype=np.float64))

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Probabilities of the classes, shape (n_samples, n_classes), float64; each row sums to 1 (for
        multilabel targets, each entry is its own label's probability)."""
        return np.exp(self.predict_log_proba(X))


# Functions of whole rows of logits (picklable: Dask's workers run them on the chunks of a lazy result).
def _positive(Z: Float64Array) -> IntArray:
    return (Z > 0).astype(np.int64)


def _log_sigmoid(Z: Float64Array) -> Float64Array:
    return -np.logaddexp(0.0, -Z)


_log_softmax_rows = functools.partial(log_softmax, axis=1)


class SoftmaxRegression(NetworkClassifier):
    __doc__ = """Softmax regression (multinomial logistic regression), the tutorial's softmax exercise.

    One weight layer, ``p(y = k | x) = softmax(W x + b)_k``, minimising

        J = -(1/m) sum_i log p(y_i | x_i) + (lambda / 2) ||W||_F^2.

    The tutorial's exercise has no intercept; here each class keeps one, ``b``, which is not decayed (as
    scikit-learn's LogisticRegression does not penalise its intercept). J is convex: with lambda > 0 its
    minimum is unique up to adding one constant to every intercept (which changes no probability), and it
    is LogisticRegression's with ``C = 1 / (lambda m)``. The parameters start at 0 (the tutorial draws
    ``0.005 * randn``): the minimum does not depend on the start, zeros make full-batch fits deterministic,
    and the gradient steps then keep the intercepts centred (summing to 0), as LogisticRegression reports
    them.

    Parameters
    ----------
    weight_decay : float, default 1e-4
        The tutorial's lambda, >= 0 (the intercepts are not decayed).
{solver}{stopping}{rest}
    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        The labels, sorted; columns of ``predict_proba`` follow this order.
    network_ : ufldl.Network
        ``[n_features, n_classes]``, softmax output, cross-entropy.
    coef_ : ndarray, shape (n_classes, n_features)
        W, a read-only view into ``network_`` (one row per class, also for two classes).
    intercept_ : ndarray, shape (n_classes,)
        b, read-only view.
{fitted}
    Examples
    --------
    >>> from ufldl.estimators import SoftmaxRegression
    >>> from ufldl.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = SoftmaxRegression(max_iter=200).fit(X, y)
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape
    ((10, 64), (2, 10))
    """.format(solver=DOC_SOLVER.format(solver="lbfgs", max_iter=100),
        stopping=DOC_STOP_CLASSIFIER,
        rest=DOC_REST.format(random="Only ", classes=DOC_CLASSES_CHANGE),
        fitted=DOC_FIT_ATTRIBUTES)

    _parameter_constraints: ParameterConstraints = {"weight_decay": real_in(low=0.0), **TRAINING, **FITTING}

    def __init__(self, weight_decay: float = 1e-4, *, solver: SolverName = "lbfgs", max_iter: int = 100,
                 tol: float | None = None, batch_size: BatchSize = "auto", learning_rate: float | None = None,
                 early_stopping: bool = False, validation_fraction: float = 0.1, n_iter_no_change: float = 10,
                 max_fun: int | None = None, dtype: DTypeName = "float64", random_state: RandomStateLike = None,
                 verbose: int = 0, warm_start: bool = False) -> None:
        self.weight_decay = weight_decay
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _network_spec(self, n_features: int, Y: RowsLike, n_outputs: int, params: Mapping[str, Any]) -> NetworkSpec:
        return NetworkSpec((n_features, n_outputs), ("softmax",), "cross_entropy", params["weight_decay"])

    def _initial_parameters(self, net: Network, rng: np.random.Generator) -> None:
        net.theta = np.zeros(net.n_params)

    def decision_function(self, X: ArrayLike) -> FloatArray:
        """The logits ``W x + b`` (float64): shape (n_samples, n_classes); for two classes, scikit-learn's
        convention, the log-odds of ``classes_[1]``, ``z_1 - z_0``, of shape (n_samples,).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_classes) or (n_samples,)
            The logits, or for two classes the log-odds of ``classes_[1]``.
        """
        Z: FloatArray = self._logits(X)  # (or Dask's: a lazy result for a Dask X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    @property
    def coef_(self) -> FloatArray:
        """ndarray, shape (n_classes, n_features): W, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[0])

    @property
    def intercept_(self) -> FloatArray:
        """ndarray, shape (n_classes,): b, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[0])


class NeuralNetClassifier(NetworkClassifier, MultiLayerEstimator):
    __doc__ = """A feedforward network classifier: hidden layers of any depth, softmax output, cross-entropy.

    Minimises ``J = -(1/m) sum_i log p(y_i | x_i) + (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed).
    The initial weights are the tutorial's, ``W ~ U(-r, r)``, ``r = sqrt(6 / (n_in + n_out + 1))``.

    Multilabel classification: given an indicator matrix y of shape (n_samples, n_labels) (0/1, a row may hold
    several labels, as ``sklearn.preprocessing.MultiLabelBinarizer`` makes), the output layer is one sigmoid
    unit per label trained with the per-label binary cross-entropy ``-(1/m) sum_ik y_ik log a_ik + (1 - y_ik)
    log(1 - a_ik)`` (the tutorial's logistic output units); ``classes_`` is then ``arange(n_labels)``,
    ``predict`` returns the indicator matrix of the labels with probability above 0.5, ``predict_proba`` each
    label's probability, and early stopping scores the subset accuracy (as scikit-learn's MLPClassifier).

    Parameters
    ----------
{hidden}{solver}{optimizer}{stopping}{lbfgs}{rest}
    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        The labels, sorted.
{mlp}{fitted}
    Examples
    --------
    >>> from ufldl.estimators import NeuralNetClassifier
    >>> from ufldl.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = NeuralNetClassifier((30,), solver="lbfgs", max_iter=100, random_state=0).fit(X, y)
    >>> [W.shape for W in clf.coefs_], clf.n_layers_
    ([(64, 30), (30, 10)], 3)
    """.format(hidden=DOC_HIDDEN, solver=DOC_SOLVER.format(solver="adam", max_iter=200), optimizer=DOC_OPTIMIZER,
        stopping=DOC_STOP_CLASSIFIER, lbfgs=DOC_LBFGS,
        rest=DOC_REST.format(random="The initial weights, ", classes=DOC_CLASSES_CHANGE),
        mlp=DOC_MLP_ATTRIBUTES.format(outputs="the number of classes (also 2 for two classes, where\n"
                                       "        scikit-learn's MLPClassifier has 1 logistic unit)", out="softmax"),
        fitted=DOC_FIT_ATTRIBUTES)

    _multilabel = True

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


register(SoftmaxRegression, labels_to_state, labels_from_state)
register(NeuralNetClassifier, labels_to_state, labels_from_state)
