"""The compiled core's typed arguments: _core.UpdateRule, _core.UpdateParams and _core.CostSettings, as
cost_and_grad and minibatch_epoch take them (the engine is private; these pin its calling convention)."""

import numpy as np
import pytest

import ufldl
from ufldl import _core

SIZES = [6, 4, 6]
FLAGS = [False, True, False]


def sparse_net(dtype=np.float64):
    return ufldl.Network(SIZES, weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), dtype=dtype, random_state=0)


def data(rng, dtype=np.float64, m=40):
    return rng.uniform(0.1, 0.9, size=(m, SIZES[0])).astype(dtype)


def test_update_rule_is_an_enum():
    assert _core.UpdateRule.sgd != _core.UpdateRule.adam
    assert (int(_core.UpdateRule.sgd), int(_core.UpdateRule.adam)) == (0, 1)
    assert _core.UpdateRule(1) == _core.UpdateRule.adam


def test_update_params_defaults_keywords_and_attributes():
    p = _core.UpdateParams()
    assert (p.rule, p.learning_rate, p.momentum, p.nesterov) == (_core.UpdateRule.sgd, 0.01, 0.0, False)
    assert (p.beta1, p.beta2, p.epsilon) == (0.9, 0.999, 1e-8)
    p = _core.UpdateParams(rule=_core.UpdateRule.adam, learning_rate=0.5, momentum=0.9, nesterov=True, beta1=0.8,
                           beta2=0.99, epsilon=1e-6)
    assert (p.rule, p.learning_rate, p.momentum, p.nesterov) == (_core.UpdateRule.adam, 0.5, 0.9, True)
    assert (p.beta1, p.beta2, p.epsilon) == (0.8, 0.99, 1e-6)
    p.learning_rate = 0.25
    assert p.learning_rate == 0.25
    assert "rule=UpdateRule.adam" in repr(p) and "learning_rate=0.25" in repr(p)
    with pytest.raises(TypeError):
        _core.UpdateParams(_core.UpdateRule.sgd)  # keywords only
    with pytest.raises(TypeError):
        _core.UpdateParams(rule=0)  # a rule, not its number


def test_cost_settings_defaults_keywords_and_attributes():
    c = _core.CostSettings(sparse_layers=FLAGS)
    assert (c.sparse_layers, c.weight_decay, c.rho, c.beta) == (FLAGS, 0.0, 0.01, 3.0)
    assert c.running_rho_hat is None and c.rho_hat_decay == 0.0
    running = np.zeros(sum(SIZES[1:]))
    c = _core.CostSettings(sparse_layers=FLAGS, weight_decay=[1e-3, 2e-3], rho=0.05, beta=2.0,
                           running_rho_hat=running, rho_hat_decay=0.5)
    assert (c.weight_decay, c.rho, c.beta, c.rho_hat_decay) == ([1e-3, 2e-3], 0.05, 2.0, 0.5)
    assert c.running_rho_hat is running  # the caller's array, updated in place by the core
    assert "CostSettings(" in repr(c)
    with pytest.raises(TypeError):
        _core.CostSettings(FLAGS)  # keywords only
    with pytest.raises(TypeError):
        _core.CostSettings(weight_decay=0.0)  # sparse_layers is required


def test_cost_and_grad_takes_cost_settings(rng):
    net = sparse_net()
    X = data(rng)
    grad = np.empty(net.n_params)
    settings = _core.CostSettings(sparse_layers=FLAGS, weight_decay=1e-3, rho=0.05, beta=3.0)
    data_term, decay, sparsity = net._engine.cost_and_grad(net.theta, X, X, grad, settings)
    terms = net.cost_terms(X, X)
    assert (data_term, decay, sparsity) == (terms["data"], terms["decay"], terms["sparsity"])
    np.testing.assert_array_equal(grad, net.cost_and_grad(X, X)[1])
    with pytest.raises(TypeError):  # the loose arguments of the old signature are gone
        net._engine.cost_and_grad(net.theta, X, X, grad, 1e-3, FLAGS, 0.05, 3.0)


def test_cost_and_grad_updates_a_running_rho_hat(rng):
    net = sparse_net()
    X = data(rng)
    rho_hat = net.mean_activations(X)[0]
    start = np.full(sum(SIZES[1:]), 0.3)
    running = start.copy()
    grad = np.empty(net.n_params)
    settings = _core.CostSettings(sparse_layers=FLAGS, weight_decay=1e-3, rho=0.05, beta=3.0,
                                  running_rho_hat=running, rho_hat_decay=0.75)
    net._engine.cost_and_grad(net.theta, X, X, grad, settings)
    np.testing.assert_allclose(running[:SIZES[1]], 0.75 * 0.3 + 0.25 * rho_hat, rtol=1e-12)
    np.testing.assert_array_equal(running[SIZES[1]:], start[SIZES[1]:])  # the output layer is never sparse
    # With decay 0 the estimate is the batch's own rho_hat, so the cost is the batch's.
    settings.rho_hat_decay = 0.0
    terms = net._engine.cost_and_grad(net.theta, X, X, grad, settings)
    np.testing.assert_allclose(running[:SIZES[1]], rho_hat, rtol=1e-12)
    expected = net.cost_terms(X, X)
    np.testing.assert_allclose(terms, (expected["data"], expected["decay"], expected["sparsity"]), rtol=1e-12)


def test_cost_and_grad_checks_the_running_rho_hat(rng):
    net = sparse_net()
    X = data(rng)
    grad = np.empty(net.n_params)
    n_units = sum(SIZES[1:])

    def run(running, decay=0.5, out=grad):
        settings = _core.CostSettings(sparse_layers=FLAGS, rho=0.05, running_rho_hat=running, rho_hat_decay=decay)
        return net._engine.cost_and_grad(net.theta, X, X, out, settings)

    with pytest.raises(ValueError, match=r"running_rho_hat must have shape \(10,\), got \(9,\)"):
        run(np.zeros(n_units - 1))
    with pytest.raises(TypeError, match="running_rho_hat must have dtype float64, got float32"):
        run(np.zeros(n_units, np.float32))
    # (1 is allowed at this level: the given estimate as it is, what Network.partial_sums uses)
    with pytest.raises(ValueError, match=r"rho_hat_decay must lie in \[0, 1\], got 1.5"):
        run(np.zeros(n_units), decay=1.5)
    both = np.zeros(net.n_params + n_units)
    with pytest.raises(ValueError, match="grad must not share memory with running_rho_hat"):
        run(both[net.n_params - 1:net.n_params - 1 + n_units], out=both[:net.n_params])
    with pytest.raises(ValueError, match="running_rho_hat must not share memory with X"):
        run(X.reshape(-1)[:n_units])
    read_only = np.zeros(n_units)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="running_rho_hat must be writable"):
        run(read_only)


@pytest.mark.parametrize("rule", [_core.UpdateRule.sgd, _core.UpdateRule.adam])
def test_minibatch_epoch_takes_the_structs(rng, rule):
    net = sparse_net()
    X = data(rng, m=30)
    order = np.arange(30, dtype=np.int64)
    state1, state2 = np.zeros(net.n_params), np.zeros(net.n_params)
    step, costs = np.zeros(1, np.int64), np.full(3, np.nan)
    cost = _core.CostSettings(sparse_layers=FLAGS, weight_decay=1e-3, rho=0.05, beta=3.0)
    update = _core.UpdateParams(rule=rule, learning_rate=0.1, momentum=0.9)
    before = net.theta.copy()
    updates = net._engine.minibatch_epoch(net.theta, X, X, order, 10, cost, update, state1, state2, step, costs)
    assert updates == 3 and step[0] == 3 and np.isfinite(costs).all()
    assert not np.array_equal(net.theta, before)
    assert np.any(state1 != 0)
    assert np.any(state2 != 0) == (rule == _core.UpdateRule.adam)  # sgd keeps its velocity in state1 only


def test_minibatch_epoch_refuses_a_rule_that_does_not_exist(rng):
    net = sparse_net()
    X = data(rng, m=10)
    n = net.n_params
    before = net.theta.copy()
    with pytest.raises(ValueError, match=r"rule must be UpdateRule.sgd or UpdateRule.adam, got 5"):
        net._engine.minibatch_epoch(net.theta, X, X, np.arange(10, dtype=np.int64), 5,
                                    _core.CostSettings(sparse_layers=FLAGS),
                                    _core.UpdateParams(rule=_core.UpdateRule(5)), np.zeros(n), np.zeros(n),
                                    np.zeros(1, np.int64), np.zeros(2))
    np.testing.assert_array_equal(net.theta, before)
