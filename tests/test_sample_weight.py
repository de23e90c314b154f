"""Sample weights (docs/math.md#sample-weights) in the core and the Network: the weighted cost and gradient against
``ufldl.reference`` in float64 and float32, gradient checks, integer weights as repeated rows, weights of ones as no
weights (bit for bit), zero weights as removed rows, the mini-batch path, the chunk sums, and bad weights refused.
The estimators' weights are in ``test_sample_weight_estimators.py``.
"""

import numpy as np
import pytest

import ufldl
from ufldl import reference

from .helpers import DTYPES, assert_close, make_targets, pack, randomize_biases, reference_params, sparsity_layers, tolerance

# (layer sizes, hidden activation, output activation, loss, integer labels?)
NETWORKS = {
    "squared": ((7, 9, 5), "sigmoid", "sigmoid", "squared", False),
    "identity": ((7, 9, 5), "tanh", "identity", "squared", False),
    "cross_entropy": ((7, 9, 4), "relu", "softmax", "cross_entropy", False),
    "labels": ((7, 9, 4), "sigmoid", "softmax", "cross_entropy", True),
    "binary_cross_entropy": ((7, 9, 5), "sigmoid", "sigmoid", "binary_cross_entropy", False),
    # several sparse layers
    "deep": ((6, 8, 7, 5, 6), "sigmoid", "sigmoid", "squared", False),
}
SPARSE = ufldl.KLSparsity(rho=0.1, beta=3.0)


def _net(name, dtype="float64", sparse=False, decay=0.0, seed=0):
    sizes, hidden, out, loss, labels = NETWORKS[name]
    acts = [hidden] * (len(sizes) - 2) + [out]
    sparsity = None
    if sparse:
        sparsity = ufldl.KLSparsity(SPARSE.rho, SPARSE.beta, layers=tuple(range(1, len(sizes) - 1))) \
            if hidden == "sigmoid" else None
    net = ufldl.Network(sizes, acts, loss, weight_decay=decay, sparsity=sparsity, dtype=dtype, random_state=seed)
    rng = np.random.default_rng(seed)
    randomize_biases(net, rng)
    return net, labels


def _data(rng, net, m, labels):
    X = rng.uniform(-1.0, 1.0, size=(m, net.layer_sizes[0]))
    return X, make_targets(rng, net, m, labels)


def _reference(net, X, Y, w, theta=None):
    weights, biases = reference_params(net, theta)
    X = np.asarray(X).astype(net.dtype).astype(np.float64)
    Y = np.asarray(Y)
    if Y.dtype.kind == "f":
        Y = Y.astype(net.dtype).astype(np.float64)
    sp = net.sparsity or ufldl.KLSparsity()
    cost, gW, gb, terms = reference.cost_and_grad(weights, biases, X, Y, net.activations, net.loss, net.weight_decay,
                                                  sparsity_layers(net), sp.rho, sp.beta, sample_weight=w)
    return cost, pack(gW, gb), terms


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decay", (0.0, 1e-3), ids=("nodecay", "decay"))
@pytest.mark.parametrize("sparse", (False, True), ids=("dense", "sparse"))
@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("m", (13, 300), ids=("one-shard", "shards"))
def test_weighted_cost_and_grad_match_the_reference(name, sparse, decay, dtype, m):
    net, labels = _net(name, dtype, sparse, decay)
    rng = np.random.default_rng(1)
    X, Y = _data(rng, net, m, labels)
    w = rng.uniform(0.0, 3.0, size=m)
    w[::5] = 0.0
    tol = tolerance(dtype)
    cost_ref, grad_ref, terms_ref = _reference(net, X, Y, w)
    cost, grad = net.cost_and_grad(X, Y, sample_weight=w)
    assert_close(cost, cost_ref, tol.cost, what="cost")
    assert_close(grad, grad_ref, tol.grad, what="gradient")
    terms = net.cost_terms(X, Y, sample_weight=w)
    for key in terms:
        assert_close(terms[key], terms_ref[key], tol.cost, what=key)
    # Weighted is not unweighted: the test can fail.
    assert abs(net.cost(X, Y) - cost) > 1e-6 * abs(cost)


def test_the_weighted_reference_is_its_own_unweighted_reference_with_ones():
    net, labels = _net("deep", sparse=True, decay=1e-3)
    X, Y = _data(np.random.default_rng(2), net, 20, labels)
    weights, biases = reference_params(net)
    args = (weights, biases, X, Y, net.activations, net.loss, net.weight_decay, (1, 2, 3), SPARSE.rho, SPARSE.beta)
    plain = reference.cost_and_grad(*args)
    ones = reference.cost_and_grad(*args, sample_weight=np.full(20, 2.5))
    assert_close(ones[0], plain[0], 1e-13)
    assert_close(pack(ones[1], ones[2]), pack(plain[1], plain[2]), 1e-12)


@pytest.mark.parametrize(("sparse", "decay"), [(False, 0.0), (True, 0.0), (False, 1e-3), (True, 1e-3)],
                         ids=("data", "data+kl", "data+decay", "all"))
@pytest.mark.parametrize("name", ("squared", "cross_entropy", "labels", "binary_cross_entropy", "deep"))
def test_weighted_gradient_check(name, sparse, decay):
    net, labels = _net(name, sparse=sparse, decay=decay)
    rng = np.random.default_rng(3)
    X, Y = _data(rng, net, 17, labels)
    w = rng.uniform(0.1, 4.0, size=17)
    numeric = ufldl.gradcheck.numerical_gradient(lambda t: net.cost(X, Y, t, sample_weight=w), net.theta.copy())
    _, grad = net.cost_and_grad(X, Y, sample_weight=w)
    assert ufldl.gradcheck.relative_difference(grad, numeric) < 1e-9


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NETWORKS)
def test_integer_weights_equal_repeated_rows(name, dtype):
    net, labels = _net(name, dtype, sparse=True, decay=1e-3)
    rng = np.random.default_rng(4)
    X, Y = _data(rng, net, 40, labels)
    w = rng.integers(0, 4, size=40)
    w[0] = 1
    rows = np.repeat(np.arange(40), w)
    cost_w, grad_w = net.cost_and_grad(X, Y, sample_weight=w)
    cost_r, grad_r = net.cost_and_grad(X[rows], Y[rows])
    rtol = 1e-12 if dtype == "float64" else 2e-6
    assert_close(cost_w, cost_r, rtol, what="cost")
    assert_close(grad_w, grad_r, rtol, what="gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("m", (13, 300), ids=("one-shard", "shards"))
def test_weights_of_ones_are_no_weights_bit_for_bit(name, dtype, m):
    net, labels = _net(name, dtype, sparse=True, decay=1e-3)
    X, Y = _data(np.random.default_rng(5), net, m, labels)
    cost, grad = net.cost_and_grad(X, Y)
    cost_1, grad_1 = net.cost_and_grad(X, Y, sample_weight=np.ones(m))
    assert cost_1 == cost
    np.testing.assert_array_equal(grad_1, grad)
    assert net.cost_terms(X, Y, sample_weight=np.ones(m, dtype=np.float32)) == net.cost_terms(X, Y)


@pytest.mark.parametrize("name", NETWORKS)
def test_zero_weights_equal_removed_rows(name):
    net, labels = _net(name, sparse=True, decay=1e-3)
    rng = np.random.default_rng(6)
    X, Y = _data(rng, net, 30, labels)
    w = rng.uniform(0.5, 2.0, size=30)
    w[[0, 7, 8, 29]] = 0.0
    keep = w > 0
    cost_w, grad_w = net.cost_and_grad(X, Y, sample_weight=w)
    cost_k, grad_k = net.cost_and_grad(X[keep], Y[keep], sample_weight=w[keep])
    assert_close(cost_w, cost_k, 1e-13)
    assert_close(grad_w, grad_k, 1e-12)


def test_the_lbfgs_in_the_core_uses_the_weights():
    """L-BFGS evaluates in C++ (Network.objective's lbfgs_evaluations): integer weights fit as repeated rows."""
    net, labels = _net("squared", sparse=True, decay=1e-4)
    rng = np.random.default_rng(7)
    X, Y = _data(rng, net, 50, labels)
    w = rng.integers(0, 3, size=50)
    rows = np.repeat(np.arange(50), w)
    a, b = net.copy(), net.copy()
    ra = ufldl.train(a, X, Y, "lbfgs", max_iter=30, sample_weight=w)
    rb = ufldl.train(b, X[rows], Y[rows], "lbfgs", max_iter=30)
    assert ra.n_iter == rb.n_iter
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-7, atol=1e-9)
    assert not np.allclose(a.theta, net.theta)


@pytest.mark.parametrize("solver", ("lbfgsb", "cg", "gd"))
def test_other_full_batch_solvers_take_the_weights(solver):
    net, labels = _net("labels")
    rng = np.random.default_rng(8)
    X, Y = _data(rng, net, 40, labels)
    w = rng.integers(0, 3, size=40)
    rows = np.repeat(np.arange(40), w)
    a, b = net.copy(), net.copy()
    ufldl.train(a, X, Y, solver, max_iter=10, sample_weight=w)
    ufldl.train(b, X[rows], Y[rows], solver, max_iter=10)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------------------------------ mini-batches


def _order_and_weights(rng, m):
    w = rng.uniform(0.0, 2.0, size=m)
    w[3] = 0.0
    return rng.permutation(m).astype(np.int64), w


@pytest.mark.parametrize("sparse", (False, True), ids=("dense", "sparse"))
def test_minibatch_updates_follow_each_batchs_weighted_gradient(sparse):
    """One run of batches in the core equals SGD steps on each batch's weighted cost_and_grad."""
    net, labels = _net("deep" if sparse else "labels", sparse=sparse, decay=1e-3)
    rng = np.random.default_rng(9)
    m, b = 50, 16
    X, Y = net.training_data(*_data(rng, net, m, labels))
    order, w = _order_and_weights(rng, m)
    order = order[w[order] > 0]
    expected = net.theta.copy()
    costs_expected = []
    for start in range(0, order.size, b):
        rows = order[start:start + b]
        cost, grad = net.cost_and_grad(X[rows], Y[rows], expected, sample_weight=w[rows])
        costs_expected.append(cost)
        expected -= 0.1 * grad
    state = (np.zeros(net.n_params), np.zeros(net.n_params))
    costs = np.full(-(-order.size // b), np.nan)
    update = {"rule": "sgd", "learning_rate": 0.1, "momentum": 0.0, "nesterov": False}
    done = net.minibatch_updates(X, Y, order, b, update, state, np.zeros(1, np.int64), costs, sample_weight=w)
    assert done == costs.size
    np.testing.assert_allclose(costs, costs_expected, rtol=1e-13)
    np.testing.assert_allclose(net.theta, expected, rtol=1e-12, atol=1e-14)


def test_minibatch_refuses_a_batch_of_total_weight_zero():
    net, labels = _net("squared")
    X, Y = net.training_data(*_data(np.random.default_rng(10), net, 8, labels))
    w = np.array([1.0, 1, 1, 1, 0, 0, 0, 0])
    state = (np.zeros(net.n_params), np.zeros(net.n_params))
    with pytest.raises(ValueError, match="sample_weight: batch 1 .*total weight 0"):
        net.minibatch_updates(X, Y, np.arange(8, dtype=np.int64), 4, {"rule": "sgd", "learning_rate": 0.1,
                              "momentum": 0.0, "nesterov": False}, state, np.zeros(1, np.int64), np.zeros(2),
                              sample_weight=w)


@pytest.mark.parametrize("solver", ("sgd", "adam"))
@pytest.mark.parametrize("rho_hat_decay", (None, 0.5))
def test_train_minibatch_with_weights(solver, rho_hat_decay):
    """Zero-weight rows are left out of the batches: the run equals one on the other rows with the same order."""
    net, labels = _net("squared", sparse=True, decay=1e-4)
    rng = np.random.default_rng(11)
    X, Y = _data(rng, net, 60, labels)
    w = rng.uniform(0.5, 2.0, size=60)
    a, b = net.copy(), net.copy()
    ra = ufldl.train(a, X, Y, solver, max_iter=3, batch_size=60, shuffle=False, rho_hat_decay=rho_hat_decay,
                     sample_weight=w)
    w_zero = np.concatenate([w, np.zeros(5)])
    rb = ufldl.train(b, np.vstack([X, X[:5] + 1]), np.vstack([Y, Y[:5]]), solver, max_iter=3, batch_size=60,
                     shuffle=False, rho_hat_decay=rho_hat_decay, sample_weight=w_zero)
    np.testing.assert_allclose(ra.loss_curve, rb.loss_curve, rtol=1e-13)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-13, atol=1e-15)
    # With one batch per epoch, the first epoch's loss is the weighted full-batch cost at the start.
    assert_close(ra.loss_curve[0], net.cost(X, Y, sample_weight=w), 1e-13)


def test_minibatch_early_stopping_scores_the_weighted_hold_out():
    net, labels = _net("squared")
    rng = np.random.default_rng(12)
    X, Y = _data(rng, net, 80, labels)
    w = rng.uniform(0.5, 2.0, size=80)
    result = ufldl.train(net.copy(), X, Y, "adam", max_iter=4, early_stopping=True, n_iter_no_change=10,
                         random_state=0, sample_weight=w)
    assert len(result.validation_scores) == 4

    seen = []

    def scoring(network, X_val, Y_val, sample_weight):
        seen.append(sample_weight.copy())
        return -network.cost(X_val, Y_val, sample_weight=sample_weight)

    ufldl.train(net.copy(), X, Y, "adam", max_iter=2, validation_data=(X[:10], Y[:10], w[:10]), scoring=scoring,
                sample_weight=w)
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0], w[:10])


# ------------------------------------------------------------------------------------------------------ chunks


@pytest.mark.parametrize("sparse", (False, True), ids=("dense", "sparse"))
def test_weighted_partial_sums_combine_to_the_weighted_cost(sparse):
    net, labels = _net("deep", sparse=sparse, decay=1e-3)
    rng = np.random.default_rng(13)
    X, Y = _data(rng, net, 45, labels)
    w = rng.uniform(0.0, 3.0, size=45)
    chunks = (slice(0, 10), slice(10, 31), slice(31, 45))
    rho_hat = None
    if sparse:
        sums = [net.activation_sums(X[c], sample_weight=w[c]) for c in chunks]
        total = sums[0] + sums[1] + sums[2]
        assert total.m == pytest.approx(w.sum(), rel=1e-15)
        rho_hat = total.rho_hat
    parts = [net.partial_sums(X[c], Y[c], rho_hat=rho_hat, sample_weight=w[c]) for c in chunks]
    cost, grad = net.combine(parts[0] + parts[1] + parts[2])
    cost_w, grad_w = net.cost_and_grad(X, Y, sample_weight=w)
    assert_close(cost, cost_w, 1e-12)
    assert_close(grad, grad_w, 1e-12)


def test_mean_activations_weighted():
    net, labels = _net("deep", sparse=True)
    rng = np.random.default_rng(14)
    X, _ = _data(rng, net, 30, labels)
    w = rng.uniform(0.0, 3.0, size=30)
    means = net.mean_activations(X, sample_weight=w)
    for A, mean in zip(net.layer_activations(X)[:-1], means):
        np.testing.assert_allclose(mean, w @ A / w.sum(), rtol=1e-13)


# ------------------------------------------------------------------------------------------------- bad weights


@pytest.mark.parametrize(("weights", "message"), [
    (np.array([1.0, -1.0, 1.0, 1.0]), r"sample_weight must be finite and >= 0; got -1"),
    (np.array([1.0, np.nan, 1.0, 1.0]), r"sample_weight must be finite and >= 0; got nan"),
    (np.array([1.0, np.inf, 1.0, 1.0]), r"sample_weight must be finite and >= 0; got inf"),
    (np.ones(3), r"sample_weight must have shape \(4,\).*got shape \(3,\)"),
    (np.ones((4, 1)), r"sample_weight must have shape \(4,\).*got shape \(4, 1\)"),
    (np.zeros(4), r"sample_weight must not be all zero"),
])
def test_bad_weights_are_refused(weights, message):
    net, labels = _net("squared")
    X, Y = _data(np.random.default_rng(16), net, 4, labels)
    with pytest.raises(ValueError, match=message):
        net.cost_and_grad(X, Y, sample_weight=weights)
    with pytest.raises(ValueError, match=message):
        ufldl.train(net, X, Y, "lbfgs", max_iter=2, sample_weight=weights)


@pytest.mark.parametrize(("weights", "message"), [
    (np.array([1.0, -1.0, 1.0, 1.0]), r"sample_weight must be finite and >= 0; got -1"),
    (np.array([1.0, np.nan, 1.0, 1.0]), r"sample_weight must be finite and >= 0; got nan"),
    (np.ones(5), r"sample_weight must have shape \(4,\).*got shape \(5,\)"),
    (np.zeros(4), r"sample_weight must have a positive finite sum"),
])
def test_the_binding_refuses_bad_weights(weights, message):
    net, labels = _net("squared")
    X, Y = net.training_data(*_data(np.random.default_rng(17), net, 4, labels))
    engine = _core_engine(net)
    with pytest.raises(ValueError, match=message):
        engine.cost_and_grad(net.theta, X, Y, np.empty(net.n_params), _settings(net), weights)


def _core_engine(net):
    return ufldl._core.NetworkF64(list(net.layer_sizes), [int(getattr(ufldl._core.Activation, a))
                                                          for a in net.activations], 0)


def _settings(net):
    return ufldl._core.CostSettings(sparse_layers=[False] * (net.n_layers + 1))
