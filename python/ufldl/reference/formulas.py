"""The per-formula twins of the C++ core's fused passes, and the activations they apply (the optimisers' updates:
:mod:`ufldl.reference.updates`, re-exported here).

Each function here has a twin of the same name in the C++ core (named in its docstring) and follows one formula of
``docs/math.md``; :mod:`ufldl.reference.network` writes the whole cost and gradient with them. Conventions as in
:mod:`ufldl.reference`: one example per row, in the dtype of the inputs.
"""

from typing import Any

import numpy as np

from ufldl._lib.types import ArrayLike, FloatArray
from ufldl.reference.updates import adam_update, sgd_update

__all__ = [
    "ACTIVATIONS", "LOSSES", "output_sigmoid_bce", "activate", "activation_derivative", "check_activation", "sigmoid", "init_scale", "init_weights",
    "bias_activate", "kl_divergence", "clip_rho_hat", "kl_sparsity", "output_squared", "output_softmax_ce",
    "hidden_delta", "sgd_update", "adam_update",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("squared", "cross_entropy", "binary_cross_entropy")

# A sum in the arrays' dtype (a NumPy scalar: numpy.float32 for float32 arrays).
Scalar = np.floating[Any]


# -------------------------------------------------------------------------------------------------- activations


def check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")


def sigmoid(Z: FloatArray) -> FloatArray:
    # 1 / (1 + e^-z) overflows e^-z for z << 0. Both branches only exponentiate -|z| <= 0, and each is the exact
    # formula on its half:  z >= 0: 1 / (1 + e^-z);  z < 0: e^z / (1 + e^z).
    E = np.exp(-np.abs(Z))
    A = np.where(Z >= 0, 1.0, E)
    A /= 1.0 + E
    return A


def _softmax(Z: FloatArray) -> FloatArray:
    # Subtracting the row max makes every exponent <= 0 (no overflow) and leaves the result unchanged.
    E: FloatArray = Z - Z.max(axis=-1, keepdims=True)
    np.exp(E, out=E)
    E /= E.sum(axis=-1, keepdims=True)
    return E


def _log_softmax(Z: FloatArray) -> FloatArray:
    # log a = (z - max) - log(sum exp(z - max)), in the C++'s order: finite even where a rounds to zero.
    shifted: FloatArray = Z - Z.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def activate(name: str, Z: ArrayLike) -> FloatArray:
    """Apply an activation function elementwise (softmax: row-wise, after subtracting the row max).

    ``docs/math.md#activations-and-their-derivatives``; the sigmoid never overflows (``z = +-1000`` give 1 and 0).

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "identity", "softmax"}
    Z : ndarray, shape (m, n)
        Pre-activations, one example per row.
    
    Returns
    -------
    A : ndarray, shape (m, n)
        A new array in the dtype of ``Z``.
    """
    check_activation(name)
    z: FloatArray = np.asarray(Z)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "identity":
        return np.array(z, copy=True)
    return _softmax(z)


def activation_derivative(name: str, A: ArrayLike, Z: ArrayLike | None = None) -> FloatArray:
    """Derivative f'(z) of an activation, written in terms of its output a = f(z).

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "identity"}
        Not softmax (ValueError): its Jacobian is not elementwise, and as the output of a cross-entropy loss
        ``D_L = (A_L - Y) / m`` needs none.
    A : ndarray, shape (m, n)
        The output ``f(Z)``.
    Z : ndarray, optional
        Unused (relu's ``z > 0`` is ``a > 0``); accepted so callers can pass it uniformly.

    Returns
    -------
    fprime : ndarray, shape (m, n)
        ``a (1 - a)`` (sigmoid), ``1 - a^2`` (tanh), ``1 if a > 0 else 0`` (relu), ``1`` (identity).
    """
    check_activation(name)
    a: FloatArray = np.asarray(A)
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "identity":
        return np.ones_like(a)
    raise ValueError("activation_derivative: softmax has no elementwise derivative; expected it only as the output "
                     "layer with loss='cross_entropy', got name='softmax'")


# ----------------------------------------------------------------------------- initial weights and forward pass


def init_scale(n_in: int, n_out: int) -> float:
    """The half-width ``r = sqrt(6) / sqrt(n_in + n_out + 1)`` of the tutorial's initial weights of one layer,
    ``docs/math.md#initialisation``.

    Parameters
    ----------
    n_in, n_out : int
        The layer's input and output sizes.

    Returns
    -------
    float
        ``r``.
    """
    r: float = np.sqrt(6.0) / np.sqrt(n_in + n_out + 1)  # a numpy.float64
    return r


def init_weights(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The tutorial's initial weights of one layer, ``docs/math.md#initialisation`` (twin: ``Network.initialize``).

    One ``rng.uniform(-r, r, size=(n_out, n_in))`` call with ``r = sqrt(6) / sqrt(n_in + n_out + 1)``, in float64
    (cast afterwards, so a seed gives the same network in every dtype).

    Parameters
    ----------
    n_in, n_out : int
        The layer's input and output sizes.
    rng : numpy.random.Generator
        The source of the one ``uniform`` call.

    Returns
    -------
    W : ndarray of float64, shape (n_out, n_in)
        ``W_l``, entries in ``[-r, r)``.
    """
    r = init_scale(n_in, n_out)
    return rng.uniform(-r, r, size=(n_out, n_in))


def bias_activate(Z: ArrayLike, b: FloatArray, activation: str) -> FloatArray:
    """The forward pass's fused bias and activation ``A = f(Z + b)``, ``docs/math.md#forward-pass``.

    C++ twin ``bias_activate`` (cpp/src/elementwise_impl.hpp) works in place and, on a sparse layer, sums the
    columns of ``A`` in double on the way: here ``A.sum(axis=0)``, the ``act_sum`` of :func:`kl_sparsity`.

    Parameters
    ----------
    Z : ndarray, shape (m, n)
        ``A_{l-1} W_l^T``, without the bias.
    b : ndarray, shape (n,)
        The layer's bias, added to every row.
    activation : str
        One name from :data:`ACTIVATIONS`.

    Returns
    -------
    A : ndarray, shape (m, n)
        The layer's activations, in the dtype of ``Z``.
    """
    return activate(activation, np.asarray(Z) + b)


# ----------------------------------------------------------------------------------------- the sparsity penalty


def kl_divergence(rho: float, rho_hat: ArrayLike) -> FloatArray:
    """``KL(rho || r) = rho log(rho / r) + (1 - rho) log((1 - rho) / (1 - r))`` elementwise over ``r = rho_hat``.

    Infinite at ``r`` = 0 and 1: pass ``rho_hat`` (an ndarray of shape (n,)) through :func:`clip_rho_hat` first.

    Parameters
    ----------
    rho : float
        The sparsity target, ``0 < rho < 1``.
    rho_hat : ndarray, shape (n,)
        Mean activations, clipped.

    Returns
    -------
    ndarray, shape (n,)
        ``KL(rho || rho_hat_j)`` for every unit j.
    """
    rho_hat = np.asarray(rho_hat)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def clip_rho_hat(rho_hat: ArrayLike) -> FloatArray:
    """Clip mean activations (shape (n,)) into ``[eps, 1 - eps]``, eps the machine epsilon of their dtype.

    ``docs/math.md#rho-hat-clipping``: saturated sigmoid units give ``rho_hat`` of exactly 0 or 1, where the KL
    divergence and its derivative are infinite. The same clipped value goes into the cost and the deltas, so they
    stay consistent; inside ``(eps, 1 - eps)`` the clip changes nothing.

    Parameters
    ----------
    rho_hat : ndarray, shape (n,)
        Mean activations of a layer's units.

    Returns
    -------
    ndarray, shape (n,)
        ``rho_hat`` clipped into ``[eps, 1 - eps]``, in its dtype.
    """
    r: FloatArray = np.asarray(rho_hat)
    eps = np.finfo(r.dtype).eps
    return np.clip(r, eps, 1 - eps)


def kl_sparsity(act_sum: ArrayLike, m: int, rho: float, beta: float) -> tuple[Scalar, FloatArray, FloatArray]:
    """The KL penalty of one hidden layer from its column sums, ``docs/math.md#sparsity-penalty``.

    C++ twin ``kl_sparsity`` (cpp/src/sparsity.cpp) gets the sums in double and clips with the network dtype's
    eps; here both follow the dtype of ``act_sum``.

    Parameters
    ----------
    act_sum : ndarray, shape (n,)
        ``A_l.sum(axis=0)`` over m rows.
    m : int
        The number of rows summed.
    rho, beta : float
        Sparsity target (``0 < rho < 1``) and weight of the penalty.

    Returns
    -------
    cost : scalar
        ``beta * sum_j KL(rho || r_j)``, ``r = clip_rho_hat(rho_hat)``.
    rho_hat : ndarray, shape (n,)
        ``act_sum / m``, unclipped, as the C++ stores it.
    s : ndarray, shape (n,)
        ``beta * (-rho / r + (1 - rho) / (1 - r)) / m``, what :func:`hidden_delta` adds to every row.
    """
    rho, beta = float(rho), float(beta)
    rho_hat = np.asarray(act_sum) / m
    r = clip_rho_hat(rho_hat)
    return beta * np.sum(kl_divergence(rho, r)), rho_hat, beta * (-rho / r + (1 - rho) / (1 - r)) / m


# ----------------------------------------------------------------------------- output layer and backpropagation


def output_squared(Z: ArrayLike, Y: FloatArray, b: FloatArray, activation: str,
                   inv_m: float | FloatArray) -> tuple[Scalar, FloatArray, FloatArray]:
    """The output layer's fused squared-error pass, ``docs/math.md#squared-error``.

    C++ twin ``output_squared`` (cpp/src/elementwise_impl.hpp) writes ``D`` over ``Z`` and sums in double.

    Parameters
    ----------
    Z, Y : ndarray, shape (m, n_L)
        ``A_{L-1} W_L^T`` (without the bias) and the targets.
    b : ndarray, shape (n_L,)
        The output layer's bias.
    activation : str
        Not softmax.
    inv_m : float
        ``1 / m`` of the whole batch.

    Returns
    -------
    cost_sum : scalar
        ``0.5 * sum_ik (a_ik - y_ik)^2`` for ``A = f(Z + b)``, not divided by m.
    D, db : ndarray, shape (m, n_L) and (n_L,)
        ``D_L = (A - Y) * f'(A) * inv_m`` and its column sums, the gradient of ``b_L``.
    """
    A = bias_activate(Z, b, activation)
    diff = A - Y
    D = diff * activation_derivative(activation, A) * inv_m
    return 0.5 * np.sum(diff * diff), D, D.sum(axis=0)


def output_softmax_ce(Z: ArrayLike, Y: ArrayLike, b: FloatArray,
                      inv_m: float | FloatArray) -> tuple[Scalar, FloatArray, FloatArray]:
    """The output layer's fused softmax and cross-entropy pass, ``docs/math.md#softmax-and-cross-entropy``.

    C++ twin: ``output_softmax_ce`` (cpp/src/elementwise_impl.hpp).

    Parameters
    ----------
    Z : ndarray, shape (m, n_L)
        ``A_{L-1} W_L^T``, without the bias, as in :func:`output_squared`.
    Y : ndarray, shape (m, n_L), or int ndarray, shape (m,)
        Target distributions, or class labels in ``[0, n_L)`` standing for one-hot rows (not checked here).
    b : ndarray, shape (n_L,)
        The output layer's bias, as in :func:`output_squared`.
    inv_m : float
        ``1 / m`` of the whole batch, as in :func:`output_squared`.

    Returns
    -------
    cost_sum : scalar
        ``-sum_ik y_ik log a_ik``, not divided by m, with ``log a = (z - max) - log sum_j exp(z_j - max)`` row by
        row for ``z = Z + b``; a zero target adds nothing (``0 log 0 = 0``).
    D, db : ndarray, shape (m, n_L) and (n_L,)
        ``D_L = (A - Y) * inv_m`` with ``A = exp(log a)``, and its column sums.
    """
    logp = _log_softmax(np.asarray(Z) + b)
    Y = np.asarray(Y)
    if Y.ndim == 1:  # labels: y_ik = [k == Y_i]
        rows = np.arange(Y.shape[0])
        D = np.exp(logp) * inv_m
        D[rows, Y] -= inv_m
        return -np.sum(logp[rows, Y]), D, D.sum(axis=0)
    D = (np.exp(logp) - Y) * inv_m
    return -np.sum(Y * logp, where=Y != 0), D, D.sum(axis=0)


def output_sigmoid_bce(Z: ArrayLike, Y: ArrayLike, b: FloatArray,
                       inv_m: float | FloatArray) -> tuple[Scalar, FloatArray, FloatArray]:
    """The output layer's fused sigmoid and binary cross-entropy pass,
    ``docs/math.md#sigmoid-outputs-with-binary-cross-entropy``.

    C++ twin: ``output_sigmoid_bce`` (cpp/src/elementwise_impl.hpp).

    Parameters
    ----------
    Z : ndarray, shape (m, n_L)
        ``A_{L-1} W_L^T``, without the bias, as in :func:`output_squared`.
    Y : ndarray, shape (m, n_L)
        Targets in [0, 1] (0/1 for multilabel classification), one per output unit.
    b : ndarray, shape (n_L,)
        The output layer's bias, as in :func:`output_squared`.
    inv_m : float
        ``1 / m`` of the whole batch, as in :func:`output_squared`.

    Returns
    -------
    cost_sum : scalar
        ``sum_ik softplus(z_ik) - y_ik z_ik = -sum_ik y_ik log a_ik + (1 - y_ik) log(1 - a_ik)`` for
        ``z = Z + b``, ``a = sigmoid(z)``, not divided by m; written with ``np.logaddexp(0, z)`` so that it stays
        finite where ``a`` rounds to 0 or 1.
    D, db : ndarray, shape (m, n_L) and (n_L,)
        ``D_L = (A - Y) * inv_m`` and its column sums.
    """
    z = np.asarray(Z) + b
    Y = np.asarray(Y)
    cost = np.sum(np.logaddexp(0.0, z.astype(np.float64)) - Y.astype(np.float64) * z)
    D = (sigmoid(z) - Y) * inv_m
    return cost, D, D.sum(axis=0)


def hidden_delta(A: FloatArray, P: FloatArray, s: FloatArray | None, activation: str) -> FloatArray:
    """A hidden layer's delta ``D_l = (P + s) * f'(A_l)``, ``docs/math.md#gradient-by-backpropagation``.

    C++ twin ``hidden_delta`` (cpp/src/elementwise_impl.hpp) writes ``D`` over ``A`` and sums its columns.

    Parameters
    ----------
    A, P : ndarray, shape (m, n)
        The layer's activations ``A_l`` (f' is written in terms of them) and ``D_{l+1} W_{l+1}``.
    s : ndarray, shape (n,), or None
        :func:`kl_sparsity`'s ``s``, added to every row; None on a layer without the penalty.
    activation : str
        Not softmax.

    Returns
    -------
    D : ndarray, shape (m, n)
        The layer's error terms ``D_l``.
    """
    return (P if s is None else P + s) * activation_derivative(activation, A)
