"""Plain NumPy implementation of ``shared/spec/math.md``.

This module is the oracle the compiled core is tested against and the NumPy
baseline it is benchmarked against, so it favours being readable next to the
UFLDL tutorial over being clever. Everything is vectorised over the batch and
stays in the dtype of its inputs (float32 in, float32 out).

Conventions (the spec's):

* one example per row: ``X`` is ``(m, n_0)``, ``A_l`` is ``(m, n_l)``;
* ``W_l`` is ``(n_l, n_{l-1})`` (row i = incoming weights of unit i, the
  tutorial's orientation) and ``b_l`` is ``(n_l,)``;
* ``Z_l = A_{l-1} W_l^T + b_l`` and ``A_l = f_l(Z_l)``;
* ``weights[l - 1]`` is ``W_l``: Python lists are 0-based, layers are 1-based.

Weight decay is ``(lambda / 2) * sum_l ||W_l||_F^2`` and is *not* divided by
``m``; scikit-learn's MLP ``alpha`` corresponds to ``lambda = alpha / m`` with L-BFGS (``alpha / batch_size``
with its mini-batch solvers).
"""

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "activate",
    "activation_derivative",
    "init_params",
    "forward",
    "kl_divergence",
    "clip_rho_hat",
    "cost_and_grad",
    "sparse_autoencoder_cost",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("squared", "cross_entropy")


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------


def _check_activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")


def _sigmoid(Z):
    # 1 / (1 + e^-z) overflows e^-z for z << 0. Both branches below only ever
    # exponentiate -|z| <= 0, and each is the exact formula on its half:
    #   z >= 0:  1   / (1 + e^-z)
    #   z <  0:  e^z / (1 + e^z)
    E = np.exp(-np.abs(Z))
    A = np.where(Z >= 0, 1.0, E)
    A /= 1.0 + E
    return A


def _softmax(Z):
    # Subtracting the row max makes every exponent <= 0 (no overflow) and
    # leaves the result unchanged.
    E = Z - Z.max(axis=-1, keepdims=True)
    np.exp(E, out=E)
    E /= E.sum(axis=-1, keepdims=True)
    return E


def _log_softmax(Z):
    # log a = z - max - log(sum exp(z - max)): finite even where the
    # probability itself rounds to zero, so the cross-entropy never sees log(0).
    shifted = Z - Z.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def activate(name, Z):
    """Apply an activation function elementwise (softmax: row-wise).

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "identity", "softmax"}
        The activation.
    Z : ndarray, shape (m, n)
        Pre-activations, one example per row. Softmax normalises over the
        last axis.

    Returns
    -------
    A : ndarray, shape (m, n)
        A new array in the dtype of ``Z``. The sigmoid never overflows
        (``z = +-1000`` give exactly 1 and 0); softmax subtracts the row max.
    """
    _check_activation(name)
    Z = np.asarray(Z)
    if name == "sigmoid":
        return _sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0)
    if name == "identity":
        return np.array(Z, copy=True)
    return _softmax(Z)


def activation_derivative(name, A, Z=None):
    """Derivative f'(z) of an activation, written in terms of its output a = f(z).

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "identity"}
        The activation.
    A : ndarray, shape (m, n)
        The activation's output ``f(Z)``.
    Z : ndarray, shape (m, n), optional
        Unused: every supported derivative is a function of ``A`` (relu's
        ``z > 0`` is ``a > 0``). Accepted so callers can pass it uniformly.

    Returns
    -------
    fprime : ndarray, shape (m, n)
        ``a (1 - a)`` for sigmoid, ``1 - a^2`` for tanh, ``1 if a > 0 else 0``
        for relu, ``1`` for identity; in the dtype of ``A``.

    Raises
    ------
    ValueError
        For softmax, whose Jacobian is not elementwise: it is only used as the
        output of a cross-entropy loss, where ``D_L = (A_L - Y) / m`` needs no
        derivative.
    """
    _check_activation(name)
    A = np.asarray(A)
    if name == "sigmoid":
        return A * (1 - A)
    if name == "tanh":
        return 1 - A * A
    if name == "relu":
        return (A > 0).astype(A.dtype)
    if name == "identity":
        return np.ones_like(A)
    raise ValueError(
        "activation_derivative: softmax has no elementwise derivative; expected it "
        "only as the output layer with loss='cross_entropy', got name='softmax'"
    )


# --------------------------------------------------------------------------
# Parameters and forward pass
# --------------------------------------------------------------------------


def init_params(layer_sizes, rng, dtype=np.float64):
    """The tutorial's initialisation: uniform weights, zero biases.

    Parameters
    ----------
    layer_sizes : sequence of int, length L + 1
        ``(n_0, n_1, ..., n_L)``, input size first.
    rng : numpy.random.Generator
        Source of randomness. Weights are drawn layer by layer, in order, as
        float64 and then cast, so a seed gives the same network in every dtype
        and on every machine.
    dtype : dtype, default float64
        dtype of the returned arrays.

    Returns
    -------
    weights : list of ndarray
        ``weights[l - 1]`` is ``W_l`` of shape ``(n_l, n_{l-1})``, drawn from
        ``Uniform(-r, r)`` with ``r = sqrt(6) / sqrt(n_{l-1} + n_l + 1)``.
    biases : list of ndarray
        ``biases[l - 1]`` is ``b_l``, zeros of shape ``(n_l,)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"layer_sizes must hold at least two positive sizes; got {tuple(layer_sizes)}"
        )
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        r = np.sqrt(6.0) / np.sqrt(n_in + n_out + 1)
        W = rng.uniform(-r, r, size=(n_out, n_in))
        weights.append(W.astype(dtype, copy=False))
        biases.append(np.zeros(n_out, dtype=dtype))
    return weights, biases


def _check_network(weights, biases, activations):
    if len(weights) == 0:
        raise ValueError("weights must hold at least one layer; got 0")
    if len(biases) != len(weights) or len(activations) != len(weights):
        raise ValueError(
            f"expected one bias and one activation per weight layer ({len(weights)}); "
            f"got {len(biases)} biases and {len(activations)} activations"
        )
    for name in activations:
        _check_activation(name)


def _forward(weights, biases, activations, X):
    """Forward pass that also returns Z_L (the cross-entropy needs it)."""
    A = [X]
    Z = None
    for W, b, name in zip(weights, biases, activations):
        Z = A[-1] @ W.T
        Z += b  # in place: b broadcast over rows, no temporary
        A.append(activate(name, Z))
    return A, Z


def forward(weights, biases, activations, X):
    """Forward pass through the whole network.

    Parameters
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is ``W_l``, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is ``b_l``, shape ``(n_l,)``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    X : ndarray, shape (m, n_0)
        Inputs, one example per row.

    Returns
    -------
    A : list of ndarray, length L + 1
        ``[A_0 = X, A_1, ..., A_L]`` with ``A_l`` of shape ``(m, n_l)``.
    """
    _check_network(weights, biases, activations)
    A, _ = _forward(weights, biases, activations, np.asarray(X))
    return A


# --------------------------------------------------------------------------
# Sparsity penalty
# --------------------------------------------------------------------------


def kl_divergence(rho, rho_hat):
    """KL divergence between Bernoulli(rho) and Bernoulli(rho_hat), elementwise.

    ``KL(rho || r) = rho log(rho / r) + (1 - rho) log((1 - rho) / (1 - r))``.

    Parameters
    ----------
    rho : float
        Sparsity target, ``0 < rho < 1``.
    rho_hat : ndarray, shape (n,)
        Mean activations. Pass them through :func:`clip_rho_hat` first: the
        divergence is infinite at ``rho_hat`` = 0 or 1.

    Returns
    -------
    kl : ndarray, shape (n,)
    """
    rho_hat = np.asarray(rho_hat)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def clip_rho_hat(rho_hat):
    """Clip mean activations into ``[eps, 1 - eps]``, ``eps`` the dtype's machine epsilon.

    Saturated sigmoid units give ``rho_hat`` of exactly 0 or 1 (in floating
    point, not in exact arithmetic), where the true KL divergence and its
    derivative are infinite. The clip keeps both finite. The same clipped value
    is used in the KL cost and in the sparsity term of the hidden deltas,
    ``beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))``, so cost and
    gradient stay consistent with each other; inside ``(eps, 1 - eps)`` the clip
    changes nothing.

    Parameters
    ----------
    rho_hat : ndarray of floating dtype, shape (n,)

    Returns
    -------
    clipped : ndarray, shape (n,), same dtype
    """
    rho_hat = np.asarray(rho_hat)
    eps = np.finfo(rho_hat.dtype).eps
    return np.clip(rho_hat, eps, 1 - eps)


def _sparsity_delta(rho, rho_hat, beta):
    # d/d(rho_hat) of beta * KL(rho || rho_hat); rho_hat already clipped.
    return beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))


# --------------------------------------------------------------------------
# Cost and gradient
# --------------------------------------------------------------------------


def _one_hot(labels, n_classes, dtype):
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"Y: integer labels must lie in [0, {n_classes}); "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    Y = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def cost_and_grad(
    weights,
    biases,
    X,
    Y,
    activations,
    loss="squared",
    weight_decay=0.0,
    sparsity_layers=(),
    rho=0.01,
    beta=3.0,
):
    """Cost J = J_data + J_decay + J_sparse and its gradient by backpropagation.

    Parameters
    ----------
    weights : list of ndarray
        ``weights[l - 1]`` is ``W_l``, shape ``(n_l, n_{l-1})``.
    biases : list of ndarray
        ``biases[l - 1]`` is ``b_l``, shape ``(n_l,)``.
    X : ndarray, shape (m, n_0)
        Inputs, one example per row.
    Y : ndarray, shape (m, n_L), or integer ndarray, shape (m,)
        Targets (``Y = X`` for an autoencoder). With ``loss="cross_entropy"``
        either target distributions or integer class labels in ``[0, n_L)``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    loss : {"squared", "cross_entropy"}
        ``"squared"``: ``J_data = (1/m) sum_i 0.5 ||a_L(i) - y(i)||^2``.
        ``"cross_entropy"``: ``J_data = -(1/m) sum_i sum_k y_ik log a_ik``;
        the last activation must be ``"softmax"``, and ``log a`` is computed
        as a log-softmax of ``Z_L``.
    weight_decay : float or sequence of float, default 0
        lambda in ``J_decay = (lambda / 2) sum_l ||W_l||_F^2`` (biases are not
        decayed; not divided by m), or one lambda_l per weight layer:
        ``J_decay = sum_l (lambda_l / 2) ||W_l||_F^2``.
    sparsity_layers : sequence of int, default ()
        Hidden layers ``l`` in ``1..L-1`` whose outputs ``A_l`` carry the KL
        sparsity penalty ``beta sum_j KL(rho || rho_hat_j)``, with
        ``rho_hat = mean of A_l over rows``, clipped by :func:`clip_rho_hat`.
    rho : float, default 0.01
        Sparsity target, ``0 < rho < 1``.
    beta : float, default 3
        Weight of the sparsity penalty.

    Returns
    -------
    cost : float
        ``terms["data"] + terms["decay"] + terms["sparsity"]``.
    grad_weights : list of ndarray
        ``dJ/dW_l``, shapes as ``weights``.
    grad_biases : list of ndarray
        ``dJ/db_l``, shapes as ``biases``.
    terms : dict
        ``{"data": float, "decay": float, "sparsity": float}``.
    """
    _check_network(weights, biases, activations)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if loss == "cross_entropy" and activations[-1] != "softmax":
        raise ValueError(
            "loss='cross_entropy' expects the last activation to be 'softmax'; "
            f"got {activations[-1]!r}"
        )
    # Python floats, so float32 arrays stay float32 (NumPy scalars would promote).
    rho, beta = float(rho), float(beta)
    n_layers = len(weights)
    if np.ndim(weight_decay) == 0:
        decays = [float(weight_decay)] * n_layers
    else:
        decays = [float(d) for d in weight_decay]
        if len(decays) != n_layers:
            raise ValueError(f"weight_decay must be one number or one per weight layer ({n_layers}); got "
                             f"{len(decays)}")
    sparse = sorted({int(l) for l in sparsity_layers})
    if sparse and not (1 <= sparse[0] and sparse[-1] <= n_layers - 1):
        raise ValueError(
            f"sparsity_layers must be hidden layers in 1..{n_layers - 1}; "
            f"got {tuple(sparsity_layers)}"
        )
    if sparse and not 0 < rho < 1:
        raise ValueError(f"rho must lie in (0, 1); got {rho}")

    X = np.asarray(X)
    Y = np.asarray(Y)
    m = X.shape[0]
    A, Z_L = _forward(weights, biases, activations, X)
    A_L = A[-1]

    # Output error term D_L, with the 1/m folded in.
    if loss == "squared":
        if Y.shape != A_L.shape:
            raise ValueError(f"Y must have shape {A_L.shape}; got {Y.shape}")
        diff = A_L - Y
        data = 0.5 * np.sum(diff * diff) / m
        D = diff
        D *= activation_derivative(activations[-1], A_L)
        D /= m
    else:
        if Y.ndim == 1 and Y.shape[0] == m and np.issubdtype(Y.dtype, np.integer):
            Y = _one_hot(Y, A_L.shape[1], A_L.dtype)
        elif Y.shape != A_L.shape:
            raise ValueError(
                f"Y must have shape {A_L.shape} (distributions) or ({m},) "
                f"(integer labels); got shape {Y.shape} of dtype {Y.dtype}"
            )
        data = -np.sum(Y * _log_softmax(Z_L)) / m
        D = (A_L - Y) / m

    decay = sum(0.5 * lam * np.sum(W * W) for lam, W in zip(decays, weights))

    # rho_hat and the delta term s_l for each penalised layer.
    sparsity = 0.0
    s = {}
    for l in sparse:
        rho_hat = clip_rho_hat(A[l].mean(axis=0))
        sparsity += float(beta * np.sum(kl_divergence(rho, rho_hat)))
        s[l] = _sparsity_delta(rho, rho_hat, beta)

    # Backpropagate: D holds D_l while computing the gradients of layer l.
    grad_weights = [None] * n_layers
    grad_biases = [None] * n_layers
    for l in range(n_layers, 0, -1):
        W = weights[l - 1]
        grad_weights[l - 1] = D.T @ A[l - 1] + decays[l - 1] * W
        grad_biases[l - 1] = D.sum(axis=0)
        if l > 1:
            # D_{l-1} = (D_l W_l + s_{l-1} / m) * f'_{l-1}
            D = D @ W
            if l - 1 in s:
                D += s[l - 1] / m  # the same row vector added to every row
            D *= activation_derivative(activations[l - 2], A[l - 1])

    terms = {"data": float(data), "decay": float(decay), "sparsity": float(sparsity)}
    cost = terms["data"] + terms["decay"] + terms["sparsity"]
    return cost, grad_weights, grad_biases, terms


def sparse_autoencoder_cost(W1, W2, b1, b2, X, weight_decay, rho, beta):
    """The tutorial's ``sparseAutoencoderCost``, written out directly.

    A second formulation, independent of :func:`cost_and_grad`'s general
    backpropagation, for the one-hidden-layer sigmoid-sigmoid autoencoder with
    ``Y = X``. Like the tutorial it works on ``data = X^T``, one example per
    column, and divides by m at the end instead of folding it into the deltas.

    Parameters
    ----------
    W1 : ndarray, shape (n_hidden, n_visible)
    W2 : ndarray, shape (n_visible, n_hidden)
    b1 : ndarray, shape (n_hidden,)
    b2 : ndarray, shape (n_visible,)
    X : ndarray, shape (m, n_visible)
        Inputs, one example per row; also the targets.
    weight_decay : float
        lambda; ``(lambda / 2)(||W1||^2 + ||W2||^2)``, not divided by m.
    rho : float
        Sparsity target ``sparsityParam``, ``0 < rho < 1``.
    beta : float
        Weight of the sparsity penalty.

    Returns
    -------
    cost : float
    grads : tuple of ndarray
        ``(W1grad, W2grad, b1grad, b2grad)``, shapes as the parameters.
    """
    weight_decay, rho, beta = float(weight_decay), float(rho), float(beta)
    data = np.asarray(X).T
    m = data.shape[1]

    # Forward pass, one column per example.
    a2 = _sigmoid(W1 @ data + b1[:, None])
    a3 = _sigmoid(W2 @ a2 + b2[:, None])

    rho_hat = clip_rho_hat(a2.mean(axis=1))

    squared_error = 0.5 * np.sum((a3 - data) ** 2) / m
    decay = 0.5 * weight_decay * (np.sum(W1**2) + np.sum(W2**2))
    kl = beta * np.sum(
        rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    )
    cost = float(squared_error) + float(decay) + float(kl)

    # Backward pass, as in the tutorial's notes.
    delta3 = -(data - a3) * a3 * (1 - a3)
    sparsity_delta = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    delta2 = (W2.T @ delta3 + sparsity_delta[:, None]) * a2 * (1 - a2)

    W1grad = delta2 @ data.T / m + weight_decay * W1
    W2grad = delta3 @ a2.T / m + weight_decay * W2
    b1grad = delta2.sum(axis=1) / m
    b2grad = delta3.sum(axis=1) / m
    return cost, (W1grad, W2grad, b1grad, b2grad)
