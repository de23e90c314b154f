"""The fused update kernels and the C++ mini-batch epoch against plain NumPy.

The update rules are scikit-learn's (sgd with momentum / Nesterov, Adam), in NumPy as ``ufldl.reference.sgd_update``
and ``ufldl.reference.adam_update``; one C++ epoch must equal a Python loop over the same batches (same order of
rows), to rounding.
"""

import numpy as np
import pytest

import ufldl
from ufldl import _core, reference

RTOL = {np.float64: 1e-13, np.float32: 2e-6}

# The NumPy rules under their former names, for the modules that still import them from here.
sgd_numpy = reference.sgd_update
adam_numpy = reference.adam_update


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update_matches_numpy(rng, dtype, momentum, nesterov):
    n = 1001  # not a multiple of any SIMD width
    theta, grad, velocity = (rng.normal(size=n).astype(dtype) for _ in range(3))
    want_theta, want_velocity = reference.sgd_update(theta.astype(np.float64), grad.astype(np.float64),
                                                      velocity.astype(np.float64), 0.1, momentum, nesterov)
    _core.sgd_update(theta, grad, velocity, 0.1, momentum, nesterov)
    np.testing.assert_allclose(theta, want_theta, rtol=RTOL[dtype], atol=RTOL[dtype])
    if momentum:
        np.testing.assert_allclose(velocity, want_velocity, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("t", [1, 2, 50])
def test_adam_update_matches_numpy(rng, dtype, t):
    n = 1001
    theta, grad, m1 = (rng.normal(size=n).astype(dtype) for _ in range(3))
    m2 = rng.uniform(0, 1, size=n).astype(dtype)
    want = reference.adam_update(*(a.astype(np.float64) for a in (theta, grad, m1, m2)), t, 1e-3, 0.9, 0.999,
                                  1e-8)
    _core.adam_update(theta, grad, m1, m2, t, 1e-3, 0.9, 0.999, 1e-8)
    for got, expected in zip((theta, m1, m2), want):
        np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


def test_update_buffers_are_never_converted(rng):
    theta = rng.normal(size=10)
    with pytest.raises(TypeError, match="velocity must have dtype float64, got float32"):
        _core.sgd_update(theta, theta.copy(), np.zeros(10, np.float32), 0.1, 0.9, False)
    with pytest.raises(ValueError, match=r"grad must have shape \(10,\), got \(9,\)"):
        _core.sgd_update(theta, np.zeros(9), np.zeros(10), 0.1, 0.9, False)
    with pytest.raises(ValueError, match="t .* must be >= 1, got 0"):
        _core.adam_update(theta, theta.copy(), np.zeros(10), np.zeros(10), 0, 1e-3, 0.9, 0.999, 1e-8)
    with pytest.raises(TypeError, match="theta must have dtype float64 or float32, got int64"):
        _core.sgd_update(np.zeros(10, np.int64), theta, theta, 0.1, 0.9, False)


def run_epoch(net, X, Y, order, batch_size, rule, state1, state2, step, lr=0.05, momentum=0.9, nesterov=False):
    """One C++ epoch; returns (batch costs, updates made, step after) like a Python loop would."""
    sparsity = net.sparsity or ufldl.KLSparsity()
    order = np.asarray(order, dtype=np.int64)
    step = np.array([step], dtype=np.int64)
    costs = np.full(-(-len(order) // batch_size) if batch_size > 0 else 1, np.nan)
    updates = net._engine.minibatch_epoch(
        net.theta, X, Y, order, batch_size,
        _core.CostSettings(sparse_layers=net._sparse_flags, weight_decay=net.weight_decay, rho=sparsity.rho,
                           beta=sparsity.beta),
        _core.UpdateParams(rule=_core.UpdateRule(rule), learning_rate=lr, momentum=momentum, nesterov=nesterov,
                           beta1=0.9, beta2=0.999, epsilon=1e-8),
        state1, state2, step, costs)
    return costs, updates, int(step[0])


CASES = {
    "sparse-autoencoder-sgd": (dict(layer_sizes=[16, 5, 16], weight_decay=1e-3,
                                    sparsity=ufldl.KLSparsity(0.05, 3.0)), 0, False),
    "sparse-autoencoder-nesterov": (dict(layer_sizes=[16, 5, 16], weight_decay=1e-3,
                                         sparsity=ufldl.KLSparsity(0.05, 3.0)), 0, True),
    "softmax-adam": (dict(layer_sizes=[16, 8, 4], activations=["tanh", "softmax"], loss="cross_entropy",
                          weight_decay=1e-4), 1, False),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_cpp_epoch_equals_python_loop(rng, case, dtype):
    config, rule, nesterov = case
    net = ufldl.Network(**config, dtype=dtype, random_state=0)
    m, batch_size = 203, 32  # the last batch is smaller
    X = rng.uniform(0.1, 0.9, size=(m, 16)).astype(dtype)
    Y = rng.integers(0, 4, size=m) if net.loss == "cross_entropy" else X
    order = np.random.default_rng(7).permutation(m)

    # Python loop: gather, evaluate, update with the NumPy rules (ufldl.reference).
    theta = net.theta.astype(np.float64)
    s1 = np.zeros_like(theta)
    s2 = np.zeros_like(theta)
    costs = []
    for k, start in enumerate(range(0, m, batch_size)):
        rows = order[start:start + batch_size]
        cost, grad = net.cost_and_grad(X[rows], Y[rows], theta.astype(dtype))
        costs.append(cost)
        grad = grad.astype(np.float64)
        if rule == 0:
            theta, s1 = reference.sgd_update(theta, grad, s1, 0.05, 0.9, nesterov)
        else:
            theta, s1, s2 = reference.adam_update(theta, grad, s1, s2, k + 1, 0.05, 0.9, 0.999, 1e-8)

    state1 = np.zeros(net.n_params, dtype)
    state2 = np.zeros(net.n_params, dtype)
    batch_costs, updates, step = run_epoch(net, X, np.ascontiguousarray(Y), order.astype(np.int64), batch_size,
                                           rule, state1, state2, 0, nesterov=nesterov)
    assert updates == step == len(costs) == 7
    tol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(batch_costs, costs, rtol=tol)
    np.testing.assert_allclose(net.theta, theta, rtol=tol, atol=tol)


def test_epoch_stops_before_a_non_finite_update(rng):
    # An identity output with a huge learning rate diverges within a few batches.
    net = ufldl.Network([4, 3, 4], activations=["tanh", "identity"], random_state=0)
    X = rng.normal(size=(64, 4))
    order = np.arange(64, dtype=np.int64)
    state = np.zeros(net.n_params)
    with np.errstate(over="ignore"):
        costs, updates, step = run_epoch(net, X, X, order, 1, 0, state, state.copy(), 0, lr=1e6, momentum=0.0)
    assert updates < 64 and step == updates
    assert not np.isfinite(costs[updates]) and np.all(np.isnan(costs[updates + 1:]))
    assert np.all(np.isfinite(net.theta))  # the last finite parameters are kept


def test_epoch_refuses_bad_order(rng):
    net = ufldl.Network([4, 3, 4], random_state=0)
    X = rng.uniform(size=(10, 4))
    state = np.zeros(net.n_params)
    with pytest.raises(ValueError, match=r"order must hold row indices in \[0, 10\), got 10 at index 3"):
        run_epoch(net, X, X, np.array([0, 1, 2, 10, 4, 5, 6, 7, 8, 9]), 4, 0, state, state.copy(), 0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        run_epoch(net, X, X, np.arange(10), 0, 0, state, state.copy(), 0)
