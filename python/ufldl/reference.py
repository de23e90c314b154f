"""Plain NumPy implementation of ``docs/math.md``: the oracle the compiled core is tested against.

Readable next to the UFLDL tutorial rather than clever, vectorised over the batch, in the dtype of its inputs
(float32 in, float32 out). Each fused pass of the C++ core has a twin here with the same name, and
:func:`cost_and_grad` is written with them. Conventions (``docs/math.md#shapes-and-orientation``): one example per
row, ``X`` is ``(m, n_0)``, ``A_l`` is ``(m, n_l)``; ``W_l`` is ``(n_l, n_{l-1})`` (row i = incoming weights of unit
i, the tutorial's orientation), ``b_l`` is ``(n_l,)``; ``Z_l = A_{l-1} W_l^T + b_l``, ``A_l = f_l(Z_l)``;
``weights[l - 1]`` is ``W_l``. Weight decay is not divided by m: scikit-learn's MLP ``alpha`` is
``lambda = alpha / m`` with L-BFGS (``alpha / batch_size`` with its mini-batch solvers).
"""

import math

import numpy as np

__all__ = [
    "ACTIVATIONS", "activate", "activation_derivative", "init_weights", "init_params", "bias_activate", "forward",
    "kl_divergence", "clip_rho_hat", "kl_sparsity", "output_squared", "output_softmax_ce", "hidden_delta",
    "cost_and_grad", "sparse_autoencoder_cost", "sgd_update", "adam_update",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")
LOSSES = ("squared", "cross_entropy")


# -------------------------------------------------------------------------------------------------- activations


def _check_activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {name!r}")


def _sigmoid(Z):
    # 1 / (1 + e^-z) overflows e^-z for z << 0. Both branches only exponentiate -|z| <= 0, and each is the exact
    # formula on its half:  z >= 0: 1 / (1 + e^-z);  z < 0: e^z / (1 + e^z).
    E = np.exp(-np.abs(Z))
    A = np.where(Z >= 0, 1.0, E)
    A /= 1.0 + E
    return A


def _softmax(Z):
    # Subtracting the row max makes every exponent <= 0 (no overflow) and leaves the result unchanged.
    E = Z - Z.max(axis=-1, keepdims=True)
    np.exp(E, out=E)
    E /= E.sum(axis=-1, keepdims=True)
    return E


def _log_softmax(Z):
    # log a = (z - max) - log(sum exp(z - max)), in the C++'s order: finite even where a rounds to zero.
    shifted = Z - Z.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def activate(name, Z):
    """Apply an activation function elementwise (softmax: row-wise, after subtracting the row max).

    ``docs/math.md#activations-and-their-derivatives``; the sigmoid never overflows (``z = +-1000`` give 1 and 0).

    Parameters
    ----------
    name : {"sigmoid", "tanh", "relu", "identity", "softmax"}
    Z : ndarray, shape (m, n)

    Returns
    -------
    A : ndarray, shape (m, n)
        A new array in the dtype of ``Z``.
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
    raise ValueError("activation_derivative: softmax has no elementwise derivative; expected it only as the output "
                     "layer with loss='cross_entropy', got name='softmax'")


# --------------------------------------------------------------------------------- parameters and forward pass


def init_weights(n_in, n_out, rng):
    """The tutorial's initial weights of one layer, ``docs/math.md#initialisation`` (twin: ``Network.initialize``).

    One ``rng.uniform(-r, r, size=(n_out, n_in))`` call with ``r = sqrt(6) / sqrt(n_in + n_out + 1)``, in float64
    (cast afterwards, so a seed gives the same network in every dtype).

    Parameters
    ----------
    n_in, n_out : int
    rng : numpy.random.Generator

    Returns
    -------
    W : ndarray of float64, shape (n_out, n_in)
    """
    r = np.sqrt(6.0) / np.sqrt(n_in + n_out + 1)
    return rng.uniform(-r, r, size=(n_out, n_in))


def init_params(layer_sizes, rng, dtype=np.float64):
    """The tutorial's initialisation: :func:`init_weights` layer by layer (``W_1`` first), zero biases.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_0, n_1, ..., n_L)``, input size first.
    rng : numpy.random.Generator
    dtype : dtype, default float64

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


def _check_network(weights, biases, activations):
    if len(weights) == 0:
        raise ValueError("weights must hold at least one layer; got 0")
    if len(biases) != len(weights) or len(activations) != len(weights):
        raise ValueError(f"expected one bias and one activation per weight layer ({len(weights)}); "
                         f"got {len(biases)} biases and {len(activations)} activations")
    for name in activations:
        _check_activation(name)


def bias_activate(Z, b, activation):
    """The forward pass's fused bias and activation ``A = f(Z + b)``, ``docs/math.md#forward-pass``.

    C++ twin ``bias_activate`` (cpp/src/elementwise_impl.hpp) works in place and, on a sparse layer, sums the
    columns of ``A`` in double on the way: here ``A.sum(axis=0)``, the ``act_sum`` of :func:`kl_sparsity`.

    Parameters
    ----------
    Z : ndarray, shape (m, n)
        ``A_{l-1} W_l^T``, without the bias.
    b : ndarray, shape (n,)
    activation : str

    Returns
    -------
    A : ndarray, shape (m, n)
    """
    return activate(activation, np.asarray(Z) + b)


def forward(weights, biases, activations, X):
    """Forward pass through the whole network, :func:`bias_activate` layer by layer.

    Parameters
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, at index ``l - 1``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    X : ndarray, shape (m, n_0)

    Returns
    -------
    A : list of ndarray
        ``[A_0 = X, A_1, ..., A_L]``, ``A_l`` of shape ``(m, n_l)``.
    """
    _check_network(weights, biases, activations)
    A = [np.asarray(X)]
    for W, b, name in zip(weights, biases, activations):
        A.append(bias_activate(A[-1] @ W.T, b, name))
    return A


# --------------------------------------------------------------------------------------- the sparsity penalty


def kl_divergence(rho, rho_hat):
    """``KL(rho || r) = rho log(rho / r) + (1 - rho) log((1 - rho) / (1 - r))`` elementwise over ``r = rho_hat``.

    Infinite at ``r`` = 0 and 1: pass ``rho_hat`` (an ndarray of shape (n,)) through :func:`clip_rho_hat` first.
    """
    rho_hat = np.asarray(rho_hat)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def clip_rho_hat(rho_hat):
    """Clip mean activations (shape (n,)) into ``[eps, 1 - eps]``, eps the machine epsilon of their dtype.

    ``docs/math.md#rho-hat-clipping``: saturated sigmoid units give ``rho_hat`` of exactly 0 or 1, where the KL
    divergence and its derivative are infinite. The same clipped value goes into the cost and the deltas, so they
    stay consistent; inside ``(eps, 1 - eps)`` the clip changes nothing.
    """
    rho_hat = np.asarray(rho_hat)
    eps = np.finfo(rho_hat.dtype).eps
    return np.clip(rho_hat, eps, 1 - eps)


def kl_sparsity(act_sum, m, rho, beta):
    """The KL penalty of one hidden layer from its column sums, ``docs/math.md#sparsity-penalty``.

    C++ twin ``kl_sparsity`` (cpp/src/sparsity.cpp) gets the sums in double and clips with the network dtype's
    eps; here both follow the dtype of ``act_sum``.

    Parameters
    ----------
    act_sum : ndarray, shape (n,)
        ``A_l.sum(axis=0)`` over m rows.
    m : int
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


# -------------------------------------------------------------------------------------------- cost and gradient


def output_squared(Z, Y, b, activation, inv_m):
    """The output layer's fused squared-error pass, ``docs/math.md#squared-error``.

    C++ twin ``output_squared`` (cpp/src/elementwise_impl.hpp) writes ``D`` over ``Z`` and sums in double.

    Parameters
    ----------
    Z, Y : ndarray, shape (m, n_L)
        ``A_{L-1} W_L^T`` (without the bias) and the targets.
    b : ndarray, shape (n_L,)
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


def output_softmax_ce(Z, Y, b, inv_m):
    """The output layer's fused softmax and cross-entropy pass, ``docs/math.md#softmax-and-cross-entropy``.

    C++ twin: ``output_softmax_ce`` (cpp/src/elementwise_impl.hpp).

    Parameters
    ----------
    Z, b, inv_m
        As in :func:`output_squared`.
    Y : ndarray, shape (m, n_L), or integer ndarray, shape (m,)
        Target distributions, or class labels in ``[0, n_L)`` standing for one-hot rows (not checked here).

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


def hidden_delta(A, P, s, activation):
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
    """
    return (P if s is None else P + s) * activation_derivative(activation, A)


def _check_cost_args(weights, biases, X, Y, activations, loss, weight_decay, sparsity_layers, rho, beta):
    """cost_and_grad's checks; returns X, Y, rho, beta, one lambda per weight layer and the sorted sparse layers."""
    _check_network(weights, biases, activations)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    if loss == "cross_entropy" and activations[-1] != "softmax":
        raise ValueError(f"loss='cross_entropy' expects the last activation to be 'softmax'; got {activations[-1]!r}")
    rho, beta = float(rho), float(beta)  # Python floats: float32 arrays stay float32 (NumPy scalars would promote)
    n_layers = len(weights)
    decays = [float(weight_decay)] * n_layers if np.ndim(weight_decay) == 0 else [float(d) for d in weight_decay]
    if len(decays) != n_layers:
        raise ValueError(f"weight_decay must be one number or one per weight layer ({n_layers}); got {len(decays)}")
    sparse = sorted({int(l) for l in sparsity_layers})
    if sparse and not (1 <= sparse[0] and sparse[-1] <= n_layers - 1):
        raise ValueError(f"sparsity_layers must be hidden layers in 1..{n_layers - 1}; got {tuple(sparsity_layers)}")
    if sparse and not 0 < rho < 1:
        raise ValueError(f"rho must lie in (0, 1); got {rho}")
    X, Y = np.asarray(X), np.asarray(Y)
    m, shape = X.shape[0], (X.shape[0], weights[-1].shape[0])
    if loss == "squared":
        if Y.shape != shape:
            raise ValueError(f"Y must have shape {shape}; got {Y.shape}")
    elif Y.ndim == 1 and Y.shape[0] == m and np.issubdtype(Y.dtype, np.integer):
        if Y.size and (Y.min() < 0 or Y.max() >= shape[1]):
            raise ValueError(f"Y: integer labels must lie in [0, {shape[1]}); got values in [{Y.min()}, {Y.max()}]")
    elif Y.shape != shape:
        raise ValueError(f"Y must have shape {shape} (distributions) or ({m},) (integer labels); got shape {Y.shape} "
                         f"of dtype {Y.dtype}")
    return X, Y, rho, beta, decays, sparse


def cost_and_grad(weights, biases, X, Y, activations, loss="squared", weight_decay=0.0, sparsity_layers=(),
                  rho=0.01, beta=3.0):
    """Cost J = J_data + J_decay + J_sparse and its gradient by backpropagation, ``docs/math.md#cost``.

    Parameters
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l,)``, at index ``l - 1``.
    X : ndarray, shape (m, n_0)
    Y : ndarray, shape (m, n_L), or integer ndarray, shape (m,)
        Targets (``Y = X`` for an autoencoder); with ``loss="cross_entropy"`` target distributions or integer
        class labels in ``[0, n_L)``.
    activations : sequence of str
        One name from :data:`ACTIVATIONS` per weight layer.
    loss : {"squared", "cross_entropy"}
        ``"squared"``: ``J_data = (1/m) sum_i 0.5 ||a_L(i) - y(i)||^2``. ``"cross_entropy"``:
        ``J_data = -(1/m) sum_ik y_ik log a_ik``, the last activation ``"softmax"``, ``log a`` a log-softmax.
    weight_decay : float or sequence of float, default 0
        lambda in ``J_decay = (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed, not divided by m), or one
        lambda_l per weight layer: ``J_decay = sum_l (lambda_l / 2) ||W_l||_F^2``.
    sparsity_layers : sequence of int, default ()
        Hidden layers ``l`` in ``1..L-1`` whose ``A_l`` carry ``beta sum_j KL(rho || rho_hat_j)``, ``rho_hat`` the
        column means of ``A_l``, clipped by :func:`clip_rho_hat`.
    rho, beta : float, default 0.01 and 3
        Sparsity target (``0 < rho < 1``) and weight of the penalty.

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
        A.append(bias_activate(A[-1] @ W.T, b, name))
    Z_L = A[-1] @ weights[-1].T
    if loss == "squared":
        data, D, db = output_squared(Z_L, Y, biases[-1], activations[-1], inv_m)
    else:
        data, D, db = output_softmax_ce(Z_L, Y, biases[-1], inv_m)
    decay = sum(0.5 * lam * np.sum(W * W) for lam, W in zip(decays, weights))
    sparsity, s = 0.0, {}  # s[l]: the sparsity term of hidden layer l, 1/m included
    for l in sparse:
        kl, _, s[l] = kl_sparsity(A[l].sum(axis=0), m, rho, beta)
        sparsity += float(kl)

    # Backpropagate: D and db hold D_l and its column sums while computing the gradients of layer l.
    grad_weights, grad_biases = [None] * n_layers, [None] * n_layers
    for l in range(n_layers, 0, -1):
        grad_weights[l - 1] = D.T @ A[l - 1] + decays[l - 1] * weights[l - 1]
        grad_biases[l - 1] = db
        if l > 1:  # D_{l-1} = (D_l W_l + s_{l-1}) * f'_{l-1}
            D = hidden_delta(A[l - 1], D @ weights[l - 1], s.get(l - 1), activations[l - 2])
            db = D.sum(axis=0)
    terms = {"data": float(data / m), "decay": float(decay), "sparsity": sparsity}
    return terms["data"] + terms["decay"] + terms["sparsity"], grad_weights, grad_biases, terms


def sparse_autoencoder_cost(W1, W2, b1, b2, X, weight_decay, rho, beta):
    """The tutorial's ``sparseAutoencoderCost``, written out directly: a second oracle, independent of the above.

    For the one-hidden-layer sigmoid-sigmoid autoencoder with ``Y = X``. Like the tutorial it works on
    ``data = X^T``, one example per column, and divides by m at the end instead of folding it into the deltas.

    Parameters
    ----------
    W1, W2 : ndarray, shapes (n_hidden, n_visible) and (n_visible, n_hidden)
    b1, b2 : ndarray, shapes (n_hidden,) and (n_visible,)
    X : ndarray, shape (m, n_visible)
        Inputs, one example per row; also the targets.
    weight_decay, rho, beta : float
        lambda (``(lambda / 2)(||W1||^2 + ||W2||^2)``, not divided by m), ``sparsityParam`` and beta.

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
    kl = beta * np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    cost = float(squared_error) + float(decay) + float(kl)

    # Backward pass, as in the tutorial's notes.
    delta3 = -(data - a3) * a3 * (1 - a3)
    sparsity_delta = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    delta2 = (W2.T @ delta3 + sparsity_delta[:, None]) * a2 * (1 - a2)
    W1grad = delta2 @ data.T / m + weight_decay * W1
    W2grad = delta3 @ a2.T / m + weight_decay * W2
    return cost, (W1grad, W2grad, delta2.sum(axis=1) / m, delta3.sum(axis=1) / m)


# ------------------------------------------------------------------------------------------ mini-batch updates


def sgd_update(theta, grad, velocity, lr, momentum, nesterov):
    """One SGD step with momentum, scikit-learn's form, ``docs/math.md#sgd-with-momentum``.

    C++ twin ``sgd_update`` (cpp/src/optim.cpp) works in place; this returns new arrays. The scalars are taken as
    Python floats, so float32 arrays are updated in float32, as in the C++.

    Parameters
    ----------
    theta, grad, velocity : ndarray, shape (n,)
        Parameters, the gradient at ``theta``, the velocity (zeros at the start).
    lr, momentum : float
        ``eta`` and ``mu``; ``mu = 0`` is plain gradient descent.
    nesterov : bool
        Step by ``mu v - eta g`` (with the new v) instead of ``v``.

    Returns
    -------
    theta, velocity : ndarray, shape (n,)
        ``theta + v`` (or the Nesterov step) and ``v = mu v - eta g``; for ``mu = 0``, ``theta - eta g`` and the
        velocity given, untouched.
    """
    lr, momentum = float(lr), float(momentum)
    if momentum == 0:
        return theta - lr * grad, velocity
    velocity = momentum * velocity - lr * grad
    return theta + (momentum * velocity - lr * grad if nesterov else velocity), velocity


def adam_update(theta, grad, m1, m2, t, lr, beta1, beta2, eps):
    """One Adam step, scikit-learn's form (``eps`` added to ``sqrt(m2)``), ``docs/math.md#adam``.

    C++ twin ``adam_update`` (cpp/src/optim.cpp) works in place; this returns new arrays. The step factor is a
    Python float (double), the rest in the arrays' dtype, as in the C++.

    Parameters
    ----------
    theta, grad, m1, m2 : ndarray, shape (n,)
        Parameters, the gradient at ``theta``, the first and second moments (zeros at the start).
    t : int
        The number of this update, ``t >= 1``.
    lr, beta1, beta2, eps : float

    Returns
    -------
    theta, m1, m2 : ndarray, shape (n,)
        ``theta - lr sqrt(1 - b2^t) / (1 - b1^t) * m1 / (sqrt(m2) + eps)`` with the new
        ``m1 = b1 m1 + (1 - b1) g`` and ``m2 = b2 m2 + (1 - b2) g g``.
    """
    beta1, beta2, eps = float(beta1), float(beta2), float(eps)
    step = float(lr) * math.sqrt(1 - beta2**t) / (1 - beta1**t)
    m1 = beta1 * m1 + (1 - beta1) * grad
    m2 = beta2 * m2 + (1 - beta2) * grad * grad
    return theta - step * m1 / (np.sqrt(m2) + eps), m1, m2
