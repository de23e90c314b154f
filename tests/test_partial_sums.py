"""Network.activation_sums / partial_sums / combine: a chunked evaluation equals cost_and_grad on all the rows, for
every activation, loss, decay and sparsity setting, at a TRAINED theta (at the initial one the KL error of a naive
per-chunk rho_hat is too small to see), with chunks sorted so that each sees different activations.

Near a minimum the gradient is a small difference of large per-example terms, so its errors are measured against
the size of the terms added (the chunks' gradients in absolute value), as rounding scales with them."""

import numpy as np
import pytest

import ufldl

from .helpers import make_targets

TOL = {np.float64: 1e-12, np.float32: 2e-6}

CASES = {
    "sparse-autoencoder": dict(sizes=[12, 6, 12], activations="sigmoid", loss="squared", decay=1e-3,
                               sparsity=ufldl.KLSparsity(0.05, 3.0)),
    "deep-two-sparse-layers": dict(sizes=[10, 7, 5, 4], activations=["sigmoid", "sigmoid", "identity"],
                                   loss="squared", decay=[1e-3, 0.0, 2e-3],
                                   sparsity=ufldl.KLSparsity(0.1, 2.0, layers=(1, 2))),
    "tanh-relu-no-sparsity": dict(sizes=[8, 6, 5, 3], activations=["tanh", "relu", "identity"], loss="squared",
                                  decay=1e-2, sparsity=None),
    "softmax-labels-sparse": dict(sizes=[9, 6, 4], activations=["sigmoid", "softmax"], loss="cross_entropy",
                                  decay=1e-3, sparsity=ufldl.KLSparsity(0.1, 3.0), labels=True),
    "multilabel": dict(sizes=[9, 5, 3], activations=["tanh", "sigmoid"], loss="binary_cross_entropy", decay=0.0,
                       sparsity=None),
}


def chunked(net, X, Y, chunks, theta=None, parts=None):
    sparse = net.sparsity is not None and net.sparsity.beta > 0
    rho_hat = None
    if sparse:
        acts = None
        for rows in chunks:
            part = net.activation_sums(X[rows], theta)
            acts = part if acts is None else acts + part
        rho_hat = acts.rho_hat
    total = None
    for rows in chunks:
        part = net.partial_sums(X[rows], Y[rows], theta, rho_hat=rho_hat)
        total = part if total is None else total + part
        if parts is not None:
            parts.append(part)
    return net.combine(total, theta)


def trained_problem(case, dtype, rng, m=600):
    net = ufldl.Network(case["sizes"], case["activations"], case["loss"], weight_decay=case["decay"],
                        sparsity=case["sparsity"], dtype=dtype, random_state=0)
    X = rng.uniform(0.0, 1.0, size=(m, case["sizes"][0]))
    Y = make_targets(rng, net, m, labels=case.get("labels", False))
    ufldl.train(net, X, Y, "lbfgs", max_iter=40)
    order = np.argsort(X.sum(axis=1))  # chunks sorted by brightness: each sees other activations
    return net, X, Y, np.array_split(order, 7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", CASES)
def test_chunked_sums_equal_the_whole_at_a_trained_theta(rng, name, dtype):
    net, X, Y, chunks = trained_problem(CASES[name], dtype, rng)
    parts = []
    cost, grad = chunked(net, X, Y, chunks, parts=parts)
    whole_cost, whole_grad = net.cost_and_grad(X, Y)
    assert grad.dtype == net.dtype and grad.shape == (net.n_params,)
    assert abs(cost - whole_cost) <= TOL[dtype] * abs(whole_cost)
    scale = sum(np.abs(part.grad) for part in parts).max() / len(X)  # the size of the terms added
    assert np.abs(grad - whole_grad).max() <= TOL[dtype] * scale


def test_a_chunk_own_rho_hat_would_be_wrong_and_is_refused(rng):
    net, X, Y, chunks = trained_problem(CASES["sparse-autoencoder"], np.float64, rng)
    whole = net.cost_and_grad(X, Y)[1]
    naive = sum(net.partial_sums(X[c], Y[c], rho_hat=net.activation_sums(X[c]).rho_hat).grad for c in chunks)
    error = np.abs(naive / len(X) - whole).max() / np.abs(whole).max()
    assert error > 1e-3  # what the two passes are for
    first = net.partial_sums(X[chunks[0]], Y[chunks[0]], rho_hat=net.activation_sums(X[chunks[0]]).rho_hat)
    second = net.partial_sums(X[chunks[1]], Y[chunks[1]], rho_hat=net.activation_sums(X[chunks[1]]).rho_hat)
    with pytest.raises(ValueError, match="different rho_hat cannot be added"):
        first + second
    with pytest.raises(ValueError, match="rho_hat is required with a KL penalty"):
        net.partial_sums(X, Y)
    with pytest.raises(ValueError, match=r"rho_hat must be 18 finite float64 values"):
        net.partial_sums(X, Y, rho_hat=np.full(6, 0.1))
    plain = ufldl.Network([12, 6, 12])
    with pytest.raises(ValueError, match="rho_hat is for networks with a KL penalty"):
        plain.partial_sums(X, Y, rho_hat=np.full(18, 0.1))
    with pytest.raises(TypeError, match="total must be PartialSums"):
        net.combine((1.0, whole))


def test_chunked_sums_at_another_theta_and_their_order_is_fixed(rng):
    net, X, Y, chunks = trained_problem(CASES["sparse-autoencoder"], np.float64, rng)
    theta = net.theta + 0.01 * rng.normal(size=net.n_params)
    cost, grad = chunked(net, X, Y, chunks, theta)
    whole_cost, whole_grad = net.cost_and_grad(X, Y, theta)
    assert abs(cost - whole_cost) <= 1e-12 * abs(whole_cost)
    assert np.abs(grad - whole_grad).max() <= 1e-12 * np.abs(whole_grad).max()  # (away from the minimum)
    again = chunked(net, X, Y, chunks, theta)
    assert again[0] == cost and np.array_equal(again[1], grad)  # the same chunking and order: bitwise equal


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_large_chunks_split_into_shards_with_the_given_rho_hat(rng, dtype):
    # Chunks of thousands of rows are evaluated as several shards, which with a given rho_hat skip the column
    # sums and the wait for each other (the batch's own activations do not enter the KL terms).
    net, X, Y, _ = trained_problem(CASES["sparse-autoencoder"], dtype, rng, m=6000)
    halves = np.array_split(np.argsort(X.sum(axis=1)), 2)
    parts = []
    cost, grad = chunked(net, X, Y, halves, parts=parts)
    whole_cost, whole_grad = net.cost_and_grad(X, Y)
    assert abs(cost - whole_cost) <= TOL[dtype] * abs(whole_cost)
    scale = sum(np.abs(part.grad) for part in parts).max() / len(X)  # the size of the terms added
    assert np.abs(grad - whole_grad).max() <= TOL[dtype] * scale
