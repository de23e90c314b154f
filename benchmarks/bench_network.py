"""Benchmarks: the sparse autoencoder's cost and gradient (the UFLDL exercise's network, docs/math.md).

Sigmoid hidden and output layers, ``Y = X``, rho = 0.01, beta = 3, lambda = 1e-4, a batch of m = 10,000
examples drawn uniformly from [0.1, 0.9] (the range of the tutorial's normalised patches). One pytest-benchmark
group per (layer sizes, dtype), each holding:

``ufldl``
    ``Network.cost_and_grad(X, X, grad=buffer)``, the gradient written into a preallocated buffer.
``ufldl-rows-layout``, ``ufldl-hidden-major-layout``
    The same, by a network built with ``UFLDL_HIDDEN_LAYOUT`` set: the hidden layers' intermediates stored with
    one example per row, or one unit per row (``cpp/include/ufldl/network.hpp``, ``HiddenLayout``). ``ufldl``
    is one of the two: hidden-major in float64, rows in float32 (``ufldl.blas_info()["hidden_layout"]``).
``numpy-reference``
    ``ufldl.reference.cost_and_grad``: the plain NumPy oracle the compiled core is tested against.
``pytorch``
    The same maths written with PyTorch tensors of the same dtype on the CPU (``benchmarks/pytorch_rows.py``),
    ``torch.set_num_threads`` at the threads of ufldl's BLAS pool; the parameters one flat tensor in ufldl's
    layout viewed into W1, W2, b1, b2, so that ``loss.backward()`` leaves one flat gradient as ufldl's. In
    float64 its cost and gradient are first checked against ``Network.cost_and_grad`` at the same theta (relative
    1e-10). Skipped when torch is not installed (``benchmarks/requirements-torch.txt``; never a dependency of
    ufldl).
``products-floor``
    The five matrix products of one cost-and-gradient evaluation, alone, with NumPy, into preallocated outputs:
    a floor that no implementation built on these products can beat by much.
``products-floor-columns``
    The same products with the examples as columns (the tutorial's MATLAB layout), the other orientation: which
    of the two floors is lower depends on the CPU (and OpenBLAS's kernels for it).
``products-floor-hidden-major``
    The same products with X as given (rows, the public layout) and every intermediate (Z_1, A_1, D_1, Z_2,
    D_2 and D_2 W_2) stored hidden-major, n_l x m: what a core that keeps the public layout could reach with
    the columns formulation, without transposing X. (Measured on AMD EPYC: the layout of a product's m x k
    output is what sets its speed; the operands' layouts barely matter.)

Every benchmark first checks its own result against the NumPy reference (outside the timed part), so a fast
wrong answer fails instead of being reported.

Run ``python -m pytest benchmarks --benchmark-json=bench.json`` and then ``python benchmarks/report.py bench.json``
(see benchmarks/README.md). ``UFLDL_BENCH_M=200`` shrinks the batch, to check this file quickly; its timings mean
nothing.
"""

import contextlib
import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import ufldl
from benchmarks import pytorch_rows
from benchmarks.pytorch_rows import import_torch
from ufldl import reference

RHO = 0.01
BETA = 3.0
LAMBDA = 1e-4
ACTIVATIONS = ("sigmoid", "sigmoid")
DATA_SEED = 0
NET_SEED = 1

# The machine's load when this module was imported (collection time, before any benchmark ran): other work on
# the 2 cores. A busy machine makes every multi-threaded BLAS call wait for a time slice for its second thread.
LOAD_AT_START = os.getloadavg()

M = int(os.environ.get("UFLDL_BENCH_M", "10000"))
if M < 1:
    raise ValueError(f"UFLDL_BENCH_M must be a positive integer; got {M}")

# Relative differences (||got - expected|| / ||expected||, per parameter block, and for the cost) allowed
# between an implementation and the NumPy reference in the same dtype. They sum over m = 10,000 examples in
# different orders (ufldl accumulates its sums in float64, BLAS kernels block differently). Seen at m = 10,000:
# up to 1e-14 in float64 (torch) and 3.4e-6 in float32 (ufldl and torch alike).
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 5e-5}

# Other BLAS/OpenMP pools in this process spin for a while after their last call (an idle OpenBLAS thread
# busy-waits about 2^28 cycles, ~0.1 s, before it sleeps) and take a core from the one being measured. Each
# benchmark therefore runs untimed for at least this long before its timed rounds, which also covers the
# correctness check that calls the NumPy reference just before a ufldl or torch benchmark.
SETTLE_SECONDS = 0.3


@dataclass(frozen=True)
class Case:
    sizes: tuple  # (n_visible, n_hidden, n_visible)
    dtype: np.dtype
    rounds: int  # timed rounds: the whole suite stays well under 3 minutes on 2 cores

    @property
    def label(self):
        return f"{'-'.join(map(str, self.sizes))}-{self.dtype.name}"

    @property
    def group(self):
        return f"sparse-autoencoder {'-'.join(map(str, self.sizes))} {self.dtype.name} m={M}"


CASES = [
    Case((64, 25, 64), np.dtype(np.float64), rounds=100),  # a few ms per call
    Case((64, 25, 64), np.dtype(np.float32), rounds=100),
    Case((784, 196, 784), np.dtype(np.float64), rounds=15),  # a few hundred ms per call
    Case((784, 196, 784), np.dtype(np.float32), rounds=15),
]


@dataclass
class Problem:
    X: np.ndarray  # (m, n_visible), the inputs and the targets
    net: ufldl.Network
    weights: list  # [W1 (h, n), W2 (n, h)], copies of the network's initial weights
    biases: list  # [b1 (h,), b2 (n,)]


@lru_cache(maxsize=None)
def problem(case):
    n, h, _ = case.sizes
    X = np.random.default_rng(DATA_SEED).uniform(0.1, 0.9, size=(M, n)).astype(case.dtype)
    net = ufldl.Network(list(case.sizes), activations="sigmoid", loss="squared", weight_decay=LAMBDA,
                        sparsity=ufldl.KLSparsity(rho=RHO, beta=BETA), dtype=case.dtype, random_state=NET_SEED)
    weights = [W.copy() for W in net.weights]
    biases = [b.copy() for b in net.biases]
    # The documented theta layout [W1, W2, b1, b2] is what split_flat() assumes to read ufldl's gradient.
    for got, want in zip(split_flat(net.theta, case.sizes), weights + biases):
        assert np.array_equal(got, want), "Network.theta is not laid out [W1, W2, b1, b2]"
    return Problem(X, net, weights, biases)


@lru_cache(maxsize=None)
def expected(case):
    """The NumPy reference's cost and gradient blocks [W1, W2, b1, b2], in the case's dtype."""
    p = problem(case)
    cost, grad_w, grad_b, _ = reference_cost_and_grad(p)
    return cost, grad_w + grad_b


def reference_cost_and_grad(p):
    return reference.cost_and_grad(p.weights, p.biases, p.X, p.X, ACTIVATIONS, loss="squared",
                                   weight_decay=LAMBDA, sparsity_layers=(1,), rho=RHO, beta=BETA)


def split_flat(flat, sizes):
    """Views [W1 (h, n), W2 (n, h), b1 (h,), b2 (n,)] into a flat vector laid out [W1, W2, b1, b2]."""
    n, h, _ = sizes
    shapes = [(h, n), (n, h), (h,), (n,)]
    blocks, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        blocks.append(flat[start:start + size].reshape(shape))
        start += size
    assert start == flat.size, f"expected {start} parameters, got {flat.size}"
    return blocks


def assert_matches_reference(case, impl, cost, blocks):
    want_cost, want_blocks = expected(case)
    rtol = RTOL[case.dtype]
    if cost is not None:
        diff = abs(cost - want_cost) / abs(want_cost)
        assert diff <= rtol, f"{impl} {case.label}: cost {cost} vs reference {want_cost} (relative {diff:.2e})"
    for name, got, want in zip(("W1", "W2", "b1", "b2"), blocks, want_blocks):
        assert got.shape == want.shape, f"{impl} {case.label}: d{name} shape {got.shape}, expected {want.shape}"
        assert got.dtype == case.dtype, f"{impl} {case.label}: d{name} dtype {got.dtype}, expected {case.dtype}"
        want64 = want.astype(np.float64)
        diff = np.linalg.norm(got.astype(np.float64) - want64) / np.linalg.norm(want64)
        assert diff <= rtol, f"{impl} {case.label}: d{name} differs from the reference by {diff:.2e} (> {rtol})"


# ---------------------------------------------------------------------------------------------------------
# The implementations. Each takes a Case and returns (run, check): run() is what gets timed; check(result)
# compares one run's result with the reference and is called outside the timed part.
# ---------------------------------------------------------------------------------------------------------


def setup_ufldl(case):
    p = problem(case)
    grad = np.empty(p.net.n_params, dtype=case.dtype)

    def run():
        return p.net.cost_and_grad(p.X, p.X, grad=grad)

    def check(result):
        cost, g = result
        assert g is grad, "cost_and_grad did not write into the buffer it was given"
        assert_matches_reference(case, "ufldl", cost, split_flat(g, case.sizes))

    return run, check


@contextlib.contextmanager
def hidden_layout_variable(layout):
    """UFLDL_HIDDEN_LAYOUT set to layout inside the block (the core's constructor reads it), then as it was."""
    previous = os.environ.get("UFLDL_HIDDEN_LAYOUT")
    os.environ["UFLDL_HIDDEN_LAYOUT"] = layout
    try:
        yield
    finally:
        if previous is None:
            del os.environ["UFLDL_HIDDEN_LAYOUT"]
        else:
            os.environ["UFLDL_HIDDEN_LAYOUT"] = previous


def setup_ufldl_layout(case, layout):
    p = problem(case)
    name = f"ufldl-{layout}-layout"
    with hidden_layout_variable(layout):
        net = ufldl.Network(list(case.sizes), activations="sigmoid", loss="squared", weight_decay=LAMBDA,
                            sparsity=ufldl.KLSparsity(rho=RHO, beta=BETA), dtype=case.dtype)
        chosen = ufldl.blas_info()["hidden_layout"][case.dtype.name]
    assert chosen == layout, f"{name}: UFLDL_HIDDEN_LAYOUT={layout} gave {chosen}"
    net.theta = p.net.theta
    grad = np.empty(net.n_params, dtype=case.dtype)

    def run():
        return net.cost_and_grad(p.X, p.X, grad=grad)

    def check(result):
        cost, g = result
        assert_matches_reference(case, name, cost, split_flat(g, case.sizes))

    return run, check


def setup_numpy_reference(case):
    p = problem(case)

    def run():
        return reference_cost_and_grad(p)

    def check(result):
        cost, grad_w, grad_b, _ = result
        assert_matches_reference(case, "numpy-reference", cost, grad_w + grad_b)

    return run, check


def setup_pytorch(case):
    torch = import_torch()
    p = problem(case)
    X = torch.from_numpy(p.X)  # shares memory, same dtype
    cost = pytorch_rows.objective(torch, case.sizes, ACTIVATIONS, "squared", X, X, weight_decay=LAMBDA,
                                  sparsity_layers=(1,), rho=RHO, beta=BETA)
    theta = torch.tensor(p.net.theta, requires_grad=True)  # one flat copy in ufldl's layout [W1, W2, b1, b2]
    if case.dtype == np.float64:  # once, untimed: ufldl's own cost and gradient at the same theta, to 1e-10
        got = pytorch_rows.cost_and_grad(torch, cost, p.net.theta)
        pytorch_rows.assert_matches_ufldl(f"pytorch {case.label}", got, p.net.cost_and_grad(p.X, p.X))

    def run():
        if theta.grad is not None:  # zeroed in place: backward accumulates into it
            theta.grad.zero_()
        loss = cost(theta)
        loss.backward()
        return loss

    def check(loss):
        grad = theta.grad.numpy()
        assert grad.shape == (p.net.n_params,), f"pytorch {case.label}: gradient of shape {grad.shape}"
        assert_matches_reference(case, "pytorch", float(loss.detach()), split_flat(grad, case.sizes))

    return run, check


def product_operands(case):
    """X, W1, W2 and the A1, D2, D1 of a real evaluation: the operands of the five products (GEMM speed barely
    depends on values, but these keep them free of zeros and subnormals, and let check() confirm these are the
    products the gradient needs)."""
    p = problem(case)
    X = p.X
    (W1, W2), (b1, b2) = p.weights, p.biases
    m = X.shape[0]
    A1 = reference.activate("sigmoid", X @ W1.T + b1)
    A2 = reference.activate("sigmoid", A1 @ W2.T + b2)
    D2 = (A2 - X) * A2 * (1 - A2) / m
    rho_hat = reference.clip_rho_hat(A1.mean(axis=0))
    s = BETA * (-RHO / rho_hat + (1 - RHO) / (1 - rho_hat))
    D1 = (D2 @ W2 + s / m) * A1 * (1 - A1)
    return X, W1, W2, A1, D2, D1


def setup_products_floor(case):
    # NOTE: NumPy and ufldl link different copies of OpenBLAS (NumPy: numpy.libs/libscipy_openblas64_*, ILP64;
    # ufldl: the scipy-openblas32 package), possibly of different versions with different kernels and thread
    # pools. This floor measures NumPy's copy; blas_info in extra_info records which is which.
    X, W1, W2, A1, D2, D1 = product_operands(case)
    m = X.shape[0]
    n, h, _ = case.sizes
    Z1 = np.empty((m, h), dtype=case.dtype)
    Z2 = np.empty((m, n), dtype=case.dtype)
    G2 = np.empty((n, h), dtype=case.dtype)
    D2W2 = np.empty((m, h), dtype=case.dtype)
    G1 = np.empty((h, n), dtype=case.dtype)

    def run():
        # Transposed operands are strided views: matmul hands them to gemm with a transpose flag, no copy.
        np.matmul(X, W1.T, out=Z1)  # forward, layer 1
        np.matmul(A1, W2.T, out=Z2)  # forward, layer 2
        np.matmul(D2.T, A1, out=G2)  # dJ/dW2 without decay
        np.matmul(D2, W2, out=D2W2)  # backpropagate to layer 1
        np.matmul(D1.T, X, out=G1)  # dJ/dW1 without decay
        return G1, G2

    def check(result):
        G1, G2 = result
        _, (want_W1, want_W2, _, _) = expected(case)
        for name, got, want in (("W1", G1 + LAMBDA * W1, want_W1), ("W2", G2 + LAMBDA * W2, want_W2)):
            want64 = want.astype(np.float64)
            diff = np.linalg.norm(got.astype(np.float64) - want64) / np.linalg.norm(want64)
            assert diff <= RTOL[case.dtype], f"products-floor {case.label}: d{name} off by {diff:.2e}"

    return run, check


def setup_hidden_major_floor(case, transpose_X):
    # The five products with every intermediate C-contiguous n_l x m (transposed once, outside the timed part).
    # transpose_X: X too, n_0 x m (the tutorial's MATLAB layout, products-floor-columns); otherwise X stays in
    # rows and XT is a strided view, a transpose flag to gemm (products-floor-hidden-major). The same calls
    # either way: only XT's storage differs.
    _, check_rows = setup_products_floor(case)
    X, W1, W2, A1, D2, D1 = product_operands(case)
    m = X.shape[0]
    XT = np.ascontiguousarray(X.T) if transpose_X else X.T
    A1c, D2c, D1c = (np.ascontiguousarray(a.T) for a in (A1, D2, D1))
    n, h, _ = case.sizes
    Z1c = np.empty((h, m), dtype=case.dtype)
    Z2c = np.empty((n, m), dtype=case.dtype)
    G2 = np.empty((n, h), dtype=case.dtype)
    D2W2c = np.empty((h, m), dtype=case.dtype)
    G1 = np.empty((h, n), dtype=case.dtype)

    def run():
        np.matmul(W1, XT, out=Z1c)
        np.matmul(W2, A1c, out=Z2c)
        np.matmul(D2c, A1c.T, out=G2)
        np.matmul(W2.T, D2c, out=D2W2c)
        np.matmul(D1c, XT.T, out=G1)
        return G1, G2

    return run, check_rows


IMPLEMENTATIONS = {
    "ufldl": setup_ufldl,
    "ufldl-rows-layout": lambda case: setup_ufldl_layout(case, "rows"),
    "ufldl-hidden-major-layout": lambda case: setup_ufldl_layout(case, "hidden-major"),
    "numpy-reference": setup_numpy_reference,
    pytorch_rows.ROW: setup_pytorch,
    "products-floor": setup_products_floor,
    "products-floor-columns": lambda case: setup_hidden_major_floor(case, transpose_X=True),
    "products-floor-hidden-major": lambda case: setup_hidden_major_floor(case, transpose_X=False),
}


def pools():
    """Every BLAS/OpenMP pool loaded in this process, as threadpoolctl sees it."""
    return [{k: pool.get(k) for k in ("internal_api", "num_threads", "version", "architecture", "filepath")}
            for pool in threadpool_info()]


# impl is the inner loop: the four implementations of one group run back to back, close in time, which keeps
# their ratios meaningful on a machine whose load changes.
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_sparse_autoencoder(benchmark, case, impl):
    benchmark.group = case.group
    benchmark.extra_info.update(implementation=impl, layer_sizes=list(case.sizes), dtype=case.dtype.name, m=M,
                                rho=RHO, beta=BETA, weight_decay=LAMBDA, loadavg_at_start=LOAD_AT_START)
    run, check = IMPLEMENTATIONS[impl](case)

    check(run())  # correctness, once, untimed (also the first call: allocations, page faults)
    benchmark.extra_info["pools"] = pools()  # after the first call, so that torch's OpenMP is loaded
    if impl == pytorch_rows.ROW:
        benchmark.extra_info["torch"] = pytorch_rows.torch_info()

    warmup_rounds = 0
    if benchmark.enabled:
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        warmup_rounds = max(1, min(1000, math.ceil(SETTLE_SECONDS / max(seconds, 1e-6))))
    benchmark.pedantic(run, rounds=case.rounds, warmup_rounds=warmup_rounds, iterations=1)
