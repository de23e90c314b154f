"""ufldl.train: one entry point for every solver, leaving the result in the network."""

import numpy as np
import pytest

import ufldl


def problem(rng):
    X = rng.uniform(0.1, 0.9, size=(120, 10))
    net = ufldl.Network([10, 4, 10], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.1, 3.0), random_state=0)
    return net, X


@pytest.mark.parametrize("solver", ufldl.optimize.SOLVERS)
def test_every_solver_trains_the_network_in_place(rng, solver):
    net, X = problem(rng)
    before = net.cost(X, X)
    options = {"gd": dict(learning_rate=1.0), "sgd": dict(learning_rate=0.1, batch_size=20),
               "adam": dict(learning_rate=0.01, batch_size=20)}.get(solver, {})
    result = ufldl.train(net, X, X, solver, max_iter=30, random_state=0, **options)
    assert net.cost(X, X) < 0.8 * before
    assert np.array_equal(net.theta, result.theta.astype(net.dtype))
    assert result.method == solver and result.n_iter == len(result.loss_curve) > 0


def test_full_batch_result_is_minimize_on_the_cost(rng):
    net, X = problem(rng)
    theta0 = net.theta.copy()
    result = ufldl.train(net, X, X, "lbfgs", max_iter=40)
    direct = ufldl.minimize(lambda t: net.cost_and_grad(X, X, t), theta0, max_iter=40)
    assert np.array_equal(result.theta, direct.theta) and result.cost == direct.cost


def test_the_tutorial_default_is_lbfgs_400(rng):
    net, X = problem(rng)
    result = ufldl.train(net, X, X, tol=0.0)
    assert result.method == "lbfgs" and result.n_iter <= 400


def test_optimiser_object_continues(rng):
    net, X = problem(rng)
    opt = ufldl.SGD(0.05)
    ufldl.train(net, X, X, "sgd", max_iter=2, optimizer=opt, batch_size=30)
    ufldl.train(net, X, X, "sgd", max_iter=2, optimizer=opt, batch_size=30)
    assert opt.n_updates == 16


@pytest.mark.parametrize("solver, kwargs, exception, pattern", [
    ("newton", {}, ValueError, "solver must be one of"),
    ("lbfgs", dict(batch_size=10), TypeError, "solver 'lbfgs' takes no option 'batch_size'"),
    ("lbfgs", dict(optimizer=ufldl.Adam()), TypeError, "solver 'lbfgs' takes no option 'optimizer'"),
    ("adam", dict(momentum=0.5), TypeError, "solver 'adam' takes no option 'momentum'"),
    ("sgd", dict(optimizer=ufldl.Adam()), TypeError, "optimizer must be a ufldl.SGD for solver 'sgd'; got Adam"),
    ("sgd", dict(optimizer=ufldl.SGD(), momentum=0.1), TypeError, "pass either optimizer or its hyperparameters"),
])
def test_bad_options_are_named(rng, solver, kwargs, exception, pattern):
    net, X = problem(rng)
    with pytest.raises(exception, match=pattern):
        ufldl.train(net, X, X, solver, **kwargs)


def test_non_finite_leaves_the_last_finite_parameters(rng):
    net = ufldl.Network([4, 3, 4], ["identity", "identity"], random_state=0)
    X = 100 * rng.normal(size=(30, 4))
    with np.errstate(all="ignore"), pytest.raises(ufldl.NonFiniteError) as info:
        ufldl.train(net, X, X, "gd", learning_rate=1.0, max_iter=100)
    assert np.isfinite(net.theta).all() and np.array_equal(net.theta, info.value.result.theta)
