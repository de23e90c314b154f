"""Benchmarks: the L-BFGS optimiser's own time per iteration, at the size of the tutorial's MNIST autoencoder.

308,308 parameters (the 784-196-784 network), 100 correction pairs, a cheap function (a diagonal quadratic,
``f = 0.5 sum d_i x_i^2`` with d spread over [1, 1e3], so that L-BFGS needs many iterations and its memory
fills), 130 iterations from the same start, every pool as is. The function costs about 1 ms; what is timed is
the optimiser. One group, one row each:

``ufldl``
    ``ufldl.minimize(fun, x0, method="lbfgs")``: the native L-BFGS (minFunc's two-loop recursion and line
    search in the core).
``scipy-L-BFGS-B``
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True, options={"maxcor": 100})``.
``products-floor``
    The memory floor of one L-BFGS direction: reading the 100 stored pairs twice (four matrix-vector products
    over the (100, 308308) arrays S and Y with NumPy's BLAS), times the iterations.

The per-iteration times (extra_info) are wall time over iterations; the report's ratios are of whole runs of
the same number of iterations. Correctness: both solvers must reach a cost far below the initial one (1e-3 of
it; both final costs go into extra_info: on this quadratic, after 130 iterations, measured 0.205 for ufldl and
0.153 for SciPy from 2.24e7: different line searches, neither converged).
"""

import numpy as np
import pytest
import scipy.optimize

import ufldl

N = 308_308
CORRECTIONS = 100
ITERATIONS = 130
GROUP = f"L-BFGS optimiser, {N} parameters, {CORRECTIONS} corrections, {ITERATIONS} iterations"

_d = np.geomspace(1.0, 1e3, N)
_x0 = np.random.default_rng(0).normal(size=N)


def fun(x):
    g = _d * x
    return 0.5 * float(x @ g), g


def run_ufldl():
    result = ufldl.minimize(fun, _x0, method="lbfgs", max_iter=ITERATIONS, max_corrections=CORRECTIONS, tol=0.0,
                            gtol=0.0)
    return result.cost, result.n_iter


def run_scipy():
    result = scipy.optimize.minimize(fun, _x0, jac=True, method="L-BFGS-B",
                                     options={"maxiter": ITERATIONS, "maxcor": CORRECTIONS, "ftol": 0.0,
                                              "gtol": 0.0, "maxfun": 10 * ITERATIONS})
    return float(result.fun), int(result.nit)


_S = np.random.default_rng(1).normal(size=(CORRECTIONS, N))
_Y = np.random.default_rng(2).normal(size=(CORRECTIONS, N))


def run_floor():
    q = _x0.copy()
    for _ in range(ITERATIONS):
        a = _S @ q  # the first loop's dot products and updates: S and Y read once
        q -= _Y.T @ a * 1e-9
        b = _Y @ q  # the second loop: read again
        q += _S.T @ (a - b) * 1e-9
    return float(q[0]), ITERATIONS


IMPLEMENTATIONS = {"ufldl": run_ufldl, "scipy-L-BFGS-B": run_scipy, "products-floor": run_floor}


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_lbfgs_iteration(benchmark, impl):
    benchmark.group = GROUP
    run = IMPLEMENTATIONS[impl]
    run()  # untimed: touches every buffer
    cost, n_iter = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    median = benchmark.stats.stats.median if benchmark.enabled else float("nan")
    benchmark.extra_info.update(implementation=impl, n_params=N, corrections=CORRECTIONS, n_iter=n_iter,
                                ms_per_iteration=1e3 * median / max(n_iter, 1), final_cost=cost)
    if impl == "products-floor":
        return
    assert n_iter >= ITERATIONS - 5
    assert cost < 1e-3 * fun(_x0)[0]
