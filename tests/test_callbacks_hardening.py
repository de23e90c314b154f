"""User code that runs during training (a callback, a scoring function): every solver treats its exceptions and
its writes to the parameters alike.

- An exception the callback raises stops training and goes on unchanged; the network keeps the progress
  reached (the last completed iterate or epoch), as Ctrl-C does. The full-batch solvers used to leave
  ``net.theta`` at the starting point.
- During the call ``net.theta`` is the iterate the callback is given (the full-batch solvers used to leave the
  starting point there), and it, ``net.weights`` and ``net.biases`` are read-only: a write raises ValueError
  with every solver (the mini-batch solvers used to honour it, the full-batch ones to drop it silently).
"""

import numpy as np
import pytest

import ufldl
from ufldl.optimize import METHODS, SOLVERS, callbacks

OPTIONS = {"gd": dict(learning_rate=1.0), "sgd": dict(learning_rate=0.1, batch_size=20),
           "adam": dict(learning_rate=0.01, batch_size=20)}


class Boom(Exception):
    """The user's own exception."""


def problem(rng, dtype="float64"):
    X = rng.uniform(0.1, 0.9, size=(120, 10))
    net = ufldl.Network([10, 4, 10], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.1, 3.0), dtype=dtype,
                        random_state=0)
    return net, X


def train(net, X, solver, **kwargs):
    return ufldl.train(net, X, X, solver, max_iter=20, tol=0.0, random_state=0, **OPTIONS.get(solver, {}),
                       **kwargs)


def assert_writeable_again(net):
    assert net.theta.flags.writeable
    assert all(W.flags.writeable for W in net.weights) and all(b.flags.writeable for b in net.biases)


# ---------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_exception_in_the_callback_keeps_the_last_completed_iterate(rng, solver):
    net, X = problem(rng)
    start = net.theta.copy()
    seen = {}
    raised = Boom("from the callback")

    def callback(k, theta, cost):
        seen[k] = theta.copy()
        if k == 3:
            raise raised

    with pytest.raises(Boom) as info:
        train(net, X, solver, callback=callback)
    assert info.value is raised  # re-raised unchanged
    assert sorted(seen) == [1, 2, 3]
    assert np.array_equal(net.theta, seen[3]) and not np.array_equal(net.theta, start)
    assert_writeable_again(net)
    # The network can be trained further from there.
    train(net, X, solver)


@pytest.mark.parametrize("method", METHODS)
def test_an_exception_from_the_cost_keeps_the_last_completed_iterate(rng, method, monkeypatch):
    net, X = problem(rng)
    seen = {}
    real = ufldl.Network.objective

    def objective(self, *args):
        # The objective train() builds: its evaluations from Python (fun) and, for "lbfgs", those the core runs
        # (fun.lbfgs_evaluations, a whole iteration per call) fail once four iterations are complete.
        fun = real(self, *args)

        def failing(theta):
            if len(seen) == 4:
                raise MemoryError("from the cost")
            return fun(theta)

        def failing_in_the_core(state):
            if len(seen) == 4:
                raise MemoryError("from the cost")
            return fun.lbfgs_evaluations(state)

        failing.lbfgs_evaluations = failing_in_the_core
        return failing

    monkeypatch.setattr(ufldl.Network, "objective", objective)
    with pytest.raises(MemoryError):
        train(net, X, method, callback=lambda k, theta, cost: seen.__setitem__(k, theta.copy()))
    assert np.array_equal(net.theta, seen[4])


def test_a_callback_exception_with_early_stopping_keeps_the_best_epoch_as_ctrl_c_does(rng):
    X = rng.uniform(0.1, 0.9, size=(200, 10))
    seen = {}

    def callback(epoch, theta, loss):
        seen[epoch] = theta.copy()
        if epoch == 6:
            raise Boom

    net = problem(rng)[0]
    with pytest.raises(Boom):
        result = ufldl.train_minibatch(net, X, X, ufldl.SGD(0.3), batch_size=10, max_epochs=10,
                                       early_stopping=True, callback=callback, random_state=0)
    kept = [epoch for epoch, theta in seen.items() if np.array_equal(theta, net.theta)]
    # Ctrl-C at the same point leaves the same parameters.
    other = problem(rng)[0]

    def interrupt(epoch, theta, loss):
        if epoch == 6:
            raise KeyboardInterrupt

    with pytest.warns(ufldl.TrainingInterrupted):
        result = ufldl.train_minibatch(other, X, X, ufldl.SGD(0.3), batch_size=10, max_epochs=10,
                                       early_stopping=True, callback=interrupt, random_state=0)
    assert result.best_iteration < 6  # (so that keeping the best differs from keeping the last epoch)
    assert kept == [result.best_iteration]
    assert np.array_equal(net.theta, other.theta)


def test_an_exception_in_scoring_keeps_the_progress(rng):
    net, X = problem(rng)
    V = rng.uniform(0.1, 0.9, size=(30, 10))
    seen = {}

    def scoring(network, Xv, Yv):
        if len(seen) == 2:
            assert not network.theta.flags.writeable  # scoring runs with the parameters read-only too
            raise Boom
        return -network.cost(Xv, Yv)

    with pytest.raises(Boom):
        ufldl.train_minibatch(net, X, X, "adam", batch_size=20, max_epochs=5, validation_data=(V, V),
                              scoring=scoring, callback=lambda e, t, c: seen.__setitem__(e, t.copy()),
                              random_state=0)
    # The third epoch ran before its scoring raised: its parameters are kept, as after Ctrl-C.
    three = problem(rng)[0]
    ufldl.train_minibatch(three, X, X, "adam", batch_size=20, max_epochs=3, random_state=0)
    assert np.array_equal(net.theta, three.theta)
    assert_writeable_again(net)


def test_minimize_re_raises_the_callbacks_exception_unchanged(rng):
    net, X = problem(rng)
    theta0 = net.theta.copy()
    raised = Boom()

    def callback(k, theta, cost):
        if k == 2:
            raise raised

    with pytest.raises(Boom) as info:
        ufldl.minimize(lambda t: net.cost_and_grad(X, X, t), theta0, callback=callback)
    assert info.value is raised and not getattr(raised, "__notes__", None)
    assert np.array_equal(theta0, net.theta)  # the caller's theta0 is never written


@pytest.mark.parametrize("solver", SOLVERS)
def test_stop_iteration_still_stops(rng, solver):
    net, X = problem(rng)

    def callback(k, theta, cost):
        if k == 2:
            raise StopIteration

    result = train(net, X, solver, callback=callback)
    assert result.n_iter == 2 and "callback" in result.message
    assert_writeable_again(net)


def test_train_checks_the_callback(rng):
    net, X = problem(rng)
    with pytest.raises(TypeError, match=r"callback must be None or callable, as callback\(iteration, theta, "
                                        r"cost\); got int"):
        ufldl.train(net, X, X, "lbfgs", callback=3)


# ---------------------------------------------------------------------------- the network during the call


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_during_the_callback_net_theta_is_the_iterate(rng, solver, dtype):
    net, X = problem(rng, dtype)
    start = net.theta.copy()
    checked = []

    def callback(k, theta, cost):
        assert theta.dtype == net.dtype and not theta.flags.writeable
        assert np.shares_memory(theta, net.theta) and np.array_equal(theta, net.theta)
        assert not np.array_equal(net.theta, start)
        if solver in METHODS:  # the full-batch cost is the cost at the iterate
            assert net.cost(X, X) == pytest.approx(cost, rel=1e-12 if dtype == "float64" else 1e-5)
        checked.append(k)

    result = train(net, X, solver, callback=callback)
    assert checked == list(range(1, result.n_iter + 1))
    assert_writeable_again(net)


WRITES = {
    "net.theta = ...": lambda net, theta: setattr(net, "theta", np.zeros_like(net.theta)),
    "net.theta[:] = ...": lambda net, theta: net.theta.__setitem__(slice(None), 0.0),
    "net.weights[0] *= ...": lambda net, theta: net.weights[0].__imul__(0.5),
    "net.biases[1][...] = ...": lambda net, theta: net.biases[1].__setitem__(Ellipsis, 1.0),
    "theta[0] = ...": lambda net, theta: theta.__setitem__(0, 1.0),
    "net.initialize()": lambda net, theta: net.initialize(0),
}


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("solver", SOLVERS)
def test_writing_the_parameters_in_a_callback_raises_with_every_solver(rng, solver, write):
    net, X = problem(rng)
    seen = {}

    def callback(k, theta, cost):
        seen[k] = theta.copy()
        if k == 2:
            WRITES[write](net, theta)

    with pytest.raises(ValueError, match="read-only") as info:
        train(net, X, solver, callback=callback)
    if write != "theta[0] = ...":  # writes through net say why
        assert any("read-only while a training callback" in note for note in info.value.__notes__)
    assert np.array_equal(net.theta, seen[2])  # nothing was written; the progress is kept
    assert_writeable_again(net)
    net.theta = np.zeros_like(net.theta)  # writeable again after training


def test_the_mini_batch_optimiser_can_still_be_adjusted_in_a_callback(rng):
    net, X = problem(rng)
    opt = ufldl.SGD(0.1)
    rates = []

    def callback(epoch, theta, loss):
        rates.append(opt.current_learning_rate)
        opt.current_learning_rate /= 2

    ufldl.train_minibatch(net, X, X, opt, batch_size=20, max_epochs=3, callback=callback)
    assert rates == [0.1, 0.05, 0.025]


def test_read_only_during_the_call_does_not_outlive_it(rng):
    net, _ = problem(rng)
    flags = []
    callbacks.call_with_parameters_read_only(net, lambda: flags.append(net.theta.flags.writeable))
    with pytest.raises(Boom):
        callbacks.call_with_parameters_read_only(net, lambda: (_ for _ in ()).throw(Boom()))
    assert flags == [False]
    assert_writeable_again(net)
