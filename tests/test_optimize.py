"""ufldl.optimize.minimize: every method lowers the cost; L-BFGS reaches known minima (a least-squares problem
with a closed-form solution, and softmax regression against SciPy's own L-BFGS-B); the loss history,
callbacks, progress lines; Ctrl-C and non-finite values keep what was computed; argument validation; and the
BLAS thread pools are isolated during a run and restored after it.
"""

import _thread
import re
import threading
import warnings

import numpy as np
import pytest
import scipy.optimize
from threadpoolctl import threadpool_info

import ufldl
from ufldl.optimize import METHODS, NonFiniteError, OptimizeResult, TrainingInterrupted, minimize

from .helpers import SEED

# ---------------------------------------------------------------------------- problems


def sparse_autoencoder(rng, m=200):
    """The tutorial's sparse autoencoder, scaled down: 16-5-16, m examples in [0.1, 0.9]."""
    X = rng.uniform(0.1, 0.9, size=(m, 16))
    net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    return net, X


def least_squares(rng, m=60, n=8, lam=0.1):
    """J(t) = ||A t - b||^2 / (2m) + (lam / 2) ||t||^2, minimised by (A^T A / m + lam I)^-1 A^T b / m."""
    A = rng.normal(size=(m, n))
    b = rng.normal(size=m)

    def fun(t):
        r = A @ t - b
        return 0.5 * (r @ r) / m + 0.5 * lam * (t @ t), A.T @ r / m + lam * t

    solution = np.linalg.solve(A.T @ A / m + lam * np.eye(n), A.T @ b / m)
    return fun, solution


def bowl(c=10.0, wall=12.0, n=5):
    """A smooth convex cost with minimum 93.75 at theta = (5, ..., 5) (|theta| = 11.18), and +inf (with a NaN
    gradient) beyond |theta| = wall: the first line searches from 0 overshoot into the wall."""
    target = np.full(n, c)

    def fun(t):
        if np.linalg.norm(t) > wall:
            return np.inf, np.full_like(t, np.nan)
        return 0.5 * np.sum((t - target) ** 2) + 0.01 * np.sum(t ** 4), t - target + 0.04 * t ** 3

    return fun


def counting(fun, on_call):
    """``fun`` wrapped so that ``on_call(k, cost, grad)`` runs after the k-th evaluation (1-based); it may
    raise, or return a replacement (cost, grad)."""
    calls = [0]

    def wrapped(theta):
        calls[0] += 1
        cost, grad = fun(theta)
        out = on_call(calls[0], cost, grad)
        return (cost, grad) if out is None else out

    return wrapped


def recorder():
    """A callback that keeps a copy of every iterate it is shown."""
    seen = []

    def callback(k, theta, cost):
        seen.append((k, theta.copy(), cost))

    return callback, seen


def pool_threads():
    return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}


def our_pool():
    return ufldl.blas_info()["filepath"]


# ---------------------------------------------------------------------------- every method trains


@pytest.mark.parametrize("method", METHODS)
def test_every_method_lowers_the_sparse_autoencoder_cost(rng, method):
    net, X = sparse_autoencoder(rng)
    theta0 = net.theta.copy()

    def fun(theta):
        return net.cost_and_grad(X, X, theta)

    result = minimize(fun, net.theta, method=method, max_iter=100, learning_rate=1.0)
    assert isinstance(result, OptimizeResult)
    assert result.method == method
    assert np.array_equal(net.theta, theta0), "minimize modified theta0"
    assert result.theta.dtype == np.float64 and result.theta.shape == theta0.shape
    assert result.theta is not net.theta
    assert result.initial_cost == pytest.approx(net.cost(X, X))
    # The sparsity penalty dominates at the start (about 11.5); all three get well below 1 in 100 iterations.
    assert result.cost < 0.05 * result.initial_cost
    assert result.cost == pytest.approx(net.cost(X, X, result.theta), rel=1e-12)
    assert len(result.loss_curve) == result.n_iter == 100
    assert result.loss_curve[-1] == result.cost
    assert result.n_evals >= result.n_iter + 1
    assert not result.converged and not result.interrupted
    assert "max_iter" in result.message
    assert result.seconds > 0


def test_lbfgs_loss_curve_is_non_increasing(rng):
    net, X = sparse_autoencoder(rng)
    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, max_iter=150)
    curve = np.array(result.loss_curve)
    assert curve.size == result.n_iter == 150
    assert curve[0] <= result.initial_cost
    rises = np.flatnonzero(np.diff(curve) > 0) + 2
    assert rises.size == 0, f"the L-BFGS loss curve rose at iterations {rises}"


def test_float32_network_trains(rng):
    # The optimiser works in float64; a float32 network converts theta on the way in and its gradient on the way
    # back.
    X = rng.uniform(0.1, 0.9, size=(200, 16)).astype(np.float32)
    net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), dtype="float32",
                        random_state=0)
    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, max_iter=50)
    assert result.theta.dtype == np.float64
    assert result.cost < 0.05 * result.initial_cost


# ---------------------------------------------------------------------------- known minima


@pytest.mark.parametrize("method", ["lbfgs", "cg"])
def test_reaches_the_least_squares_solution(rng, method):
    fun, solution = least_squares(rng)
    result = minimize(fun, np.zeros(solution.size), method=method, tol=0.0, gtol=1e-8, max_iter=1000)
    assert result.converged, result.message
    assert np.linalg.norm(result.theta - solution) <= 1e-6 * np.linalg.norm(solution)
    assert result.cost == pytest.approx(fun(solution)[0], rel=1e-12)


def test_gradient_descent_reaches_the_least_squares_solution(rng):
    fun, solution = least_squares(rng)
    result = minimize(fun, np.zeros(solution.size), method="gd", learning_rate=1.0, tol=0.0, gtol=1e-9,
                      max_iter=5000)
    assert result.converged and "gtol" in result.message, result.message
    assert np.linalg.norm(result.theta - solution) <= 1e-6 * np.linalg.norm(solution)


def test_softmax_regression_matches_scipy(rng):
    # Softmax regression with weight decay (convex; strictly so in W). The biases have one flat direction (adding
    # a constant to every class's bias), along which neither optimiser moves from b = 0: every gradient has
    # biases summing to 0. Both minimisers therefore agree on every parameter. "lbfgsb" is SciPy's L-BFGS-B
    # behind ufldl's bookkeeping (the native "lbfgs" is checked on the same problem in test_lbfgs.py).
    m, n, k = 300, 10, 4
    X = rng.normal(size=(m, n))
    y = rng.integers(0, k, size=m)
    net = ufldl.Network([n, k], activations="softmax", loss="cross_entropy", weight_decay=1e-2, random_state=1)

    def fun(theta):
        return net.cost_and_grad(X, y, theta)

    # gtol 1e-9: what the line search reaches in float64 on every CPU seen here (on an AMD Zen 4 both SciPy
    # and ufldl stop with ABNORMAL at max |g| = 1.3e-10 when asked for 1e-11; on Intel they reached it).
    want = scipy.optimize.minimize(fun, net.theta.copy(), jac=True, method="L-BFGS-B",
                                   options={"maxiter": 2000, "ftol": 0.0, "gtol": 1e-9, "maxcor": 100})
    result = minimize(fun, net.theta, "lbfgsb", tol=0.0, gtol=1e-9, max_iter=2000)
    assert result.converged, result.message
    assert result.cost == pytest.approx(float(want.fun), rel=1e-12)
    assert np.linalg.norm(result.theta - want.x) <= 1e-6 * np.linalg.norm(want.x)
    W, b = result.theta[:n * k], result.theta[n * k:]
    assert abs(b.sum()) < 1e-10
    assert np.max(np.abs(net.cost_and_grad(X, y, result.theta)[1])) <= 1e-9
    assert W.size == n * k


def test_already_at_the_minimum_stops_at_iteration_zero(rng):
    fun, solution = least_squares(rng)
    for method in METHODS:
        result = minimize(fun, solution, method=method, gtol=1e-6)
        assert result.n_iter == 0 and result.loss_curve == [] and result.converged, (method, result)
        assert result.cost == result.initial_cost
        assert np.array_equal(result.theta, solution) and result.theta is not solution


# ---------------------------------------------------------------------------- stopping rules


def test_lbfgsb_tol_is_scipys_ftol(rng):
    net, X = sparse_autoencoder(rng)
    loose = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, "lbfgsb", tol=1e-3, max_iter=400)
    assert loose.converged and loose.n_iter < 400
    # SciPy's own words: "RELATIVE REDUCTION OF F" since 1.15 (L-BFGS-B in C), "REL_REDUCTION_OF_F" before.
    assert re.search(r"REL(ATIVE)?[ _]REDUCTION", loose.message), loose.message
    last = loose.loss_curve[-2:] if loose.n_iter > 1 else [loose.initial_cost] + loose.loss_curve
    assert (last[0] - last[1]) / max(abs(last[0]), abs(last[1]), 1.0) <= 1e-3


def test_cg_tol_stops_on_small_relative_decrease(rng):
    net, X = sparse_autoencoder(rng)
    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, method="cg", tol=1e-3, max_iter=400)
    assert result.converged and result.n_iter < 400 and "tol" in result.message
    before = result.loss_curve[-2] if result.n_iter > 1 else result.initial_cost
    assert (before - result.cost) / max(abs(before), abs(result.cost), 1.0) <= 1e-3


def test_gd_stops_after_n_iter_no_change(rng):
    net, X = sparse_autoencoder(rng)
    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, method="gd", learning_rate=1.0,
                      tol=1e-3, n_iter_no_change=3, max_iter=1000)
    # 3 iterations without improvement are tolerated, the fourth stops (scikit-learn's MLP counts so).
    assert result.converged and result.n_iter < 1000 and "4 consecutive iterations (n_iter_no_change=3)" in \
        result.message, result.message
    curve = [result.initial_cost] + result.loss_curve
    for j in range(len(curve) - 4, len(curve)):  # the last 4 iterations improved on the best by <= tol
        best = min(curve[:j])
        assert (best - curve[j]) / max(abs(best), abs(curve[j]), 1.0) <= 1e-3


def test_gd_with_a_rising_cost_stops_unconverged():
    # J = t^2 / 2 with alpha = 2.5: t is multiplied by -1.5 each step, the cost by 2.25.
    result = minimize(lambda t: (0.5 * float(t @ t), t.copy()), np.array([1.0]), method="gd", learning_rate=2.5,
                      n_iter_no_change=4)
    assert not result.converged and result.n_iter == 5
    assert "learning_rate" in result.message and "rising" in result.message
    assert np.diff(result.loss_curve).min() > 0


@pytest.mark.parametrize("method", METHODS)
def test_callback_sees_every_iteration_and_can_stop(rng, method):
    net, X = sparse_autoencoder(rng)
    seen = []

    def callback(k, theta, cost):
        assert not theta.flags.writeable, "the callback's theta must be read-only"
        seen.append((k, theta.copy(), cost))
        return k == 7

    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, method=method, callback=callback)
    assert [k for k, _, _ in seen] == list(range(1, 8))
    assert result.n_iter == 7 and not result.converged and not result.interrupted
    assert "callback" in result.message
    assert result.loss_curve == [c for _, _, c in seen]
    assert np.array_equal(result.theta, seen[-1][1])
    for _, theta, cost in seen:
        assert net.cost(X, X, theta) == pytest.approx(cost, rel=1e-12)


def test_callback_returning_none_or_false_continues(rng):
    fun, _ = least_squares(rng)
    for value in (None, False, 0):
        result = minimize(fun, np.zeros(8), max_iter=5, gtol=0.0, tol=0.0, callback=lambda k, t, c: value)
        assert result.n_iter == 5, value


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_verbose_prints_iteration_cost_and_time(rng, capsys, verbose):
    net, X = sparse_autoencoder(rng)
    result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, method="gd", learning_rate=1.0,
                      max_iter=25, verbose=verbose)
    out = capsys.readouterr().out
    rows = re.findall(r"^iteration +(\d+) +cost +(\S+) +elapsed +(\S+) s$", out, flags=re.M)
    # verbose=1: iterations 0, 10, 20 and the last (25); verbose=2: 0..25 (26 lines).
    expected = {0: [], 1: [0, 10, 20, 25], 2: list(range(26))}[verbose]
    assert [int(k) for k, _, _ in rows] == expected
    if verbose:
        assert float(rows[-1][1]) == pytest.approx(result.cost, rel=1e-9)
        assert "stopped after 25 iterations" in out
    else:
        assert out == ""


# ---------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [1, 2, 12])
def test_keyboard_interrupt_returns_the_last_iterate(rng, method, k):
    net, X = sparse_autoencoder(rng)

    def on_call(call, cost, grad):
        if call == k:
            raise KeyboardInterrupt

    callback, seen = recorder()
    fun = counting(lambda t: net.cost_and_grad(X, X, t), on_call)
    with pytest.warns(TrainingInterrupted, match="interrupted") as record:
        result = minimize(fun, net.theta, method=method, callback=callback, learning_rate=1.0)
    assert record[0].filename == __file__, "the warning must point at the caller of minimize"
    assert result.interrupted and not result.converged
    assert result.n_evals == k
    assert result.n_iter == len(seen) == len(result.loss_curve)
    assert result.loss_curve == [c for _, _, c in seen], "the history was lost"
    assert np.all(np.isfinite(result.theta))
    if seen:
        assert np.array_equal(result.theta, seen[-1][1]) and result.cost == seen[-1][2]
    else:
        assert np.array_equal(result.theta, net.theta) and result.theta is not net.theta
    if k == 1:
        assert np.isnan(result.cost) and np.isnan(result.initial_cost)
    else:
        assert result.initial_cost == pytest.approx(net.cost(X, X))
        assert result.cost == pytest.approx(net.cost(X, X, result.theta), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_ctrl_c_at_any_moment_leaves_a_consistent_result(rng, method):
    # A real Ctrl-C: the main thread is interrupted from a timer thread, wherever it is (inside the compiled
    # core, SciPy, this module's bookkeeping). With m = 2000 and tol = gtol = 0 each run would last seconds; the
    # timer fires within 50 ms.
    net, X = sparse_autoencoder(rng, m=2000)

    def fun(theta):
        return net.cost_and_grad(X, X, theta)

    for delay in np.random.default_rng(SEED).uniform(0.002, 0.05, size=4):
        callback, seen = recorder()
        timer = threading.Timer(delay, _thread.interrupt_main)
        timer.start()
        try:
            with pytest.warns(TrainingInterrupted):
                result = minimize(fun, net.theta, method=method, max_iter=100_000, tol=0.0, gtol=0.0,
                                  learning_rate=1.0, callback=callback)
            timer.join()
        except KeyboardInterrupt:  # only if the run ended before the timer fired
            timer.join()
            pytest.fail(f"{method} ended before the interrupt, {delay:.3f} s after the start")
        assert result.interrupted and result.n_iter == len(result.loss_curve)
        # The iterate is committed, then shown to the callback: an interrupt between the two leaves one committed
        # iterate the callback never saw (n_iter = len(seen) + 1); after the callback, n_iter = len(seen).
        assert result.n_iter in (len(seen), len(seen) + 1)
        assert result.loss_curve[:len(seen)] == [c for _, _, c in seen]
        assert np.all(np.isfinite(result.theta))
        if result.n_iter:
            assert result.cost == result.loss_curve[-1]
            if result.n_iter == len(seen):
                assert np.array_equal(result.theta, seen[-1][1])
            assert result.cost == pytest.approx(net.cost(X, X, result.theta), rel=1e-12)


def test_keyboard_interrupt_in_the_callback(rng):
    net, X = sparse_autoencoder(rng)

    def callback(k, theta, cost):
        if k == 3:
            raise KeyboardInterrupt

    with pytest.warns(TrainingInterrupted):
        result = minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, callback=callback)
    assert result.interrupted and result.n_iter == 3 and len(result.loss_curve) == 3


# ---------------------------------------------------------------------------- non-finite values


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", ["nan-cost", "nan-grad", "inf-grad", "-inf-cost"])
def test_non_finite_value_stops_naming_the_iteration(rng, method, bad):
    net, X = sparse_autoencoder(rng)
    k = 9

    def on_call(call, cost, grad):
        if call == k:
            grad = grad.copy()
            if bad == "nan-cost":
                return np.nan, grad
            if bad == "-inf-cost":
                return -np.inf, grad
            grad[5] = np.nan if bad == "nan-grad" else np.inf
            return cost, grad

    callback, seen = recorder()
    fun = counting(lambda t: net.cost_and_grad(X, X, t), on_call)
    with pytest.raises(NonFiniteError) as info:
        minimize(fun, net.theta, method=method, callback=callback, learning_rate=1.0)
    error = info.value
    assert isinstance(error, FloatingPointError)
    result = error.result
    assert error.iteration == result.n_iter + 1 == len(seen) + 1
    assert f"iteration {error.iteration}" in str(error)
    assert f"evaluation {k}" in str(error)
    assert ("gradient" in str(error)) == bad.endswith("grad")
    assert np.all(np.isfinite(result.theta))
    assert np.array_equal(result.theta, seen[-1][1]) and result.cost == seen[-1][2]
    assert result.loss_curve == [c for _, _, c in seen]
    assert result.n_evals == k and not result.converged and not result.interrupted


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_at_the_starting_point(method):
    theta0 = np.array([1.0, 2.0])
    with pytest.raises(NonFiniteError, match=r"starting point theta0 \(iteration 0\)") as info:
        minimize(lambda t: (np.inf, np.zeros(2)), theta0, method=method)
    assert info.value.iteration == 0
    assert np.array_equal(info.value.result.theta, theta0) and info.value.result.theta is not theta0
    assert info.value.result.n_iter == 0


def test_cg_line_search_backs_off_from_an_infinite_cost():
    # CG's first line search overshoots into the +inf wall; SciPy's Wolfe line search shrinks the step and CG
    # goes on to the minimum.
    calls = []
    fun = bowl()
    result = minimize(counting(fun, lambda k, c, g: calls.append(c)), np.zeros(5), method="cg", gtol=1e-8)
    assert np.isinf(calls).any(), "the test problem no longer probes the wall"
    assert result.converged and result.cost == pytest.approx(93.75, rel=1e-12)
    assert np.allclose(result.theta, 5.0, atol=1e-6)


def test_lbfgsb_line_search_that_cannot_back_off_from_an_infinite_cost_raises():
    # SciPy's L-BFGS-B collapses to a zero step after an infinite trial and would report convergence at
    # cost 151.9 (the minimum is 93.75): that is an error, not convergence. (minFunc's line search, "lbfgs",
    # backs off from it: test_lbfgs.py.)
    callback, seen = recorder()
    with pytest.raises(NonFiniteError, match=r"line search of iteration 2 met an infinite cost") as info:
        minimize(bowl(), np.zeros(5), "lbfgsb", callback=callback)
    result = info.value.result
    assert info.value.iteration == 2 and result.n_iter == 1
    assert np.array_equal(result.theta, seen[0][1]) and np.isfinite(result.cost)
    assert np.linalg.norm(result.theta) <= 12


def test_gd_infinite_cost_stops():
    # No line search: an infinite cost at an iterate stops gradient descent.
    fun = bowl()
    with pytest.raises(NonFiniteError, match="iteration 1") as info:
        minimize(fun, np.zeros(5), method="gd", learning_rate=10.0)
    assert np.array_equal(info.value.result.theta, np.zeros(5)) and info.value.result.n_iter == 0


# ---------------------------------------------------------------------------- thread pools


def test_blas_isolation_limits_other_pools_and_restores_them(rng):
    net, X = sparse_autoencoder(rng)
    ours = our_pool()
    before = pool_threads()
    assert ours in before
    during = []
    minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, max_iter=3,
             callback=lambda k, t, c: during.append(pool_threads()))
    for threads in during:
        assert threads[ours] == before[ours], "ufldl's own pool must keep its threads"
        assert all(n == 1 for path, n in threads.items() if path != ours), threads
    assert pool_threads() == before

    during.clear()
    minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, max_iter=3, blas_isolation=False,
             callback=lambda k, t, c: during.append(pool_threads()))
    assert during and all(threads == before for threads in during)


def test_blas_isolation_restores_after_an_error_and_an_interrupt(rng):
    net, X = sparse_autoencoder(rng)
    before = pool_threads()

    def nan_on_5(k, cost, grad):
        if k == 5:
            return np.nan, grad

    def interrupt_on_5(k, cost, grad):
        if k == 5:
            raise KeyboardInterrupt

    with pytest.raises(NonFiniteError):
        minimize(counting(lambda t: net.cost_and_grad(X, X, t), nan_on_5), net.theta)
    assert pool_threads() == before
    with pytest.warns(TrainingInterrupted):
        minimize(counting(lambda t: net.cost_and_grad(X, X, t), interrupt_on_5), net.theta)
    assert pool_threads() == before
    with pytest.raises(ZeroDivisionError):
        minimize(counting(lambda t: net.cost_and_grad(X, X, t), lambda k, c, g: None if k < 5 else 1 / 0), net.theta)
    assert pool_threads() == before


# ---------------------------------------------------------------------------- input handling


def test_theta0_conversions(rng):
    fun, solution = least_squares(rng)
    for theta0 in ([0.0] * 8, np.zeros(8, np.float32), np.zeros(8, np.int64), np.zeros(16)[::2]):
        result = minimize(fun, theta0, tol=0.0, gtol=1e-10)
        assert result.theta.dtype == np.float64
        assert np.allclose(result.theta, solution, rtol=0, atol=1e-8)


def test_fun_gets_float64_contiguous_theta_and_never_theta0(rng):
    fun, _ = least_squares(rng)
    theta0 = np.zeros(8)
    got = []

    def spy(theta):
        got.append(theta)
        return fun(theta)

    for method in METHODS:
        got.clear()
        minimize(spy, theta0, method=method, max_iter=3)
        assert all(t.dtype == np.float64 and t.flags.c_contiguous and t.shape == (8,) for t in got)
        assert all(not np.shares_memory(t, theta0) for t in got), method
    assert not np.any(theta0)


def test_float64_theta0_goes_to_scipy_without_a_copy(rng, monkeypatch):
    fun, _ = least_squares(rng)
    handed = []
    original = scipy.optimize.minimize

    def spy(f, x0, *args, **kwargs):
        handed.append(x0)
        return original(f, x0, *args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    theta0 = np.zeros(8)
    for method in ("lbfgsb", "cg"):
        minimize(fun, theta0, method=method, max_iter=2)
    assert all(x0 is theta0 for x0 in handed) and len(handed) == 2
    minimize(fun, np.zeros(8, np.float32), "lbfgsb", max_iter=2)
    assert handed[-1].dtype == np.float64


def test_gd_fun_gets_read_only_theta(rng):
    fun, _ = least_squares(rng)

    def mutate(theta):
        theta[0] = 1.0
        return fun(theta)

    with pytest.raises(ValueError, match="read-only"):
        minimize(mutate, np.zeros(8), method="gd")


BAD_ARGUMENTS = [
    # (keyword arguments, exception, pattern naming the argument and the value received)
    ({"method": "bfgs"}, ValueError, r"method must be one of \('lbfgs', 'lbfgsb', 'cg', 'gd'\); got 'bfgs'"),
    ({"method": None}, TypeError, r"method must be one of .*; got NoneType None"),
    ({"max_iter": 0}, ValueError, r"max_iter must be an integer >= 1; got 0"),
    ({"max_iter": 10.0}, TypeError, r"max_iter must be an integer >= 1; got float 10.0"),
    ({"max_iter": True}, TypeError, r"max_iter must be an integer >= 1; got bool True"),
    ({"tol": -1e-3}, ValueError, r"tol must be >= 0.0; got -0.001"),
    ({"tol": np.nan}, ValueError, r"tol must be finite; got nan"),
    ({"tol": "small"}, TypeError, r"tol must be a real number; got str 'small'"),
    ({"gtol": -1.0}, ValueError, r"gtol must be >= 0.0; got -1.0"),
    ({"fun": "cost"}, TypeError, r"fun must be callable, as fun\(theta\) -> \(cost, grad\); got str"),
    ({"callback": 3}, TypeError, r"callback must be None or callable.*; got int"),
    ({"verbose": -1}, ValueError, r"verbose must be an integer >= 0; got -1"),
    ({"max_corrections": 0}, ValueError, r"max_corrections must be an integer >= 1; got 0"),
    ({"learning_rate": 0.0}, ValueError, r"learning_rate must be > 0.0; got 0.0"),
    ({"n_iter_no_change": 0}, ValueError, r"n_iter_no_change must be an integer >= 1; got 0"),
    ({"blas_isolation": "yes"}, TypeError, r"blas_isolation must be True or False; got str 'yes'"),
    ({"theta0": np.zeros((2, 4))}, ValueError, r"theta0 must be 1-D, shape \(n_params,\); got shape \(2, 4\)"),
    ({"theta0": np.float64(1.0)}, ValueError, r"theta0 must be 1-D, shape \(n_params,\); got shape \(\)"),
    ({"theta0": np.zeros(0)}, ValueError, r"theta0 must hold at least one parameter; got shape \(0,\)"),
    ({"theta0": np.array([0.0, np.nan, 1.0])}, ValueError, r"theta0 must be finite; got nan at index 1"),
    ({"theta0": np.array([0.0, -np.inf])}, ValueError, r"theta0 must be finite; got -inf at index 1"),
    ({"theta0": np.zeros(3, complex)}, TypeError, r"theta0 must be real; got complex dtype complex128"),
    ({"theta0": np.array(["a", "b"])}, TypeError, r"theta0 must be a real numeric array; got dtype <U1"),
    ({"theta0": np.zeros(3, bool)}, TypeError, r"theta0 must be a real numeric array; got dtype bool"),
    ({"theta0": None}, TypeError, r"theta0 must be a real numeric array; got dtype object"),
]


@pytest.mark.parametrize("kwargs, exception, pattern", BAD_ARGUMENTS,
                         ids=[f"{next(iter(kw))}={kw[next(iter(kw))]!r}" for kw, _, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_refused(kwargs, exception, pattern):
    calls = []

    def fun(theta):
        calls.append(1)
        return float(theta @ theta), 2 * theta

    arguments = {"fun": fun, "theta0": np.ones(3), **kwargs}
    with pytest.raises(exception, match=pattern):
        minimize(**arguments)
    assert not calls, "validation must happen before any evaluation"


@pytest.mark.parametrize("returned, exception, pattern", [
    (1.0, TypeError, r"fun must return a pair \(cost, grad\); got float"),
    ((1.0, np.zeros(4)), ValueError, r"fun's gradient must have shape \(3,\) like theta0; got shape \(4,\)"),
    ((np.zeros(2), np.zeros(3)), TypeError, r"fun's cost must be a real scalar; got ndarray"),
    ((1.0, np.zeros(3, complex)), TypeError, r"fun's gradient must be a real array; got dtype complex128"),
])
@pytest.mark.parametrize("method", METHODS)
def test_bad_returns_from_fun(method, returned, exception, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exception, match=pattern):
            minimize(lambda theta: returned, np.ones(3), method=method)
