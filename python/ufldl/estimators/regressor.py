"""``NeuralNetRegressor``: a feedforward network with an identity output and the squared loss, the regression
twin of ``NeuralNetClassifier`` (the differences from scikit-learn's MLPRegressor are in its docstring)."""

from typing import Any, Self
import numpy as np
from sklearn.base import RegressorMixin

from ufldl._lib.types import (ActivationName, ArrayLike, Float64Array, FloatArray, LossName, RowsLike, StateArrays,
                              StateMeta)
from ufldl import scale
from ufldl.estimators.docstrings import (DOC_FIT_ATTRIBUTES, DOC_HIDDEN, DOC_LBFGS, DOC_MLP_ATTRIBUTES,
                                         DOC_OPTIMIZER, DOC_REST, DOC_SOLVER, DOC_STOPPING)
from ufldl.estimators.multilayer import MultiLayerEstimator
from ufldl.estimators.persistence import register
from ufldl.estimators.solvers import minibatch_only
from ufldl.network import Network

__all__ = ["NeuralNetRegressor"]


def _r2(Y: ArrayLike, P: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """R^2 averaged over the targets (scikit-learn's r2_score, with its convention for constant targets; with
    ``sample_weight``, its weighted form)."""
    Y = np.asarray(Y, dtype=np.float64)
    w = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    residual = w @ ((Y - np.asarray(P, dtype=np.float64)) ** 2)
    total = w @ ((Y - np.average(Y, axis=0, weights=w)) ** 2)
    scores = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), (residual == 0) * 1.0)
    return float(scores.mean())


class NeuralNetRegressor(RegressorMixin, MultiLayerEstimator):
    __doc__ = """A feedforward network regressor: hidden layers of any depth, identity output, squared loss.

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
    >>> from ufldl.estimators import NeuralNetRegressor
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(300, 2))
    >>> reg = NeuralNetRegressor((20,), "tanh", solver="lbfgs", random_state=0).fit(X, X[:, 0] * X[:, 1])
    >>> reg.predict(X[:3]).shape
    (3,)
    """.format(hidden=DOC_HIDDEN, solver=DOC_SOLVER.format(solver="adam", max_iter=200), optimizer=DOC_OPTIMIZER,
        stopping=DOC_STOPPING.format(split="drawn at random", score="R^2, as scikit-learn's MLPRegressor"),
        lbfgs=DOC_LBFGS,
        rest=DOC_REST.format(random="The initial weights, ", classes=""),
        mlp=DOC_MLP_ATTRIBUTES.format(outputs="the number of targets", out="identity"),
        fitted=DOC_FIT_ATTRIBUTES)

    _OUTPUT: tuple[ActivationName, LossName] = ("identity", "squared")
    _y_ndim: int  # set by fit: y's number of dimensions, which predict's output has

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_xy(self, X: RowsLike, y: ArrayLike | None, reset: bool) -> tuple[RowsLike, RowsLike]:
        return self._validated_xy(X, y, reset, multi_output=True, y_numeric=True, ensure_min_samples=1)

    def _targets(self, y: RowsLike, *, first: bool, partial: bool,
                 classes: object) -> tuple[RowsLike, int, dict[str, Any]]:
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} target(s) per example, as in the first call to "
                             f"partial_fit; got shape {y.shape}")
        return Y, Y.shape[1], {"_y_ndim": y.ndim} if first else {}

    @staticmethod
    def _validation_score(net: Network, X_val: RowsLike, Y_val: RowsLike,
                          sample_weight: Float64Array | None = None) -> float:
        """R^2 on the held-out examples (scikit-learn's MLPRegressor uses it too), weighted by their weights."""
        return _r2(Y_val, net.forward(X_val), sample_weight)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            checkpoint: Any = None) -> Self:
        """Train on (X, y).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
            Finite real targets. ``predict`` returns the same number of dimensions.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost becomes their weighted mean (``docs/math.md#sample-weights``;
            integer weights train as repeated rows).
        checkpoint : str, os.PathLike, ufldl.optimize.Checkpoint or None, default None
            Full-batch solvers: save the network's parameters to this file atomically every 10 iterations and
            when training ends; a fit given an existing checkpoint resumes from it (``ufldl.train``'s
            ``checkpoint``). A fit parameter rather than a hyperparameter, so that clones (a grid search) never
            share a file.

        Returns
        -------
        self : NeuralNetRegressor
            The estimator, trained.

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, y, partial=False, sample_weight=sample_weight, checkpoint=checkpoint)

    @minibatch_only
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        """One epoch of the mini-batch solver over (X, y) (``solver="sgd"`` or ``"adam"`` only).

        The first call initialises the network; later calls continue with the optimiser's state and must
        have as many targets. Early stopping and ``max_iter`` do not apply.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        y : array_like, shape (n_samples,) or (n_samples, n_targets)
            Finite real targets, as many as at the first call.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost becomes their weighted mean (``docs/math.md#sample-weights``;
            integer weights train as repeated rows).

        Returns
        -------
        self : NeuralNetRegressor
            The estimator, trained one more epoch.
        """
        return self._fit(X, y, partial=True, sample_weight=sample_weight)

    def predict(self, X: ArrayLike) -> FloatArray:
        """The network's output, float64: shape (n_samples,) if y was 1-D at fit, else (n_samples, n_targets).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.

        Returns
        -------
        y_pred : ndarray of float64, shape (n_samples,) or (n_samples, n_targets)
            The predictions (for a Dask X, a lazy Dask array).
        """
        X = self._validated_input(X)
        # (by blocks, or lazily by chunks: scale.forward's RowsResult is Any, a lazy Dask array for a Dask X)
        P: FloatArray = scale.forward(self.network_, X).astype(np.float64, copy=False)
        return P[:, 0] if self._y_ndim == 1 else P


def _y_ndim_to_state(est: NeuralNetRegressor, meta: StateMeta, arrays: StateArrays) -> None:
    meta["targets"] = {"y_ndim": int(est._y_ndim)}


def _y_ndim_from_state(est: NeuralNetRegressor, meta: StateMeta, arrays: StateArrays) -> None:
    est._y_ndim = int(meta["targets"]["y_ndim"])


register(NeuralNetRegressor, _y_ndim_to_state, _y_ndim_from_state)
