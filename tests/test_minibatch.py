"""ufldl.train_minibatch, SGD and Adam: the public mini-batch API around the compiled epoch.

A run must equal a plain Python loop over the same batches (NumPy shuffles with the same seed, the update
rules in NumPy); schedules, stopping rules, early stopping, the moving-average rho_hat, Ctrl-C and
non-finite values are each checked against what they promise.
"""

import warnings

import numpy as np
import pytest

import ufldl
from ufldl.optimize import minibatch_run

from .test_updates import adam_numpy, sgd_numpy

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 2e-4}


def autoencoder(dtype="float64", **kwargs):
    config = dict(weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), dtype=dtype, random_state=0)
    config.update(kwargs)
    return ufldl.Network([16, 5, 16], **config)


def patches(rng, m=203, dtype=np.float64, n=16):
    return rng.uniform(0.1, 0.9, size=(m, n)).astype(dtype)


def python_loop(net, X, Y, rule, epochs, batch_size, seed, lr, momentum=0.9, nesterov=True, decay=None):
    """The reference: NumPy shuffles, Network.cost_and_grad per batch, the NumPy update rules; returns
    (theta, epoch losses). With ``decay``, rho_hat is the moving average and the sparsity gradient is
    computed here from it (one hidden layer)."""
    rng = np.random.default_rng(seed)
    theta = net.theta.astype(np.float64)
    s1, s2 = np.zeros_like(theta), np.zeros_like(theta)
    t, losses, m = 0, [], X.shape[0]
    running = net.mean_activations(X)[0] if decay is not None else None
    plain = net.copy()
    plain.sparsity = None
    for _ in range(epochs):
        order = rng.permutation(m)
        total = 0.0
        for start in range(0, m, batch_size):
            rows = order[start:start + batch_size]
            cur = theta.astype(net.dtype)
            if decay is None:
                cost, grad = net.cost_and_grad(X[rows], Y[rows], cur)
                grad = grad.astype(np.float64)
            else:
                cost, grad = plain.cost_and_grad(X[rows], Y[rows], cur)
                grad = grad.astype(np.float64)
                n, h = net.layer_sizes[0], net.layer_sizes[1]
                W1 = cur[:h * n].reshape(h, n).astype(np.float64)
                A1 = 1 / (1 + np.exp(-(X[rows] @ W1.T + cur[2 * h * n:2 * h * n + h])))
                running = decay * running + (1 - decay) * A1.mean(axis=0)
                rho, beta = net.sparsity.rho, net.sparsity.beta
                s = beta * (-rho / running + (1 - rho) / (1 - running)) / len(rows)
                D1 = s * A1 * (1 - A1)
                grad[:h * n] += (D1.T @ X[rows]).ravel()
                grad[2 * h * n:2 * h * n + h] += D1.sum(axis=0)
                cost += beta * np.sum(rho * np.log(rho / running) + (1 - rho) * np.log((1 - rho) / (1 - running)))
            total += cost * len(rows)
            t += 1
            if rule == "sgd":
                theta, s1 = sgd_numpy(theta, grad, s1, lr, momentum, nesterov)
            else:
                theta, s1, s2 = adam_numpy(theta, grad, s1, s2, t, lr, 0.9, 0.999, 1e-8)
        losses.append(total / m)
    return theta, losses


# ---------------------------------------------------------------------------- equal to a Python loop


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_run_equals_a_python_loop_with_the_same_seed(rng, rule, dtype):
    net = autoencoder(dtype)
    X = patches(rng, dtype=dtype)
    lr = 0.05 if rule == "sgd" else 0.01
    want_theta, want_losses = python_loop(net, X, X, rule, 3, 32, seed=5, lr=lr)
    opt = ufldl.SGD(lr) if rule == "sgd" else ufldl.Adam(lr)
    result = ufldl.train_minibatch(net, X, X, opt, batch_size=32, max_epochs=3, random_state=5)
    tol = RTOL[np.dtype(dtype)]
    np.testing.assert_allclose(result.loss_curve, want_losses, rtol=tol)
    np.testing.assert_allclose(net.theta, want_theta, rtol=tol, atol=tol)
    assert result.n_iter == 3 and result.n_updates == opt.n_updates == 3 * 7
    assert result.batch_loss_curve.shape == (21,) and np.isfinite(result.batch_loss_curve).all()
    assert result.theta.dtype == net.dtype and np.array_equal(result.theta, net.theta)


def test_softmax_labels(rng):
    net = ufldl.Network([16, 8, 4], ["tanh", "softmax"], "cross_entropy", weight_decay=1e-4, random_state=0)
    X = rng.normal(size=(150, 16))
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)
    want_theta, want_losses = python_loop(net, X, y, "adam", 2, 25, seed=1, lr=0.01)
    result = ufldl.train_minibatch(net, X, y, ufldl.Adam(0.01), batch_size=25, max_epochs=2, random_state=1)
    np.testing.assert_allclose(result.loss_curve, want_losses, rtol=1e-10)
    np.testing.assert_allclose(net.theta, want_theta, rtol=1e-10, atol=1e-12)


# 64-25-64 with 1,000-row batches: two shards on two threads, which must share the running estimate.
@pytest.mark.parametrize("n, h, m, batch_size", [(16, 5, 203, 20), (64, 25, 2000, 1000)])
def test_running_rho_hat_equals_a_python_loop(rng, n, h, m, batch_size):
    net = ufldl.Network([n, h, n], weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
    X = patches(rng, m=m, n=n)
    want_theta, want_losses = python_loop(net, X, X, "sgd", 2, batch_size, seed=3, lr=0.05, decay=0.9)
    result = ufldl.train_minibatch(net, X, X, ufldl.SGD(0.05), batch_size=batch_size, max_epochs=2,
                                   random_state=3, rho_hat_decay=0.9)
    np.testing.assert_allclose(result.loss_curve, want_losses, rtol=1e-10)
    np.testing.assert_allclose(net.theta, want_theta, rtol=1e-10, atol=1e-12)


def test_running_rho_hat_starts_at_the_data_and_is_kept(rng):
    net = autoencoder()
    X = patches(rng)
    start = net.mean_activations(X)[0]
    opt = ufldl.SGD(0.05)
    # decay 0 would forget the start at once; close to 1 it barely moves in one batch.
    ufldl.train_minibatch(net, X, X, opt, batch_size=len(X), max_epochs=1, rho_hat_decay=0.999999,
                          random_state=0)
    np.testing.assert_allclose(opt.running_rho_hat[:5], start, rtol=1e-5)
    assert np.all(opt.running_rho_hat[5:] == 0)  # the output layer carries no penalty
    # With decay 0 the running value is the last batch's own rho_hat (the parameters before its update).
    before = net.copy()
    ufldl.train_minibatch(net, X, X, opt, batch_size=len(X), max_epochs=1, rho_hat_decay=0.0, random_state=0)
    np.testing.assert_allclose(opt.running_rho_hat[:5], before.mean_activations(X)[0], rtol=1e-12)


def test_running_rho_hat_lets_single_examples_vary(rng):
    """With one example per batch, the batch's rho_hat is that example's activation, so the penalty pulls
    every example's activation towards rho (dense codes); the moving average only constrains the mean, and
    the activations spread more (measured: mean std 0.018 against 0.015)."""
    X = patches(rng, m=500)
    spread = {}
    for decay in (None, 0.99):
        net = autoencoder()
        ufldl.train_minibatch(net, X, X, ufldl.SGD(0.02, momentum=0.0), batch_size=1, max_epochs=5,
                              random_state=0, rho_hat_decay=decay)
        A = net.forward(X, stop=1)
        assert np.abs(A.mean(axis=0) - 0.05).max() < 0.005  # both meet the target on average
        spread[decay] = A.std(axis=0).mean()
    assert spread[0.99] > 1.1 * spread[None]


# ---------------------------------------------------------------------------- every optimiser learns


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", [
    ufldl.SGD(0.1, momentum=0.0), ufldl.SGD(0.1, momentum=0.9, nesterov=False), ufldl.SGD(0.1),
    ufldl.Adam(0.01), ufldl.SGD(0.2, lr_schedule="invscaling", power_t=0.25),
    ufldl.Adam(0.01, lr_schedule="adaptive"),
], ids=repr)
def test_every_optimiser_lowers_the_cost(rng, optimizer, dtype):
    net = autoencoder(dtype)
    X = patches(rng, m=400, dtype=dtype)
    before = net.cost(X, X)
    optimizer.reset()
    ufldl.train_minibatch(net, X, X, optimizer, batch_size=20, max_epochs=10, random_state=0)
    assert net.cost(X, X) < 0.5 * before


def test_same_seed_same_result_other_seed_other_result(rng):
    X = patches(rng)
    thetas = []
    for seed in (4, 4, 5):
        net = autoencoder()
        ufldl.train_minibatch(net, X, X, "adam", batch_size=16, max_epochs=2, random_state=seed)
        thetas.append(net.theta.copy())
    assert np.array_equal(thetas[0], thetas[1])
    assert not np.array_equal(thetas[0], thetas[2])


def test_one_thread_equals_two(rng):
    X = patches(rng, m=600)
    thetas = []
    for threads in (1, 2):
        net = autoencoder()
        with ufldl.blas_threads(threads):
            ufldl.train_minibatch(net, X, X, "adam", batch_size=300, max_epochs=2, random_state=0)
        thetas.append(net.theta.copy())
    np.testing.assert_allclose(thetas[0], thetas[1], rtol=1e-12, atol=1e-14)


def test_continuing_with_the_same_optimiser_equals_one_long_run(rng):
    X = patches(rng)
    net_a, net_b = autoencoder(), autoencoder()
    opt_a = ufldl.Adam(0.01)
    gen = np.random.default_rng(9)
    for _ in range(3):
        ufldl.train_minibatch(net_a, X, X, opt_a, batch_size=30, max_epochs=1, random_state=gen)
    opt_b = ufldl.Adam(0.01)
    ufldl.train_minibatch(net_b, X, X, opt_b, batch_size=30, max_epochs=3, random_state=np.random.default_rng(9))
    assert np.array_equal(net_a.theta, net_b.theta)
    assert opt_a.n_updates == opt_b.n_updates == 21


def test_run_length_between_python_checks_does_not_change_results(rng, monkeypatch):
    X = patches(rng)
    thetas = []
    for seconds in (minibatch_run._CHUNK_SECONDS, 0.0):  # adaptive runs of batches, or one batch per call
        monkeypatch.setattr(minibatch_run, "_CHUNK_SECONDS", seconds)
        net = autoencoder()
        ufldl.train_minibatch(net, X, X, "sgd", batch_size=8, max_epochs=2, random_state=0)
        thetas.append(net.theta.copy())
    assert np.array_equal(thetas[0], thetas[1])


def test_shuffle_false_keeps_the_order(rng):
    X = patches(rng)
    net = autoencoder()
    ufldl.train_minibatch(net, X, X, ufldl.SGD(0.05), batch_size=50, max_epochs=1, shuffle=False)
    ref = autoencoder()
    theta, v = ref.theta.astype(np.float64), np.zeros(ref.n_params)
    for start in range(0, len(X), 50):
        _, grad = ref.cost_and_grad(X[start:start + 50], X[start:start + 50], theta)
        theta, v = sgd_numpy(theta, grad, v, 0.05, 0.9, True)
    np.testing.assert_allclose(net.theta, theta, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- schedules and stopping


def test_invscaling_follows_scikit_learn(rng):
    X = patches(rng, m=100)
    net = autoencoder()
    result = ufldl.train_minibatch(net, X, X, ufldl.SGD(0.1, lr_schedule="invscaling", power_t=0.5),
                                   batch_size=25, max_epochs=3, random_state=0)
    assert result.learning_rates == pytest.approx([0.1, 0.1 / 101 ** 0.5, 0.1 / 201 ** 0.5])


def test_tol_stops_after_n_iter_no_change_epochs(rng):
    X = patches(rng, m=100)
    net = autoencoder()
    result = ufldl.train_minibatch(net, X, X, "sgd", batch_size=25, max_epochs=100, tol=1e3, n_iter_no_change=4)
    # The first epoch improves on +inf; no later one can improve by 1000. As scikit-learn's MLP counts, 4 epochs
    # without improvement are tolerated and the fifth stops.
    assert result.n_iter == 6 and result.converged
    assert "5 consecutive epochs (n_iter_no_change=4)" in result.message


def test_adaptive_divides_the_rate_by_five_then_stops(rng):
    X = patches(rng, m=100)
    net = autoencoder()
    result = ufldl.train_minibatch(net, X, X, ufldl.SGD(1e-4, lr_schedule="adaptive"), batch_size=25,
                                   max_epochs=100, tol=1e3, n_iter_no_change=2)
    rates = result.learning_rates
    assert rates[:4] == [1e-4] * 4 and rates[4] == pytest.approx(2e-5)
    assert rates[-1] <= 1e-6 and result.converged
    assert all(b in (a, pytest.approx(a / 5)) for a, b in zip(rates, rates[1:]))


def test_early_stopping_keeps_the_best_epoch(rng):
    X = patches(rng, m=300)
    net = autoencoder()
    seen = {}
    result = ufldl.train_minibatch(net, X, X, ufldl.SGD(0.5), batch_size=10, max_epochs=60, early_stopping=True,
                                   validation_fraction=0.2, n_iter_no_change=3, tol=0.0, random_state=0,
                                   callback=lambda epoch, theta, loss: seen.__setitem__(epoch, theta.copy()))
    scores = result.validation_scores
    assert len(scores) == result.n_iter == len(seen)
    best = int(np.argmax(scores)) + 1
    assert result.best_iteration == best
    assert np.array_equal(net.theta, seen[best]) and np.array_equal(result.theta, seen[best])
    if result.converged:  # stopped by the rule: n_iter_no_change + 1 epochs in a row below the best so far
        assert result.n_iter >= best + 4
        assert all(scores[k] < max(scores[:k]) for k in range(result.n_iter - 4, result.n_iter))


def test_early_stopping_scores_held_out_rows_only(rng):
    X = patches(rng, m=100)
    net = autoencoder()
    calls = []

    def scoring(network, Xv, Yv):
        calls.append(Xv.shape)
        return -network.cost(Xv, Yv)

    result = ufldl.train_minibatch(net, X, X, "adam", batch_size=10, max_epochs=2, early_stopping=True,
                                   validation_fraction=0.25, scoring=scoring, random_state=0)
    assert calls == [(25, 16), (25, 16)]
    assert result.n_updates == 2 * 8  # 75 training rows in batches of 10


def test_validation_data_is_scored_without_stopping(rng):
    X, V = patches(rng, m=100), patches(rng, m=30)
    net = autoencoder()
    result = ufldl.train_minibatch(net, X, X, "adam", batch_size=10, max_epochs=3, validation_data=(V, V))
    assert result.n_updates == 30 and len(result.validation_scores) == 3
    assert result.validation_scores[-1] == pytest.approx(-net.cost(V, V))


@pytest.mark.parametrize("stop", [True, StopIteration])
def test_callback_can_stop(rng, stop):
    X = patches(rng, m=100)
    net = autoencoder()

    def callback(epoch, theta, loss):
        assert not theta.flags.writeable
        if epoch == 2:
            if stop is True:
                return True
            raise stop
        return None

    result = ufldl.train_minibatch(net, X, X, "adam", max_epochs=10, callback=callback)
    assert result.n_iter == 2 and not result.converged and "callback" in result.message


def test_verbose_prints_one_line_per_epoch(rng, capsys):
    X = patches(rng, m=100)
    ufldl.train_minibatch(autoencoder(), X, X, "adam", max_epochs=3, verbose=1, early_stopping=True)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 3 and all("loss" in e and "validation" in e and "elapsed" in e for e in epochs)


# ---------------------------------------------------------------------------- Ctrl-C and non-finite values


def test_keyboard_interrupt_between_runs_of_batches(rng, monkeypatch):
    X = patches(rng, m=200)
    net = autoencoder()
    monkeypatch.setattr(minibatch_run, "_CHUNK_SECONDS", 0.0)  # one batch per call into the core
    real_call = minibatch_run.MinibatchRun._call
    calls = []

    def call(self, rows, costs):
        updates = real_call(self, rows, costs)
        calls.append(self.net.theta.copy())
        if len(calls) == 13:  # the third batch of epoch 3
            raise KeyboardInterrupt
        return updates

    monkeypatch.setattr(minibatch_run.MinibatchRun, "_call", call)
    with pytest.warns(ufldl.TrainingInterrupted, match="interrupted"):
        result = ufldl.train_minibatch(net, X, X, "adam", batch_size=40, max_epochs=10, random_state=0)
    assert result.interrupted and result.n_iter == 2 and len(result.loss_curve) == 2
    assert np.array_equal(net.theta, calls[-1])  # every update made is kept
    assert result.batch_loss_curve.shape == (13,) and np.isfinite(result.batch_loss_curve).all()


def test_keyboard_interrupt_keeps_the_best_epoch_with_early_stopping(rng):
    X = patches(rng, m=200)
    net = autoencoder()
    seen = {}

    def callback(epoch, theta, loss):
        seen[epoch] = theta.copy()
        if epoch == 4:
            raise KeyboardInterrupt

    with pytest.warns(ufldl.TrainingInterrupted):
        result = ufldl.train_minibatch(net, X, X, ufldl.SGD(0.3), batch_size=10, max_epochs=10,
                                       early_stopping=True, callback=callback, random_state=0)
    assert np.array_equal(net.theta, seen[result.best_iteration])


def test_non_finite_cost_names_the_epoch_and_keeps_finite_parameters(rng):
    # A linear output with a huge learning rate diverges within the first epoch.
    net = ufldl.Network([4, 3, 4], ["tanh", "identity"], random_state=0)
    X = rng.normal(size=(64, 4))
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ufldl.NonFiniteError) as info:
        ufldl.train_minibatch(net, X, X, ufldl.SGD(1e3, momentum=0.0), batch_size=1, max_epochs=5, random_state=0)
    err = info.value
    assert "epoch 1, batch" in str(err) and err.iteration == 1
    assert np.isfinite(net.theta).all() and np.array_equal(err.result.theta, net.theta)
    assert not np.isfinite(err.result.batch_loss_curve[-1])
    assert np.isfinite(err.result.batch_loss_curve[:-1]).all()


def overflowing():
    """A float32 network whose gradients are in the hundreds (inputs of size 100, a linear output)."""
    net = ufldl.Network([16, 5, 16], ["tanh", "identity"], dtype="float32", random_state=0)
    X = (100 * np.random.default_rng(1).normal(size=(40, 16))).astype(np.float32)
    return net, X


def test_an_update_that_overflows_is_undone():
    # Cost and gradient are finite, but lr * gradient is beyond float32's range.
    net, X = overflowing()
    start = net.theta.copy()
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ufldl.NonFiniteError, match="non-finite update") as info:
        ufldl.train_minibatch(net, X, X, ufldl.SGD(1e37, momentum=0.0), batch_size=10, max_epochs=3,
                              random_state=0)
    assert "epoch 1, batch 1 (update 1" in str(info.value)
    assert np.array_equal(net.theta, start)  # the first update overflowed: the start is the last finite point


def test_a_second_epoch_overflow_keeps_the_first_epoch():
    net, X = overflowing()
    kept = {}
    opt = ufldl.SGD(1e-6, momentum=0.0)

    def callback(epoch, theta, loss):
        kept[epoch] = theta.copy()
        opt.current_learning_rate = 1e37  # the next epoch overflows at once

    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ufldl.NonFiniteError) as info:
        ufldl.train_minibatch(net, X, X, opt, batch_size=20, max_epochs=3, callback=callback)
    assert "epoch 2, batch 1" in str(info.value) and info.value.iteration == 2
    assert np.array_equal(net.theta, kept[1]) and np.isfinite(opt.state1).all()
    assert len(info.value.result.loss_curve) == 1 and info.value.result.n_updates == 2


def test_an_overflow_inside_a_run_of_batches_is_replayed_exactly(rng, monkeypatch):
    """The replay: back to the epoch's start, the earlier batches again in one call, then one at a time.
    The detector is replaced so that the 6th update "overflows", inside the third run of batches (1, 2, 4)."""
    X = patches(rng, m=80)
    monkeypatch.setattr(minibatch_run, "_CHUNK_SECONDS", 1e9)  # runs of 1, 2, 4, ... batches
    monkeypatch.setattr(minibatch_run.MinibatchRun, "_state_is_finite", lambda self: self.opt.n_updates < 6)
    net = autoencoder()
    opt = ufldl.Adam(0.01)
    with pytest.raises(ufldl.NonFiniteError, match=r"epoch 1, batch 6 \(update 6 of this run"):
        ufldl.train_minibatch(net, X, X, opt, batch_size=10, max_epochs=2, shuffle=False)
    assert opt.n_updates == 5
    ref = autoencoder()
    ufldl.train_minibatch(ref, X[:50], X[:50], ufldl.Adam(0.01), batch_size=10, max_epochs=1, shuffle=False)
    assert np.array_equal(net.theta, ref.theta)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, exception, pattern", [
    (dict(optimizer="rmsprop"), ValueError, r"optimizer must be one of \('sgd', 'adam'\).*'rmsprop'"),
    (dict(optimizer=3), TypeError, "optimizer must be 'sgd', 'adam', ufldl.SGD or ufldl.Adam; got int"),
    (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1; got 0"),
    (dict(batch_size=2.5), TypeError, "batch_size must be an integer"),
    (dict(max_epochs=0), ValueError, "max_epochs must be an integer >= 1; got 0"),
    (dict(tol=-1.0), ValueError, "tol must be >= 0.0; got -1.0"),
    (dict(early_stopping=True, validation_fraction=1.0), ValueError, "validation_fraction must be < 1.0"),
    (dict(rho_hat_decay=1.0), ValueError, "rho_hat_decay must be < 1.0; got 1.0"),
    (dict(random_state=-1), TypeError, "random_state must be None, an int >= 0"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False; got str"),
    (dict(callback=5), TypeError, "callback must be None or callable"),
    (dict(validation_data=5), TypeError, r"validation_data must be a pair \(X_val, Y_val\)"),
])
def test_bad_arguments_are_refused(rng, kwargs, exception, pattern):
    X = patches(rng, m=20)
    with pytest.raises(exception, match=pattern):
        ufldl.train_minibatch(autoencoder(), X, X, **kwargs)


@pytest.mark.parametrize("make, exception, pattern", [
    (lambda: ufldl.SGD(learning_rate=0.0), ValueError, "learning_rate must be > 0.0; got 0.0"),
    (lambda: ufldl.SGD(momentum=1.0), ValueError, "momentum must be < 1.0; got 1.0"),
    (lambda: ufldl.SGD(nesterov=1), TypeError, "nesterov must be True or False"),
    (lambda: ufldl.SGD(lr_schedule="cosine"), ValueError, "lr_schedule must be one of"),
    (lambda: ufldl.Adam(beta_2=1.0), ValueError, "beta_2 must be < 1.0; got 1.0"),
    (lambda: ufldl.Adam(epsilon=0.0), ValueError, "epsilon must be > 0.0; got 0.0"),
])
def test_bad_optimiser_settings_are_refused(make, exception, pattern):
    with pytest.raises(exception, match=pattern):
        make()


def test_bad_data_is_refused_naming_it(rng):
    X = patches(rng, m=20)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"X must be finite; got 1 NaN or inf value\(s\), the first nan at index \(3, 2\)"):
        ufldl.train_minibatch(autoencoder(), bad, X)
    with pytest.raises(ValueError, match="Y must be finite"):
        ufldl.train_minibatch(autoencoder(), X, bad)
    with pytest.raises(ValueError, match=r"Y must have shape \(m, 16\) with m = 20 rows like X; got shape \(19, 16\)"):
        ufldl.train_minibatch(autoencoder(), X, X[:19])
    with pytest.raises(ValueError, match=r"validation_data: X must have 16 columns, shape \(m, 16\); got shape \(20, 3\)"):
        ufldl.train_minibatch(autoencoder(), X, X, validation_data=(X[:, :3], X))


def test_an_optimiser_bound_to_another_network_is_refused(rng):
    X = patches(rng, m=20)
    opt = ufldl.Adam()
    ufldl.train_minibatch(autoencoder(), X, X, opt, max_epochs=1)
    other = ufldl.Network([16, 7, 16], random_state=0)
    with pytest.raises(ValueError, match=r"optimizer holds state for 181 float64 parameters; the network has "
                                         r"247 float64 parameters \(call optimizer.reset\(\)"):
        ufldl.train_minibatch(other, X, X, opt, max_epochs=1)
    ufldl.train_minibatch(other, X, X, opt.reset(), max_epochs=1)


def test_no_warning_on_a_normal_run(rng):
    X = patches(rng, m=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ufldl.train_minibatch(autoencoder(), X, X, "sgd", max_epochs=2)
