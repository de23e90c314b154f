"""The whole network in plain NumPy: initial parameters, the forward pass, the cost and its gradient by
backpropagation (written with the per-formula twins of :mod:`ufldl.reference.formulas`), and the tutorial's
``sparseAutoencoderCost`` written out directly as a second, independent oracle. Conventions as in
:mod:`ufldl.reference`.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse

from ufldl._lib.types import ArrayLike, DTypeLike, Float64Array, FloatArray, RowsLike, WeightDecay
from ufldl.reference.formulas import (LOSSES, bias_activate, check_activation, clip_rho_hat, hidden_delta,
                                      init_weights, kl_sparsity, output_sigmoid_bce, output_softmax_ce, output_squared,
                                      Scalar, sigmoid)
from ufldl.reference.sparse_input import layer_gradient, layer_product

__all__ = ["init_params", "forward", "cost_and_grad", "sparse_autoencoder_cost"]


# ---------------------------------------------------------------------------------- parameters and forward pass


def init_params(layer_sizes: Sequence[int], rng: np.random.Generator,
                dtype: DTypeLike = np.float64) -> tuple[list[FloatArray], list[FloatArray]]:
    """The tutorial's initialisation: :func:`init_weights` layer by layer (``W_1`` first), zero biases.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_0, n_1, ..., n_L)``, input size first.
    rng : numpy.random.Generator
        The source of the weights, drawn layer by layer.
    dtype : dtype, default float64
        The dtype of the arrays returned (the weights are drawn in float64, then cast).

    Returns
    -------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and zeros ``b_l`` of shape ``(n_l,)``, at index ``l - 1``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes must hold at least two positive sizes; got {tuple(layer_sizes)}")
    weights = [init_weights(n_in, n_out, rng).astype(dtype, copy=False) for n_in, n_out in zip(sizes, sizes[1:])]
    return weights, [np.zeros(n, dtype=dtype) for n in sizes[1:]]


def _check_network(weights: Sequence[FloatArray], biases: Sequence[FloatArray], activations: Sequence[str]) -> None:
    if len(weights) == 0:
        raise ValueError("weights must hold at least one layer; got 0")
    if len(biases) != len(weights) or len(activations) != len(weights):
        raise ValueError(f"expected one bias and one activation per weight layer ({len(weights)}); "
                         f"got {len(biases)} biases and {len(activations)} activations")
    for name in activations:
        check_activation(name)


def forward(weights: Sequence[FloatArray], biases: Sequence[FloatArray], activations: Sequence[str],
            X: RowsLike) -> list[FloatArray]:
    """Forward pass through the whole network, :func:`bias_activate` layer by layer.

    Parameters
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, at index ``l - 1``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    X : ndarray or scipy.sparse matrix, shape (m, n_0)
        The inputs, one example per row.

    Returns
    -------
    A : list of ndarray
        ``[A_0 = X, A_1, ..., A_L]``, ``A_l`` of shape ``(m, n_l)`` (``A_0`` sparse when X is).
    """
    _check_network(weights, biases, activations)
    A: list[Any] = [X if scipy.sparse.issparse(X) else np.asarray(X)]  # A_0 sparse when X is
    for W, b, name in zip(weights, biases, activations):
        A.append(bias_activate(layer_product(A[-1], W), b, name))
    return A


# -------------------------------------------------------------------------------------------- cost and gradient


def _check_cost_args(weights: Sequence[FloatArray], biases: Sequence[FloatArray], X: RowsLike, Y: RowsLike,
                     activations: Sequence[str], loss: str, weight_decay: WeightDecay, sparsity_layers: Iterable[int],
                     rho: float, beta: float) -> tuple[RowsLike, Any, float, float, list[float], list[int]]:
    """cost_and_grad's checks; returns X, Y, rho, beta, one lambda per weight layer and the sorted sparse layers."""
    _check_network(weights, biases, activations)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if loss == "cross_entropy" and activations[-1] != "softmax":
        raise ValueError(f"loss='cross_entropy' expects the last activation to be 'softmax'; got {activations[-1]!r}")
    if loss == "binary_cross_entropy" and activations[-1] != "sigmoid":
        raise ValueError(f"loss='binary_cross_entropy' expects the last activation to be 'sigmoid'; got "
                         f"{activations[-1]!r}")
    rho, beta = float(rho), float(beta)  # Python floats: float32 arrays stay float32 (NumPy scalars would promote)
    n_layers = len(weights)
    lambdas: Any = weight_decay  # one number or a sequence: np.ndim tells which
    decays = [float(lambdas)] * n_layers if np.ndim(lambdas) == 0 else [float(d) for d in lambdas]
    if len(decays) != n_layers:
        raise ValueError(f"weight_decay must be one number or one per weight layer ({n_layers}); got {len(decays)}")
    sparse = sorted({int(l) for l in sparsity_layers})
    if sparse and not (1 <= sparse[0] and sparse[-1] <= n_layers - 1):
        raise ValueError(f"sparsity_layers must be hidden layers in 1..{n_layers - 1}; got {tuple(sparsity_layers)}")
    if sparse and not 0 < rho < 1:
        raise ValueError(f"rho must lie in (0, 1); got {rho}")
    X = X if scipy.sparse.issparse(X) else np.asarray(X)  # sparse X: its own products (sparse_input.py)
    Y = cast(Any, Y).toarray() if scipy.sparse.issparse(Y) else np.asarray(Y)  # (SciPy's stubs: no toarray)
    m, shape = X.shape[0], (X.shape[0], weights[-1].shape[0])
    if loss in ("squared", "binary_cross_entropy"):
        if Y.shape != shape:
            raise ValueError(f"Y must have shape {shape}; got {Y.shape}")
    elif Y.ndim == 1 and Y.shape[0] == m and np.issubdtype(Y.dtype, np.integer):
        if Y.size and (Y.min() < 0 or Y.max() >= shape[1]):
            raise ValueError(f"Y: integer labels must lie in [0, {shape[1]}); got values in [{Y.min()}, {Y.max()}]")
    elif Y.shape != shape:
        raise ValueError(f"Y must have shape {shape} (distributions) or ({m},) (integer labels); got shape {Y.shape} "
                         f"of dtype {Y.dtype}")
    return X, Y, rho, beta, decays, sparse


def _row_losses(Z_L: FloatArray, Y: FloatArray, b: FloatArray, activation: str, loss: str) -> FloatArray:
    """Each example's data cost (shape (m,)), for the weighted mean of ``docs/math.md#sample-weights``."""
    z = np.asarray(Z_L) + b
    losses: FloatArray
    if loss == "squared":
        diff = bias_activate(Z_L, b, activation) - Y
        losses = 0.5 * np.sum(diff * diff, axis=1)
    elif loss == "binary_cross_entropy":
        losses = np.sum(np.logaddexp(0.0, z.astype(np.float64)) - Y.astype(np.float64) * z, axis=1)
    else:
        logp = z - z.max(axis=1, keepdims=True)
        logp = logp - np.log(np.sum(np.exp(logp), axis=1, keepdims=True))
        losses = -np.sum(Y * logp, axis=1, where=Y != 0)
    return losses


def _weighted_output(Z_L: FloatArray, Y: Any, b: FloatArray, activation: str, loss: str,
                     weights: Float64Array) -> tuple[float, FloatArray]:
    """The output pass with weights: the weighted mean of the examples' costs, ``D_L`` row i scaled by w_i / W."""
    share = weights / weights.sum()  # w_i / W, in place of 1 / m
    if Y.ndim == 1:  # labels as one-hot rows
        Y = np.eye(Z_L.shape[1], dtype=Z_L.dtype)[Y]
    if loss == "squared":
        _, D, _ = output_squared(Z_L, Y, b, activation, share[:, None].astype(Z_L.dtype))
    elif loss == "binary_cross_entropy":
        _, D, _ = output_sigmoid_bce(Z_L, Y, b, share[:, None].astype(Z_L.dtype))
    else:
        _, D, _ = output_softmax_ce(Z_L, Y, b, share[:, None].astype(Z_L.dtype))
    return float(share @ _row_losses(Z_L, Y, b, activation, loss)), D


def _checked_weights(sample_weight: ArrayLike, m: int) -> Float64Array:
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (m,) or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(f"sample_weight must be {m} finite weights >= 0 with a positive sum; got shape {w.shape}")
    return w


def cost_and_grad(weights: Sequence[FloatArray], biases: Sequence[FloatArray], X: RowsLike, Y: RowsLike,
                  activations: Sequence[str], loss: str = "squared", weight_decay: WeightDecay = 0.0,
                  sparsity_layers: Iterable[int] = (), rho: float = 0.01, beta: float = 3.0,
                  sample_weight: ArrayLike | None = None
                  ) -> tuple[float, list[FloatArray], list[FloatArray], dict[str, float]]:
    """Cost J = J_data + J_decay + J_sparse and its gradient by backpropagation, ``docs/math.md#cost``.

    Parameters
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, at index ``l - 1``.
    X : ndarray or scipy.sparse matrix, shape (m, n_0)
        The inputs, one example per row. A sparse X enters only the first layer's two products (``docs/math.md#sparse-input``).
    Y : ndarray or scipy.sparse matrix, shape (m, n_L), or int ndarray, shape (m,)
        Targets (``Y = X`` for an autoencoder); with ``loss="cross_entropy"`` target distributions or integer
        class labels in ``[0, n_L)``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    loss : {"squared", "cross_entropy", "binary_cross_entropy"}
        ``"squared"``: ``J_data = (1/m) sum_i 0.5 ||a_L(i) - y(i)||^2``. ``"cross_entropy"``:
        ``J_data = -(1/m) sum_ik y_ik log a_ik``, the last activation ``"softmax"``, ``log a`` a log-softmax.
        ``"binary_cross_entropy"``: ``J_data = -(1/m) sum_ik y_ik log a_ik + (1 - y_ik) log(1 - a_ik)``, the
        last activation ``"sigmoid"`` (one independent probability per output: multilabel targets).
    weight_decay : float or sequence of float, default 0
        The lambda in ``J_decay = (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed, not divided by m), or one
        lambda_l per weight layer: ``J_decay = sum_l (lambda_l / 2) ||W_l||_F^2``.
    sparsity_layers : sequence of int, default ()
        Hidden layers ``l`` in ``1..L-1`` whose ``A_l`` carry ``beta sum_j KL(rho || rho_hat_j)``, ``rho_hat`` the
        column means of ``A_l``, clipped by :func:`clip_rho_hat`.
    rho, beta : float, default 0.01 and 3
        Sparsity target (``0 < rho < 1``) and weight of the penalty.
    sample_weight : ndarray, shape (m,), or None
        Weights ``w_i >= 0`` (positive sum), ``docs/math.md#sample-weights``: ``J_data`` is the weighted mean of
        the examples' costs and ``rho_hat`` the weighted mean activation, written out here as weighted means
        (``w_i / W``), not as the core's row scales.

    Returns
    -------
    cost : float
        ``terms["data"] + terms["decay"] + terms["sparsity"]``.
    grad_weights, grad_biases : list of ndarray
        ``dJ/dW_l`` and ``dJ/db_l``, shapes as ``weights`` and ``biases``.
    terms : dict
        ``{"data": float, "decay": float, "sparsity": float}``.
    """
    X, Y, rho, beta, decays, sparse = _check_cost_args(weights, biases, X, Y, activations, loss, weight_decay,
                                                       sparsity_layers, rho, beta)
    m, n_layers = X.shape[0], len(weights)
    inv_m = 1.0 / m if m else math.inf
    A = [X]  # forward through the hidden layers; the output pass adds b_L and applies f_L itself
    for W, b, name in zip(weights[:-1], biases[:-1], activations[:-1]):
        A.append(bias_activate(layer_product(A[-1], W), b, name))
    Z_L = layer_product(A[-1], weights[-1])
    w = None if sample_weight is None else _checked_weights(sample_weight, m)
    data: float | Scalar
    if w is not None:
        data, D = _weighted_output(Z_L, Y, biases[-1], activations[-1], loss, w)
        data *= m  # (divided by m below, as the unweighted sum)
        db = D.sum(axis=0)
    elif loss == "squared":
        data, D, db = output_squared(Z_L, Y, biases[-1], activations[-1], inv_m)
    elif loss == "binary_cross_entropy":
        data, D, db = output_sigmoid_bce(Z_L, Y, biases[-1], inv_m)
    else:
        data, D, db = output_softmax_ce(Z_L, Y, biases[-1], inv_m)
    decay = sum(0.5 * lam * np.sum(W * W) for lam, W in zip(decays, weights))
    sparsity, s = 0.0, dict[int, FloatArray]()  # s[l]: the sparsity term of hidden layer l, 1/m included
    for l in sparse:
        if w is None:
            kl, _, s[l] = kl_sparsity(A[l].sum(axis=0), m, rho, beta)
        else:  # rho_hat = (1/W) sum_i w_i a_i; d rho_hat / d a_i = w_i / W, so row i gets s * m w_i / W
            kl, _, s_l = kl_sparsity(((w @ A[l]) * (m / w.sum())).astype(A[l].dtype), m, rho, beta)
            s[l] = (w * (m / w.sum()))[:, None].astype(A[l].dtype) * s_l
        sparsity += float(kl)

    # Backpropagate: D and db hold D_l and its column sums while computing the gradients of layer l.
    grad_weights: list[Any] = [None] * n_layers  # each filled below
    grad_biases: list[Any] = [None] * n_layers
    for l in range(n_layers, 0, -1):
        grad_weights[l - 1] = layer_gradient(A[l - 1], D) + decays[l - 1] * weights[l - 1]
        grad_biases[l - 1] = db
        if l > 1:  # D_{l-1} = (D_l W_l + s_{l-1}) * f'_{l-1}
            D = hidden_delta(A[l - 1], D @ weights[l - 1], s.get(l - 1), activations[l - 2])
            db = D.sum(axis=0)
    terms = {"data": float(data / m), "decay": float(decay), "sparsity": sparsity}
    return terms["data"] + terms["decay"] + terms["sparsity"], grad_weights, grad_biases, terms


def sparse_autoencoder_cost(W1: FloatArray, W2: FloatArray, b1: FloatArray, b2: FloatArray, X: ArrayLike,
                            weight_decay: float, rho: float, beta: float
                            ) -> tuple[float, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
    """The tutorial's ``sparseAutoencoderCost``, written out directly: a second oracle, independent of the above.

    For the one-hidden-layer sigmoid-sigmoid autoencoder with ``Y = X``. Like the tutorial it works on
    ``data = X^T``, one example per column, and divides by m at the end instead of folding it into the deltas.

    Parameters
    ----------
    W1, W2 : ndarray, shapes (n_hidden, n_visible) and (n_visible, n_hidden)
        The encoder's and the decoder's weights.
    b1, b2 : ndarray, shapes (n_hidden,) and (n_visible,)
        Their biases.
    X : ndarray, shape (m, n_visible)
        Inputs, one example per row; also the targets.
    weight_decay, rho, beta : float
        The tutorial's lambda (``(lambda / 2)(||W1||^2 + ||W2||^2)``, not divided by m), ``sparsityParam`` and
        beta.

    Returns
    -------
    cost : float
        The tutorial's J.
    grads : tuple of ndarray
        ``(W1grad, W2grad, b1grad, b2grad)``, shapes as the parameters.
    """
    weight_decay, rho, beta = float(weight_decay), float(rho), float(beta)
    data = np.asarray(X).T
    m = data.shape[1]

    # Forward pass, one column per example.
    a2 = sigmoid(W1 @ data + b1[:, None])
    a3 = sigmoid(W2 @ a2 + b2[:, None])
    rho_hat = clip_rho_hat(a2.mean(axis=1))
    squared_error = 0.5 * np.sum((a3 - data) ** 2) / m
    decay = 0.5 * weight_decay * (np.sum(W1**2) + np.sum(W2**2))
    kl = beta * np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    cost = float(squared_error) + float(decay) + float(kl)

    # Backward pass, as in the tutorial's notes.
    delta3 = -(data - a3) * a3 * (1 - a3)
    sparsity_delta = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    delta2 = (W2.T @ delta3 + sparsity_delta[:, None]) * a2 * (1 - a2)
    W1grad = delta2 @ data.T / m + weight_decay * W1
    W2grad = delta3 @ a2.T / m + weight_decay * W2
    return cost, (W1grad, W2grad, delta2.sum(axis=1) / m, delta3.sum(axis=1) / m)
