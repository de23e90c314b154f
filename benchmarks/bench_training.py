"""Benchmarks: the tutorial's training, 400 iterations of L-BFGS on the 64-25-64 sparse autoencoder.

The UFLDL exercise exactly (docs/math.md): 10,000 patches of 8x8 pixels from the natural images
(``ufldl.datasets.sample_patches(load_natural_images(), 10000, 8, random_state=0)``, then ``normalize_patches``),
sigmoid hidden and output layers, ``Y = X``, rho = 0.01, beta = 3, lambda = 1e-4, float64, the same initial
parameters for everyone (``ufldl.Network(..., random_state=1)``), at most 400 iterations, 100 correction pairs. One
pytest-benchmark group, each row one whole training (a few seconds), 3 rounds:

``ufldl``
    ``ufldl.optimize.minimize(lambda t: net.cost_and_grad(X, X, t), theta0)``: the native L-BFGS (minFunc's, in
    the core) driven from Python, one cost evaluation per call, with the default ``blas_isolation=True`` (every
    BLAS pool but ufldl's limited to 1 thread).
``ufldl-train``
    ``ufldl.train(net, X, X, "lbfgs")``: the same solver with the evaluations and line search in C++ (control
    returns to Python once per iteration).
``ufldl-lbfgsb``
    ``minimize(..., method="lbfgsb")``: SciPy's L-BFGS-B on the compiled core (ufldl's solver before the native
    one), the same isolation.
``ufldl-SparseAutoencoder.fit``
    The same training through the scikit-learn estimator, ``SparseAutoencoder(25, rho, beta, weight_decay,
    max_iter=400, random_state=1).fit(X)``: the same initial parameters and solver, so the same result; the
    row measures the estimator's overhead (validation, copies, rho_hat_ at the end).
``ufldl-no-isolation``
    The same with ``blas_isolation=False``: NumPy's, SciPy's and ufldl's OpenBLAS pools all at their default
    (2 threads). The ratio of the two rows measures what the isolation buys.
``scipy+numpy-reference``
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True, options={"maxiter": 400, "maxcor": 100})`` on
    ``ufldl.reference.cost_and_grad`` (plain NumPy), every pool as is.
``scipy+numpy-reference-isolated``
    The same with SciPy's own OpenBLAS pool (chosen by its file path) limited to 1 thread: NumPy keeps its 2
    threads for the products, and SciPy's idle pool no longer spins against them. The stronger baseline.
``pytorch``
    ``torch.optim.LBFGS(line_search_fn="strong_wolfe", history_size=100, max_iter=400)``, one ``step`` with a
    closure computing the same cost with float64 tensors (one flat parameter tensor) and ``backward()``, as many
    threads as ufldl's BLAS pool; ``max_eval``, ``tolerance_grad`` and ``tolerance_change`` from ufldl's own
    limits so that torch never stops on a test before ufldl would (``pytorch_rows.lbfgs_options``). Its cost and
    gradient at theta0 are first checked against ``Network.cost_and_grad`` (relative 1e-10). Skipped when torch
    is not installed (``benchmarks/requirements-torch.txt``; never a dependency of ufldl).

Correctness is asserted in each benchmark, outside the timed part: the final parameters are evaluated with
``ufldl.reference`` (the same oracle for every row) and that cost must lie far below the initial one; each
competitor's final cost is compared with ufldl's, which must be no higher than ``other * (1 + 1e-3)`` at the
exercise's m = 10,000 (``other * (1 + 1e-2)`` on a shrunken set, where the runs stop unconverged at the 400th
iteration a few 1e-3 apart either way). The final cost, iterations, evaluations and messages go into
``benchmark.extra_info``.

Run ``python -m pytest benchmarks/bench_training.py --benchmark-json=train.json`` and
``python benchmarks/report.py train.json`` on a quiet machine (see benchmarks/README.md). ``UFLDL_BENCH_TRAIN_M=500``
shrinks the training set, to check this file quickly with ``--benchmark-disable``; its timings mean nothing.
"""

import os
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest
import scipy
import scipy.optimize
from threadpoolctl import ThreadpoolController, threadpool_info

import ufldl
from benchmarks import pytorch_rows
from benchmarks.pytorch_rows import import_torch
from ufldl import datasets, reference
from ufldl.optimize import minimize

SIZES = (64, 25, 64)
ACTIVATIONS = ("sigmoid", "sigmoid")
RHO, BETA, LAMBDA = 0.01, 3.0, 1e-4
MAX_ITER = 400
MAX_CORRECTIONS = 100  # minFunc's L-BFGS memory, the tutorial's optimiser
ROUNDS = 3
DATA_SEED, NET_SEED = 0, 1

# ufldl's final cost may exceed another implementation's by at most this (relative) at the exercise's size,
# m = 10,000 and above, where ending as low as the others is a target of the speed work.
COST_RTOL = 1e-3
EXERCISE_M = 10_000
# On a shrunken training set (UFLDL_BENCH_TRAIN_M, the quick check) every row still stops at the 400-iteration cap
# unconverged, and the solvers' different line searches leave these non-convex runs at costs a few 1e-3 apart in
# either direction (ufldl -2e-3 to +4.4e-3 relative to SciPy's L-BFGS-B at m = 200 to 2,000): there the
# comparison can only catch a solver gone wrong, which ends far higher.
SHRUNKEN_COST_RTOL = 1e-2

LOAD_AT_START = os.getloadavg()

M = int(os.environ.get("UFLDL_BENCH_TRAIN_M", "10000"))
if M < 2:
    raise ValueError(f"UFLDL_BENCH_TRAIN_M must be an integer >= 2; got {M}")

GROUP = f"training sparse-autoencoder {'-'.join(map(str, SIZES))} float64 m={M} L-BFGS {MAX_ITER} iterations"


@dataclass
class Outcome:
    """What one training produced; ``cost`` is recomputed with ``ufldl.reference`` at ``theta``."""

    theta: np.ndarray
    reported_cost: float  # the optimiser's own final cost
    n_iter: int
    n_evals: int
    message: str
    cost: float = float("nan")


OUTCOMES = {}  # implementation -> Outcome of its last round, for the comparison with ufldl


@lru_cache(maxsize=None)
def patches():
    images = datasets.load_natural_images()
    X = datasets.normalize_patches(datasets.sample_patches(images, M, 8, random_state=DATA_SEED))
    X.flags.writeable = False
    return X


def network():
    return ufldl.Network(list(SIZES), activations="sigmoid", loss="squared", weight_decay=LAMBDA,
                         sparsity=ufldl.KLSparsity(rho=RHO, beta=BETA), random_state=NET_SEED)


@lru_cache(maxsize=None)
def theta0():
    theta = network().theta.copy()
    theta.flags.writeable = False
    return theta


def split_flat(theta):
    """Views ``[W1 (h, n), W2 (n, h), b1 (h,), b2 (n,)]`` of theta, the layout ``ufldl.Network`` documents."""
    n, h, _ = SIZES
    ends = np.cumsum([h * n, n * h, h, n])
    W1, W2, b1, b2 = np.split(theta, ends[:-1])
    assert ends[-1] == theta.size
    return W1.reshape(h, n), W2.reshape(n, h), b1, b2


def reference_fun(X):
    """``theta -> (cost, grad)`` with the plain NumPy reference, in ufldl's flat layout."""

    def fun(theta):
        W1, W2, b1, b2 = split_flat(theta)
        cost, grad_w, grad_b, _ = reference.cost_and_grad([W1, W2], [b1, b2], X, X, ACTIVATIONS, loss="squared",
                                                          weight_decay=LAMBDA, sparsity_layers=(1,), rho=RHO,
                                                          beta=BETA)
        return cost, np.concatenate([g.ravel() for g in grad_w + grad_b])

    return fun


def reference_cost(theta):
    return reference_fun(patches())(np.asarray(theta, dtype=np.float64))[0]


def scipy_pool(controller):
    """SciPy's own BLAS/LAPACK pool(s), chosen by file path (``scipy.libs`` beside the package in wheels)."""
    package = os.path.realpath(os.path.dirname(scipy.__file__))
    roots = (package + os.sep, package + ".libs" + os.sep)
    return [lib.filepath for lib in controller.lib_controllers if os.path.realpath(lib.filepath).startswith(roots)]


def pools():
    return [{k: pool.get(k) for k in ("internal_api", "num_threads", "version", "architecture", "filepath")}
            for pool in threadpool_info()]


# ---------------------------------------------------------------------------------------------------------
# The implementations: each setup returns run(), which trains from theta0 and returns an Outcome.
# ---------------------------------------------------------------------------------------------------------


def setup_ufldl(blas_isolation, method="lbfgs"):
    def setup():
        X = patches()
        net = network()

        def fun(theta):
            return net.cost_and_grad(X, X, theta)

        def run():
            result = minimize(fun, theta0(), method=method, max_iter=MAX_ITER, max_corrections=MAX_CORRECTIONS,
                              blas_isolation=blas_isolation)
            return Outcome(result.theta, result.cost, result.n_iter, result.n_evals, result.message)

        return run, fun

    return setup


def setup_ufldl_train():
    X = patches()
    net = network()

    def fun(theta):
        return net.cost_and_grad(X, X, theta)

    def run():
        net.theta = theta0()
        result = ufldl.train(net, X, X, "lbfgs", max_iter=MAX_ITER, max_corrections=MAX_CORRECTIONS)
        return Outcome(net.theta.copy(), result.cost, result.n_iter, result.n_evals, result.message)

    return run, fun


def setup_sparse_autoencoder():
    X = patches()
    net = network()

    def fun(theta):  # for the warm-up calls
        return net.cost_and_grad(X, X, theta)

    def run():
        est = ufldl.SparseAutoencoder(SIZES[1], rho=RHO, beta=BETA, weight_decay=LAMBDA, max_iter=MAX_ITER,
                                      max_corrections=MAX_CORRECTIONS, random_state=NET_SEED).fit(X)
        theta = est.network_.theta.copy()
        return Outcome(theta, est.network_.cost(X, X), est.n_iter_, -1, "SparseAutoencoder.fit")

    return run, fun


def scipy_lbfgs(fun):
    result = scipy.optimize.minimize(fun, theta0(), jac=True, method="L-BFGS-B",
                                     options={"maxiter": MAX_ITER, "maxcor": MAX_CORRECTIONS})
    return Outcome(result.x, float(result.fun), int(result.nit), int(result.nfev), str(result.message))


def setup_scipy_reference():
    fun = reference_fun(patches())
    return (lambda: scipy_lbfgs(fun)), fun


def setup_scipy_reference_isolated():
    fun = reference_fun(patches())
    controller = ThreadpoolController()
    paths = scipy_pool(controller)
    if not paths:
        pytest.skip("threadpoolctl finds no BLAS pool of SciPy's own (SciPy shares NumPy's BLAS here)")
    selected = controller.select(filepath=paths)

    def run():
        with selected.limit(limits=1):
            return scipy_lbfgs(fun)

    return run, fun


def setup_pytorch():
    torch = import_torch()
    X = torch.tensor(patches())  # a float64 copy (the NumPy array is read-only)
    cost = pytorch_rows.objective(torch, SIZES, ACTIVATIONS, "squared", X, X, weight_decay=LAMBDA,
                                  sparsity_layers=(1,), rho=RHO, beta=BETA)
    # Untimed: the torch cost and gradient are ufldl's at theta0 (relative 1e-10).
    pytorch_rows.assert_matches_ufldl("pytorch", pytorch_rows.cost_and_grad(torch, cost, theta0()),
                                      network().cost_and_grad(patches(), patches(), theta0()))

    def run():
        result = pytorch_rows.lbfgs(torch, cost, theta0(), MAX_ITER, MAX_CORRECTIONS)
        return Outcome(result.theta, float("nan"), result.n_iter, result.n_evals, result.message)

    return run, (lambda theta: pytorch_rows.cost_and_grad(torch, cost, theta))


IMPLEMENTATIONS = {
    "ufldl": setup_ufldl(blas_isolation=True),
    "ufldl-train": setup_ufldl_train,
    "ufldl-lbfgsb": setup_ufldl(blas_isolation=True, method="lbfgsb"),
    "ufldl-SparseAutoencoder.fit": setup_sparse_autoencoder,
    "ufldl-no-isolation": setup_ufldl(blas_isolation=False),
    "scipy+numpy-reference": setup_scipy_reference,
    "scipy+numpy-reference-isolated": setup_scipy_reference_isolated,
    pytorch_rows.ROW: setup_pytorch,
}


def ufldl_outcome():
    """ufldl's outcome: from its benchmark if it ran in this session, otherwise one untimed training."""
    if "ufldl" not in OUTCOMES:
        run, _ = IMPLEMENTATIONS["ufldl"]()
        outcome = run()
        outcome.cost = reference_cost(outcome.theta)
        OUTCOMES["ufldl"] = outcome
    return OUTCOMES["ufldl"]


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_training(benchmark, impl):
    benchmark.group = GROUP
    benchmark.extra_info.update(implementation=impl, layer_sizes=list(SIZES), dtype="float64", m=M, rho=RHO,
                                beta=BETA, weight_decay=LAMBDA, max_iter=MAX_ITER,
                                max_corrections=MAX_CORRECTIONS, loadavg_at_start=LOAD_AT_START)
    run, fun = IMPLEMENTATIONS[impl]()
    initial_cost = reference_cost(theta0())
    # Untimed: two evaluations load every library and touch every buffer the training will use.
    for _ in range(2):
        warm_cost, _ = fun(theta0())
    assert abs(warm_cost - initial_cost) <= 1e-10 * initial_cost, f"{impl}: cost {warm_cost} vs {initial_cost}"
    benchmark.extra_info["pools"] = pools()
    if impl == pytorch_rows.ROW:
        benchmark.extra_info["torch"] = pytorch_rows.torch_info()

    start = time.perf_counter()
    outcome = benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    seconds_per_round = (time.perf_counter() - start) / (ROUNDS if benchmark.enabled else 1)

    outcome.cost = reference_cost(outcome.theta)
    OUTCOMES[impl] = outcome
    benchmark.extra_info.update(final_cost=outcome.cost, reported_cost=outcome.reported_cost,
                                initial_cost=initial_cost, n_iter=outcome.n_iter, n_evals=outcome.n_evals,
                                message=outcome.message, seconds_per_round=seconds_per_round)

    assert np.all(np.isfinite(outcome.theta)), f"{impl}: non-finite parameters"
    if not np.isnan(outcome.reported_cost):
        assert abs(outcome.reported_cost - outcome.cost) <= 1e-9 * outcome.cost, (
            f"{impl}: reports cost {outcome.reported_cost}, the reference gives {outcome.cost}")
    # The tutorial's run falls from about 50 (the KL term at the random start) to well under 1.
    assert outcome.cost < 0.05 * initial_cost, f"{impl}: final cost {outcome.cost} from {initial_cost}"
    if impl != "ufldl":
        ours = ufldl_outcome().cost
        benchmark.extra_info["ufldl_final_cost"] = ours
        rtol = COST_RTOL if M >= EXERCISE_M else SHRUNKEN_COST_RTOL
        assert ours <= outcome.cost * (1 + rtol), (
            f"ufldl's final cost {ours:.8g} is above {impl}'s {outcome.cost:.8g} by more than {rtol:g} (m={M})")
