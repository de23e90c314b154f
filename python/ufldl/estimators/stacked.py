"""``StackedAutoencoder``: the tutorial's deep network, greedy layer-wise pretraining then fine-tuning."""

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self, cast
import numpy as np
from scipy.special import log_softmax
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ufldl._lib.types import (ActivationName, ArrayLike, DecoderName, DTypeName, FloatArray, IntArray, Labels,
                              RandomStateLike, RowsLike)
from ufldl import scale
from ufldl._lib.validation import random_generator
from ufldl.estimators.autoencoder import DECODERS, AutoencoderCollapseWarning, DecoderRangeWarning, SparseAutoencoder
from ufldl.estimators.base import NetworkEstimator, checked_sample_weight, preserve_dtype
from ufldl.estimators.constraints import (DTYPE, FLAG, RANDOM_STATE, VERBOSITY, Constraint, ParameterConstraints,
                                          integer_at_least, one_of, real_in)
from ufldl.estimators.labels import check_class_labels, encode_labels
from ufldl.estimators.solvers import fit_network
from ufldl.estimators.stacked_params import FINETUNE_DECAY as FINETUNE_DECAY  # (re-exported: ufldl.stacked's)
from ufldl.estimators.stacked_checkpoint import stack_checkpoints, stage_keyword
from ufldl.estimators.stacked_params import finetune_decay, finetune_decays, hidden_sizes, layer_values, per_layer
from ufldl.estimators.stacked_state import register_stacked
from ufldl.network import Network
from ufldl.optimize import OptimizeResult

__all__ = ["StackedAutoencoder"]


class StackedAutoencoder(ClassifierMixin, TransformerMixin, NetworkEstimator):
    """Stacked sparse autoencoders with a softmax classifier, fine-tuned by backpropagation (UFLDL).

    ``fit(X, y)`` follows the tutorial's "Building deep networks for classification":

    1. greedy layer-wise pretraining: a :class:`SparseAutoencoder` on X, a second one on the first one's
       hidden activations, and so on (its decoder is then dropped);
    2. a softmax classifier trained on the last hidden layer's features (the encoders fixed);
    3. fine-tuning: the whole network ``n_features - h_1 - ... - h_k - n_classes`` (sigmoid hidden layers,
       softmax output) trained by backpropagation from the pretrained weights, minimising the cross-entropy
       plus weight decay.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default (200, 200)
        The autoencoders' hidden sizes (the tutorial's 200 and 200).
    rho, beta, weight_decay : float or sequence of float, defaults 0.1, 3.0 and 1e-4
        Each autoencoder's sparsity target, sparsity weight and weight decay lambda: one value for all, or one
        per hidden layer. The tutorial used lambda = 3e-3 on MNIST; on the 8x8 digits that makes the second
        autoencoder collapse to the trivial solution (an :class:`AutoencoderCollapseWarning` says so), hence
        the default 1e-4.
    decoder : {"sigmoid", "linear"} or sequence of them, default "sigmoid"
        Each autoencoder's output layer (one for all, or one per hidden layer). ``"linear"`` is the tutorial's
        linear decoder, for inputs outside [0, 1]: whitened or colour data in the first layer, say
        ``decoder=["linear", "sigmoid"]`` (the later layers see sigmoid activations, inside (0, 1)).
    pretrain_max_iter : int, default 400
        L-BFGS iterations for each autoencoder.
    softmax_weight_decay : float, default 1e-4
        The lambda of the softmax layer, during its own training and fine-tuning.
    softmax_max_iter : int, default 400
        L-BFGS iterations for the softmax layer.
    finetune : bool, default True
        Whether to fine-tune (False stops after step 2).
    finetune_weight_decay : {"all", "softmax"} or float, default "all"
        Weight decay during fine-tuning. ``"softmax"``: only the softmax layer's weights, with
        ``softmax_weight_decay``, as the tutorial's ``stackedAECost`` does. ``"all"``: every layer with
        ``softmax_weight_decay`` (measured on the digits: better in 10 of 12 runs). A float: every layer with
        that lambda.
    finetune_max_iter : int, default 400
        L-BFGS iterations for fine-tuning.
    max_corrections : int, default 100
        L-BFGS memory for every stage (the tutorial's minFunc used 100). Each L-BFGS iteration reads the
        2 * max_corrections stored float64 vectors twice (the two-loop recursion), so its own time grows with it
        and with the number of parameters (80,600 for the 200-200 autoencoder: about 130 MB of memory at 100
        corrections). Lower it for large layers.
    dtype : {"float64", "float32"}, default "float64"
    random_state : int, RandomState, Generator or None, default None
        Seeds every autoencoder's and the softmax layer's initial weights.
    verbose : int, default 0
        Progress of each stage on standard output.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    autoencoders_ : list of SparseAutoencoder
        The pretrained autoencoders, layer by layer.
    pretrained_network_ : ufldl.Network
        The network after steps 1-2 (before fine-tuning).
    network_ : ufldl.Network
        The network after fine-tuning (the same weights as ``pretrained_network_`` with ``finetune=False``).
    loss_curve_ : list of float
        Fine-tuning's cost after each iteration (empty without fine-tuning).
    n_iter_ : int
        Fine-tuning iterations.
    n_features_in_ : int

    Notes
    -----
    ``predict(X, finetuned=False)`` and ``predict_proba(X, finetuned=False)`` use the network before
    fine-tuning, to compare the two. ``transform(X)`` gives the last hidden layer's activations of the
    fine-tuned network.

    Examples
    --------
    >>> import ufldl
    >>> from sklearn.model_selection import train_test_split
    >>> X, y = ufldl.datasets.load_digits()
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = ufldl.StackedAutoencoder((32, 16), pretrain_max_iter=100, finetune_max_iter=100, random_state=0)
    >>> clf = clf.fit(X_train, y_train)
    >>> bool(clf.score(X_test, y_test) > 0.9)
    True
    """

    # Set by fit, with NetworkEstimator's network_, n_features_in_, loss_curve_, n_iter_ (not _fit's others).
    classes_: Labels
    autoencoders_: list[SparseAutoencoder]
    pretrained_network_: Network

    _parameter_constraints: ParameterConstraints = {
        "hidden_layer_sizes": Constraint("a non-empty sequence of ints >= 1", hidden_sizes),
        "rho": per_layer(real_in(0.0, 1.0, low_inclusive=False, high_inclusive=False)),
        "beta": per_layer(real_in(low=0.0)),
        "weight_decay": per_layer(real_in(low=0.0)),
        "decoder": per_layer(one_of(*DECODERS)),
        "pretrain_max_iter": integer_at_least(1),
        "softmax_weight_decay": real_in(low=0.0),
        "softmax_max_iter": integer_at_least(1),
        "finetune": FLAG,
        "finetune_weight_decay": Constraint(f"one of {FINETUNE_DECAY} or a number >= 0", finetune_decay),
        "finetune_max_iter": integer_at_least(1),
        "max_corrections": integer_at_least(1),
        "dtype": DTYPE,
        "random_state": RANDOM_STATE,
        "verbose": VERBOSITY,
    }

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (200, 200), *, rho: float | Sequence[float] = 0.1,
                 beta: float | Sequence[float] = 3.0, weight_decay: float | Sequence[float] = 1e-4,
                 decoder: DecoderName | Sequence[DecoderName] = "sigmoid", pretrain_max_iter: int = 400,
                 softmax_weight_decay: float = 1e-4, softmax_max_iter: int = 400, finetune: bool = True,
                 finetune_weight_decay: Literal["all", "softmax"] | float = "all", finetune_max_iter: int = 400,
                 max_corrections: int = 100, dtype: DTypeName = "float64", random_state: RandomStateLike = None,
                 verbose: int = 0) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rho = rho
        self.beta = beta
        self.weight_decay = weight_decay
        self.decoder = decoder
        self.pretrain_max_iter = pretrain_max_iter
        self.softmax_weight_decay = softmax_weight_decay
        self.softmax_max_iter = softmax_max_iter
        self.finetune = finetune
        self.finetune_weight_decay = finetune_weight_decay
        self.finetune_max_iter = finetune_max_iter
        self.max_corrections = max_corrections
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:  # a sklearn.utils.Tags (scikit-learn: untyped)
        return preserve_dtype(super().__sklearn_tags__(), self.dtype)

    # ------------------------------------------------------------------ validation

    def _check_combination(self, params: dict[str, Any]) -> None:
        n_layers = len(params["hidden_layer_sizes"])
        for name in ("rho", "beta", "weight_decay", "decoder"):
            params[name] = layer_values(params[name], name, n_layers)

    # ------------------------------------------------------------------ fitting

    def _say(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            checkpoint: Any = None) -> Self:
        """Pretrain, train the softmax layer, fine-tune (every step with the examples' weights, if any).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Inputs in [0, 1] for the autoencoders' sigmoid reconstructions (the digits' pixels / 16, say).
        y : array_like, shape (n_samples,)
            Class labels of any kind (ints, strings).
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0 of the examples, for every autoencoder, the softmax layer and the fine-tuning.
        checkpoint : str, os.PathLike, ufldl.optimize.Checkpoint or None, default None
            A directory (created if missing) holding one checkpoint file per stage, each written every 10
            iterations (a ``Checkpoint``'s ``every``) and when the stage ends; the same fit made again resumes
            from them (``ufldl.estimators.stacked_checkpoint``). A fit parameter, so that clones never share it.

        Returns
        -------
        self : StackedAutoencoder
            The estimator, trained.
        """
        params: dict[str, Any] = self._checked_parameters()
        self._check_combination(params)
        rows, y_checked = self._validated_xy(X, y, reset=True, ensure_min_samples=2)
        params["sample_weight"] = checked_sample_weight(sample_weight, rows)
        params["checkpoints"] = stack_checkpoints(checkpoint)
        check_class_labels(y_checked)
        self.classes_ = np.unique(y_checked)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold at least 2 classes; got only {self.classes_[0]!r}")
        labels = encode_labels(y_checked, self.classes_)
        rng = random_generator(params["random_state"])
        features = self._pretrain(rows, params, rng)
        softmax = self._train_softmax(features, labels, params, rng)
        net = self._assemble(rows.shape[1], softmax, params)
        self.pretrained_network_ = net.copy()
        self.network_, self.loss_curve_, self.n_iter_ = net, [], 0
        if params["finetune"]:
            self._finetune(rows, labels, params)
        return self

    def _pretrain(self, X: RowsLike, params: Mapping[str, Any], rng: np.random.Generator) -> RowsLike:
        """1. Greedy layer-wise pretraining: each autoencoder on the previous one's features; returns the last
        features."""
        self.autoencoders_ = []
        features = X
        layers = zip(params["hidden_layer_sizes"], params["rho"], params["beta"], params["weight_decay"],
                     params["decoder"])
        for layer, (h, rho, beta, lam, decoder) in enumerate(layers, start=1):
            self._say(f"pretraining autoencoder {layer}: {features.shape[1]}-{h}-{features.shape[1]}")
            ae = SparseAutoencoder(h, rho=rho, beta=beta, weight_decay=lam, decoder=decoder,
                                   max_iter=params["pretrain_max_iter"], max_corrections=params["max_corrections"],
                                   dtype=self.dtype, random_state=rng, verbose=max(0, params["verbose"] - 1))
            with warnings.catch_warnings(record=True) as caught:  # re-issued below, naming the layer
                warnings.simplefilter("always")
                stage = stage_keyword(params["checkpoints"], f"autoencoder-{layer}")
                ae.fit(features, sample_weight=params["sample_weight"], **stage)
            for w in caught:
                ours = issubclass(w.category, (AutoencoderCollapseWarning, DecoderRangeWarning))
                prefix = f"autoencoder {layer} of the stack: " if ours else ""
                warnings.warn(f"{prefix}{w.message}", w.category, stacklevel=3)
            self.autoencoders_.append(ae)
            features = ae.transform(features)
        return features

    def _train_softmax(self, features: RowsLike, labels: IntArray, params: Mapping[str, Any],
                       rng: np.random.Generator) -> Network:
        """2. A softmax classifier on the last features (the encoders fixed)."""
        self._say(f"training the softmax layer on {features.shape[1]} features")
        softmax = Network([features.shape[1], len(self.classes_)], "softmax", "cross_entropy",
                          weight_decay=params["softmax_weight_decay"], dtype=params["dtype"], random_state=rng)
        softmax.theta *= 0.005 / np.abs(softmax.theta).max()  # small initial weights, as the tutorial's
        fit_network(softmax, features, labels, "lbfgs", lambda result: None, stacklevel=3,
                    max_iter=params["softmax_max_iter"], max_corrections=params["max_corrections"],
                    verbose=max(0, params["verbose"] - 1), sample_weight=params["sample_weight"],
                    **stage_keyword(params["checkpoints"], "softmax"))
        return softmax

    def _assemble(self, n_features: int, softmax: Network, params: Mapping[str, Any]) -> Network:
        """The whole network from the encoders and the softmax layer."""
        layer_sizes = [n_features, *params["hidden_layer_sizes"], len(self.classes_)]
        n_weight_layers = len(layer_sizes) - 1
        hidden: list[ActivationName] = ["sigmoid"] * (n_weight_layers - 1)
        net = Network(layer_sizes, [*hidden, "softmax"], "cross_entropy",
                      weight_decay=finetune_decays(params, n_weight_layers), dtype=params["dtype"])
        for k, ae in enumerate(self.autoencoders_):
            net.weights[k][...] = ae.network_.weights[0]
            net.biases[k][...] = ae.network_.biases[0]
        net.weights[-1][...] = softmax.weights[0]
        net.biases[-1][...] = softmax.biases[0]
        return net

    def _finetune(self, X: RowsLike, labels: IntArray, params: Mapping[str, Any]) -> None:
        """3. Fine-tuning: the whole network trained by backpropagation from the pretrained weights."""
        def record(result: OptimizeResult) -> None:
            self.loss_curve_, self.n_iter_ = list(result.loss_curve), result.n_iter

        self._say(f"fine-tuning the {'-'.join(map(str, self.network_.layer_sizes))} network")
        fit_network(self.network_, X, labels, "lbfgs", record, stacklevel=3, max_iter=params["finetune_max_iter"],
                    max_corrections=params["max_corrections"], verbose=max(0, params["verbose"] - 1),
                    sample_weight=params["sample_weight"], **stage_keyword(params["checkpoints"], "finetune"))

    # ------------------------------------------------------------------ using the model

    def _network(self, finetuned: bool) -> Network:
        check_is_fitted(self)
        return self.network_ if finetuned else self.pretrained_network_

    def _input(self, X: ArrayLike) -> RowsLike:
        # (a Dask array or an input read in blocks is checked without being read whole, and stays so)
        return self._validated_rows(X, reset=False)

    def predict_proba(self, X: ArrayLike, finetuned: bool = True) -> FloatArray:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_`` (a lazy
        Dask array for a Dask array).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        finetuned : bool, default True
            Use the fine-tuned network; False: the network before fine-tuning.

        Returns
        -------
        P : ndarray of float64, shape (n_samples, n_classes)
            Each row's class probabilities.
        """
        net = self._network(finetuned)
        return cast(FloatArray, scale.forward(net, self._input(X)))  # (RowsResult: Any, lazy for a Dask X)

    def predict_log_proba(self, X: ArrayLike, finetuned: bool = True) -> FloatArray:
        """Log-probabilities, computed stably from the softmax layer's inputs (a lazy Dask array for a Dask
        array).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        finetuned : bool, default True
            Use the fine-tuned network; False: the network before fine-tuning.

        Returns
        -------
        log_P : ndarray of float64, shape (n_samples, n_classes)
            Their logarithms, columns in the order of ``classes_``.
        """
        net = self._network(finetuned)
        X = self._input(X)
        frozen = net.copy() if scale.is_dask_array(X) else net  # (a lazy result keeps the parameters of now)
        W, b = net.weights[-1].astype(np.float64), net.biases[-1].astype(np.float64)

        def log_proba(rows: Any) -> FloatArray:  # (rows: an in-memory block)
            hidden = frozen.forward(rows, stop=frozen.n_layers - 1).astype(np.float64)
            return log_softmax(hidden @ W.T + b, axis=1)

        return cast(FloatArray, scale.apply_rows(X, log_proba, len(self.classes_), np.float64))  # (RowsResult: Any)

    def predict(self, X: ArrayLike, finetuned: bool = True) -> np.ndarray[Any, Any]:
        """The most probable class of each row: shape (n_samples,), values from ``classes_`` (a lazy Dask
        array for a Dask array).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        finetuned : bool, default True
            Use the fine-tuned network; False: the network before fine-tuning.

        Returns
        -------
        y_pred : ndarray, shape (n_samples,)
            The predicted classes.
        """
        proba = self.predict_proba(X, finetuned)  # (first: it checks that the model is fitted)
        classes = self.classes_
        # (scale.per_row's RowsResult is Any: an ndarray, or a lazy Dask array for a Dask X)
        return cast(Labels, scale.per_row(proba, lambda P: classes[np.argmax(P, axis=1)], dtype=classes.dtype,
                                          columns=False))

    def transform(self, X: ArrayLike) -> FloatArray:
        """The last hidden layer's activations (the learned features) of the fine-tuned network (a lazy Dask
        array for a Dask array).

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.

        Returns
        -------
        H : ndarray, shape (n_samples, n_last_hidden)
            The last hidden layer's activations.
        """
        net = self._network(True)
        return cast(FloatArray, scale.forward(net, self._input(X), stop=net.n_layers - 1))  # (RowsResult: Any)

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None, **fit_params: Any) -> FloatArray:
        """Fit on (X, y), then return the features of X: ``fit(X, y, **fit_params).transform(X)``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            The inputs, one example per row.
        y : array_like, shape (n_samples,)
            Class labels; required (a ValueError without them: this is a classifier).
        **fit_params
            Passed to :meth:`fit`.

        Returns
        -------
        H : ndarray, shape (n_samples, n_last_hidden)
            The last hidden layer's activations of the fine-tuned network.
        """
        # TransformerMixin's would call fit(X) without y when y is None; a classifier needs it.
        if y is None:
            raise ValueError("StackedAutoencoder.fit_transform needs y (the classes): it is a classifier")
        return self.fit(X, y, **fit_params).transform(X)


register_stacked(StackedAutoencoder)
