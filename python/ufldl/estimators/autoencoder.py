"""``SparseAutoencoder``: the tutorial's sparse autoencoder as a scikit-learn transformer."""

import warnings

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ufldl import scale
from ufldl.estimators.base import (NetworkEstimator, NetworkSpec, checked_sample_weight, preserve_dtype, read_only,
                                   row_squared_errors, weighted_mean)
from ufldl.estimators.constraints import integer_at_least, one_of, optional, real_in
from ufldl.estimators.fit_warnings import AutoencoderCollapseWarning, DecoderRangeWarning
from ufldl.estimators.hyperparameters import FITTING, HIDDEN_ACTIVATIONS, LBFGS, OPTIMIZER, TRAINING
from ufldl.estimators.persistence import register
from ufldl.estimators.solvers import is_minibatch
from ufldl.layers import KLSparsity
from ufldl.reference import init_scale

__all__ = ["SparseAutoencoder", "AutoencoderCollapseWarning", "DecoderRangeWarning"]


DECODERS = {"sigmoid": "sigmoid", "linear": "identity"}


class SparseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, NetworkEstimator):
    """Sparse autoencoder (UFLDL): learns ``n_hidden`` features whose average activation is ``rho``.

    A network ``n_features - n_hidden - n_features`` is trained to reconstruct its input, minimising

        J = (1/m) sum_i 0.5 ||x_hat(i) - x(i)||^2 + (lambda/2) (||W1||^2 + ||W2||^2)
            + beta sum_j KL(rho || rho_hat_j),

    ``rho_hat_j`` the mean activation of hidden unit j (the tutorial's cost; see ``docs/math.md``).
    ``transform`` gives the hidden activations (the learned features), ``inverse_transform`` decodes them.

    Parameters
    ----------
    n_hidden : int, default 25
        Hidden units (features), >= 1.
    rho : float, default 0.01
        Target mean activation of each hidden unit, in (0, 1).
    beta : float, default 3.0
        Weight of the sparsity penalty, >= 0 (0 switches it off).
    weight_decay : float, default 1e-4
        The tutorial's lambda, >= 0: ``(lambda / 2) sum ||W||_F^2``, not divided by m, biases excluded.
        scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its mini-batch
        solvers, to ``alpha / batch_size``).
    activation : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        The hidden layer's activation. The KL penalty needs sigmoid units: others need ``beta=0``.
    decoder : {"sigmoid", "linear"}, default "sigmoid"
        The output layer. ``"sigmoid"`` reconstructs inputs in [0, 1] (the tutorial scales its patches to
        [0.1, 0.9]); ``"linear"`` is the tutorial's linear decoder, for inputs of any range (whitened data,
        colour patches). ``fit`` warns (``DecoderRangeWarning``) when a sigmoid decoder is given data outside
        [0, 1].
    solver : {"lbfgs", "lbfgsb", "cg", "gd", "sgd", "adam"}, default "lbfgs"
        ``"lbfgs"`` (minFunc's L-BFGS, the tutorial's, in the core), ``"lbfgsb"``, ``"cg"``, ``"gd"``: the whole
        training set per iteration (SciPy's L-BFGS-B and CG; batch gradient descent). ``"sgd"`` and ``"adam"``
        train on mini-batches, with epochs run in the compiled core, and offer ``partial_fit``.
    max_iter : int, default 400
        Iterations (full-batch solvers) or epochs (mini-batch solvers).
    tol : float or None, default None
        None: 1e-9 for the full-batch solvers (relative decrease of the cost per iteration, minFunc's
        ``progTol``), 1e-4 for the mini-batch ones (decrease of the epoch loss, or rise of the validation
        score, over ``n_iter_no_change`` epochs, as in scikit-learn's MLP).
    batch_size : int or "auto", default "auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : float or None, default None
        Step size for ``"gd"``, ``"sgd"`` and ``"adam"``. None: 0.1, 0.01 and 0.001 respectively.
    momentum : float, default 0.9
        ``"sgd"``: momentum in [0, 1).
    nesterov : bool, default True
        ``"sgd"``: Nesterov's momentum.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        ``"adam"``'s parameters.
    lr_schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        Mini-batch solvers: how the learning rate changes between epochs (scikit-learn's MLP's
        ``learning_rate`` choices; see ``ufldl.SGD``).
    power_t : float, default 0.5
        Exponent of ``"invscaling"``.
    shuffle : bool, default True
        Mini-batch solvers: reshuffle the examples every epoch.
    early_stopping : bool, default False
        Mini-batch solvers: hold out ``validation_fraction`` of the data (at least 2 examples), stop when
        its score (minus the cost) has not improved for more than ``n_iter_no_change`` epochs and keep the
        best epoch's parameters.
    validation_fraction : float, default 0.1
        In (0, 1).
    n_iter_no_change : int or numpy.inf, default 10
        Epochs (or gradient-descent iterations) without improvement by ``tol`` that are tolerated; the next
        one ends training (scikit-learn's MLP counts so). ``numpy.inf``: never stop for want of progress.
    rho_hat_decay : float or None, default None
        Mini-batch solvers: None estimates rho_hat from each batch; a float in [0, 1) uses an exponential
        moving average across batches (see ``ufldl.train_minibatch``).
    max_corrections : int, default 100
        ``"lbfgs"``: correction pairs kept (the tutorial's minFunc used 100).
    max_fun : int or None, default None
        Full-batch solvers: the cap on cost evaluations (scikit-learn's MLP ``max_fun``), >= 1. None: the
        solver's own (minFunc's 1000 for ``"lbfgs"`` at 400 iterations).
    warm_start : bool, default False
        Start ``fit`` from the previous solution (and mini-batch optimiser state) instead of a new
        initialisation. X must then have the number of features of the previous fit (ValueError otherwise,
        as in scikit-learn); a changed ``n_hidden``, ``activation``, ``decoder`` or ``dtype`` starts afresh.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the parameters and of the computations; ``transform`` returns this dtype.
    random_state : int, RandomState, Generator or None, default None
        Initial weights (the tutorial's uniform scheme), shuffles and the validation split.
    verbose : int, default 0
        Progress lines on standard output: 1 for every 10th iteration or every epoch, 2 for every iteration.

    Attributes
    ----------
    network_ : ufldl.Network
        The trained network ``[n_features, n_hidden, n_features]``.
    components_ : ndarray, shape (n_hidden, n_features)
        W1: row j holds hidden unit j's incoming weights (read-only view into ``network_``). Tile the rows
        with ``ufldl.viz.tile_features`` to see the features.
    intercept_hidden_ : ndarray, shape (n_hidden,)
        b1 (read-only view).
    intercept_visible_ : ndarray, shape (n_features,)
        b2 (read-only view).
    decoder_weights_ : ndarray, shape (n_features, n_hidden)
        W2 (read-only view).
    loss_curve_ : list of float
        The cost after each iteration (full-batch) or the loss of each epoch (mini-batch).
    loss_ : float or None
        The training cost of the last iteration or epoch, ``loss_curve_[-1]``.
    best_loss_ : float or None
        ``min(loss_curve_)``; None with early stopping (as in scikit-learn).
    n_iter_ : int
        Iterations or epochs run (over all ``partial_fit`` calls).
    t_ : int
        Training examples processed: by the mini-batch updates (scikit-learn's MLP ``t_``), or
        ``n_evals * n_samples`` for the full-batch solvers (each cost evaluation reads every example).
    converged_ : bool
        Whether the solver's convergence test (not ``max_iter``) ended the last fit.
    rho_hat_ : ndarray, shape (n_hidden,)
        Mean activation of each hidden unit on the training data, with the final parameters.
    validation_scores_ : list of float or None
        With ``early_stopping``: the score on the held-out data after each epoch.
    best_validation_score_ : float or None
        With ``early_stopping``: the best of them (its parameters are the ones kept).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had feature names (a DataFrame).

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(500, 16))
    >>> ae = ufldl.SparseAutoencoder(n_hidden=5, rho=0.05, max_iter=100, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.components_.shape
    ((500, 5), (5, 16))
    >>> bool(ae.score(X) > -np.var(X, axis=0).sum())  # better than predicting the mean
    True
    """

    _parameter_constraints = {
        "n_hidden": integer_at_least(1),
        "rho": real_in(0.0, 1.0, low_inclusive=False, high_inclusive=False),
        "beta": real_in(low=0.0),
        "weight_decay": real_in(low=0.0),
        "activation": one_of(*HIDDEN_ACTIVATIONS),
        "decoder": one_of(*DECODERS),
        "rho_hat_decay": optional(real_in(0.0, 1.0, high_inclusive=False)),
        **TRAINING, **OPTIMIZER, **LBFGS, **FITTING,
    }

    def __init__(self, n_hidden=25, *, rho=0.01, beta=3.0, weight_decay=1e-4, activation="sigmoid",
                 decoder="sigmoid", solver="lbfgs", max_iter=400, tol=None, batch_size="auto",
                 learning_rate=None, momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 lr_schedule="constant", power_t=0.5, shuffle=True, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, rho_hat_decay=None, max_corrections=100, max_fun=None, warm_start=False,
                 dtype="float64", random_state=None, verbose=0):
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

    def __sklearn_tags__(self):
        return preserve_dtype(super().__sklearn_tags__(), self.dtype)

    @property
    def _n_features_out(self):
        return self.network_.layer_sizes[1]

    # ------------------------------------------------------------------ what differs from NetworkEstimator

    def _check_combination(self, params):
        if params["beta"] > 0 and params["activation"] != "sigmoid":
            raise ValueError(f"the KL sparsity penalty needs sigmoid hidden units; got activation="
                             f"{self.activation!r} with beta={self.beta} (use beta=0 for other activations)")

    def _network_spec(self, n_features, Y, n_outputs, params):
        sparsity = KLSparsity(params["rho"], params["beta"]) if params["beta"] > 0 else None
        return NetworkSpec((n_features, params["n_hidden"], n_features),
                           (params["activation"], DECODERS[params["decoder"]]), "squared", params["weight_decay"],
                           sparsity)

    def _validate_input(self, X, reset):
        return self._validated_rows(X, reset, ensure_min_samples=1)  # (a memmap, a Dask array: not read whole)

    def _validate_xy(self, X, y, reset):
        X = self._validate_input(X, reset)
        if self.decoder == "sigmoid":
            low, high = scale.value_range(X)
            if low < 0.0 or high > 1.0:
                warnings.warn(f"decoder='sigmoid' reconstructs values in (0, 1), but X holds values in [{low:.4g}, "
                              f"{high:.4g}]: scale X into [0, 1] (ufldl.PatchNormalizer maps patches to [0.1, 0.9]) "
                              "or use decoder='linear'", DecoderRangeWarning, stacklevel=4)
        return X, X  # the targets are the inputs

    def _targets(self, y, *, first, partial, classes):
        return y, y.shape[1], {}

    def _recorded(self, X):
        self.rho_hat_ = scale.mean_activations(self.network_, X)[0]

    def _after_training(self, X):
        """Warn when the fit is the trivial solution (all three signs at once, so that a merely weak fit on
        structureless data does not warn): weights below 1% of the initial scale, every rho_hat within 1% of
        rho, and a reconstruction cost at least 99% of that of predicting the mean example."""
        if self.beta == 0 or self.activation != "sigmoid":
            return
        initial_scale = init_scale(X.shape[1], self.n_hidden)
        largest = np.abs(self.network_.weights[0]).max()
        if largest >= 0.01 * initial_scale or np.abs(self.rho_hat_ - self.rho).max() > 0.01 * self.rho:
            return
        mean_cost = 0.5 * scale.column_variance_sum(X)
        cost = -self.score(X)
        if cost >= 0.99 * mean_cost:
            warnings.warn(
                f"the sparse autoencoder collapsed to the trivial solution: max |W1| = {largest:.2g} (initial "
                f"scale {initial_scale:.2g}), every hidden unit's mean activation at rho = {self.rho}, "
                f"reconstruction cost {cost:.4g} against {mean_cost:.4g} for predicting the mean example; lower "
                f"weight_decay (now {self.weight_decay}) or beta", AutoencoderCollapseWarning, stacklevel=4)

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y=None, sample_weight=None):
        """Train on X.

        Parameters
        ----------
        X : array_like, memmap, h5py/zarr dataset or Dask array (``ufldl.scale``), shape (n_samples, n_features)
            One example per row, finite. With ``decoder="sigmoid"`` the reconstruction lies in (0, 1), so
            scale the data into it (the tutorial maps its patches to [0.1, 0.9]).
        y : ignored
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples: the cost's means (rho_hat included) become weighted means.

        Returns
        -------
        self : SparseAutoencoder

        Raises
        ------
        ufldl.NonFiniteError
            Training diverged (NaN or inf); the estimator keeps the last finite parameters and the history.
        """
        return self._fit(X, None, partial=False, sample_weight=sample_weight)

    @available_if(is_minibatch)
    def partial_fit(self, X, y=None, sample_weight=None):
        """One epoch of the mini-batch solver over X (``solver="sgd"`` or ``"adam"`` only).

        The first call initialises the network; later calls continue from it, with the optimiser's state.
        Early stopping and ``max_iter`` do not apply.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : ignored
        sample_weight : array_like, shape (n_samples,), optional

        Returns
        -------
        self : SparseAutoencoder
        """
        return self._fit(X, None, partial=True, sample_weight=sample_weight)

    # ------------------------------------------------------------------ using the model

    def transform(self, X):
        """The hidden activations (the learned features).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)

        Returns
        -------
        H : ndarray, shape (n_samples, n_hidden), of ``dtype`` (for a Dask X, a lazy Dask array)
        """
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return scale.forward(self.network_, X, stop=1)

    def inverse_transform(self, H):
        """Decode hidden activations into input space.

        Parameters
        ----------
        H : array_like, shape (n_samples, n_hidden)

        Returns
        -------
        X_hat : ndarray, shape (n_samples, n_features)
        """
        check_is_fitted(self)
        H = check_array(H, dtype=[np.float64, np.float32], input_name="H")
        n_hidden = self.network_.layer_sizes[1]
        if H.shape[1] != n_hidden:
            raise ValueError(f"H must have shape (n_samples, {n_hidden}), one column per hidden unit; got shape "
                             f"{H.shape}")
        return self.network_.forward(H, start=2)

    def predict(self, X):
        """The reconstruction of X (encode, then decode): ndarray of shape (n_samples, n_features)."""
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        return scale.forward(self.network_, X)

    def score(self, X, y=None, sample_weight=None):
        """Minus the mean reconstruction cost, ``-(1/m) sum_i 0.5 ||x_hat(i) - x(i)||^2`` (higher is better;
        with ``sample_weight``, the weighted mean). The data term of the training cost only (no weight decay,
        no sparsity penalty), so that scores of different hyperparameters compare (as in ``GridSearchCV``)."""
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        if sample_weight is not None:
            return -weighted_mean(row_squared_errors(self.network_, X), checked_sample_weight(sample_weight, X))
        return -scale.network_row_sum(self.network_, X, scale.squared_error) / X.shape[0]

    # ------------------------------------------------------------------ fitted views

    @property
    def components_(self):
        """ndarray, shape (n_hidden, n_features): W1, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[0])

    @property
    def decoder_weights_(self):
        """ndarray, shape (n_features, n_hidden): W2, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.weights[1])

    @property
    def intercept_hidden_(self):
        """ndarray, shape (n_hidden,): b1, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[0])

    @property
    def intercept_visible_(self):
        """ndarray, shape (n_features,): b2, read-only."""
        check_is_fitted(self)
        return read_only(self.network_.biases[1])


def _rho_hat_to_state(est, meta, arrays):
    arrays["rho_hat_"] = est.rho_hat_


def _rho_hat_from_state(est, meta, arrays):
    est.rho_hat_ = arrays["rho_hat_"]


register(SparseAutoencoder, _rho_hat_to_state, _rho_hat_from_state)
