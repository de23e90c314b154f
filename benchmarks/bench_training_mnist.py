"""Benchmarks: the tutorial's MNIST-sized sparse autoencoder, 784-196-784, 400 L-BFGS iterations (minutes).

The exercise's real size (308,308 parameters): m = 10,000 rows of MNIST's shape, 28x28 pixels in [0, 1], made
from the digits scikit-learn ships (1,797 8x8 images, no download): each image is zoomed to 20x20 (bilinear,
``scipy.ndimage.zoom``), placed at a random offset in a 28x28 frame (MNIST centres 20x20 digits in 28x28), and
the set is sampled with replacement to 10,000 rows (seed 0). The tutorial's MNIST settings: rho = 0.1, beta = 3,
lambda = 3e-3, float64, the same initial parameters for everyone, 400 iterations, 100 correction pairs. One
round each (``UFLDL_BENCH_MNIST_ITER`` sets the iterations, ``UFLDL_BENCH_MNIST_M`` the rows: 2,000 and 60 for
the optimiser-share measurement). extra_info holds each row's iterations and evaluations, one evaluation's
median time (timed apart), and the optimiser's own time: wall time less the evaluations, per iteration and as a
multiple of the evaluations' time (``optimiser_share``):

``ufldl``
    ``ufldl.train(net, X, X, "lbfgs")``: the native L-BFGS, evaluations and line search in the core.
``ufldl-lbfgsb``
    ``ufldl.minimize(..., method="lbfgsb")``: SciPy's L-BFGS-B on the compiled core.
``scipy+numpy-reference-isolated``
    SciPy's L-BFGS-B on ``ufldl.reference.cost_and_grad`` (NumPy), SciPy's own BLAS pool limited to 1 thread.
``pytorch``
    ``torch.optim.LBFGS(line_search_fn="strong_wolfe", history_size=100, max_iter=MAX_ITER)`` on the same cost
    written with float64 torch tensors (``benchmarks/pytorch_rows.py``: one flat parameter tensor, autograd,
    as many threads as ufldl's BLAS pool, tolerances that never stop it before ufldl would). Its cost and
    gradient at the start are checked against ``Network.cost_and_grad`` first (relative 1e-10, untimed).
    Skipped without torch (``benchmarks/requirements-torch.txt``).

Correctness: every final cost recomputed with ufldl's network; at 400 iterations ufldl's must not be above the
others' by more than 1e-3 (relative). Run ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pytest
benchmarks/bench_training_mnist.py --benchmark-json=mnist.json`` on a quiet machine.
"""

import math
import os
import time
from functools import lru_cache

import numpy as np
import pytest
import scipy.ndimage
import scipy.optimize
from threadpoolctl import ThreadpoolController

import ufldl
from benchmarks import pytorch_rows
from benchmarks.pytorch_rows import import_torch
from ufldl import reference

SIZES = (784, 196, 784)
RHO, BETA, LAMBDA = 0.1, 3.0, 3e-3
M = int(os.environ.get("UFLDL_BENCH_MNIST_M", 10_000))  # 2000: the size of the optimiser-share measurement
MAX_ITER = int(os.environ.get("UFLDL_BENCH_MNIST_ITER", 400))
CORRECTIONS = 100
GROUP = f"training sparse-autoencoder 784-196-784 float64 m={M} L-BFGS {MAX_ITER} iterations"
FINAL = {}


@lru_cache(maxsize=None)
def mnist_shaped():
    digits, _ = ufldl.datasets.load_digits()
    rng = np.random.default_rng(0)
    frames = np.zeros((len(digits), 28, 28))
    for k, image in enumerate(digits.reshape(-1, 8, 8)):
        big = np.clip(scipy.ndimage.zoom(image, 2.5, order=1), 0.0, 1.0)  # 20x20
        r, c = rng.integers(0, 9, size=2)
        frames[k, r:r + 20, c:c + 20] = big
    rows = rng.integers(0, len(digits), size=M)
    X = frames.reshape(len(digits), 784)[rows]
    X.flags.writeable = False
    return X


def network():
    return ufldl.Network(list(SIZES), "sigmoid", "squared", weight_decay=LAMBDA,
                         sparsity=ufldl.KLSparsity(RHO, BETA), random_state=1)


def run_ufldl():
    net = network()
    result = ufldl.train(net, mnist_shaped(), mnist_shaped(), "lbfgs", max_iter=MAX_ITER,
                         max_corrections=CORRECTIONS)
    return net.theta.copy(), result.n_iter, result.n_evals


def run_ufldl_lbfgsb():
    net, X = network(), mnist_shaped()
    result = ufldl.minimize(lambda t: net.cost_and_grad(X, X, t), net.theta, method="lbfgsb", max_iter=MAX_ITER,
                            max_corrections=CORRECTIONS)
    return result.theta, result.n_iter, result.n_evals


def reference_fun(theta):
    """The cost and gradient by ``ufldl.reference`` (NumPy) at the flat ``theta``."""
    X, sizes = mnist_shaped(), list(SIZES)
    weights, biases = [], []
    offset = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        weights.append(theta[offset:offset + n_in * n_out].reshape(n_out, n_in))
        offset += n_in * n_out
    for n_out in sizes[1:]:
        biases.append(theta[offset:offset + n_out])
        offset += n_out
    cost, grad_w, grad_b, _ = reference.cost_and_grad(weights, biases, X, X, ("sigmoid", "sigmoid"),
                                                      loss="squared", weight_decay=LAMBDA, sparsity_layers=(1,),
                                                      rho=RHO, beta=BETA)
    return cost, np.concatenate([g.ravel() for g in grad_w + grad_b])


def run_scipy_numpy():
    net, fun = network(), reference_fun
    controller = ThreadpoolController()
    scipy_pools = [p["filepath"] for p in controller.info() if "scipy" in p["filepath"] and "numpy" not in
                   p["filepath"]]
    with controller.select(filepath=scipy_pools).limit(limits=1) if scipy_pools else np.errstate():
        result = scipy.optimize.minimize(fun, net.theta.copy(), jac=True, method="L-BFGS-B",
                                         options={"maxiter": MAX_ITER, "maxcor": CORRECTIONS})
    return result.x, int(result.nit), int(result.nfev)


@lru_cache(maxsize=None)
def pytorch_objective():
    """torch and the torch cost (benchmarks/pytorch_rows.py), checked once, untimed, against ufldl's cost and
    gradient at the initial theta (relative 1e-10)."""
    torch = import_torch()
    X = torch.tensor(mnist_shaped())  # a float64 copy (the NumPy array is read-only)
    cost = pytorch_rows.objective(torch, SIZES, ("sigmoid", "sigmoid"), "squared", X, X, weight_decay=LAMBDA,
                                  sparsity_layers=(1,), rho=RHO, beta=BETA)
    net = network()
    pytorch_rows.assert_matches_ufldl("pytorch", pytorch_rows.cost_and_grad(torch, cost, net.theta),
                                      net.cost_and_grad(mnist_shaped(), mnist_shaped()))
    return torch, cost


def run_pytorch():
    torch, cost = pytorch_objective()
    result = pytorch_rows.lbfgs(torch, cost, network().theta, MAX_ITER, CORRECTIONS)
    return result.theta, result.n_iter, result.n_evals


def evaluation_seconds(impl, repeats=5):
    """The median time of one cost-and-gradient evaluation as ``impl`` makes them."""
    X, net = mnist_shaped(), network()
    if impl.startswith("scipy"):
        fun = reference_fun
    elif impl == pytorch_rows.ROW:
        torch, cost = pytorch_objective()
        fun = lambda theta: pytorch_rows.cost_and_grad(torch, cost, theta)  # noqa: E731
    else:
        fun = net.objective(X, X) if impl == "ufldl" else (lambda theta: net.cost_and_grad(X, X, theta))
    theta = net.theta.astype(np.float64)
    fun(theta)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fun(theta)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


IMPLEMENTATIONS = {"ufldl": run_ufldl, "ufldl-lbfgsb": run_ufldl_lbfgsb,
                   "scipy+numpy-reference-isolated": run_scipy_numpy, pytorch_rows.ROW: run_pytorch}


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_training_mnist(benchmark, impl):
    benchmark.group = GROUP
    X = mnist_shaped()
    if impl == pytorch_rows.ROW:
        pytorch_objective()  # untimed: skips without torch, builds the tensors, checks against ufldl
        benchmark.extra_info["torch"] = pytorch_rows.torch_info()
    theta, n_iter, n_evals = benchmark.pedantic(IMPLEMENTATIONS[impl], rounds=1, iterations=1, warmup_rounds=0)
    cost = network().cost(X, X, theta)
    initial = network().cost(X, X)
    FINAL[impl] = cost
    seconds = benchmark.stats.stats.max if benchmark.enabled else math.nan
    evaluation = evaluation_seconds(impl)
    # The optimiser's own time: the wall time less the evaluations (each timed alone, untimed by the benchmark),
    # as a multiple of the evaluations' time (the issue's "optimiser's share").
    share = (seconds - n_evals * evaluation) / (n_evals * evaluation)
    benchmark.extra_info.update(implementation=impl, final_cost=cost, initial_cost=initial, max_iter=MAX_ITER,
                                m=M, n_iter=n_iter, n_evals=n_evals, evaluation_seconds=evaluation,
                                optimiser_seconds_per_iteration=(seconds - n_evals * evaluation) / max(n_iter, 1),
                                optimiser_share=share)
    assert cost < 0.5 * initial
    # At the exercise's budget ufldl must end as low as the others; a shorter run (the optimiser-share
    # measurement's 60 iterations) stops the different line searches at different points, which proves nothing.
    if impl != "ufldl" and "ufldl" in FINAL and MAX_ITER >= 400:
        assert FINAL["ufldl"] <= cost * (1 + 1e-3)
