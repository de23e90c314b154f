"""Supervised scikit-learn estimators on the compiled networks: ``SoftmaxRegression`` (the tutorial's softmax
exercise), ``NeuralNetClassifier`` and ``NeuralNetRegressor`` (its multi-layer networks).

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
import numbers

import numpy as np
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ufldl import io
from ufldl._estimator import is_minibatch, read_only
from ufldl._supervised import FLOAT_DTYPES, MultiLayerEstimator, SupervisedEstimator, from_state, to_state

__all__ = ["SoftmaxRegression", "NeuralNetClassifier", "NeuralNetRegressor"]

# ----------------------------------------------------------------------------------------------- docstrings

_DOC_SOLVER = """\
    solver : {{"lbfgs", "cg", "gd", "sgd", "adam"}}, default "{solver}"
        ``"lbfgs"`` (the tutorial's), ``"cg"`` and ``"gd"`` minimise the cost of the whole training set
        (SciPy's L-BFGS-B and CG; batch gradient descent). ``"sgd"`` and ``"adam"`` train on mini-batches,
        with the epochs run in the compiled core, and offer ``partial_fit``.
    max_iter : int, default {max_iter}
        Iterations (full-batch solvers) or epochs (mini-batch solvers), >= 1.
    tol : float or None, default None
        None: 1e-9 for the full-batch solvers (relative decrease of the cost per iteration), 1e-4 for the
        mini-batch ones (decrease of the epoch loss, or rise of the validation score, as in scikit-learn's
        MLP).
    batch_size : int or "auto", default "auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : float or None, default None
        Step size of ``"gd"``, ``"sgd"`` and ``"adam"``, > 0. None: 0.1, 0.01 and 0.001 respectively.
"""
_DOC_OPTIMIZER = """\
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        Mini-batch solvers: how the learning rate changes between epochs (scikit-learn's MLP's
        ``learning_rate`` choices; see ``ufldl.SGD``).
    power_t : float, default 0.5
        Exponent of ``"invscaling"``.
    momentum : float, default 0.9
        ``"sgd"``: momentum in [0, 1).
    nesterov : bool, default True
        ``"sgd"``: Nesterov's momentum.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        ``"adam"``'s parameters.
    shuffle : bool, default True
        Mini-batch solvers: reshuffle the examples every epoch.
"""
_DOC_STOPPING = """\
    early_stopping : bool, default False
        Mini-batch solvers only (ignored by the full-batch ones, as in scikit-learn): hold out
        ``validation_fraction`` of the training data, {split}; score it after every epoch
        ({score}); stop when the score has not risen by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the parameters of the best epoch.
    validation_fraction : float, default 0.1
        In (0, 1).
    n_iter_no_change : int, default 10
        Epochs (or ``"gd"`` iterations) without improvement by ``tol`` that end training.
"""
_DOC_STOP_CLASSIFIER = _DOC_STOPPING.format(split="stratified by class",
                                           score="accuracy, as scikit-learn's MLPClassifier")
_DOC_CLASSES_CHANGE = "\n        Labels other than the previous fit's are an error (as in scikit-learn)."
_DOC_LBFGS = """\
    max_corrections : int, default 100
        ``"lbfgs"``: correction pairs kept (the tutorial's minFunc used 100).
"""
_DOC_REST = """\
    dtype : {{"float64", "float32"}}, default "float64"
        Precision of the parameters and of the training computations.
    random_state : int, RandomState, Generator or None, default None
        {random}the mini-batch shuffles and the validation split.
    verbose : int, default 0
        Progress lines on standard output: 1 for every 10th iteration or every epoch, 2 for every iteration.
    warm_start : bool, default False
        ``fit`` continues from the previous solution (and mini-batch optimiser state, unless the solver or its
        hyperparameters changed) when the architecture is the same, and starts afresh otherwise. X must have
        the number of features of the previous fit (ValueError otherwise, as in scikit-learn).{classes}
"""
_DOC_HIDDEN = """\
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer, each >= 1 (``()``: no hidden layer).
    activation : str or sequence of str, default "relu"
        ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"``: one name for every hidden layer, or one
        name per hidden layer.
    weight_decay : float, default 1e-4
        The tutorial's lambda, >= 0: ``(lambda / 2) sum ||W||_F^2``, not divided by m, biases excluded.
        scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its mini-batch
        solvers, to ``alpha / batch_size``).
"""
_DOC_FIT_ATTRIBUTES = """\
    loss_curve_ : list of float
        The cost after each iteration (full-batch) or the loss of each epoch (mini-batch), over every call.
    n_iter_ : int
        Iterations or epochs run (``fit`` with ``warm_start`` and ``partial_fit`` add to it).
    t_ : int
        Training examples processed: by the mini-batch updates (scikit-learn's MLP ``t_``), or
        ``n_evals * n_samples`` for the full-batch solvers (each cost evaluation reads every example).
    converged_ : bool
        Whether the solver's convergence test (not ``max_iter``) ended the last training.
    validation_scores_ : list of float or None
        With ``early_stopping`` (mini-batch solvers): the validation score after each epoch, one per epoch
        of the last ``fit``.
    best_validation_score_ : float or None
        Their maximum; its epoch's parameters are the ones kept.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had feature names (a DataFrame).
"""


def _docstring(template, **blocks):
    return template.format(**blocks)


# ----------------------------------------------------------------------------------------------- classifiers


def _label_set(classes):
    labels = np.asarray(classes)
    if labels.ndim != 1:
        raise ValueError(f"classes must be a 1-D sequence of labels; got shape {labels.shape}")
    return np.unique(labels)


class _NetClassifier(ClassifierMixin, SupervisedEstimator):
    """A softmax output layer trained with cross-entropy on any labels (``classes_``)."""

    _OUTPUT = ("softmax", "cross_entropy")
    _stratify = True

    def _validate_xy(self, X, y, reset):
        # y: 1-D (a column vector is accepted with scikit-learn's DataConversionWarning), finite.
        return validate_data(self, X, y, reset=reset, dtype=FLOAT_DTYPES, ensure_min_samples=1)

    def _targets(self, y, *, first, partial, classes):
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise ValueError(f"y must hold class labels: {exc}") from None
        if first:
            if partial and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit: every label y will "
                                 "ever hold, for instance classes=np.unique(y_all); got classes=None")
            found = _label_set(classes) if partial else np.unique(y)
            if found.size < 2:
                raise ValueError(f"{'classes' if partial else 'y'} must hold at least 2 classes to train a "
                                 f"classifier; got 1 class: {found.tolist()!r}")
        else:
            found = self.classes_
            if classes is not None and not np.array_equal(_label_set(classes), found):
                raise ValueError(f"classes must be those of the first call to partial_fit, {found.tolist()!r}; "
                                 f"got {_label_set(classes).tolist()!r}")
        unknown = ~np.isin(y, found)
        if unknown.any():
            raise ValueError(f"y holds labels that are not among the classes {found.tolist()!r}: "
                             f"{np.unique(y[unknown])[:5].tolist()!r}")
        return np.searchsorted(found, y).astype(np.int64), found.size, {"classes_": found}

    def _reusable(self, sizes, activations, fitted):
        if getattr(self, "network_", None) is not None and not np.array_equal(self.classes_, fitted["classes_"]):
            raise ValueError(f"warm_start needs y to hold the classes of the previous fit, "
                             f"{self.classes_.tolist()!r}; got {fitted['classes_'].tolist()!r} (set "
                             "warm_start=False to start afresh)")
        return super()._reusable(sizes, activations, fitted)

    @staticmethod
    def _validation_score(net, X_val, y_val):
        """Accuracy on the held-out examples (scikit-learn's MLPClassifier uses it too)."""
        return float(np.mean(np.argmax(net.forward(X_val), axis=1) == y_val))

    def fit(self, X, y):
        """Train on (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Finite real numbers.
        y : array_like, shape (n_samples,)
            Class labels of any kind (ints, strings, ...), at least two distinct ones.

        Returns
        -------
        self

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, y, partial=False)

    @available_if(is_minibatch)
    def partial_fit(self, X, y, classes=None):
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

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=True, classes=classes)

    def _logits(self, X):
        """The output layer's input Z (n_samples, n_classes), computed in float64."""
        X = self._validated_input(X)
        net = self.network_
        H = X if net.n_layers == 1 else net.forward(X, stop=net.n_layers - 1)
        W, b = net.weights[-1], net.biases[-1]
        return np.asarray(H, dtype=np.float64) @ W.T.astype(np.float64) + b.astype(np.float64)

    def predict(self, X):
        """The most probable class of each example: ndarray of shape (n_samples,), labels from ``classes_``."""
        Z = self._logits(X)  # (checks that the estimator is fitted)
        return self.classes_[np.argmax(Z, axis=1)]

    def predict_log_proba(self, X):
        """Log-probabilities of the classes, shape (n_samples, n_classes), columns in ``classes_`` order.

        Computed from float64 logits with ``scipy.special.log_softmax``: finite even where a probability
        underflows to 0.
        """
        return log_softmax(self._logits(X), axis=1)

    def predict_proba(self, X):
        """Probabilities of the classes, shape (n_samples, n_classes), float64; each row sums to 1."""
        return np.exp(self.predict_log_proba(X))


def _classes_to_meta(est):
    classes = est.classes_
    kind = classes.dtype.kind
    if kind == "O" and all(isinstance(v, (str, numbers.Real)) and not isinstance(v, bytes) for v in classes):
        return {"dtype": "object", "values": [v.item() if isinstance(v, np.generic) else v for v in classes]}
    if kind not in "biufU":
        raise TypeError(f"cannot save {type(est).__name__}: its labels (classes_ of dtype {classes.dtype}, "
                        f"{classes[:3].tolist()!r}...) are stored as JSON, which holds int, float, bool and str "
                        "labels only; encode the labels as ints or strings")
    return {"dtype": classes.dtype.str, "values": classes.tolist()}


def _classes_from_meta(est, targets):
    values, dtype = targets["values"], targets["dtype"]
    if dtype == "object":
        classes = np.empty(len(values), dtype=object)
        classes[:] = values
    else:
        classes = np.array(values, dtype=np.dtype(dtype))
    est.classes_ = classes


class SoftmaxRegression(_NetClassifier):
    __doc__ = _docstring("""Softmax regression (multinomial logistic regression), the tutorial's softmax exercise.

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
    >>> from ufldl.classifiers import SoftmaxRegression
    >>> from ufldl.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = SoftmaxRegression(max_iter=200).fit(X, y)
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape
    ((10, 64), (2, 10))
    """, solver=_DOC_SOLVER.format(solver="lbfgs", max_iter=100),
        stopping=_DOC_STOP_CLASSIFIER,
        rest=_DOC_REST.format(random="Only ", classes=_DOC_CLASSES_CHANGE),
        fitted=_DOC_FIT_ATTRIBUTES)

    def __init__(self, weight_decay=1e-4, *, solver="lbfgs", max_iter=100, tol=None, batch_size="auto",
                 learning_rate=None, early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 dtype="float64", random_state=None, verbose=0, warm_start=False):
        self.weight_decay = weight_decay
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _initial_parameters(self, net, rng):
        net.theta = np.zeros(net.n_params)

    def decision_function(self, X):
        """The logits ``W x + b`` (float64): shape (n_samples, n_classes); for two classes, scikit-learn's
        convention, the log-odds of ``classes_[1]``, ``z_1 - z_0``, of shape (n_samples,)."""
        Z = self._logits(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    @property
    def coef_(self):
        """ndarray, shape (n_classes, n_features): W, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[0])

    @property
    def intercept_(self):
        """ndarray, shape (n_classes,): b, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[0])


_DOC_MLP_ATTRIBUTES = """\
    network_ : ufldl.Network
        ``[n_features, *hidden_layer_sizes, n_outputs_]``; its ``weights`` in the tutorial's orientation
        (n_out, n_in).
    coefs_ : list of ndarray
        ``coefs_[i]`` of shape (n_in, n_out): scikit-learn's orientation, read-only transposed views of
        ``network_.weights``.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` of shape (n_out,), read-only views of ``network_.biases``.
    n_layers_ : int
        Layers including input and output (scikit-learn's count), ``len(hidden_layer_sizes) + 2``.
    n_outputs_ : int
        Output units: {outputs}.
    out_activation_ : str
        ``"{out}"``.
"""


class NeuralNetClassifier(_NetClassifier, MultiLayerEstimator):
    __doc__ = _docstring("""A feedforward network classifier: hidden layers of any depth, softmax output, cross-entropy.

    Minimises ``J = -(1/m) sum_i log p(y_i | x_i) + (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed).
    The initial weights are the tutorial's, ``W ~ U(-r, r)``, ``r = sqrt(6 / (n_in + n_out + 1))``.

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
    >>> from ufldl.classifiers import NeuralNetClassifier
    >>> from ufldl.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = NeuralNetClassifier((30,), solver="lbfgs", max_iter=100, random_state=0).fit(X, y)
    >>> [W.shape for W in clf.coefs_], clf.n_layers_
    ([(64, 30), (30, 10)], 3)
    """, hidden=_DOC_HIDDEN, solver=_DOC_SOLVER.format(solver="adam", max_iter=200), optimizer=_DOC_OPTIMIZER,
        stopping=_DOC_STOP_CLASSIFIER, lbfgs=_DOC_LBFGS,
        rest=_DOC_REST.format(random="The initial weights, ", classes=_DOC_CLASSES_CHANGE),
        mlp=_DOC_MLP_ATTRIBUTES.format(outputs="the number of classes (also 2 for two classes, where\n"
                                       "        scikit-learn's MLPClassifier has 1 logistic unit)", out="softmax"),
        fitted=_DOC_FIT_ATTRIBUTES)


# ----------------------------------------------------------------------------------------------- regressor


def _r2(Y, P):
    """R^2 averaged over the targets (scikit-learn's r2_score, with its convention for constant targets)."""
    Y = np.asarray(Y, dtype=np.float64)
    residual = ((Y - np.asarray(P, dtype=np.float64)) ** 2).sum(axis=0)
    total = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), (residual == 0) * 1.0)
    return float(scores.mean())


class NeuralNetRegressor(RegressorMixin, MultiLayerEstimator):
    __doc__ = _docstring("""A feedforward network regressor: hidden layers of any depth, identity output, squared loss.

    Minimises ``J = (1/m) sum_i 0.5 ||yhat_i - y_i||^2 + (lambda / 2) sum_l ||W_l||_F^2`` (biases not
    decayed). scikit-learn's MLPRegressor also divides the squared loss by the number of targets; this does
    not. y is not scaled: standardise it (``sklearn.compose.TransformedTargetRegressor``) when its scale is
    far from 1.

    Parameters
    ----------
{hidden}{solver}{optimizer}{stopping}{lbfgs}{rest}
    Attributes
    ----------
{mlp}{fitted}
    Examples
    --------
    >>> import numpy as np
    >>> from ufldl.classifiers import NeuralNetRegressor
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(300, 2))
    >>> reg = NeuralNetRegressor((20,), "tanh", solver="lbfgs", random_state=0).fit(X, X[:, 0] * X[:, 1])
    >>> reg.predict(X[:3]).shape
    (3,)
    """, hidden=_DOC_HIDDEN, solver=_DOC_SOLVER.format(solver="adam", max_iter=200), optimizer=_DOC_OPTIMIZER,
        stopping=_DOC_STOPPING.format(split="drawn at random", score="R^2, as scikit-learn's MLPRegressor"),
        lbfgs=_DOC_LBFGS,
        rest=_DOC_REST.format(random="The initial weights, ", classes=""),
        mlp=_DOC_MLP_ATTRIBUTES.format(outputs="the number of targets", out="identity"),
        fitted=_DOC_FIT_ATTRIBUTES)

    _OUTPUT = ("identity", "squared")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_xy(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, dtype=FLOAT_DTYPES, multi_output=True, y_numeric=True,
                             ensure_min_samples=1)

    def _targets(self, y, *, first, partial, classes):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} target(s) per example, as in the first call to "
                             f"partial_fit; got shape {y.shape}")
        return Y, Y.shape[1], {"_y_ndim": y.ndim} if first else {}

    @staticmethod
    def _validation_score(net, X_val, Y_val):
        """R^2 on the held-out examples (scikit-learn's MLPRegressor uses it too)."""
        return _r2(Y_val, net.forward(X_val))

    def fit(self, X, y):
        """Train on (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
            Finite real targets. ``predict`` returns the same number of dimensions.

        Returns
        -------
        self

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, y, partial=False)

    @available_if(is_minibatch)
    def partial_fit(self, X, y):
        """One epoch of the mini-batch solver over (X, y) (``solver="sgd"`` or ``"adam"`` only).

        The first call initialises the network; later calls continue with the optimiser's state and must
        have as many targets. Early stopping and ``max_iter`` do not apply.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : array_like, shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=True)

    def predict(self, X):
        """The network's output, float64: shape (n_samples,) if y was 1-D at fit, else (n_samples, n_targets)."""
        X = self._validated_input(X)
        P = np.asarray(self.network_.forward(X), dtype=np.float64)
        return P.ravel() if self._y_ndim == 1 else P


# ----------------------------------------------------------------------------------------------- saving


def _y_ndim_to_meta(est):
    return {"y_ndim": int(est._y_ndim)}


def _y_ndim_from_meta(est, targets):
    est._y_ndim = int(targets["y_ndim"])


for _cls, _to_meta, _from_meta in ((SoftmaxRegression, _classes_to_meta, _classes_from_meta),
                                   (NeuralNetClassifier, _classes_to_meta, _classes_from_meta),
                                   (NeuralNetRegressor, _y_ndim_to_meta, _y_ndim_from_meta)):
    io.register(f"ufldl.{_cls.__name__}", _cls, functools.partial(to_state, targets_to_meta=_to_meta),
                functools.partial(from_state, _cls, targets_from_meta=_from_meta))
del _cls, _to_meta, _from_meta
