"""Gradient checking (docs/math.md, "Gradient checking"): the analytic gradient of every cost term,
alone and together, agrees with central differences to better than 1e-9 in float64, on depths 1 to 4, for
squared error and cross-entropy; and the checker itself passes the tutorial's self-test and fails a wrong
gradient.
"""

import numpy as np
import pytest

import ufldl

from .helpers import assert_close, make_targets, param_blocks, preactivations, randomize_biases, tolerance

LIMIT = 1e-9  # the spec's bound for a correct float64 gradient
# The spec's step for deeper nets and larger weights. With nonzero biases and inputs in [-1, 1] the default 1e-4
# leaves a central-difference truncation error of 1e-9 to 2e-9 on these nets; 1e-5 gives 1e-11 to 5e-10.
EPS = 1e-5
LAMBDA = 3e-2  # large enough that the decay term's gradient is a visible part of the whole
SPARSITY = ufldl.KLSparsity(rho=0.1, beta=3.0)

SIZES = {1: [5, 4], 2: [5, 4, 3], 3: [4, 5, 3, 4], 4: [4, 5, 3, 4, 3]}
# (weight decay, sparsity) switching each term on alone; "data" is always there.
TERMS = {"data": (0.0, None), "decay": (LAMBDA, None), "sparsity": (0.0, SPARSITY), "all": (LAMBDA, SPARSITY)}
CASES = [
    pytest.param(depth, loss, term, id=f"depth{depth}-{loss}-{term}")
    for depth in SIZES
    for loss in ("squared", "cross_entropy", "binary_cross_entropy")
    for term in TERMS
    if not (depth == 1 and TERMS[term][1] is not None)  # no hidden layer to be sparse
]


def _problem(rng, net, m=10):
    randomize_biases(net, rng)
    X = rng.uniform(-1.0, 1.0, size=(m, net.layer_sizes[0]))
    return X, make_targets(rng, net, m)


def _assert_gradient_ok(net, X, Y, eps=EPS):
    """Both checkers: the whole gradient within LIMIT, and every block of ``net.check_gradient`` too.

    A block's relative difference is its absolute error over its own norm. The central differences carry an
    absolute rounding error of about eps_mach * |J| / eps per entry whatever the block, so a block whose
    gradient is a small part of the whole (W_1 of a deep sigmoid net: vanishing gradients) gets the limit
    scaled by ``||grad|| / ||grad_block||``: the same absolute accuracy as the whole vector is held to.
    """
    theta = net.theta.copy()
    diff = ufldl.check_gradient(lambda th: net.cost_and_grad(X, Y, th), theta, eps)
    assert 0 < diff < LIMIT, f"ufldl.check_gradient: {diff:.3g}"
    diffs = net.check_gradient(X, Y, eps)
    blocks = param_blocks(net)
    assert set(diffs) == {"all"} | set(blocks)
    assert 0 < diffs["all"] < LIMIT, f"net.check_gradient: {diffs['all']:.3g}"
    grad = net.cost_and_grad(X, Y)[1]
    norm = np.linalg.norm(grad)
    limits = {name: LIMIT * max(1.0, norm / np.linalg.norm(grad[sl])) for name, sl in blocks.items()}
    bad = {name: (diffs[name], limits[name]) for name in blocks if not diffs[name] < limits[name]}
    assert not bad, f"net.check_gradient blocks (difference, limit): {bad}"
    np.testing.assert_array_equal(net.theta, theta)  # checking never moves the parameters
    return diff


@pytest.mark.parametrize("depth, loss, term", CASES)
def test_each_term(rng, depth, loss, term):
    weight_decay, sparsity = TERMS[term]
    net = ufldl.Network(SIZES[depth], "sigmoid", loss=loss, weight_decay=weight_decay, sparsity=sparsity,
                        random_state=depth)
    X, Y = _problem(rng, net)
    terms = net.cost_terms(X, Y)
    assert (terms["decay"] > 0) == (weight_decay > 0)
    assert (terms["sparsity"] > 0) == (sparsity is not None)
    _assert_gradient_ok(net, X, Y)


def _relu_safe(rng, make_net, margin=1e-2, tries=200):
    """A network and data whose every relu pre-activation is at least ``margin`` away from the kink at 0.

    Perturbing a parameter by eps <= 1e-4 moves a pre-activation by far less than the margin, so the central
    differences never straddle the kink.
    """
    for _ in range(tries):
        net = make_net()
        X, Y = _problem(rng, net)
        Zs = preactivations(net, X)
        if all(np.min(np.abs(Z)) > margin for Z, name in zip(Zs, net.activations) if name == "relu"):
            return net, X, Y
    raise AssertionError("no draw kept the relu pre-activations away from 0")  # pragma: no cover


@pytest.mark.parametrize("loss", ["squared", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "identity"])
def test_hidden_activations(rng, hidden, depth, loss):
    sizes = SIZES[depth]
    output = {"squared": "tanh", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}[loss]
    activations = [hidden] * (depth - 1) + [output]
    seeds = iter(range(1000))

    def make_net():
        return ufldl.Network(sizes, activations, loss=loss, weight_decay=LAMBDA, random_state=next(seeds))

    net, X, Y = _relu_safe(rng, make_net)
    if hidden == "relu":
        # Units on both sides of the kink, so the check covers relu's derivative 0 and 1.
        Z1 = preactivations(net, X)[0]
        assert (Z1 > 0).any() and (Z1 < 0).any()
    _assert_gradient_ok(net, X, Y)


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu", "identity"])
def test_squared_error_outputs(rng, output):
    seeds = iter(range(1000))

    def make_net():
        return ufldl.Network([5, 4, 3], ["sigmoid", output], weight_decay=LAMBDA, sparsity=SPARSITY,
                             random_state=next(seeds))

    net, X, Y = _relu_safe(rng, make_net)
    _assert_gradient_ok(net, X, Y)


@pytest.mark.parametrize("layers", [(1,), (3,), (1, 3)])
def test_deep_mixed_with_sparse_layers(rng, layers):
    net = ufldl.Network([4, 5, 4, 3, 3], ["sigmoid", "tanh", "sigmoid", "softmax"], loss="cross_entropy",
                        weight_decay=LAMBDA, sparsity=ufldl.KLSparsity(0.2, 2.0, layers=layers), random_state=11)
    X, _ = _problem(rng, net)
    labels = rng.integers(0, 3, size=X.shape[0])
    _assert_gradient_ok(net, X, labels)


def test_tutorial_sparse_autoencoder_default_eps(rng):
    """The spec's reference point: the tutorial's sparse autoencoder at its initial weights (biases 0, data in
    [0.1, 0.9], rho = 0.01, lambda = 1e-4, beta = 3) passes with the default eps = 1e-4, typically ~1e-11."""
    net = ufldl.Network([8, 5, 8], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    X = rng.uniform(0.1, 0.9, size=(20, 8))
    diff = ufldl.check_gradient(lambda th: net.cost_and_grad(X, X, th), net.theta)
    assert 0 < diff < LIMIT
    assert net.check_gradient(X, X)["all"] < LIMIT


# ---------------------------------------------------------------------------- terms in isolation


def _difference(net_on, net_off, X, Y):
    """The cost and gradient of the term that ``net_on`` has and ``net_off`` lacks."""

    def fun(theta):
        cost_on, grad_on = net_on.cost_and_grad(X, Y, theta)
        cost_off, grad_off = net_off.cost_and_grad(X, Y, theta)
        return cost_on - cost_off, grad_on - grad_off

    return fun


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_decay_term_alone(rng, depth):
    on = ufldl.Network(SIZES[depth], "sigmoid", weight_decay=LAMBDA, random_state=depth)
    off = ufldl.Network(SIZES[depth], "sigmoid", weight_decay=0.0, random_state=depth)
    X, Y = _problem(rng, on)
    fun = _difference(on, off, X, Y)
    diff = ufldl.check_gradient(fun, on.theta, 1e-4)
    assert 0 <= diff < LIMIT
    # Exactly lambda * W on the weights, nothing on the biases; the cost is (lambda / 2) sum ||W||^2.
    cost, grad = fun(on.theta)
    n_weights = sum(W.size for W in on.weights)
    tol = tolerance(np.float64)
    assert_close(grad[:n_weights], LAMBDA * on.theta[:n_weights], tol.grad, what="decay gradient on W")
    assert_close(grad[n_weights:], np.zeros(on.n_params - n_weights), tol.grad, scale=np.abs(grad).max(),
                 what="decay gradient on b")
    assert_close(cost, 0.5 * LAMBDA * np.sum(on.theta[:n_weights] ** 2), tol.cost, what="decay cost")
    assert_close(cost, on.cost_terms(X, Y)["decay"], tol.cost, what="decay term")


@pytest.mark.parametrize("loss", ["squared", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("depth, layers", [(2, None), (3, None), (3, (2,)), (4, (1, 3))])
def test_sparsity_term_alone(rng, depth, layers, loss):
    def make(beta):
        return ufldl.Network(SIZES[depth], "sigmoid", loss=loss, weight_decay=LAMBDA,
                             sparsity=ufldl.KLSparsity(0.1, beta, layers=layers), random_state=depth)

    on, off = make(3.0), make(0.0)
    X, Y = _problem(rng, on)
    off.theta = on.theta
    assert off.cost_terms(X, Y)["sparsity"] == 0.0
    fun = _difference(on, off, X, Y)
    cost, grad = fun(on.theta)
    assert_close(cost, on.cost_terms(X, Y)["sparsity"], tolerance(np.float64).cost, what="sparsity term")
    assert np.abs(grad).max() > 1e-3  # the term's gradient is really there
    diff = ufldl.check_gradient(fun, on.theta, EPS)
    assert 0 < diff < LIMIT


# ---------------------------------------------------------------------------- the checker itself


def _h(x):
    """The tutorial's self-test: h(x) = x1^2 + 3 x1 x2 and its gradient."""
    return x[0] ** 2 + 3 * x[0] * x[1], np.array([2 * x[0] + 3 * x[1], 3 * x[0]])


def test_tutorial_self_test():
    x = np.array([4.0, 10.0])
    diff = ufldl.check_gradient(_h, x)
    assert 0 < diff < LIMIT  # the tutorial reports about 2e-12
    np.testing.assert_allclose(ufldl.numerical_gradient(_h, x), [38.0, 12.0], rtol=1e-9)
    np.testing.assert_array_equal(x, [4.0, 10.0])


def test_wrong_gradient_is_caught():
    def wrong(x):  # d/dx2 off by a constant 1
        cost, grad = _h(x)
        return cost, grad + np.array([0.0, 1.0])

    assert ufldl.check_gradient(wrong, np.array([4.0, 10.0])) > 1e-2


@pytest.mark.parametrize("corruption", ["scaled", "one-entry", "swapped-blocks"])
def test_wrong_network_gradient_is_caught(rng, corruption):
    net = ufldl.Network([5, 4, 3], "sigmoid", weight_decay=LAMBDA, sparsity=SPARSITY, random_state=2)
    X, Y = _problem(rng, net)
    n_w1 = net.weights[0].size

    def fun(theta):
        cost, grad = net.cost_and_grad(X, Y, theta)
        if corruption == "scaled":
            grad = grad * 1.01
        elif corruption == "one-entry":
            grad[np.argmax(np.abs(grad))] *= -1
        else:  # the first 12 entries of the W_1 and W_2 blocks exchanged (a layout mistake)
            grad = grad.copy()
            grad[:12], grad[n_w1:n_w1 + 12] = grad[n_w1:n_w1 + 12].copy(), grad[:12].copy()
        return cost, grad

    assert ufldl.check_gradient(fun, net.theta) > 1e-3


@pytest.mark.parametrize("decays", [(0.0, 0.0, LAMBDA), (LAMBDA, 0.0, 2 * LAMBDA), (1e-3, 2e-2, 0.1)])
def test_per_layer_decay(rng, decays):
    """One lambda per weight layer (the tutorial's fine-tuning decays only the softmax layer)."""
    net = ufldl.Network(SIZES[3], ["sigmoid", "sigmoid", "softmax"], "cross_entropy", weight_decay=decays,
                        sparsity=SPARSITY, random_state=3)
    assert net.weight_decay == decays
    X, Y = _problem(rng, net)
    _assert_gradient_ok(net, X, Y)
    terms = net.cost_terms(X, Y)
    want = sum(0.5 * lam * np.sum(W ** 2) for lam, W in zip(decays, net.weights))
    assert_close(terms["decay"], want, tolerance(np.float64).cost, what="per-layer decay term")
    from .helpers import assert_matches_reference

    assert_matches_reference(net, X, Y)
    # Equal lambdas are the scalar setting exactly.
    same = ufldl.Network(SIZES[3], ["sigmoid", "sigmoid", "softmax"], "cross_entropy", weight_decay=[LAMBDA] * 3,
                         random_state=3)
    scalar = ufldl.Network(SIZES[3], ["sigmoid", "sigmoid", "softmax"], "cross_entropy", weight_decay=LAMBDA,
                           random_state=3)
    assert same.cost_and_grad(X, Y)[0] == scalar.cost_and_grad(X, Y)[0]


def test_per_layer_decay_is_validated():
    with pytest.raises(ValueError, match=r"weight_decay must be one number or one per weight layer \(2\); got 3"):
        ufldl.Network([3, 4, 2], weight_decay=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"weight_decay\[1\] must be >= 0.0; got -1.0"):
        ufldl.Network([3, 4, 2], weight_decay=[0.1, -1.0])
