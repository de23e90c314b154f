"""The NumPy twins of the C++ core's passes (``ufldl.reference.bias_activate``, ``kl_sparsity``, ``output_squared``,
``output_softmax_ce``, ``hidden_delta``, ``sgd_update``, ``adam_update``, ``init_weights``) against the composite
``reference.cost_and_grad`` and the compiled core, and each against its own definition in docs/math.md (finite
differences, one-hot labels against dense rows, the clip), so that the twins cannot drift from the reference.
"""

import numpy as np
import pytest

import ufldl
from ufldl import reference

from .helpers import assert_close, pack

TOL = 1e-12  # float64: the twins chained by hand must give cost_and_grad's numbers to rounding


def compose(weights, biases, X, Y, activations, loss, decays, sparse, rho, beta):
    """The cost and flat gradient from the twins alone, chained as the core's evaluate_shard chains its passes."""
    m, L = X.shape[0], len(weights)
    A = [X]
    for W, b, f in zip(weights[:-1], biases[:-1], activations[:-1]):
        A.append(reference.bias_activate(A[-1] @ W.T, b, f))
    Z = A[-1] @ weights[-1].T
    if loss == "squared":
        data, D, db = reference.output_squared(Z, Y, biases[-1], activations[-1], 1.0 / m)
    elif loss == "binary_cross_entropy":
        data, D, db = reference.output_sigmoid_bce(Z, Y, biases[-1], 1.0 / m)
    else:
        data, D, db = reference.output_softmax_ce(Z, Y, biases[-1], 1.0 / m)
    cost = data / m + sum(0.5 * lam * np.sum(W * W) for lam, W in zip(decays, weights))
    s = {}
    for l in sparse:
        kl, rho_hat, s[l] = reference.kl_sparsity(A[l].sum(axis=0), m, rho, beta)
        np.testing.assert_allclose(rho_hat, A[l].mean(axis=0), rtol=1e-15)
        cost += kl
    grad_weights, grad_biases = [None] * L, [None] * L
    for l in range(L, 0, -1):
        grad_weights[l - 1] = D.T @ A[l - 1] + decays[l - 1] * weights[l - 1]
        grad_biases[l - 1] = db
        if l > 1:
            D = reference.hidden_delta(A[l - 1], D @ weights[l - 1], s.get(l - 1), activations[l - 2])
            db = D.sum(axis=0)
    return float(cost), pack(grad_weights, grad_biases)


# name: (layer sizes, activations, loss, weight decay, sparse layers, targets)
NETWORKS = {
    "sparse-autoencoder": ([8, 5, 8], ["sigmoid", "sigmoid"], "squared", 1e-3, (1,), "inputs"),
    "softmax-labels": ([6, 7, 4], ["tanh", "softmax"], "cross_entropy", 1e-4, (), "labels"),
    "softmax-dense": ([6, 7, 4], ["sigmoid", "softmax"], "cross_entropy", 1e-4, (1,), "dense"),
    "per-layer-decay": ([5, 6, 4, 3], ["sigmoid", "relu", "identity"], "squared", [0.0, 1e-3, 3e-2], (1,), "uniform"),
    "deep-sparse-softmax": ([6, 5, 4, 3, 3], ["sigmoid", "sigmoid", "tanh", "softmax"], "cross_entropy",
                            [1e-3, 0.0, 2e-3, 1e-2], (1, 2), "labels"),
    "no-hidden-layer": ([5, 3], ["identity"], "squared", 1e-2, (), "uniform"),
    "multilabel": ([6, 7, 4], ["sigmoid", "sigmoid"], "binary_cross_entropy", 1e-4, (1,), "multilabel"),
}
RHO, BETA = 0.1, 3.0


def make_case(rng, sizes, loss, targets, m=13):
    weights = [rng.uniform(-0.8, 0.8, size=(n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.uniform(-0.3, 0.3, size=n) for n in sizes[1:]]
    X = rng.uniform(0.05, 0.95, size=(m, sizes[0]))
    if targets == "inputs":
        Y = X
    elif targets == "labels":
        Y = rng.integers(0, sizes[-1], size=m)
    elif targets == "dense":
        Y = reference.activate("softmax", rng.normal(size=(m, sizes[-1])))
        Y[::3] = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=Y[::3].shape[0])]  # some one-hot rows: 0 log 0
    elif targets == "multilabel":
        Y = (rng.random((m, sizes[-1])) < 0.5).astype(np.float64)
    else:
        Y = rng.uniform(-0.5, 0.9, size=(m, sizes[-1]))
    return weights, biases, X, Y


@pytest.mark.parametrize("config", NETWORKS.values(), ids=NETWORKS.keys())
def test_twins_compose_to_cost_and_grad_and_the_core(rng, config):
    sizes, activations, loss, decay, sparse, targets = config
    weights, biases, X, Y = make_case(rng, sizes, loss, targets)
    decays = decay if isinstance(decay, list) else [decay] * len(weights)
    cost, grad = compose(weights, biases, X, Y, activations, loss, decays, sparse, RHO, BETA)

    cost_ref, gW, gb, terms = reference.cost_and_grad(weights, biases, X, Y, activations, loss, decay, sparse,
                                                      RHO, BETA)
    assert (terms["sparsity"] > 0) == bool(sparse) and (terms["decay"] > 0)
    assert_close(cost, cost_ref, TOL, what="cost")
    assert_close(grad, pack(gW, gb), TOL, what="gradient")

    # The compiled core, which chains the C++ twins the same way.
    sparsity = ufldl.KLSparsity(RHO, BETA, layers=sparse) if sparse else None
    net = ufldl.Network(sizes, activations, loss, weight_decay=decay, sparsity=sparsity, random_state=0)
    net.theta = pack(weights, biases)
    cost_core, grad_core = net.cost_and_grad(X, Y)
    assert_close(cost_core, cost, TOL, what="core cost")
    assert_close(grad_core, grad, TOL, what="core gradient")


def test_twins_compose_to_the_tutorial_formulation(rng):
    weights, biases, X, _ = make_case(rng, [8, 5, 8], "squared", "inputs")
    cost, grad = compose(weights, biases, X, X, ["sigmoid"] * 2, "squared", [1e-3] * 2, (1,), RHO, BETA)
    cost_ref, (gW1, gW2, gb1, gb2) = reference.sparse_autoencoder_cost(*weights, *biases, X, 1e-3, RHO, BETA)
    assert_close(cost, cost_ref, TOL, what="cost")
    assert_close(grad, pack([gW1, gW2], [gb1, gb2]), TOL, what="gradient")


# ---------------------------------------------------------------------------- each twin against its definition


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar f at every entry of the float64 array x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        up = f(x)
        x[i] = saved - eps
        down = f(x)
        x[i] = saved
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("activation", reference.ACTIVATIONS)
def test_bias_activate_is_the_forward_step(rng, activation):
    Z, b = rng.normal(size=(7, 5)), rng.normal(size=5)
    before = Z.copy()
    A = reference.bias_activate(Z, b, activation)
    np.testing.assert_array_equal(Z, before)  # a new array: Z is left alone
    np.testing.assert_array_equal(A, reference.activate(activation, Z + b[None, :]))
    W, X = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    np.testing.assert_array_equal(reference.bias_activate(X @ W.T, b, activation),
                                  reference.forward([W], [b], [activation], X)[1])


def test_kl_sparsity_s_is_the_derivative_of_its_cost(rng):
    m, rho, beta = 9, 0.05, 2.5
    act_sum = rng.uniform(0.1, 0.9, size=6) * m
    cost, rho_hat, s = reference.kl_sparsity(act_sum, m, rho, beta)
    assert_close(cost, beta * np.sum(reference.kl_divergence(rho, act_sum / m)), 1e-15, what="cost")
    np.testing.assert_array_equal(rho_hat, act_sum / m)
    # s (with its 1/m) is d cost / d act_sum_j: what backpropagation adds to each row of the layer's delta.
    assert_close(s, numerical_gradient(lambda a: reference.kl_sparsity(a, m, rho, beta)[0], act_sum.copy()),
                 1e-8, what="s")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kl_sparsity_clips_saturated_units_with_the_dtype_eps(dtype):
    m, rho, beta = 4, 0.01, 3.0
    act_sum = np.array([0.0, m, 0.5 * m], dtype=dtype)  # a unit always off, one always on, one in between
    cost, rho_hat, s = reference.kl_sparsity(act_sum, m, rho, beta)
    eps = np.finfo(dtype).eps
    np.testing.assert_array_equal(rho_hat, [0.0, 1.0, 0.5])  # stored unclipped, as the C++ stores it
    r = np.array([eps, 1 - eps, 0.5], dtype=dtype)
    assert_close(cost, beta * np.sum(reference.kl_divergence(rho, r)), 1e-6, what="cost")
    assert_close(s, beta * (-rho / r + (1 - rho) / (1 - r)) / m, 1e-6, what="s")
    assert np.all(np.isfinite(s)) and s.dtype == dtype


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "identity", "relu"])
def test_output_squared_delta_is_the_derivative_of_its_cost(rng, activation):
    m, n = 6, 4
    Z, Y, b = rng.normal(size=(m, n)), rng.uniform(size=(m, n)), rng.normal(size=n)
    if activation == "relu":
        Z[np.abs(Z + b) < 0.05] += 0.2  # away from the kink
    cost_sum, D, db = reference.output_squared(Z, Y, b, activation, 1.0 / m)
    A = reference.activate(activation, Z + b)
    assert_close(cost_sum, 0.5 * np.sum((A - Y) ** 2), 1e-15, what="cost")
    assert_close(D, numerical_gradient(lambda z: reference.output_squared(z, Y, b, activation, 1.0 / m)[0] / m,
                                       Z.copy()), 1e-8, what="D")
    np.testing.assert_array_equal(db, D.sum(axis=0))


def test_output_softmax_ce_labels_are_one_hot_rows(rng):
    m, n = 8, 5
    Z, b = rng.normal(size=(m, n)) * 3, rng.normal(size=n)
    labels = rng.integers(0, n, size=m)
    cost_l, D_l, db_l = reference.output_softmax_ce(Z, labels, b, 1.0 / m)
    cost_d, D_d, db_d = reference.output_softmax_ce(Z, np.eye(n)[labels], b, 1.0 / m)
    assert_close(cost_l, cost_d, 1e-15, what="cost")
    assert_close(D_l, D_d, 1e-15, what="D")
    assert_close(db_l, db_d, 1e-15, what="db")
    logp = np.log(reference.activate("softmax", Z + b))
    assert_close(cost_l, -np.sum(logp[np.arange(m), labels]), 1e-14, what="cost against log(softmax)")


def test_output_softmax_ce_delta_is_the_derivative_of_its_cost(rng):
    m, n = 5, 4
    Z, b = rng.normal(size=(m, n)), rng.normal(size=n)
    Y = reference.activate("softmax", rng.normal(size=(m, n)))  # rows summing to 1, as D = (A - Y) / m needs
    _, D, db = reference.output_softmax_ce(Z, Y, b, 1.0 / m)
    assert_close(D, numerical_gradient(lambda z: reference.output_softmax_ce(z, Y, b, 1.0 / m)[0] / m, Z.copy()),
                 1e-8, what="D")
    np.testing.assert_array_equal(db, D.sum(axis=0))


def test_output_softmax_ce_counts_zero_log_zero_as_zero():
    # exp(-1e4) underflows to 0, so a_k = 0 there; its target is 0, which must add nothing (not nan).
    Z = np.array([[0.0, -1e4, 1.0], [2.0, 0.0, -1e4]])
    Y = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]])
    cost_sum, D, _ = reference.output_softmax_ce(Z, Y, np.zeros(3), 0.5)
    assert np.isfinite(cost_sum) and np.all(np.isfinite(D))
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    assert_close(cost_sum, -(0.5 * logp[0, 0] + 0.5 * logp[0, 2] + logp[1, 0]), 1e-15, what="cost")


def test_output_sigmoid_bce_delta_is_the_derivative_of_its_cost(rng):
    m, n = 5, 4
    Z, b = rng.normal(size=(m, n)), rng.normal(size=n)
    Y = (rng.random((m, n)) < 0.5).astype(float)
    Y[0] = rng.uniform(size=n)  # soft targets too
    _, D, db = reference.output_sigmoid_bce(Z, Y, b, 1.0 / m)
    assert_close(D, numerical_gradient(lambda z: reference.output_sigmoid_bce(z, Y, b, 1.0 / m)[0] / m, Z.copy()),
                 1e-8, what="D")
    np.testing.assert_array_equal(db, D.sum(axis=0))
    a = reference.activate("sigmoid", Z + b)
    assert_close(reference.output_sigmoid_bce(Z, Y, b, 1.0)[0], -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)),
                 1e-13, what="cost = -sum y log a + (1 - y) log(1 - a)")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_stays_finite_where_the_sigmoid_saturates(dtype):
    """z = +-800: a rounds to exactly 1 or 0, so y log a + (1 - y) log(1 - a) would give inf or nan; the core and
    the twin compute the cost from z (softplus) and it stays exact."""
    import ufldl
    net = ufldl.Network([1, 2], "sigmoid", "binary_cross_entropy", dtype=dtype)
    net.weights[0][...] = np.array([[1.0], [-1.0]])
    X = np.array([[80.0], [-80.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])  # every unit wrong by |z| = 80
    cost, grad = net.cost_and_grad(X, Y)
    assert np.isfinite(cost) and np.all(np.isfinite(grad))
    assert cost == pytest.approx(2 * 80.0, rel=1e-6)  # (1/m) sum softplus(80) over 4 units, m = 2
    ref_cost, _, _ = reference.output_sigmoid_bce(X @ net.weights[0].T.astype(np.float64), Y, np.zeros(2), 1.0)
    assert ref_cost == pytest.approx(4 * 80.0, rel=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "identity", "relu"])
def test_hidden_delta_is_backpropagation_through_the_layer(rng, activation):
    """With one hidden layer, the column sums of hidden_delta are dJ/db_1 by finite differences of the cost."""
    m = 7
    weights = [rng.normal(size=(5, 4)), rng.normal(size=(3, 5))]
    biases = [rng.normal(size=5), rng.normal(size=3)]
    X, Y = rng.normal(size=(m, 4)), rng.uniform(size=(m, 3))
    sparse, acts = ((1,) if activation == "sigmoid" else ()), [activation, "sigmoid"]  # the penalty on sigmoid only
    A1 = reference.bias_activate(X @ weights[0].T, biases[0], activation)
    if activation == "relu":
        assert np.min(np.abs(X @ weights[0].T + biases[0])) > 1e-4  # away from the kink at this seed
    _, D2, _ = reference.output_squared(A1 @ weights[1].T, Y, biases[1], "sigmoid", 1.0 / m)
    s = reference.kl_sparsity(A1.sum(axis=0), m, RHO, BETA)[2] if sparse else None
    D1 = reference.hidden_delta(A1, D2 @ weights[1], s, activation)
    np.testing.assert_array_equal(D1, (D2 @ weights[1] + (0 if s is None else s))
                                  * reference.activation_derivative(activation, A1))

    def cost(b1):
        return reference.cost_and_grad(weights, [b1, biases[1]], X, Y, acts, sparsity_layers=sparse, rho=RHO,
                                       beta=BETA)[0]

    assert_close(D1.sum(axis=0), numerical_gradient(cost, biases[0].copy()), 1e-7, what="dJ/db_1")
    np.testing.assert_array_equal(reference.hidden_delta(A1, D2 @ weights[1], np.zeros(5), activation),
                                  reference.hidden_delta(A1, D2 @ weights[1], None, activation))


# ---------------------------------------------------------------------------- updates, initialisation, dtypes


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update_is_pure(rng, momentum, nesterov):
    theta, grad, velocity = (rng.normal(size=11) for _ in range(3))
    copies = [a.copy() for a in (theta, grad, velocity)]
    new_theta, new_velocity = reference.sgd_update(theta, grad, velocity, 0.1, momentum, nesterov)
    for a, c in zip((theta, grad, velocity), copies):
        np.testing.assert_array_equal(a, c)
    v = momentum * velocity - 0.1 * grad if momentum else velocity
    np.testing.assert_array_equal(new_velocity, v)
    step = momentum * v - 0.1 * grad if nesterov else (v if momentum else -0.1 * grad)
    np.testing.assert_array_equal(new_theta, theta + step)


def test_adam_update_is_pure_and_folds_the_bias_corrections_into_the_step(rng):
    theta, grad, m1 = (rng.normal(size=11) for _ in range(3))
    m2 = rng.uniform(size=11)
    copies = [a.copy() for a in (theta, grad, m1, m2)]
    t, lr, b1, b2, eps = 3, 1e-2, 0.9, 0.999, 1e-8
    new_theta, new_m1, new_m2 = reference.adam_update(theta, grad, m1, m2, t, lr, b1, b2, eps)
    for a, c in zip((theta, grad, m1, m2), copies):
        np.testing.assert_array_equal(a, c)
    # Kingma and Ba's bias-corrected moments with their epsilon scaled by sqrt(1 - b2^t) (docs/math.md#adam).
    m1_hat, m2_hat = new_m1 / (1 - b1**t), new_m2 / (1 - b2**t)
    assert_close(new_theta, theta - lr * m1_hat / (np.sqrt(m2_hat) + eps / np.sqrt(1 - b2**t)), 1e-14,
                 what="theta")


def test_twins_stay_in_float32(rng):
    f32 = np.float32
    Z, Y, b = rng.normal(size=(5, 3)).astype(f32), rng.uniform(size=(5, 3)).astype(f32), np.zeros(3, f32)
    labels = np.array([0, 2, 1, 1, 0])
    outputs = [reference.bias_activate(Z, b, "sigmoid"), *reference.output_squared(Z, Y, b, "tanh", 1 / 5),
               *reference.output_softmax_ce(Z, labels, b, 1 / 5), *reference.output_softmax_ce(Z, Y, b, 1 / 5),
               *reference.kl_sparsity(Y.sum(axis=0), 5, 0.1, 3.0), reference.hidden_delta(Y, Z, b, "sigmoid"),
               *reference.sgd_update(Z, Y, Z, np.float64(0.1), np.float64(0.9), True),
               *reference.adam_update(Z, Y, Z, Y, 2, np.float64(1e-3), 0.9, 0.999, 1e-8)]
    assert [np.asarray(o).dtype for o in outputs] == [np.dtype(f32)] * len(outputs)


@pytest.mark.parametrize("seed", [0, 7])
def test_init_weights_is_the_networks_initialisation(seed):
    sizes = [7, 5, 3]
    rng = np.random.default_rng(seed)
    drawn = [reference.init_weights(n_in, n_out, rng) for n_in, n_out in zip(sizes, sizes[1:])]
    weights, biases = reference.init_params(sizes, np.random.default_rng(seed))
    net = ufldl.Network(sizes, random_state=seed)
    for W, W_params, W_net, (n_in, n_out) in zip(drawn, weights, net.weights, zip(sizes, sizes[1:])):
        assert W.dtype == np.float64 and W.shape == (n_out, n_in)
        assert np.abs(W).max() <= np.sqrt(6) / np.sqrt(n_in + n_out + 1)
        np.testing.assert_array_equal(W, W_params)
        np.testing.assert_array_equal(W, W_net)
    assert all(not b.any() for b in biases)
