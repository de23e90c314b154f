"""minFunc's L-BFGS in the core (``ufldl.minimize(..., "lbfgs")``, ``ufldl.train(..., "lbfgs")``): the two-loop
recursion against its NumPy twin, minFunc's cubic interpolation, the line search on functions with known
minimisers and on the tutorial's cost, every stopping test, interrupts and non-finite values, float32
networks, and minFunc's own evaluations under GNU Octave (tests/data/minfunc_lbfgs.npz, see tests/data/README.md),
which the solver reproduces to rounding.
"""

import _thread
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ufldl
from ufldl import _core, reference
from ufldl.optimize import NonFiniteError, TrainingInterrupted, minimize

FIXTURE = Path(__file__).parent / "data" / "minfunc_lbfgs.npz"
STATUS = _core.LbfgsStatus
STOP = _core.LbfgsStop


# ---------------------------------------------------------------------------- problems


def rosenbrock(x):
    return (100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2,
            np.array([-400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0]), 200.0 * (x[1] - x[0] ** 2)]))


def quadratic(A, b):
    def fun(x):
        Ax = A @ x
        return 0.5 * x @ Ax - b @ x, Ax - b
    return fun


def barrier(c):
    """sum (x - c)^2 - sum log(1 - x^2) on |x_i| < 1, +inf (with a NaN gradient) outside: c beyond 1 pulls the
    line searches into the wall."""
    def fun(x):
        if np.any(np.abs(x) >= 1.0):
            return np.inf, np.full_like(x, np.nan)
        return np.sum((x - c) ** 2) - np.sum(np.log(1.0 - x ** 2)), 2.0 * (x - c) + 2.0 * x / (1.0 - x ** 2)
    return fun


@pytest.fixture(scope="module")
def minfunc():
    with np.load(FIXTURE) as data:
        return dict(data)


def fixture_autoencoder(data):
    """The fixture's 64-25-64 sparse autoencoder (rho 0.01, beta 3, lambda 1e-4) on its 100 patches."""
    X = data["sparse_autoencoder_codes"] / 4096.0
    net = ufldl.Network([64, 25, 64], "sigmoid", weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0))
    net.theta = data["sparse_autoencoder_theta0"]
    return net, X


def fixture_problem(data, name):
    """(fun, x0, minimize options) of the fixture's problem ``name``."""
    if name.startswith("rosenbrock"):
        fun, x0 = rosenbrock, data["rosenbrock_x0"]
    elif name == "quadratic":
        fun, x0 = quadratic(data["quadratic_A"], data["quadratic_b"]), data["quadratic_x0"]
    elif name == "barrier":
        fun, x0 = barrier(data["barrier_c"]), data["barrier_x0"]
    else:
        net, X = fixture_autoencoder(data)
        fun, x0 = (lambda t: net.cost_and_grad(X, X, t)), net.theta.astype(np.float64)
    options = {"max_corrections": 3 if name.endswith("corr3") else 5 if name.endswith("corr5") else 100,
               "max_iter": 60 if name.endswith("corr5") else 400}
    return fun, x0, options


def recording(fun):
    costs = []

    def recorded(theta):
        cost, grad = fun(np.array(theta))
        costs.append(cost)
        return cost, grad

    return recorded, costs


def relative_differences(ours, theirs, floor=1e-6):
    """|ours - theirs| / max(|theirs|, floor), entry by entry (equal infinities count as 0)."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    same = ours == theirs
    with np.errstate(invalid="ignore"):
        diff = np.abs(ours - theirs) / np.maximum(np.abs(theirs), floor)
    return np.where(same, 0.0, diff)


def drive(fun, x0, **options):
    """Runs an _core.Lbfgs to its end; returns it, every evaluated point and cost, and for each iteration
    (x_old, f_old, g'd, t, x_new, f_new, g_new, evaluations so far)."""
    state = _core.Lbfgs(x0.size, **options)
    status = state.start(np.asarray(x0, dtype=np.float64))
    points, iterations = [], []
    previous = None
    while True:
        if status == STATUS.evaluate:
            x = np.array(state.point)
            cost, grad = fun(x)
            points.append((x, cost))
            status = state.tell(cost, np.asarray(grad, dtype=np.float64))
            continue
        if status == STATUS.iteration:
            iterations.append(previous + (state.step, np.array(state.x), state.f, np.array(state.g),
                                          state.evaluations))
        if status not in (STATUS.started, STATUS.iteration) or state.stop != STOP.none:
            return state, points, iterations
        previous_x, previous_f = np.array(state.x), state.f
        status = state.next()
        previous = (previous_x, previous_f, state.directional_derivative)


# ---------------------------------------------------------------------------- the two-loop recursion


def correction_pairs(rng, k, n):
    """k pairs with positive curvature (those minFunc keeps), oldest first, and a gradient."""
    S = rng.normal(size=(k, n))
    Y = S * rng.uniform(0.5, 2.0, size=n) + 0.1 * rng.normal(size=(k, n))
    for i in range(k):
        if Y[i] @ S[i] <= 0:
            Y[i] = -Y[i]
    return S, Y, rng.normal(size=n)


@pytest.mark.parametrize("k", [0, 1, 3, 12])
@pytest.mark.parametrize("n", [1, 7, 2048, 5001])
def test_two_loop_matches_numpy(rng, k, n):
    S, Y, g = correction_pairs(rng, k, n)
    hdiag = 0.37
    ours = _core.lbfgs_two_loop(S, Y, g, hdiag)
    want = reference.lbfgs_two_loop(S, Y, g, hdiag)
    assert ours.dtype == np.float64 and ours.shape == (n,)
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-12 * np.abs(want).max())
    if k == 0:
        assert np.array_equal(ours, -hdiag * g)


def test_two_loop_satisfies_the_secant_equation(rng):
    # The inverse Hessian H built from the pairs maps the newest y to the newest s: with g = -y_k, d = -H g = s_k.
    S, Y, _ = correction_pairs(rng, 5, 300)
    d = _core.lbfgs_two_loop(S, Y, -Y[-1], float(S[-1] @ Y[-1]) / float(Y[-1] @ Y[-1]))
    np.testing.assert_allclose(d, S[-1], rtol=1e-10, atol=1e-10)


def test_two_loop_does_not_depend_on_the_threads(rng):
    # The sums are added over fixed blocks, in block order: one thread or two, the same bits.
    S, Y, g = correction_pairs(rng, 20, 300_000)
    with ufldl.blas_threads(1):
        one = _core.lbfgs_two_loop(S, Y, g, 0.5)
    with ufldl.blas_threads(2):
        two = _core.lbfgs_two_loop(S, Y, g, 0.5)
    assert np.array_equal(one, two)


def test_two_loop_refuses_mismatched_pairs(rng):
    S, Y, g = correction_pairs(rng, 3, 10)
    with pytest.raises(ValueError, match="Y must have shape"):
        _core.lbfgs_two_loop(S, Y[:2], g, 1.0)
    with pytest.raises(TypeError, match="g must have dtype float64"):
        _core.lbfgs_two_loop(S, Y, g.astype(np.float32), 1.0)


# ---------------------------------------------------------------------------- minFunc's polyinterp


def test_polyinterp_finds_the_minimiser_of_a_cubic():
    # p(x) = x^3 - 3x: local minimum at 1, p(0) = 0, p'(0) = -3, p(2) = 2, p'(2) = 9.
    assert _core.lbfgs_polyinterp(0.0, 0.0, -3.0, 2.0, 2.0, 9.0) == pytest.approx(1.0, rel=1e-14)
    assert _core.lbfgs_polyinterp(2.0, 2.0, 9.0, 0.0, 0.0, -3.0) == pytest.approx(1.0, rel=1e-14)  # either order
    # With bounds (the extrapolation): the minimiser when inside, else the best bound.
    assert _core.lbfgs_polyinterp(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, 0.5, 3.0) == pytest.approx(1.0, rel=1e-12)
    assert _core.lbfgs_polyinterp(0.0, 0.0, -3.0, 2.0, 2.0, 9.0, 1.5, 3.0) == 1.5
    # Extrapolation past the points: p = (x - 5)^2 sampled at 0 and 1 has its minimum at 5, inside [1.01, 10].
    assert _core.lbfgs_polyinterp(0.0, 25.0, -10.0, 1.0, 16.0, -8.0, 1.01, 10.0) == pytest.approx(5.0, rel=1e-12)


def test_polyinterp_without_a_real_minimiser_bisects():
    # p = x^3 + x is increasing: no real minimiser (d2 imaginary); minFunc takes the midpoint.
    assert _core.lbfgs_polyinterp(0.0, 0.0, 1.0, 1.0, 2.0, 4.0) == 0.5
    # With bounds and no candidate inside them but the bounds: the lower bound of an increasing cubic.
    assert _core.lbfgs_polyinterp(0.0, 0.0, 1.0, 1.0, 2.0, 4.0, 1.01, 10.0) == 1.01


def test_polyinterp_matches_numpy(rng):
    for _ in range(200):
        xa, xb = np.sort(rng.uniform(0.0, 2.0, size=2))
        fa, fb, ga, gb = rng.normal(size=4)
        ours = _core.lbfgs_polyinterp(xa, fa, ga, xb, fb, gb)
        assert ours == pytest.approx(reference.lbfgs_polyinterp(xa, fa, ga, xb, fb, gb), rel=1e-9, abs=1e-12)
        lo, hi = xb + 0.01 * (xb - xa), 10.0 * xb
        ours = _core.lbfgs_polyinterp(xa, fa, ga, xb, fb, gb, lo, hi)
        assert lo <= ours <= hi
        assert ours == pytest.approx(reference.lbfgs_polyinterp(xa, fa, ga, xb, fb, gb, lo, hi), rel=1e-9)


# ---------------------------------------------------------------------------- the line search


def test_rosenbrock_reaches_its_minimum():
    result = minimize(rosenbrock, np.array([-1.2, 1.0]), "lbfgs")
    assert result.converged, result.message
    np.testing.assert_allclose(result.theta, [1.0, 1.0], atol=1e-4)
    assert result.cost < 1e-8


def test_quadratic_reaches_its_solution(rng):
    Q = np.linalg.qr(rng.normal(size=(40, 40)))[0]
    A = Q @ np.diag(np.geomspace(1.0, 1e3, 40)) @ Q.T
    b = rng.normal(size=40)
    result = minimize(quadratic(A, b), np.zeros(40), "lbfgs", tol=0.0, gtol=1e-9)
    assert result.converged, result.message
    solution = np.linalg.solve(A, b)
    assert np.linalg.norm(result.theta - solution) <= 1e-6 * np.linalg.norm(solution)


def test_one_dimensional_quadratic_takes_the_newton_step():
    # f = (x - 3)^2 from 0: t = 1/sum|g| = 1/6 lands at 1, where both Wolfe conditions hold (|g'd| = 24 <= 0.9 * 36);
    # the second direction, from one pair of a quadratic, is the Newton step to 3, taken with t = 1.
    state, points, iterations = drive(lambda x: ((x[0] - 3.0) ** 2, np.array([2.0 * (x[0] - 3.0)])), np.zeros(1))
    assert [p[0][0] for p in points] == [0.0, 1.0, 3.0]
    assert state.stop == STOP.optimality and state.iteration == 2 and state.x[0] == 3.0


def test_first_trial_steps_are_minfuncs():
    # First iteration: t = min(1, 1 / sum|g|) along -g; later iterations try t = 1 first.
    state, points, iterations = drive(rosenbrock, np.array([-1.2, 1.0]), max_iter=5)
    x0, g0 = points[0][0], rosenbrock(points[0][0])[1]
    t0 = min(1.0, 1.0 / np.abs(g0).sum())
    np.testing.assert_array_equal(points[1][0], x0 + t0 * -g0)
    # The point evaluated first in iteration 2 is x_1 + 1 * d_2, d_2 from the two-loop recursion on one pair.
    _, _, _, t1, x1, _, g1, evaluations = iterations[0]
    s, y = t1 * -g0, g1 - g0
    d2 = reference.lbfgs_two_loop(s[None], y[None], g1, (s @ y) / (y @ y))
    np.testing.assert_allclose(points[evaluations][0], x1 + d2, rtol=1e-12)


@pytest.mark.parametrize("problem", ["rosenbrock", "sparse_autoencoder"])
def test_every_step_satisfies_the_strong_wolfe_conditions(minfunc, problem):
    fun, x0, _ = fixture_problem(minfunc, problem)
    state, _, iterations = drive(fun, x0, max_iter=150)
    assert len(iterations) >= 30
    for k, (x_old, f_old, gtd, t, x_new, f_new, g_new, _) in enumerate(iterations, start=1):
        assert gtd < 0, k
        assert f_new <= f_old + 1e-4 * t * gtd + 1e-14 * abs(f_old), f"sufficient decrease fails at iteration {k}"
        slope = g_new @ (x_new - x_old) / t  # g_new'd, to rounding
        assert abs(slope) <= 0.9 * abs(gtd) * (1 + 1e-8) + 1e-12, f"curvature fails at iteration {k}"


def test_line_search_backs_off_from_infinite_costs(minfunc):
    # minFunc's answer to an "illegal" value: halve back from it, then Armijo backtracking.
    fun, x0, _ = fixture_problem(minfunc, "barrier")
    recorded, costs = recording(fun)
    result = minimize(recorded, x0, "lbfgs")
    assert np.isinf(costs).any() and result.converged and np.isfinite(result.cost)
    np.testing.assert_allclose(result.theta, minfunc["barrier_x"], rtol=1e-10)


def test_line_search_backs_off_from_the_wall_scipy_cannot():
    # The bowl of test_optimize.py: SciPy's L-BFGS-B collapses to a zero step at its wall; minFunc's backs off.
    target = np.full(5, 10.0)

    def bowl(t):
        if np.linalg.norm(t) > 12.0:
            return np.inf, np.full_like(t, np.nan)
        return 0.5 * np.sum((t - target) ** 2) + 0.01 * np.sum(t ** 4), t - target + 0.04 * t ** 3

    result = minimize(bowl, np.zeros(5), "lbfgs")
    assert result.converged and result.cost == pytest.approx(93.75, rel=1e-9)
    np.testing.assert_allclose(result.theta, 5.0, rtol=1e-6)


def test_a_pair_without_curvature_is_skipped():
    # A linear cost: y = 0, so y's = 0 <= 1e-10 and the pair is not kept (d stays -g).
    state, points, iterations = drive(lambda x: (float(np.sum(x)), np.ones(3)), np.zeros(3), max_iter=2)
    assert state.skipped_pairs == 1 and state.pairs == 0 and len(iterations) == 2


def test_the_memory_keeps_the_newest_pairs(minfunc):
    # With 2 pairs kept the ring buffer wraps from the third iteration; the directions are those of the NumPy
    # two-loop recursion over the last two pairs (rosenbrock_corr3 in the fixture checks the same against minFunc).
    fun, x0, _ = fixture_problem(minfunc, "rosenbrock")
    state, points, iterations = drive(fun, x0, corrections=2, max_iter=12)
    pairs = []
    g_prev = rosenbrock(x0)[1]
    for k, (x_old, _, gtd, t, x_new, _, g_new, _) in enumerate(iterations):
        if k >= 1:
            S, Y = np.array([p[0] for p in pairs[-2:]]), np.array([p[1] for p in pairs[-2:]])
            hdiag = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1])
            d = reference.lbfgs_two_loop(S, Y, g_prev, hdiag)
            assert gtd == pytest.approx(g_prev @ d, rel=1e-9)
            np.testing.assert_allclose(x_new, x_old + t * d, rtol=1e-9, atol=1e-12)
        pairs.append((x_new - x_old, g_new - g_prev))
        g_prev = g_new
    assert state.pairs == 2


# ---------------------------------------------------------------------------- stopping tests


STOPS = [
    # (problem, options, message pattern, converged)
    ("rosenbrock", {}, r"directional derivative g'd > -tol \(1e-09\)", True),
    ("rosenbrock", {"gtol": 1e-2}, r"^converged: sum \|gradient\| <= gtol \(0.01\)$", True),
    ("rosenbrock", {"tol": 1e-2}, r"^converged: step length sum \|t \* d\| <= tol \(0.01\)$", True),
    ("offset", {"tol": 1e-5}, r"^converged: relative change of the cost < tol \(1e-05\)$", True),
    ("rosenbrock", {"max_evals": 5}, r"^stopped: more than max_evals \(5\) evaluations$", False),
    ("rosenbrock", {"max_iter": 3}, r"^max_iter \(3\) iterations reached$", False),
    ("zero", {}, r"^converged: sum \|gradient\| <= gtol \(1e-05\) at theta0$", True),
]


@pytest.mark.parametrize("problem, options, pattern, converged", STOPS)
def test_every_stopping_test(problem, options, pattern, converged):
    if problem == "rosenbrock":
        fun, x0 = rosenbrock, np.array([-1.2, 1.0])
    elif problem == "offset":
        # 1e6 + x^4/4 + x^2/2 from 2: the first step (t = 0.1) lands at 1, the cost falls by 5.25, a relative
        # 5.3e-6 of 1e6: below tol = 1e-5, while the step (1) and the gradient (2) are not small.
        fun, x0 = (lambda x: (1e6 + x[0] ** 4 / 4 + x[0] ** 2 / 2, np.array([x[0] ** 3 + x[0]]))), np.array([2.0])
    else:
        fun, x0 = (lambda x: (float(x @ x), 2 * x)), np.zeros(4)
    result = minimize(fun, x0, "lbfgs", **options)
    assert result.converged is converged
    assert result.message.startswith("converged" if converged else ("stopped", "max_iter"))
    assert re.search(pattern, result.message), result.message
    if "max_evals" in options:
        assert result.n_evals > 5 and result.n_iter >= 1
    if "max_iter" in options:
        assert result.n_iter == 3
    if problem == "zero":
        assert result.n_iter == 0 and result.n_evals == 1
    if problem == "offset":
        assert result.n_iter == 1 and result.theta[0] == 1.0


def test_max_evals_is_validated():
    with pytest.raises(ValueError, match="max_evals must be an integer >= 1; got 0"):
        minimize(rosenbrock, np.zeros(2), "lbfgs", max_evals=0)


def test_the_state_checks_its_options():
    with pytest.raises(ValueError, match="corrections must be >= 1"):
        _core.Lbfgs(3, corrections=0)
    with pytest.raises(ValueError, match="0 < c1 < c2 < 1"):
        _core.Lbfgs(3, c1=0.5, c2=0.4)
    state = _core.Lbfgs(3)
    with pytest.raises(ValueError, match="tell\\(\\) needs status Evaluate"):
        state.tell(1.0, np.zeros(3))
    state.start(np.zeros(3))
    with pytest.raises(ValueError, match="grad must have shape"):
        state.tell(1.0, np.zeros(4))


# ---------------------------------------------------------------------------- non-finite values


def test_the_state_refuses_unusable_values():
    for cost, grad, at_start in [(np.nan, [0.0, 0.0], False), (-np.inf, [0.0, 0.0], False),
                                 (1.0, [np.inf, 0.0], False), (1.0, [0.0, np.nan], False),
                                 (np.inf, [0.0, 0.0], True)]:
        state = _core.Lbfgs(2)
        assert state.start(np.array([1.0, 1.0])) == STATUS.evaluate
        if not at_start:
            assert state.tell(2.0, np.array([2.0, 2.0])) == STATUS.started
            assert state.next() == STATUS.evaluate
        assert state.tell(cost, np.array(grad)) == STATUS.non_finite, (cost, grad)
        assert state.stop == STOP.non_finite and state.next() == STATUS.non_finite
        assert np.array_equal(np.array(state.trial_gradient), grad, equal_nan=True)
        assert np.array_equal(np.array(state.x), [1.0, 1.0])  # nothing else changed
    # +inf at a trial point is the line search's to handle.
    state = _core.Lbfgs(2)
    state.start(np.array([1.0, 1.0]))
    state.tell(2.0, np.array([2.0, 2.0]))
    state.next()
    assert state.tell(np.inf, np.array([np.nan, np.nan])) == STATUS.evaluate and state.met_infinity


def test_nan_mid_run_raises_with_the_last_finite_iterate():
    calls = [0]

    def fun(x):
        calls[0] += 1
        return (np.nan, np.zeros(2)) if calls[0] == 8 else rosenbrock(x)

    seen = []
    with pytest.raises(NonFiniteError, match=r"non-finite cost nan at evaluation 8") as info:
        minimize(fun, np.array([-1.2, 1.0]), "lbfgs", callback=lambda k, t, c: seen.append((k, t.copy(), c)))
    result = info.value.result
    assert result.n_iter == len(seen) >= 1 and np.array_equal(result.theta, seen[-1][1])
    assert result.cost == seen[-1][2] and np.all(np.isfinite(result.theta))


def test_an_infinite_cost_everywhere_but_theta0_raises():
    # The line search halves back from +inf until the step is below tol: a zero step after an infinite trial.
    x0 = np.array([0.5, -0.25])

    def fun(x):
        if np.array_equal(x, x0):
            return 1.0, np.array([1.0, -1.0])
        return np.inf, np.full(2, np.nan)

    with pytest.raises(NonFiniteError, match=r"line search of iteration 1 met an infinite cost") as info:
        minimize(fun, x0, "lbfgs")
    assert info.value.iteration == 1 and np.array_equal(info.value.result.theta, x0)


def test_native_training_refuses_an_overflowing_start():
    X = np.random.default_rng(0).uniform(size=(20, 4))
    net = ufldl.Network([4, 3, 4], activations=["relu", "identity"], random_state=0)
    net.theta = np.full(net.n_params, 1e120)
    start = net.theta.copy()
    with pytest.raises(NonFiniteError, match="at the starting point theta0"):
        ufldl.train(net, X, X, "lbfgs")
    assert np.array_equal(net.theta, start)


def test_a_value_refused_in_the_core_raises_with_the_last_finite_iterate():
    # The driver's native branch (what a network's objective runs in C++), here with evaluations told from
    # Python: the core refuses the NaN of evaluation 9 and the run stops with NonFiniteError.
    def fun(theta):
        return rosenbrock(theta)

    def lbfgs_evaluations(state):
        while state.status == STATUS.evaluate:
            cost, grad = rosenbrock(np.array(state.point))
            if state.evaluations == 8:
                cost = np.nan
            state.tell(cost, grad)
        return state.status

    fun.lbfgs_evaluations = lbfgs_evaluations
    seen = []
    with pytest.raises(NonFiniteError, match=r"non-finite cost nan at evaluation 9, in iteration") as info:
        minimize(fun, np.array([-1.2, 1.0]), "lbfgs", callback=lambda k, t, c: seen.append((k, t.copy(), c)))
    result = info.value.result
    assert result.n_evals == 9 and result.n_iter == len(seen) >= 1 and info.value.iteration == result.n_iter + 1
    assert np.array_equal(result.theta, seen[-1][1]) and result.cost == seen[-1][2]


# ---------------------------------------------------------------------------- interrupts, callbacks


def test_ctrl_c_during_native_training_keeps_the_last_iterate():
    rng = np.random.default_rng(2)
    X = rng.uniform(0.1, 0.9, size=(3000, 64))
    net = ufldl.Network([64, 25, 64], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    seen = []
    timer = threading.Timer(0.3, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.warns(TrainingInterrupted, match="interrupted"):
            result = ufldl.train(net, X, X, "lbfgs", max_iter=100_000, tol=0.0, gtol=0.0,
                                 callback=lambda k, t, c: seen.append((k, t.copy(), c)))
    finally:
        timer.join()
    assert time.perf_counter() - start < 5.0
    assert result.interrupted and result.n_iter == len(result.loss_curve) >= 1
    # The iterate is committed, then shown to the callback: an interrupt between the two leaves one committed
    # iterate the callback never saw (n_iter = len(seen) + 1); one after the callback, n_iter = len(seen).
    assert result.n_iter in (len(seen), len(seen) + 1)
    assert result.loss_curve[:len(seen)] == [c for _, _, c in seen][:result.n_iter]
    assert np.array_equal(net.theta, result.theta)
    if result.n_iter == len(seen):
        assert np.array_equal(result.theta, seen[-1][1])
    assert result.cost == pytest.approx(net.cost(X, X), rel=1e-12)


def test_the_callback_sees_read_only_parameters_and_can_stop(minfunc):
    net, X = fixture_autoencoder(minfunc)
    seen = []

    def callback(k, theta, cost):
        with pytest.raises(ValueError, match="read-only"):
            theta[0] = 0.0
        assert np.array_equal(theta, net.theta) and cost == pytest.approx(net.cost(X, X), rel=1e-12)
        seen.append(cost)
        return k == 7

    result = ufldl.train(net, X, X, "lbfgs", callback=callback)
    assert result.n_iter == 7 and not result.converged and "stopped by the callback" in result.message
    assert seen == result.loss_curve


def test_verbose_prints_the_progress(capsys, minfunc):
    net, X = fixture_autoencoder(minfunc)
    ufldl.train(net, X, X, "lbfgs", max_iter=20, verbose=1)
    out = capsys.readouterr().out
    assert f"lbfgs: {net.n_params} parameters" in out and re.search(r"iteration\s+20\b", out)
    assert "max_iter (20) iterations reached" in out


# ---------------------------------------------------------------------------- networks, precision


def test_native_and_python_drivers_agree_exactly(minfunc):
    net, X = fixture_autoencoder(minfunc)
    theta0 = net.theta.copy()
    python = minimize(lambda t: net.cost_and_grad(X, X, t), theta0, "lbfgs", max_iter=40)
    native = ufldl.train(net, X, X, "lbfgs", max_iter=40)
    assert native.loss_curve == python.loss_curve and native.n_evals == python.n_evals
    assert np.array_equal(native.theta, python.theta)


def test_float32_network_keeps_float64_memory(minfunc):
    net64, X = fixture_autoencoder(minfunc)
    net32 = ufldl.Network([64, 25, 64], "sigmoid", weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0),
                          dtype="float32")
    net32.theta = net64.theta
    r64 = ufldl.train(net64, X, X, "lbfgs", max_iter=30)
    r32 = ufldl.train(net32, X, X, "lbfgs", max_iter=30)
    assert r32.theta.dtype == np.float64 and net32.theta.dtype == np.float32
    assert np.array_equal(net32.theta, r32.theta.astype(np.float32))
    assert r32.cost == pytest.approx(r64.cost, rel=1e-3)


def test_softmax_regression_reaches_scipys_minimum(rng):
    # The problem of test_optimize.py's SciPy comparison: the same minimum, to SciPy's own accuracy.
    m, n, k = 300, 10, 4
    X = rng.normal(size=(m, n))
    y = rng.integers(0, k, size=m)
    net = ufldl.Network([n, k], activations="softmax", loss="cross_entropy", weight_decay=1e-2, random_state=1)
    want = minimize(lambda t: net.cost_and_grad(X, y, t), net.theta, "lbfgsb", tol=0.0, gtol=1e-9, max_iter=2000)
    result = ufldl.train(net, X, y, "lbfgs", tol=0.0, gtol=1e-9, max_iter=2000)
    assert result.converged, result.message
    assert result.cost == pytest.approx(want.cost, rel=1e-12)
    assert np.linalg.norm(result.theta - want.theta) <= 1e-6 * np.linalg.norm(want.theta)


def test_estimators_train_with_either_lbfgs():
    X = np.random.default_rng(3).uniform(0.1, 0.9, size=(100, 16))
    for solver in ("lbfgs", "lbfgsb"):
        ae = ufldl.SparseAutoencoder(5, solver=solver, max_iter=30, random_state=0).fit(X)
        assert ae.n_iter_ == 30 and np.isfinite(ae.loss_curve_[-1])


# ---------------------------------------------------------------------------- minFunc's own evaluations


# (problem, evaluations compared, largest relative difference allowed). L-BFGS amplifies rounding: the costs
# agree to the last bits at first, and the differences grow, by about a factor 10 every few iterations (measured
# on an Intel Xeon, AVX-512: at most 3e-10 over these ranges).
FIXTURE_CASES = [
    ("quadratic", None, 1e-13),
    ("barrier", None, 1e-13),
    ("rosenbrock", None, 1e-8),
    ("rosenbrock_corr3", 30, 1e-8),
    ("sparse_autoencoder", 40, 1e-8),
    ("sparse_autoencoder_corr5", 60, 1e-8),
]


@pytest.mark.parametrize("name, count, rtol", FIXTURE_CASES)
def test_minfuncs_evaluations_are_reproduced(minfunc, name, count, rtol):
    fun, x0, options = fixture_problem(minfunc, name)
    recorded, costs = recording(fun)
    result = minimize(recorded, x0, "lbfgs", **options)
    theirs = minfunc[f"{name}_evals"]
    count = len(theirs) if count is None else count
    diff = relative_differences(costs[:count], theirs[:count])
    print(f"{name}: {count} evaluations, largest relative difference {diff.max():.2e} (evaluation "
          f"{int(diff.argmax()) + 1}); ours {len(costs)} evaluations, {result.n_iter} iterations; minFunc "
          f"{len(theirs)}, {len(minfunc[f'{name}_fval']) - 1}")
    assert len(costs) >= count and diff.max() <= rtol
    if name in ("quadratic", "barrier", "rosenbrock", "rosenbrock_corr3", "sparse_autoencoder_corr5"):
        # The whole run: the same number of evaluations and iterations, and minFunc's reason to stop.
        assert len(costs) == len(theirs) and result.n_iter == len(minfunc[f"{name}_fval"]) - 1
        minfunc_message = str(minfunc[f"{name}_message"])
        ours = {"Directional Derivative below TolX": "directional derivative",
                "Exceeded Maximum Number of Iterations": "max_iter"}[minfunc_message]
        assert ours in result.message, (result.message, minfunc_message)
    if name in ("quadratic", "barrier"):
        np.testing.assert_allclose(result.theta, minfunc[f"{name}_x"], rtol=1e-12, atol=1e-14)


def test_native_training_reproduces_minfunc(minfunc):
    # ufldl.train: the evaluations and line searches run in the core; the cost after each iteration and the
    # evaluations made are minFunc's (its trace.fval and trace.funcCount).
    net, X = fixture_autoencoder(minfunc)
    iterations = 40
    result = ufldl.train(net, X, X, "lbfgs", max_iter=iterations)
    fval, funccount = minfunc["sparse_autoencoder_fval"], minfunc["sparse_autoencoder_funccount"]
    # (to rounding: the sums' order depends on how the core stores the hidden layer; docs/math.md#data-layout)
    assert abs(result.initial_cost - fval[0]) <= 1e-14 * abs(fval[0])
    assert relative_differences(result.loss_curve, fval[1:iterations + 1]).max() <= 1e-8
    assert result.n_evals == funccount[iterations]
    # The whole 400 iterations end near minFunc's final cost (the trajectories part after ~60 evaluations).
    full = ufldl.train(fixture_autoencoder(minfunc)[0], X, X, "lbfgs")
    assert full.n_iter == 400 and full.cost == pytest.approx(fval[-1], rel=1e-2)


def test_the_fixture_says_where_it_comes_from(minfunc):
    assert str(minfunc["octave_version"]).startswith("GNU Octave, version")
    assert "minFunc" in str(minfunc["minfunc_version"])
    assert (FIXTURE.parent / "README.md").read_text().count("minfunc_lbfgs.npz") >= 1


def test_a_direction_that_is_not_finite_stops_the_run_with_the_last_iterate():
    # minFunc's ~isLegal(d): a finite gradient whose magnitudes sum past the largest double (as correction pairs
    # that overflowed would make it) gives a direction the line search cannot use; the run stops at once, with
    # the starting point (finite) kept.
    big = 1.7e308

    def linear(x):
        return float(0.5 * big * x[0] + 0.5 * big * x[1]), np.array([big, big])

    x0 = np.array([0.25, 0.25])
    result = ufldl.minimize(linear, x0, method="lbfgs")
    assert result.message == ("stopped: the L-BFGS direction is not finite (its entries, or the sum of their "
                              "magnitudes, overflowed)")
    assert not result.converged and result.n_iter == 0 and result.n_evals == 1
    assert np.array_equal(result.theta, x0) and result.cost == linear(x0)[0]
