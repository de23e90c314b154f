"""Dense feedforward networks whose cost and gradient come from the compiled core.

The maths is ``docs/math.md`` (the UFLDL tutorial's): one example per row, ``W_l`` of shape
``(n_l, n_{l-1})``, ``Z_l = A_{l-1} W_l^T + b_l``, ``A_l = f_l(Z_l)``, and

    J = J_data + (lambda / 2) sum_l ||W_l||_F^2 + beta sum_j KL(rho || rho_hat_j).

Weight decay is *not* divided by m: scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with
L-BFGS (with its mini-batch solvers, which scale the penalty by each batch's size, to ``alpha / batch_size``).

This module holds the Network's state and every call into the compiled engine; ``ufldl.network.derived`` holds
the methods written on its public interface alone (initialisation, ``forward``, ``mean_activations``, the
conversion of training data, the read-only guard of the parameters).
"""

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ufldl import _core
from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.sparse import as_rows, core_rows, is_sparse, require_finite_rows
from ufldl._lib.types import (ActivationName, Activations, ArrayLike, CostAndGrad, DTypeLike, Float64Array, FloatArray,
                              IntArray, LossName, RandomStateLike, RowsLike, Targets, Terms, ThetaLike, WeightDecay)
from ufldl.layers import (ACTIVATIONS, LOSSES, KLSparsity, as_targets, as_theta, check_parameter_count, layer_range,
                          parameter_slices, parse_activations, parse_dtype, parse_layer_sizes, parse_weight_decay,
                          sample_weights, sparse_layer_flags)
from ufldl.network.derived import DerivedMethods
from ufldl.network.docstring import NETWORK_DOC
from ufldl.network.sums import ChunkSums, OnePassSums, PartialSums

__all__ = ["ACTIVATIONS", "LOSSES", "KLSparsity", "Network", "PartialSums", "OnePassSums"]

_DTYPES = {np.dtype(np.float64): _core.NetworkF64, np.dtype(np.float32): _core.NetworkF32}


class Network(ChunkSums, DerivedMethods):
    __doc__ = NETWORK_DOC

    @renamed_keyword("seed", "random_state")
    def __init__(self, layer_sizes: Sequence[int], activations: Activations = "sigmoid", loss: LossName = "squared",
                 weight_decay: WeightDecay = 0.0, sparsity: KLSparsity | None = None, dtype: DTypeLike = "float64",
                 random_state: RandomStateLike = None) -> None:
        self._sizes = parse_layer_sizes(layer_sizes)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
        self._loss = loss
        self._activations = parse_activations(activations, len(self._sizes) - 1, loss)
        self._dtype = parse_dtype(dtype)
        check_parameter_count(self._sizes, self._dtype)
        self.weight_decay = weight_decay
        self.sparsity = sparsity
        codes = [int(getattr(_core.Activation, name)) for name in self._activations]
        self._engine = _DTYPES[self._dtype](list(self._sizes), codes, LOSSES.index(loss))  # the core's Loss codes
        self._theta = np.zeros(self._engine.n_params, dtype=self._dtype)
        self._slices = parameter_slices(self._sizes, self._engine.weight_offset, self._engine.bias_offset)
        self._weights = [self._theta[w].reshape(shape) for w, shape, _ in self._slices]
        self._biases = [self._theta[b] for _, _, b in self._slices]
        self.initialize(random_state)

    # ------------------------------------------------------------------ structure

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """tuple of int: ``(n_0, ..., n_L)``."""
        return self._sizes

    @property
    def n_layers(self) -> int:
        """int: L, the number of weight layers."""
        return len(self._sizes) - 1

    @property
    def activations(self) -> tuple[ActivationName, ...]:
        """tuple of str: the activation of each weight layer."""
        return self._activations

    @property
    def loss(self) -> LossName:
        """str: ``"squared"``, ``"cross_entropy"`` or ``"binary_cross_entropy"``."""
        return self._loss

    @property
    def dtype(self) -> np.dtype[np.floating[Any]]:
        """numpy.dtype: float64 or float32."""
        return self._dtype

    @property
    def n_params(self) -> int:
        """int: the length of ``theta``."""
        return self._theta.size

    @property
    def theta(self) -> FloatArray:
        """ndarray, shape (n_params,): every parameter; ``weights`` and ``biases`` are views into it."""
        return self._theta

    @theta.setter
    def theta(self, value: ArrayLike) -> None:
        if value is None:
            raise TypeError("theta must be an array of shape (n_params,); got None")
        self._theta[...] = as_theta(value, self._theta)

    @property
    def weights(self) -> list[FloatArray]:
        """list of ndarray: ``W_l`` of shape ``(n_l, n_{l-1})``, views into ``theta``."""
        return list(self._weights)

    @property
    def biases(self) -> list[FloatArray]:
        """list of ndarray: ``b_l`` of shape ``(n_l,)``, views into ``theta``."""
        return list(self._biases)

    @property
    def parameter_slices(self) -> list[tuple[slice, tuple[int, int], slice]]:
        """list of (slice, tuple, slice): where ``W_l`` (its slice of theta and its shape (n_l, n_{l-1})) and
        ``b_l`` lie in theta, for l = 1..L."""
        return list(self._slices)

    @property
    def weight_decay(self) -> float | tuple[float, ...]:
        """float or tuple of float: lambda >= 0 for every weight layer, or one lambda_l per weight layer."""
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, value: float | Sequence[float]) -> None:
        self._weight_decay = parse_weight_decay(value, self.n_layers)

    @property
    def sparsity(self) -> KLSparsity | None:
        """KLSparsity or None: the sparsity penalty."""
        return self._sparsity

    @sparsity.setter
    def sparsity(self, value: KLSparsity | None) -> None:
        flags = sparse_layer_flags(value, self._sizes, self._activations)
        self._sparsity = value
        self._sparse_flags = flags

    def _cost_settings(self, **running: Any) -> _core.CostSettings:
        """The cost's hyperparameters as the core takes them."""
        sparsity = self._sparsity or KLSparsity()
        decay = list(self._weight_decay) if isinstance(self._weight_decay, tuple) else self._weight_decay
        return _core.CostSettings(sparse_layers=self._sparse_flags, weight_decay=decay, rho=sparsity.rho,
                                  beta=sparsity.beta, **running)

    def __reduce__(self) -> tuple[Callable[..., "Network"], tuple[Any, ...]]:
        # Pickling (joblib, multiprocessing, copy.deepcopy): the compiled engine is rebuilt from the
        # architecture. For files, prefer save(): portable, and loading it runs no code.
        return (_rebuild, (self._sizes, self._activations, self._loss, self._weight_decay, self._sparsity,
                           str(self._dtype), self._theta.copy()))

    # ------------------------------------------------------------------ evaluation

    def _evaluate(self, X: RowsLike, Y: RowsLike, theta: ArrayLike | None, grad: FloatArray | None, warn: bool = True,
                  chunk: bool = False, chunk_rho_hat: Float64Array | None = None,
                  sample_weight: ArrayLike | None = None,
                  first_layer: tuple[Float64Array, Float64Array, Float64Array] | None = None
                  ) -> tuple[float, FloatArray, Terms]:
        X = as_rows(X, "X", self._sizes[0], self._dtype)
        Y = as_targets(Y, X.shape[0], self._sizes[-1], self._loss, self._dtype)
        sample_weight = sample_weights(sample_weight, X.shape[0])
        theta = as_theta(theta, self._theta)
        if grad is None:
            grad = np.empty(self.n_params, dtype=self._dtype)
        elif not isinstance(grad, np.ndarray):
            raise TypeError(f"grad must be a numpy array; got {type(grad).__name__}")
        # A chunk of a larger sum (partial_sums): the given rho_hat as it is, and no decay (combine adds it).
        given = {} if chunk_rho_hat is None else {"running_rho_hat": chunk_rho_hat.copy(), "rho_hat_decay": 1.0}
        settings = self._cost_settings(**given)
        if chunk:
            settings.weight_decay = 0.0
        if first_layer is None:
            data, decay, sparse = self._engine.cost_and_grad(theta, core_rows(X), core_rows(Y), grad, settings,
                                                             sample_weight)
        else:  # one_pass_sums: without the KL term, which combine applies to the first layer's sums
            settings.sparse_layers = [False] * (self.n_layers + 1)
            data, decay, sparse = self._engine.cost_and_grad_one_pass(theta, core_rows(X), core_rows(Y), grad,
                                                                      settings, *first_layer, sample_weight)
        terms = {"data": data, "decay": decay, "sparsity": sparse}
        cost = data + decay + sparse
        if not (np.isfinite(cost) and np.isfinite(grad).all()):
            # NaN/inf inputs always surface here (they reach the cost or the first layer's gradient), so
            # the inputs are only scanned when something is wrong.
            require_finite_rows(X, "X")
            require_finite_rows(Y, "Y")
            if warn:  # (the optimisers report non-finite values themselves)
                warnings.warn(
                    f"the cost or gradient is not finite at this theta (cost = {cost}): the computation "
                    "overflowed", RuntimeWarning, stacklevel=3)
        return cost, grad, terms

    def cost_and_grad(self, X: RowsLike, Y: RowsLike, theta: ThetaLike = None, *, grad: FloatArray | None = None,
                      sample_weight: ArrayLike | None = None) -> CostAndGrad:
        """The cost and its gradient with respect to every parameter.

        Parameters
        ----------
        X : array_like or scipy.sparse matrix, shape (m, n_0)
            The batch, one example per row. Sparse X (CSR; CSC converted once, O(nnz)) is never densified: the
            core multiplies the first layer by it directly (``docs/math.md#sparse-input``).
        Y : array_like or scipy.sparse matrix, shape (m, n_L), or (m,) of int for cross-entropy
            Targets (for an autoencoder, ``X`` itself; sparse targets are densified a block of rows at a time). With ``loss="cross_entropy"``: rows of
            probabilities, or integer class labels in ``[0, n_L)``; with ``"binary_cross_entropy"``, values in
            [0, 1].
        theta : array_like, shape (n_params,), optional
            Parameters to evaluate at instead of ``self.theta`` (which is left unchanged).
        grad : ndarray, shape (n_params,), optional
            Output buffer of the network's dtype, C-contiguous; a new array is returned if omitted.
        sample_weight : array_like, shape (m,), optional
            Weights >= 0, not all zero: the data cost and rho_hat become weighted means over the examples
            (``docs/math.md#sample-weights``; integer weights equal repeated rows). None: every example weighs 1.

        Returns
        -------
        cost : float
            The cost J.
        grad : ndarray, shape (n_params,)
            Same layout as ``theta``.
        """
        cost, grad, _ = self._evaluate(X, Y, theta, grad, sample_weight=sample_weight)
        return cost, grad

    def partial_sums(self, X: RowsLike, Y: RowsLike, theta: ThetaLike = None, *, rho_hat: ThetaLike = None,
                     sample_weight: ArrayLike | None = None) -> PartialSums:
        """One chunk's unnormalised sums, to add over chunks and finish with :meth:`combine`
        (``docs/math.md#chunks-and-shards``): ``combine(sum of partial_sums over a partition of the rows)`` is
        ``cost_and_grad`` of all the rows.

        Parameters
        ----------
        X, Y, theta : array_like
            As in :meth:`cost_and_grad`: this chunk's rows, shapes (m_c, n_0) and (m_c, n_L) or (m_c,), and the
            parameters, shape (n_params,) (default ``self.theta``).
        rho_hat : ndarray of float64, shape (n_1 + ... + n_L,), or None
            With a KL penalty, required: the mean activations over ALL the rows, ``combine_rho_hat(sum of
            activation_sums)`` (per-chunk rho_hats would be wrong: the KL gradient is not a sum over examples).
        sample_weight : array_like, shape (m,), optional
            The chunk's weights: weighted sums, and ``m`` their sum, so that ``combine`` divides by the total weight.

        Returns
        -------
        PartialSums
            ``m``, ``data`` (the data costs' sum) and ``grad`` (float64, the data gradient summed, with the KL
            term at ``rho_hat``; no decay), which ``+`` adds. Non-finite sums are returned, not warned about.
        """
        rho_hat = self._checked_rho_hat(rho_hat)
        grad = np.empty(self.n_params, dtype=self._dtype)
        # Not warned about when not finite (as objective's): a term of a sum, whose consumer reports the total.
        terms = self._evaluate(X, Y, theta, grad, warn=False, chunk=True, chunk_rho_hat=rho_hat,
                               sample_weight=sample_weight)[2]
        # (X and the weights were checked by _evaluate); with weights, m is the weighted mean's denominator
        m: float = (int(np.shape(X)[0]) if sample_weight is None
                    else float(np.sum(np.asarray(sample_weight, np.float64))))
        return PartialSums(m=m, data=terms["data"] * m, grad=grad.astype(np.float64) * m, rho_hat=rho_hat,
                           kl=terms["sparsity"])

    def one_pass_sums(self, X: RowsLike, Y: RowsLike, theta: ThetaLike = None, *,
                      sample_weight: ArrayLike | None = None) -> OnePassSums:
        """One chunk's sums for a ONE-pass chunked evaluation when the KL penalty is on the first hidden layer only
        (:attr:`one_pass_applies`; else ValueError): ``combine(sum of one_pass_sums over a partition of the rows)``
        is ``cost_and_grad`` of all the rows, no global rho_hat needed first (``docs/math.md#one-pass-kl-sums``).

        Parameters
        ----------
        X, Y, theta, sample_weight : array_like
            As in :meth:`partial_sums` (X dense or scipy.sparse; weighted sums, and ``m`` the weights' sum).

        Returns
        -------
        OnePassSums
            Float64 sums that ``+`` adds (their precision: :class:`OnePassSums`); non-finite ones are not warned of.
        """
        self._check_one_pass("one_pass_sums")
        n_1, grad = self._sizes[1], np.empty(self.n_params, dtype=self._dtype)
        first_layer = (np.empty(n_1), np.empty(n_1), np.empty(self._sizes[1::-1]))  # (n_1,), (n_1,), (n_1, n_0)
        terms = self._evaluate(X, Y, theta, grad, warn=False, chunk=True, sample_weight=sample_weight,
                               first_layer=first_layer)[2]
        m: float = int(np.shape(X)[0]) if sample_weight is None else float(np.sum(np.asarray(sample_weight, float)))
        return OnePassSums(m, terms["data"] * m, grad.astype(np.float64) * m, *first_layer)

    def cost_terms(self, X: RowsLike, Y: RowsLike, theta: ThetaLike = None, *,
                   sample_weight: ArrayLike | None = None) -> Terms:
        """The cost's terms: dict with keys ``"data"``, ``"decay"``, ``"sparsity"`` (floats summing to J).

        Parameters
        ----------
        X, Y, theta : array_like
            As in :meth:`cost_and_grad`: shapes (m, n_0), (m, n_L) or (m,), and (n_params,) (default ``self.theta``).
        sample_weight : array_like, shape (m,), optional
            As in :meth:`cost_and_grad`.

        Returns
        -------
        dict of str to float
            ``{"data": ..., "decay": ..., "sparsity": ...}``, summing to J.
        """
        return self._evaluate(X, Y, theta, None, sample_weight=sample_weight)[2]

    def layer_activations(self, X: RowsLike, theta: ThetaLike = None, *, start: int = 1,
                          stop: int | None = None) -> list[FloatArray]:
        """The activations of every layer, or of the layers ``start..stop`` only.

        Parameters
        ----------
        X : array_like, shape (m, n_{start-1})
            The input of layer ``start``: the network's input for ``start=1`` (dense or scipy.sparse), hidden
            activations ``A_{start-1}`` otherwise (for instance an autoencoder's codes, decoded with ``start=2``).
        theta : array_like, shape (n_params,), optional
            Parameters to evaluate at instead of ``self.theta``.
        start, stop : int, default 1 and L
            The first and last layer to compute, ``1 <= start <= stop <= L``. Layers after ``stop`` are not
            computed (``stop=1`` encodes without decoding).

        Returns
        -------
        activations : list of ndarray
            ``[A_start, ..., A_stop]``, ``A_l`` of shape ``(m, n_l)``; with the defaults ``[A_1, ..., A_L]``
            whose last entry is the output.
        """
        start, stop = layer_range(start, stop, self.n_layers)
        X = as_rows(X, "X", self._sizes[start - 1], self._dtype)
        require_finite_rows(X, "X")
        if is_sparse(X) and start != 1:
            X = X.toarray()  # hidden activations given sparse: only the network's input is multiplied as CSR
        theta = as_theta(theta, self._theta)
        return self._engine.forward(theta, core_rows(X), start, stop)

    # ------------------------------------------------------------------ for training

    def objective(self, X: FloatArray, Y: Targets,
                  sample_weight: ArrayLike | None = None) -> Callable[[FloatArray], CostAndGrad]:
        """The cost as a function of theta on data converted by :meth:`training_data`, for optimisers.

        Parameters
        ----------
        X, Y : ndarray
            From :meth:`training_data`: the inputs, shape (m, n_0), and the targets, shape (m, n_L) or (m,).
        sample_weight : array_like, shape (m,), optional
            As in :meth:`cost_and_grad`.

        Returns
        -------
        fun : callable
            ``fun(theta) -> (cost, grad)``, theta of shape (n_params,). Non-finite values are returned, not
            warned about: the optimisers report them. ``fun.lbfgs_evaluations(state)`` runs the evaluations
            an L-BFGS state (``ufldl._core.Lbfgs``) asks for, line search included, in the compiled core
            without the GIL, and returns the state's next status (:func:`ufldl.minimize` with ``"lbfgs"``
            uses it; the state's vectors are float64, the evaluations in the network's dtype).
        """
        weights = sample_weights(sample_weight, X.shape[0])  # converted once

        def fun(theta: FloatArray) -> CostAndGrad:
            cost, grad, _ = self._evaluate(X, Y, theta, None, warn=False, sample_weight=weights)
            return cost, grad

        def lbfgs_evaluations(state: Any) -> Any:
            return self._engine.lbfgs_evaluations(state, core_rows(X), core_rows(Y), self._cost_settings(), weights)

        fun.lbfgs_evaluations = lbfgs_evaluations  # type: ignore[attr-defined]
        return fun

    def minibatch_updates(self, X: FloatArray, Y: Targets, order: IntArray, batch_size: int, update: dict[str, Any],
                          state: tuple[FloatArray, FloatArray], step: IntArray, batch_costs: Float64Array, *,
                          running_rho_hat: Float64Array | None = None, rho_hat_decay: float = 0.0,
                          sample_weight: Float64Array | None = None) -> int:
        """Run mini-batch updates of ``self.theta`` in the compiled core (docs/math.md#mini-batch-gradient-descent).

        The mini-batch solvers' engine (``ufldl.train_minibatch`` calls it once per epoch). ``X, Y`` come from
        :meth:`training_data`; batch k is the rows ``order[k * batch_size:(k + 1) * batch_size]`` (int64);
        ``update`` holds ``rule`` ("sgd" or "adam") and its hyperparameters (``learning_rate``, ``momentum``,
        ``nesterov``, ``beta1``, ``beta2``, ``epsilon``); ``state``, two float arrays of shape (n_params,) (the
        velocity, or Adam's two moments), and ``step`` (int64, shape (1,)) are updated in place;
        ``batch_costs`` (float64) receives each batch's cost; ``running_rho_hat`` (float64, updated in place)
        and ``rho_hat_decay`` in [0, 1) give the moving-average rho_hat (docs/math.md#moving-average-rho-hat),
        None: each batch's own; ``sample_weight`` (float64, one per row of X, or None) makes each batch its rows'
        weighted mean (every batch must weigh more than 0).

        Returns
        -------
        updates : int
            Updates made: the number of batches, unless a batch's cost or gradient was not finite (the run
            stops before that batch's update).
        """
        update = dict(update)
        rule = getattr(_core.UpdateRule, update.pop("rule"))
        cost = self._cost_settings(running_rho_hat=running_rho_hat, rho_hat_decay=rho_hat_decay)
        return self._engine.minibatch_epoch(self._theta, core_rows(X), core_rows(Y), order, batch_size, cost,
                                            _core.UpdateParams(rule=rule, **update), state[0], state[1], step,
                                            batch_costs, sample_weight)


def _rebuild(layer_sizes: Sequence[int], activations: Activations, loss: LossName, weight_decay: WeightDecay,
             sparsity: KLSparsity | None, dtype: DTypeLike, theta: FloatArray) -> Network:
    net = Network(layer_sizes, activations, loss, weight_decay, sparsity, dtype, random_state=0)
    net._theta[...] = theta  # as it was, without the setter's finiteness check
    return net

