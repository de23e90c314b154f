"""``SparseAutoencoder``: the tutorial's sparse autoencoder as a scikit-learn transformer."""

from collections.abc import Mapping
from typing import Any, Self, cast
import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from ufldl._lib.types import (ActivationName, ArrayLike, BatchSize, DecoderName, DTypeName, Float64Array, FloatArray,
                              RandomStateLike, RowsLike, SampleWeights, ScheduleName, SolverName, StateArrays,
                              StateMeta)
from ufldl import scale
from ufldl.estimators.base import NetworkEstimator, NetworkSpec, checked_sample_weight, preserve_dtype, read_only
from ufldl.estimators.constraints import ParameterConstraints, integer_at_least, one_of, optional, real_in
from ufldl.estimators.docstrings import DOC_SPARSE_AUTOENCODER
from ufldl.estimators.fit_warnings import (AutoencoderCollapseWarning, DecoderRangeWarning, warn_if_collapsed,
                                          warn_if_outside_unit_range)
from ufldl.estimators.hyperparameters import FITTING, HIDDEN_ACTIVATIONS, LBFGS, OPTIMIZER, TRAINING
from ufldl.estimators.persistence import register
from ufldl.estimators.solvers import minibatch_only
from ufldl.layers import KLSparsity
from ufldl.network import Network

__all__ = ["SparseAutoencoder", "AutoencoderCollapseWarning", "DecoderRangeWarning"]


DECODERS: dict[DecoderName, ActivationName] = {"sigmoid": "sigmoid", "linear": "identity"}


def _squared_errors_in_memory(net: Network, X: RowsLike, theta: FloatArray | None) -> Float64Array:
    residual = net.forward(X, theta).astype(np.float64) - X
    errors: Float64Array = 0.5 * np.einsum("ij,ij->i", residual, residual)  # (einsum: typed Any)
    return errors


def _row_squared_errors(net: Network, X: RowsLike) -> Float64Array:
    """``0.5 ||net.forward(x_i) - x_i||^2`` of each row of ``X`` (an autoencoder's), float64 of shape (m,); an X
    read in pieces block by block (a Dask X's chunk by chunk, computed: one value per row)."""
    if not (scale.is_dask_array(X) or scale.is_row_source(X)):
        return _squared_errors_in_memory(net, X, None)
    theta = net.theta.copy()
    errors = scale.apply_rows(X, lambda rows: _squared_errors_in_memory(net, rows, theta)[:, None], 1, np.float64)
    return np.asarray(errors.compute() if scale.is_dask_array(errors) else errors)[:, 0]


def _weighted_mean(values: Float64Array, sample_weight: SampleWeights) -> float:
    """``sum_i w_i v_i / sum_i w_i`` (docs/math.md#sample-weights); weights in blocks or on Dask read whole (one
    value per row)."""
    w = np.asarray(sample_weight.compute() if scale.is_dask_array(sample_weight) else sample_weight,
                   dtype=np.float64)
    return float(w @ values / np.sum(w))


class SparseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, NetworkEstimator):
    __doc__ = DOC_SPARSE_AUTOENCODER  # (the docstring, in ufldl.estimators.docstrings)

    rho_hat_: FloatArray  # set by fit (_recorded), besides NetworkEstimator's fitted attributes

    _parameter_constraints: ParameterConstraints = {
        "n_hidden": integer_at_least(1),
        "rho": real_in(0.0, 1.0, low_inclusive=False, high_inclusive=False),
        "beta": real_in(low=0.0),
        "weight_decay": real_in(low=0.0),
        "activation": one_of(*HIDDEN_ACTIVATIONS),
        "decoder": one_of(*DECODERS),
        "rho_hat_decay": optional(real_in(0.0, 1.0, high_inclusive=False)),
        **TRAINING, **OPTIMIZER, **LBFGS, **FITTING,
    }

    def __init__(self, n_hidden: int = 25, *, rho: float = 0.01, beta: float = 3.0, weight_decay: float = 1e-4,
                 activation: ActivationName = "sigmoid", decoder: DecoderName = "sigmoid",
                 solver: SolverName = "lbfgs", max_iter: int = 400, tol: float | None = None,
                 batch_size: BatchSize = "auto", learning_rate: float | None = None, momentum: float = 0.9,
                 nesterov: bool = True, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 lr_schedule: ScheduleName = "constant", power_t: float = 0.5, shuffle: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1, n_iter_no_change: float = 10,
                 rho_hat_decay: float | None = None, max_corrections: int = 100, max_fun: int | None = None,
                 warm_start: bool = False, dtype: DTypeName = "float64", random_state: RandomStateLike = None,
                 verbose: int = 0) -> None:
        self.n_hidden = n_hidden
        self.rho = rho
        self.beta = beta
        self.weight_decay = weight_decay
        self.activation = activation
        self.decoder = decoder
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.rho_hat_decay = rho_hat_decay
        self.max_corrections = max_corrections
        self.max_fun = max_fun
        self.warm_start = warm_start
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ scikit-learn plumbing

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        return preserve_dtype(super().__sklearn_tags__(), self.dtype)

    @property
    def _n_features_out(self) -> int:
        return self.network_.layer_sizes[1]

    # ------------------------------------------------------------------ what differs from NetworkEstimator

    def _check_combination(self, params: Mapping[str, Any]) -> None:
        if params["beta"] > 0 and params["activation"] != "sigmoid":
            raise ValueError(f"the KL sparsity penalty needs sigmoid hidden units; got activation="
                             f"{self.activation!r} with beta={self.beta} (use beta=0 for other activations)")

    def _network_spec(self, n_features: int, Y: RowsLike, n_outputs: int, params: Mapping[str, Any]) -> NetworkSpec:
        sparsity = KLSparsity(params["rho"], params["beta"]) if params["beta"] > 0 else None
        return NetworkSpec((n_features, params["n_hidden"], n_features),
                           (params["activation"], DECODERS[params["decoder"]]), "squared", params["weight_decay"],
                           sparsity)

    def _validate_input(self, X: RowsLike, reset: bool) -> RowsLike:
        return self._validated_rows(X, reset, ensure_min_samples=1)  # (a memmap, a Dask array: not read whole)

    def _validate_xy(self, X: RowsLike, y: object, reset: bool) -> tuple[RowsLike, RowsLike]:
        X = self._validate_input(X, reset)
        if self.decoder == "sigmoid":
            warn_if_outside_unit_range(X, stacklevel=4)
        return X, X  # the targets are the inputs

    def _targets(self, y: RowsLike, *, first: bool, partial: bool,
                 classes: object) -> tuple[RowsLike, int, dict[str, Any]]:
        return y, y.shape[1], {}

    def _recorded(self, X: RowsLike) -> None:
        self.rho_hat_ = scale.mean_activations(self.network_, X)[0]

    def _after_training(self, X: RowsLike) -> None:
        warn_if_collapsed(self, X, stacklevel=4)  # (the trivial solution, with too much weight decay)

    # ------------------------------------------------------------------ fitting

    def fit(self, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None, *,
            checkpoint: Any = None) -> Self:
        """Train on X.

        Parameters
        ----------
        X : array_like, memmap, h5py/zarr dataset or Dask array (``ufldl.scale``), shape (n_samples, n_features)
            One example per row, finite. With ``decoder="sigmoid"`` the reconstruction lies in (0, 1), so
            scale the data into it (the tutorial maps its patches to [0.1, 0.9]).
        y : None
            Ignored: an autoencoder's targets are X.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost's means (rho_hat included) become weighted means
            (``docs/math.md#sample-weights``; integer weights train as repeated rows).
        checkpoint : str, os.PathLike, ufldl.optimize.Checkpoint or None, default None
            Full-batch solvers: save the network's parameters to this file atomically every 10 iterations and
            when training ends; a fit given an existing checkpoint resumes from it (``ufldl.train``'s
            ``checkpoint``). A fit parameter rather than a hyperparameter, so that clones (a grid search) never
            share a file.

        Returns
        -------
        self : SparseAutoencoder
            The estimator, trained.

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, None, partial=False, sample_weight=sample_weight, checkpoint=checkpoint)

    @minibatch_only
    def partial_fit(self, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None) -> Self:
        """One epoch of the mini-batch solver over X (``solver="sgd"`` or ``"adam"`` only).

        The first call initialises the network; later calls continue from it, with the optimiser's state.
        Early stopping and ``max_iter`` do not apply.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        y : None
            Ignored: an autoencoder's targets are X.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost's means (rho_hat included) become weighted means
            (``docs/math.md#sample-weights``; integer weights train as repeated rows).

        Returns
        -------
        self : SparseAutoencoder
            The estimator, trained.
        """
        return self._fit(X, None, partial=True, sample_weight=sample_weight)

    # ------------------------------------------------------------------ using the model

    def transform(self, X: ArrayLike) -> FloatArray:
        """The hidden activations (the learned features).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.

        Returns
        -------
        H : ndarray, shape (n_samples, n_hidden), of ``dtype`` (for a Dask X, a lazy Dask array)
            The hidden layer's activations, one row per example.
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return cast(FloatArray, scale.forward(self.network_, X, stop=1))  # (RowsResult: Any, lazy for a Dask X)

    def inverse_transform(self, H: ArrayLike) -> FloatArray:
        """Decode hidden activations into input space.

        Parameters
        ----------
        H : array_like, shape (n_samples, n_hidden)
            Hidden activations (codes), one row per example.

        Returns
        -------
        X_hat : ndarray, shape (n_samples, n_features)
            The decoder's output, in input space.
        """
        check_is_fitted(self)
        codes: FloatArray = check_array(H, dtype=[np.float64, np.float32], input_name="H")  # (scikit-learn: untyped)
        n_hidden = self.network_.layer_sizes[1]
        if codes.shape[1] != n_hidden:
            raise ValueError(f"H must have shape (n_samples, {n_hidden}), one column per hidden unit; got shape "
                             f"{codes.shape}")
        return self.network_.forward(codes, start=2)

    def predict(self, X: ArrayLike) -> FloatArray:
        """The reconstruction of X (encode, then decode): ndarray of shape (n_samples, n_features).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.

        Returns
        -------
        X_hat : ndarray, shape (n_samples, n_features)
            The reconstruction (for a Dask X, a lazy Dask array).
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return cast(FloatArray, scale.forward(self.network_, X))  # (RowsResult: Any, lazy for a Dask X)

    def score(self, X: ArrayLike, y: object = None, sample_weight: ArrayLike | None = None) -> float:
        """Minus the mean reconstruction cost, ``-(1/m) sum_i 0.5 ||x_hat(i) - x(i)||^2`` (higher is better;
        with ``sample_weight``, the weighted mean).

        The data term of the training cost only (no weight decay, no sparsity penalty), so that scores of
        different hyperparameters compare (as in ``GridSearchCV``).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        y : None
            Ignored: the targets are X.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples.

        Returns
        -------
        float
            ``-(1/m) sum_i 0.5 ||x_hat(i) - x(i)||^2``, at most 0.
        """
        check_is_fitted(self)
        rows = self._validate_input(X, reset=False)
        if sample_weight is not None:
            return -_weighted_mean(_row_squared_errors(self.network_, rows), checked_sample_weight(sample_weight, rows))
        n_rows: int = rows.shape[0]
        return -scale.network_row_sum(self.network_, rows, scale.squared_error) / n_rows

    # ------------------------------------------------------------------ fitted views

    @property
    def components_(self) -> FloatArray:
        """ndarray, shape (n_hidden, n_features): W1, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[0])

    @property
    def decoder_weights_(self) -> FloatArray:
        """ndarray, shape (n_features, n_hidden): W2, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[1])

    @property
    def intercept_hidden_(self) -> FloatArray:
        """ndarray, shape (n_hidden,): b1, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[0])

    @property
    def intercept_visible_(self) -> FloatArray:
        """ndarray, shape (n_features,): b2, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[1])


def _rho_hat_to_state(est: SparseAutoencoder, meta: StateMeta, arrays: StateArrays) -> None:
    arrays["rho_hat_"] = est.rho_hat_


def _rho_hat_from_state(est: SparseAutoencoder, meta: StateMeta, arrays: StateArrays) -> None:
    est.rho_hat_ = arrays["rho_hat_"]


register(SparseAutoencoder, _rho_hat_to_state, _rho_hat_from_state)
