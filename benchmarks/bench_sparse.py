"""Benchmarks: sparse inputs (docs/math.md#sparse-input) on a text-like problem.

A bag-of-words-like X: m = 10,000 documents x n = 5,000 terms in CSR, about 0.5% of the entries stored (25 terms
per document), tf-idf-like values (``log(1 + count) * idf``, rows scaled to unit length), 20 classes; fixed seeds.
The network is ``NeuralNetClassifier``'s default size: one relu hidden layer of 100 units, a softmax output, float64.

Group ``sparse-cost``: one cost-and-gradient evaluation.

``ufldl``
    ``Network.cost_and_grad(X_csr, y, grad=buffer)``: the first layer's two products as sparse x dense kernels.
``ufldl-densified``
    The same on ``X.toarray()`` (densified once, outside the timed part): the dense path's GEMMs.
``numpy-reference-sparse``
    ``ufldl.reference.cost_and_grad`` on the CSR matrix (SciPy's sparse products).

Group ``sparse-fit``: a whole training, the same ``max_iter`` of full-batch L-BFGS for each.

``ufldl`` (sparse) / ``ufldl-densified``
    ``NeuralNetClassifier(solver="lbfgs")`` fitted on the CSR matrix / on the dense array.
``sklearn-MLPClassifier``
    ``MLPClassifier(solver="lbfgs")`` on the CSR matrix, ``alpha = weight_decay * m`` (the same objective:
    ufldl's lambda is not divided by m), the same hidden layer and activation. Its L-BFGS is SciPy's L-BFGS-B,
    ufldl's minFunc's: the same number of iterations is comparable work, not the same iterates.

Every benchmark checks its result outside the timed part: the costs and gradients against the reference to 1e-10
relative, the fits' training accuracy against chance. ``UFLDL_BENCH_SPARSE_M=300 UFLDL_BENCH_SPARSE_N=200`` shrinks
the problem to check this file quickly with ``--benchmark-disable``; its timings mean nothing.
"""

import os
from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp

import ufldl
from ufldl import reference

M = int(os.environ.get("UFLDL_BENCH_SPARSE_M", "10000"))
N = int(os.environ.get("UFLDL_BENCH_SPARSE_N", "5000"))
TERMS_PER_DOC = 25
CLASSES = 20
HIDDEN = 100
LAMBDA = 1e-4 / M  # scikit-learn's default alpha = 1e-4, as ufldl's lambda
FIT_ITER = int(os.environ.get("UFLDL_BENCH_SPARSE_ITER", "50"))
RTOL = 1e-10
if M < CLASSES or N < TERMS_PER_DOC:
    raise ValueError(f"UFLDL_BENCH_SPARSE_M must be >= {CLASSES} and UFLDL_BENCH_SPARSE_N >= {TERMS_PER_DOC}; got "
                     f"{M} and {N}")


@lru_cache(maxsize=None)
def corpus():
    """(X as CSR float64, y): documents drawing Zipf-distributed terms, each class favouring its own terms."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, CLASSES, size=M)
    ranks = np.arange(1, N + 1)
    common = 1.0 / ranks
    rows, cols = [], []
    for i in range(M):
        own = np.roll(common, int(y[i]) * (N // CLASSES))  # the class's own frequent terms
        p = 0.5 * common / common.sum() + 0.5 * own / own.sum()
        terms = rng.choice(N, size=TERMS_PER_DOC, p=p)
        rows.append(np.full(TERMS_PER_DOC, i))
        cols.append(terms)
    counts = sp.csr_matrix((np.ones(M * TERMS_PER_DOC), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(M, N))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=N)
    idf = np.log((1 + M) / (1 + df)) + 1
    X = counts.copy()
    X.data = np.log1p(X.data) * idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1 / np.maximum(norms, 1e-12)) @ X)
    return X, y


@lru_cache(maxsize=None)
def network():
    return ufldl.Network([N, HIDDEN, CLASSES], ["relu", "softmax"], "cross_entropy", weight_decay=LAMBDA,
                         random_state=1)


@lru_cache(maxsize=None)
def expected():
    X, y = corpus()
    net = network()
    weights = [W.copy() for W in net.weights]
    biases = [b.copy() for b in net.biases]
    cost, gW, gb, _ = reference.cost_and_grad(weights, biases, X, y, net.activations, "cross_entropy", LAMBDA)
    return cost, np.concatenate([g.ravel() for g in gW] + [g.ravel() for g in gb])


def check_cost(impl, result):
    cost, grad = result
    want_cost, want_grad = expected()
    assert abs(cost - want_cost) <= RTOL * abs(want_cost), f"{impl}: cost {cost} vs reference {want_cost}"
    diff = np.linalg.norm(grad - want_grad) / np.linalg.norm(want_grad)
    assert diff <= RTOL, f"{impl}: the gradient differs from the reference by {diff:.2e}"


def setup_cost(impl):
    X, y = corpus()
    net = network()
    grad = np.empty(net.n_params)
    if impl == "ufldl":
        return lambda: net.cost_and_grad(X, y, grad=grad)
    if impl == "ufldl-densified":
        dense = X.toarray()
        return lambda: net.cost_and_grad(dense, y, grad=grad)
    weights, biases = list(net.weights), list(net.biases)

    def run():
        cost, gW, gb, _ = reference.cost_and_grad(weights, biases, X, y, net.activations, "cross_entropy", LAMBDA)
        return cost, np.concatenate([g.ravel() for g in gW] + [g.ravel() for g in gb])

    return run


@pytest.mark.parametrize("impl", ["ufldl", "ufldl-densified", "numpy-reference-sparse"])
def test_sparse_cost(benchmark, impl):
    benchmark.group = f"sparse-cost {M}x{N} {HIDDEN} hidden"
    benchmark.extra_info.update(implementation=impl, m=M, n=N, nnz=int(corpus()[0].nnz), hidden=HIDDEN)
    run = setup_cost(impl)
    check_cost(impl, run())  # correctness, once, untimed
    benchmark.pedantic(run, rounds=10, warmup_rounds=1, iterations=1)


def setup_fit(impl):
    X, y = corpus()
    if impl == "sklearn-MLPClassifier":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        def run():
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return MLPClassifier((HIDDEN,), solver="lbfgs", alpha=LAMBDA * M, max_iter=FIT_ITER,
                                     random_state=0).fit(X, y)

        return run, X
    data = X if impl == "ufldl" else X.toarray()
    return (lambda: ufldl.NeuralNetClassifier((HIDDEN,), weight_decay=LAMBDA, solver="lbfgs", max_iter=FIT_ITER,
                                              random_state=0).fit(data, y)), data


@pytest.mark.parametrize("impl", ["ufldl", "ufldl-densified", "sklearn-MLPClassifier"])
def test_sparse_fit(benchmark, impl):
    benchmark.group = f"sparse-fit {M}x{N} {HIDDEN} hidden, {FIT_ITER} L-BFGS iterations"
    benchmark.extra_info.update(implementation=impl, m=M, n=N, max_iter=FIT_ITER)
    run, data = setup_fit(impl)
    model = benchmark.pedantic(run, rounds=3, warmup_rounds=0, iterations=1)
    accuracy = float(np.mean(model.predict(data) == corpus()[1]))
    assert accuracy > 2.0 / CLASSES, f"{impl}: training accuracy {accuracy} is no better than chance"
