"""The one-pass chunk sums of a network whose KL penalty is on the first hidden layer only
(``docs/math.md#one-pass-kl-sums``): the twins of the core's ``derivative_sums`` pass and of
``Network.one_pass_sums``, and the KL term that ``Network.combine`` applies to their total. Conventions as in
:mod:`ufldl.reference`; everything stays in the dtype of the inputs.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from ufldl._lib.types import ArrayLike, FloatArray, RowsLike
from ufldl.reference.formulas import activation_derivative, bias_activate, clip_rho_hat, kl_divergence
from ufldl.reference.network import cost_and_grad
from ufldl.reference.sparse_input import layer_gradient, layer_product

__all__ = ["derivative_sums", "one_pass_sums", "one_pass_kl"]


def derivative_sums(A: FloatArray, activation: str,
                    sample_weight: ArrayLike | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``F = w_i f'(A)`` row-wise and the weighted column sums of ``A`` and ``F``: the core's ``derivative_sums``.

    Parameters
    ----------
    A : ndarray, shape (m, n)
        A hidden layer's activations ``f(Z)``.
    activation : {"sigmoid", "tanh", "relu", "identity"}
        Its activation.
    sample_weight : ndarray, shape (m,), optional
        The rows' weights ``w_i`` (None: every row 1).

    Returns
    -------
    F : ndarray, shape (m, n)
        ``f'(Z)`` (from A), row i scaled by ``w_i``.
    activation_sums, derivative_sums : ndarray, shape (n,)
        ``sum_i w_i A[i, :]`` and ``sum_i F[i, :]``.
    """
    A = np.asarray(A)
    F = activation_derivative(activation, A)
    if sample_weight is None:
        return F, A.sum(axis=0), F.sum(axis=0)
    w = np.asarray(sample_weight).astype(A.dtype)
    F = w[:, None] * F
    return F, w @ A, F.sum(axis=0)


def one_pass_sums(weights: Sequence[FloatArray], biases: Sequence[FloatArray], X: RowsLike, Y: RowsLike,
                  activations: Sequence[str], loss: str = "squared",
                  sample_weight: ArrayLike | None = None) -> dict[str, Any]:
    """One chunk's one-pass sums, written with :func:`ufldl.reference.cost_and_grad`: the twin of
    ``Network.one_pass_sums``.

    Parameters
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, at index ``l - 1`` (two layers at
        least: the sums are the first hidden layer's).
    X : ndarray or scipy.sparse matrix, shape (m, n_0)
        The chunk's inputs, one example per row.
    Y : ndarray, shape (m, n_L), or int ndarray, shape (m,)
        Its targets, as :func:`ufldl.reference.cost_and_grad` takes them.
    activations : sequence of str
        One name per weight layer.
    loss : {"squared", "cross_entropy", "binary_cross_entropy"}
        The data term.
    sample_weight : ndarray, shape (m,), optional
        The rows' weights ``w_i``: every sum is weighted, and ``m`` is their sum.

    Returns
    -------
    dict
        ``m``; ``data`` (the data costs summed); ``grad_weights`` and ``grad_biases`` (the data gradient summed,
        no KL term, no decay: lists shaped as ``weights`` and ``biases``); ``activation_sums`` and
        ``derivative_sums`` (shape (n_1,)) and ``derivative_input_sums`` (``F^T X``, shape (n_1, n_0)), with
        ``F = f_1'(Z_1)`` row i scaled by ``w_i``.
    """
    if len(weights) < 2:
        raise ValueError(f"weights must hold two layers at least (the sums are the first hidden layer's); got "
                         f"{len(weights)}")
    m = X.shape[0] if sample_weight is None else float(np.sum(np.asarray(sample_weight, dtype=np.float64)))
    _, grad_weights, grad_biases, terms = cost_and_grad(weights, biases, X, Y, activations, loss,
                                                        sample_weight=sample_weight)
    A1 = bias_activate(layer_product(X, weights[0]), biases[0], activations[0])
    F, activation_sums, derivative_sums_ = derivative_sums(A1, activations[0], sample_weight)
    scale = np.asarray(m, dtype=A1.dtype)  # (the means times m: the sums, in the inputs' dtype)
    return {"m": m, "data": terms["data"] * m, "grad_weights": [g * scale for g in grad_weights],
            "grad_biases": [g * scale for g in grad_biases], "activation_sums": activation_sums,
            "derivative_sums": derivative_sums_, "derivative_input_sums": layer_gradient(X, F)}


def one_pass_kl(activation_sums: FloatArray, derivative_sums: FloatArray, derivative_input_sums: FloatArray,
                m: float, rho: float, beta: float) -> tuple[float, FloatArray, FloatArray]:
    """The first layer's KL cost and gradient from the one-pass sums of ALL the rows (what ``combine`` adds).

    Parameters
    ----------
    activation_sums, derivative_sums : ndarray, shape (n_1,)
        The totals over every chunk.
    derivative_input_sums : ndarray, shape (n_1, n_0)
        The total ``F^T X``.
    m : float
        The rows (or the weights' sum) of the total.
    rho, beta : float
        Sparsity target and weight of the penalty.

    Returns
    -------
    kl : float
        ``beta * sum_j KL(rho || r_j)``, ``r = clip_rho_hat(activation_sums / m)``.
    grad_W1, grad_b1 : ndarray, shapes (n_1, n_0) and (n_1,)
        The KL term's gradient (divided by m): ``k_j F^T X[j, :] / m`` and ``k_j colsum F_j / m`` with
        ``k = beta (-rho / r + (1 - rho) / (1 - r))``.
    """
    rho, beta = float(rho), float(beta)
    r = clip_rho_hat(np.asarray(activation_sums) / m)
    k = beta * (-rho / r + (1 - rho) / (1 - r))
    return (float(beta * np.sum(kl_divergence(rho, r))), k[:, None] * np.asarray(derivative_input_sums) / m,
            k * np.asarray(derivative_sums) / m)
