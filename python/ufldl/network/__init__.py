"""Dense feedforward networks whose cost and gradient come from the compiled core.

The maths is ``docs/math.md`` (the UFLDL tutorial's): one example per row, ``W_l`` of shape
``(n_l, n_{l-1})``, ``Z_l = A_{l-1} W_l^T + b_l``, ``A_l = f_l(Z_l)``, and

    J = J_data + (lambda / 2) sum_l ||W_l||_F^2 + beta sum_j KL(rho || rho_hat_j).

Weight decay is *not* divided by m (see :class:`Network`'s ``weight_decay``).

This module holds the Network's state and every call into the compiled engine; ``ufldl.network.derived`` holds
the methods written on its public interface alone (initialisation, ``forward``, ``mean_activations``, the
conversion of training data, the read-only guard of the parameters).
"""

import warnings

import numpy as np

from ufldl import _core
from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.validation import as_matrix, require_finite
from ufldl.layers import (ACTIVATIONS, LOSSES, KLSparsity, as_targets, as_theta, check_parameter_count, layer_range,
                          parameter_slices, parse_activations, parse_dtype, parse_layer_sizes, parse_weight_decay,
                          sample_weights, sparse_layer_flags)
from ufldl.network.derived import DerivedMethods
from ufldl.network.sums import ChunkSums, PartialSums

__all__ = ["ACTIVATIONS", "LOSSES", "KLSparsity", "Network", "PartialSums"]

_DTYPES = {np.dtype(np.float64): _core.NetworkF64, np.dtype(np.float32): _core.NetworkF32}


class Network(ChunkSums, DerivedMethods):
    """A dense feedforward network: its parameters, cost and gradient.

    Parameters
    ----------
    layer_sizes : sequence of int, length L + 1
        ``(n_0, n_1, ..., n_L)``: input size, hidden sizes, output size; each >= 1.
    activations : str or sequence of str, default "sigmoid"
        One of ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``, ``"softmax"`` for every weight layer,
        or one name per weight layer (length L). Softmax only on the output layer, with cross-entropy. A
        single name with ``loss="cross_entropy"`` makes the hidden layers that activation and the output
        layer softmax (with ``loss="binary_cross_entropy"``, sigmoid).
    loss : {"squared", "cross_entropy", "binary_cross_entropy"}, default "squared"
        ``"squared"``: ``(1/m) sum_i 0.5 ||a_L(i) - y(i)||^2``. ``"cross_entropy"``: ``-(1/m) sum_ik y_ik
        log a_ik`` with a softmax output; targets are rows of probabilities or integer class labels.
        ``"binary_cross_entropy"``: ``-(1/m) sum_ik y_ik log a_ik + (1 - y_ik) log(1 - a_ik)`` with a sigmoid
        output, one independent probability per unit (the tutorial's logistic units; multilabel targets);
        targets in [0, 1] of shape (m, n_L).
    weight_decay : float or sequence of float, default 0.0
        The tutorial's lambda: adds ``(lambda / 2) sum_l ||W_l||_F^2``, not divided by m and never applied to
        the biases. scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (with its
        mini-batch solvers, to ``alpha / batch_size``). A sequence gives each weight layer its own lambda_l
        (length L; the tutorial's fine-tuning decays only the softmax layer: ``[0, ..., 0, lambda]``).
    sparsity : KLSparsity or None, default None
        The KL sparsity penalty on hidden (sigmoid) layers.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the parameters and of every computation (sums are accumulated in float64).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        Source of the initial weights: ``W_l ~ Uniform(-r, r)``, ``r = sqrt(6 / (n_{l-1} + n_l + 1))``,
        drawn layer by layer in float64 and then cast; biases 0. The same int gives the same network on
        every machine and in both dtypes (up to the cast). Formerly ``seed`` (still accepted, with a
        FutureWarning, until ufldl 0.3).

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        All parameters in one contiguous vector, laid out ``[W_1, ..., W_L, b_1, ..., b_L]`` with each
        ``W_l`` in row-major order. Assigning to ``net.theta`` copies into it.
    weights : list of ndarray
        ``weights[l-1]`` is ``W_l``, shape ``(n_l, n_{l-1})``: a writable view into ``theta``.
    biases : list of ndarray
        ``biases[l-1]`` is ``b_l``, shape ``(n_l,)``: a writable view into ``theta``.

    Notes
    -----
    Input arrays of another dtype, order or layout are converted (copied) to the network's dtype and C order;
    an explicit ``grad`` output buffer is never converted and must match exactly. Inputs with NaN or inf
    are refused with a ValueError naming the argument.

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> net = ufldl.Network([64, 25, 64], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(100, 64))
    >>> cost, grad = net.cost_and_grad(X, X)
    >>> grad.shape == net.theta.shape
    True
    """

    @renamed_keyword("seed", "random_state")
    def __init__(self, layer_sizes, activations="sigmoid", loss="squared", weight_decay=0.0, sparsity=None,
                 dtype="float64", random_state=None):
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
    def layer_sizes(self):
        """tuple of int: ``(n_0, ..., n_L)``."""
        return self._sizes

    @property
    def n_layers(self):
        """int: L, the number of weight layers."""
        return len(self._sizes) - 1

    @property
    def activations(self):
        """tuple of str: the activation of each weight layer."""
        return self._activations

    @property
    def loss(self):
        """str: ``"squared"``, ``"cross_entropy"`` or ``"binary_cross_entropy"``."""
        return self._loss

    @property
    def dtype(self):
        """numpy.dtype: float64 or float32."""
        return self._dtype

    @property
    def n_params(self):
        """int: the length of ``theta``."""
        return self._theta.size

    @property
    def theta(self):
        """ndarray, shape (n_params,): every parameter; ``weights`` and ``biases`` are views into it."""
        return self._theta

    @theta.setter
    def theta(self, value):
        if value is None:
            raise TypeError("theta must be an array of shape (n_params,); got None")
        self._theta[...] = as_theta(value, self._theta)

    @property
    def weights(self):
        """list of ndarray: ``W_l`` of shape ``(n_l, n_{l-1})``, views into ``theta``."""
        return list(self._weights)

    @property
    def biases(self):
        """list of ndarray: ``b_l`` of shape ``(n_l,)``, views into ``theta``."""
        return list(self._biases)

    @property
    def parameter_slices(self):
        """list of (slice, tuple, slice): where ``W_l`` (its slice of theta and its shape (n_l, n_{l-1})) and
        ``b_l`` lie in theta, for l = 1..L."""
        return list(self._slices)

    @property
    def weight_decay(self):
        """float or tuple of float: lambda >= 0 for every weight layer, or one lambda_l per weight layer."""
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, value):
        self._weight_decay = parse_weight_decay(value, self.n_layers)

    @property
    def sparsity(self):
        """KLSparsity or None: the sparsity penalty."""
        return self._sparsity

    @sparsity.setter
    def sparsity(self, value):
        flags = sparse_layer_flags(value, self._sizes, self._activations)
        self._sparsity = value
        self._sparse_flags = flags

    def _cost_settings(self, **running):
        """The cost's hyperparameters as the core takes them."""
        sparsity = self._sparsity or KLSparsity()
        decay = list(self._weight_decay) if isinstance(self._weight_decay, tuple) else self._weight_decay
        return _core.CostSettings(sparse_layers=self._sparse_flags, weight_decay=decay, rho=sparsity.rho,
                                  beta=sparsity.beta, **running)

    def __reduce__(self):
        # Pickling (joblib, multiprocessing, copy.deepcopy): the compiled engine is rebuilt from the
        # architecture. For files, prefer save(): portable, and loading it runs no code.
        return (_rebuild, (self._sizes, self._activations, self._loss, self._weight_decay, self._sparsity,
                           str(self._dtype), self._theta.copy()))

    # ------------------------------------------------------------------ evaluation

    def _evaluate(self, X, Y, theta, grad, warn=True, chunk=False, chunk_rho_hat=None, sample_weight=None):
        X = as_matrix(X, "X", self._sizes[0], self._dtype)
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
        data, decay, sparse = self._engine.cost_and_grad(theta, X, Y, grad, settings, sample_weight)
        terms = {"data": data, "decay": decay, "sparsity": sparse}
        cost = data + decay + sparse
        if not (np.isfinite(cost) and np.isfinite(grad).all()):
            # NaN/inf inputs always surface here (they reach the cost or the first layer's gradient), so
            # the inputs are only scanned when something is wrong.
            require_finite(X, "X")
            require_finite(Y, "Y")
            if warn:  # (the optimisers report non-finite values themselves)
                warnings.warn(
                    f"the cost or gradient is not finite at this theta (cost = {cost}): the computation "
                    "overflowed", RuntimeWarning, stacklevel=3)
        return cost, grad, terms

    def cost_and_grad(self, X, Y, theta=None, *, grad=None, sample_weight=None):
        """The cost and its gradient with respect to every parameter.

        Parameters
        ----------
        X : array_like, shape (m, n_0)
            The batch, one example per row.
        Y : array_like, shape (m, n_L), or (m,) of int for cross-entropy
            Targets (for an autoencoder, ``X`` itself). With ``loss="cross_entropy"``: rows of
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
        grad : ndarray, shape (n_params,)
            Same layout as ``theta``.
        """
        cost, grad, _ = self._evaluate(X, Y, theta, grad, sample_weight=sample_weight)
        return cost, grad

    def cost(self, X, Y, theta=None, *, sample_weight=None):
        """The cost J (float) at ``theta`` (default ``self.theta``); arguments as in ``cost_and_grad``."""
        return self._evaluate(X, Y, theta, None, sample_weight=sample_weight)[0]

    def partial_sums(self, X, Y, theta=None, *, rho_hat=None, sample_weight=None):
        """One chunk's unnormalised sums, to add over chunks and finish with :meth:`combine`
        (``docs/math.md#chunks-and-shards``): ``combine(sum of partial_sums over a partition of the rows)`` is
        ``cost_and_grad`` of all the rows.

        Parameters
        ----------
        X, Y, theta
            As in :meth:`cost_and_grad`: this chunk's rows.
        rho_hat : ndarray of float64, shape (n_1 + ... + n_L,), or None
            With a KL penalty, required: the mean activations over ALL the rows (not this chunk's), from
            ``combine_rho_hat(sum of activation_sums)``. Averaging per-chunk results, each with its own rho_hat,
            is wrong (the KL gradient is not a sum over examples).
        sample_weight : array_like, shape (m,), optional
            The chunk's weights: weighted sums, and ``m`` their sum, so that ``combine`` divides by the total weight.

        Returns
        -------
        PartialSums
            ``m`` (or the weights' sum), ``data`` (sum of the examples' data costs) and ``grad`` (float64, the data gradient summed,
            with the KL term at ``rho_hat``; no weight decay), which ``+`` adds. Non-finite sums are returned,
            not warned about (as by :meth:`objective`): the solver that consumes the total reports them; NaN or
            inf in X or Y raises ValueError.
        """
        rho_hat = self._checked_rho_hat(rho_hat)
        grad = np.empty(self.n_params, dtype=self._dtype)
        # Not warned about when not finite (as objective's): a term of a sum, whose consumer reports the total.
        terms = self._evaluate(X, Y, theta, grad, warn=False, chunk=True, chunk_rho_hat=rho_hat,
                               sample_weight=sample_weight)[2]
        # (X and the weights were checked by _evaluate); with weights, m is the weighted mean's denominator
        m = int(np.shape(X)[0]) if sample_weight is None else float(np.sum(np.asarray(sample_weight, np.float64)))
        return PartialSums(m=m, data=terms["data"] * m, grad=grad.astype(np.float64) * m, rho_hat=rho_hat,
                           kl=terms["sparsity"])

    def cost_terms(self, X, Y, theta=None, *, sample_weight=None):
        """The cost's terms: dict with keys ``"data"``, ``"decay"``, ``"sparsity"`` (floats summing to J)."""
        return self._evaluate(X, Y, theta, None, sample_weight=sample_weight)[2]

    def layer_activations(self, X, theta=None, *, start=1, stop=None):
        """The activations of every layer, or of the layers ``start..stop`` only.

        Parameters
        ----------
        X : array_like, shape (m, n_{start-1})
            The input of layer ``start``: the network's input for ``start=1``, hidden activations ``A_{start-1}``
            otherwise (for instance the codes of an autoencoder, to decode them with ``start=2``).
        theta : array_like, shape (n_params,), optional
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
        X = as_matrix(X, "X", self._sizes[start - 1], self._dtype)
        require_finite(X, "X")
        theta = as_theta(theta, self._theta)
        return self._engine.forward(theta, X, start, stop)

    # ------------------------------------------------------------------ for training

    def objective(self, X, Y, sample_weight=None):
        """The cost as a function of theta on data converted by :meth:`training_data`, for optimisers (weighted
        by ``sample_weight`` as in :meth:`cost_and_grad`).

        Returns
        -------
        fun : callable
            ``fun(theta) -> (cost, grad)``, theta of shape (n_params,). Non-finite values are returned, not
            warned about: the optimisers report them. ``fun.lbfgs_evaluations(state)`` runs the evaluations
            an L-BFGS state (``ufldl._core.Lbfgs``) asks for, line search included, in the compiled core
            without the GIL, and returns the state's next status (:func:`ufldl.minimize` with ``"lbfgs"``
            uses it; the state's vectors are float64, the evaluations in the network's dtype).
        """
        def fun(theta):
            cost, grad, _ = self._evaluate(X, Y, theta, None, warn=False, sample_weight=sample_weight)
            return cost, grad

        sample_weight = sample_weights(sample_weight, X.shape[0])  # converted once

        def lbfgs_evaluations(state):
            return self._engine.lbfgs_evaluations(state, X, Y, self._cost_settings(), sample_weight)

        fun.lbfgs_evaluations = lbfgs_evaluations
        return fun

    def minibatch_updates(self, X, Y, order, batch_size, update, state, step, batch_costs, *,
                          running_rho_hat=None, rho_hat_decay=0.0, sample_weight=None):
        """Run mini-batch updates of ``self.theta`` in the compiled core (docs/math.md#mini-batch-gradient-descent).

        Parameters
        ----------
        X, Y : ndarray
            From :meth:`training_data`.
        order, batch_size : ndarray of int64, shape (n_order,), and int
            The rows, batch after batch: batch k is ``order[k * batch_size:(k + 1) * batch_size]``.
        update : dict
            ``rule`` ("sgd" or "adam") and its hyperparameters: ``learning_rate``, ``momentum``, ``nesterov``,
            ``beta1``, ``beta2``, ``epsilon``.
        state : (ndarray, ndarray), each shape (n_params,)
            The optimiser's state, updated in place (sgd: the velocity and an unused buffer; adam: the first
            and second moments).
        step, batch_costs : ndarray of int64, shape (1,), and of float64, shape (n_batches,)
            Updates made so far, advanced in place; each batch's cost, written.
        running_rho_hat, rho_hat_decay : ndarray of float64 or None, and float
            The moving-average rho_hat (docs/math.md#moving-average-rho-hat), updated in place (None: each
            batch's own), and its decay.
        sample_weight : ndarray of float64, shape (m,), or None
            One weight per row of X: each batch is its rows' weighted mean; every batch must weigh more than 0.

        Returns
        -------
        updates : int
            The number of batches, unless a batch's cost or gradient was not finite (it stops before its update).
        """
        update = dict(update)
        rule = getattr(_core.UpdateRule, update.pop("rule"))
        cost = self._cost_settings(running_rho_hat=running_rho_hat, rho_hat_decay=rho_hat_decay)
        return self._engine.minibatch_epoch(self._theta, X, Y, order, batch_size, cost,
                                            _core.UpdateParams(rule=rule, **update), state[0], state[1], step,
                                            batch_costs, sample_weight)


def _rebuild(layer_sizes, activations, loss, weight_decay, sparsity, dtype, theta):
    net = Network(layer_sizes, activations, loss, weight_decay, sparsity, dtype, random_state=0)
    net._theta[...] = theta  # as it was, without the setter's finiteness check
    return net

