"""``ufldl.Network`` (the compiled core) against ``ufldl.reference`` (plain NumPy) over every option:
hidden activation x output activation / loss x weight decay x sparsity x dtype, then deeper and
shallower networks, the classic sparse autoencoder, and the parameter vector's layout and initialisation.
"""

import numpy as np
import pytest

import ufldl
from ufldl import reference

from .helpers import (
    DTYPES,
    assert_close,
    assert_matches_reference,
    make_targets,
    pack,
    randomize_biases,
    tolerance,
)

HIDDEN = ("sigmoid", "tanh", "relu", "identity")
# (output activation, loss, integer labels?)
OUTPUTS = (
    ("sigmoid", "squared", False),
    ("tanh", "squared", False),
    ("relu", "squared", False),
    ("identity", "squared", False),
    ("softmax", "cross_entropy", False),
    ("softmax", "cross_entropy", True),
    ("sigmoid", "binary_cross_entropy", False),
)
OUTPUT_IDS = ("sigmoid", "tanh", "relu", "identity", "softmax-onehot", "softmax-labels", "sigmoid-bce")
DECAYS = (0.0, 1e-3)
SPARSITIES = (None, ufldl.KLSparsity(rho=0.1, beta=3.0, layers=(1,)))

# Widths that are not multiples of any SIMD width, and a batch that is not either.
SIZES = (7, 9, 5)
M = 11


def _one_hot(labels, n):
    Y = np.zeros((labels.size, n))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _data(rng, net, m, labels=False):
    X = rng.uniform(-1.0, 1.0, size=(m, net.layer_sizes[0]))
    Y = make_targets(rng, net, m, labels)
    if net.loss == "cross_entropy" and not labels:
        # Dense targets: one-hot rows (the tutorial's), half of them softened into distributions.
        Y = _one_hot(rng.integers(0, net.layer_sizes[-1], size=m), net.layer_sizes[-1])
        Y[::2] = 0.5 * Y[::2] + 0.5 * make_targets(rng, net, m)[::2]
    return X, Y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparsity", SPARSITIES, ids=("dense", "sparse"))
@pytest.mark.parametrize("weight_decay", DECAYS, ids=("nodecay", "decay"))
@pytest.mark.parametrize("output", OUTPUTS, ids=OUTPUT_IDS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_one_hidden_layer(rng, hidden, output, weight_decay, sparsity, dtype):
    out_act, loss, labels = output
    kwargs = dict(activations=[hidden, out_act], loss=loss, weight_decay=weight_decay, sparsity=sparsity,
                  dtype=dtype, random_state=3)
    if sparsity is not None and hidden != "sigmoid":
        with pytest.raises(ValueError, match="sigmoid"):
            ufldl.Network(SIZES, **kwargs)
        return
    net = randomize_biases(ufldl.Network(SIZES, **kwargs), rng)
    X, Y = _data(rng, net, M, labels)
    _, _, terms = assert_matches_reference(net, X, Y)
    # The switched-on terms are really on.
    assert (terms["decay"] > 0) == (weight_decay > 0)
    assert (terms["sparsity"] > 0) == (sparsity is not None)


@pytest.mark.parametrize("dtype", DTYPES)
def test_labels_equal_one_hot(rng, dtype):
    net = randomize_biases(ufldl.Network([4, 6, 3], "tanh", loss="cross_entropy", dtype=dtype, random_state=1), rng)
    X = rng.normal(size=(9, 4))
    labels = rng.integers(0, 3, size=9)
    cost_l, grad_l = net.cost_and_grad(X, labels)
    cost_d, grad_d = net.cost_and_grad(X, _one_hot(labels, 3))
    tol = tolerance(dtype)
    assert_close(cost_l, cost_d, tol.cost, what="cost")
    assert_close(grad_l, grad_d, tol.grad, what="gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay", DECAYS, ids=("nodecay", "decay"))
@pytest.mark.parametrize("activation, loss", [("sigmoid", "squared"), ("identity", "squared"),
                                              ("softmax", "cross_entropy")])
def test_no_hidden_layer(rng, activation, loss, weight_decay, dtype):
    net = randomize_biases(ufldl.Network([6, 5], activation, loss=loss, weight_decay=weight_decay, dtype=dtype,
                                         random_state=4), rng)
    X, Y = _data(rng, net, M)
    assert_matches_reference(net, X, Y)
    with pytest.raises(ValueError, match="hidden layer"):
        ufldl.Network([6, 5], activation, loss=loss, sparsity=ufldl.KLSparsity(0.1, 3.0))


DEEP = {
    "3-sigmoid-tanh-identity-sparse1": dict(
        layer_sizes=[6, 5, 4, 3], activations=["sigmoid", "tanh", "identity"], loss="squared",
        sparsity=ufldl.KLSparsity(0.05, 2.0, layers=(1,))),
    "3-tanh-sigmoid-sigmoid-sparse2": dict(
        layer_sizes=[5, 7, 4, 5], activations=["tanh", "sigmoid", "sigmoid"], loss="squared",
        sparsity=ufldl.KLSparsity(0.2, 1.5, layers=[2])),
    "3-all-sigmoid-sparse-all": dict(
        layer_sizes=[6, 5, 4, 6], activations="sigmoid", loss="squared",
        sparsity=ufldl.KLSparsity(0.1, 3.0)),
    "4-sigmoid-relu-sigmoid-softmax-sparse13": dict(
        layer_sizes=[5, 6, 7, 4, 3], activations=["sigmoid", "relu", "sigmoid", "softmax"], loss="cross_entropy",
        sparsity=ufldl.KLSparsity(0.1, 3.0, layers=(1, 3))),
    "4-relu-tanh-identity-tanh": dict(
        layer_sizes=[4, 6, 5, 7, 3], activations=["relu", "tanh", "identity", "tanh"], loss="squared",
        sparsity=None),
    "4-identity-sigmoid-relu-softmax-sparse2": dict(
        layer_sizes=[3, 5, 6, 4, 4], activations=["identity", "sigmoid", "relu", "softmax"], loss="cross_entropy",
        sparsity=ufldl.KLSparsity(0.3, 0.5, layers=2)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay", DECAYS, ids=("nodecay", "decay"))
@pytest.mark.parametrize("config", DEEP.values(), ids=DEEP.keys())
def test_deep_mixed(rng, config, weight_decay, dtype):
    net = randomize_biases(ufldl.Network(**config, weight_decay=weight_decay, dtype=dtype, random_state=5), rng)
    X, Y = _data(rng, net, 13)
    _, _, terms = assert_matches_reference(net, X, Y)
    assert (terms["sparsity"] > 0) == (config["sparsity"] is not None)


def test_sparsity_layers_validated():
    with pytest.raises(ValueError, match="sigmoid"):  # layer 2 is tanh
        ufldl.Network([4, 3, 3, 2], ["sigmoid", "tanh", "identity"], sparsity=ufldl.KLSparsity(layers=(1, 2)))
    with pytest.raises(ValueError, match="hidden"):  # layer 3 is the output
        ufldl.Network([4, 3, 3, 2], "sigmoid", sparsity=ufldl.KLSparsity(layers=(3,)))
    with pytest.raises(ValueError, match="hidden"):
        ufldl.Network([4, 3, 3, 2], "sigmoid", sparsity=ufldl.KLSparsity(layers=(0,)))


# ---------------------------------------------------------------------------- the classic sparse autoencoder


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rho, beta, weight_decay", [(0.01, 3.0, 1e-4), (0.1, 3.0, 3e-3), (0.05, 0.0, 0.0)])
def test_sparse_autoencoder_matches_tutorial_formulation(rng, rho, beta, weight_decay, dtype):
    """64-25-64 sigmoid autoencoder, Y = X, data in [0.1, 0.9]: the tutorial's sparseAutoencoderCost."""
    net = ufldl.Network([64, 25, 64], weight_decay=weight_decay, sparsity=ufldl.KLSparsity(rho, beta),
                        dtype=dtype, random_state=0)
    randomize_biases(net, rng, 0.1)
    X = rng.uniform(0.1, 0.9, size=(100, 64))
    X_net = X.astype(dtype).astype(np.float64)  # the values the network computes on
    W1, W2 = (W.astype(np.float64) for W in net.weights)
    b1, b2 = (b.astype(np.float64) for b in net.biases)
    cost_ref, (gW1, gW2, gb1, gb2) = reference.sparse_autoencoder_cost(W1, W2, b1, b2, X_net, weight_decay, rho,
                                                                         beta)
    cost, grad = net.cost_and_grad(X, X)
    tol = tolerance(dtype)
    assert_close(cost, cost_ref, tol.cost, what="cost")
    assert_close(grad, pack([gW1, gW2], [gb1, gb2]), tol.grad, what="gradient")


# ---------------------------------------------------------------------------- theta: argument, views, init


@pytest.mark.parametrize("dtype", DTYPES)
def test_theta_argument_leaves_net_theta_alone(rng, dtype):
    net = ufldl.Network([5, 4, 3], ["sigmoid", "identity"], weight_decay=1e-3,
                        sparsity=ufldl.KLSparsity(0.1, 3.0), dtype=dtype, random_state=7)
    X, Y = rng.uniform(size=(8, 5)), rng.uniform(size=(8, 3))
    before = net.theta.copy()
    other = rng.uniform(-0.5, 0.5, size=net.n_params)
    assert_matches_reference(net, X, Y, theta=other)
    np.testing.assert_array_equal(net.theta, before)
    # ... and evaluating at theta= gives what setting net.theta would.
    cost_arg, grad_arg = net.cost_and_grad(X, Y, other)
    net.theta = other
    cost_set, grad_set = net.cost_and_grad(X, Y)
    assert cost_arg == cost_set
    np.testing.assert_array_equal(grad_arg, grad_set)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weights_and_biases_are_views_into_theta(rng, dtype):
    net = ufldl.Network([4, 3, 2], "tanh", weight_decay=1e-2, dtype=dtype, random_state=8)
    X, Y = rng.uniform(-1, 1, size=(6, 4)), rng.uniform(-0.5, 0.5, size=(6, 2))
    for arr in net.weights + net.biases:
        assert np.shares_memory(arr, net.theta)
        assert arr.dtype == net.dtype and arr.flags.writeable
    assert [W.shape for W in net.weights] == [(3, 4), (2, 3)]
    assert [b.shape for b in net.biases] == [(3,), (2,)]
    # Layout: [W_1 (row-major), W_2, b_1, b_2].
    np.testing.assert_array_equal(np.concatenate([a.ravel() for a in net.weights + net.biases]), net.theta)

    cost0 = net.cost(X, Y)
    net.weights[1][0, 2] += 0.5
    assert net.theta[12 + 2] == net.weights[1][0, 2]
    cost1 = net.cost(X, Y)
    assert cost1 != cost0
    net.biases[0][1] = 0.25
    assert net.theta[12 + 6 + 1] == np.asarray(0.25, dtype)
    cost2 = net.cost(X, Y)
    assert cost2 != cost1
    assert_matches_reference(net, X, Y)
    # Writing into theta shows through the views.
    net.theta[:] = 0
    assert all(not W.any() for W in net.weights) and all(not b.any() for b in net.biases)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_seed_gives_reference_init(seed):
    sizes = [7, 5, 3, 4]
    net = ufldl.Network(sizes, random_state=seed)
    again = ufldl.Network(sizes, random_state=seed)
    np.testing.assert_array_equal(net.theta, again.theta)
    weights, biases = reference.init_params(sizes, np.random.default_rng(seed))
    np.testing.assert_array_equal(net.theta, pack(weights, biases))
    assert all(not b.any() for b in net.biases)
    for W, (n_out, n_in) in zip(net.weights, zip(sizes[1:], sizes[:-1])):
        r = np.sqrt(6) / np.sqrt(n_in + n_out + 1)
        assert np.all(np.abs(W) <= r)
    # A Generator is accepted as the seed too; a different seed gives different weights.
    np.testing.assert_array_equal(ufldl.Network(sizes, random_state=np.random.default_rng(seed)).theta, net.theta)
    assert not np.array_equal(ufldl.Network(sizes, random_state=seed + 1).theta, net.theta)


@pytest.mark.parametrize("seed", [0, 99])
def test_float32_init_is_float64_init_cast(seed):
    sizes = [9, 6, 9]
    net64 = ufldl.Network(sizes, dtype="float64", random_state=seed)
    net32 = ufldl.Network(sizes, dtype="float32", random_state=seed)
    assert net32.theta.dtype == np.float32 and net64.theta.dtype == np.float64
    np.testing.assert_array_equal(net32.theta, net64.theta.astype(np.float32))
    weights, biases = reference.init_params(sizes, np.random.default_rng(seed), dtype=np.float32)
    np.testing.assert_array_equal(net32.theta, pack(weights, biases))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_ranges_match_the_reference(rng, dtype):
    sizes = [7, 5, 3, 4]
    net = ufldl.Network(sizes, ["sigmoid", "tanh", "relu"], dtype=dtype, random_state=2)
    X = rng.normal(size=(11, 7)).astype(dtype)
    full = net.layer_activations(X)
    tol = tolerance(dtype).act
    for start in (1, 2, 3):
        for stop in range(start, 4):
            inputs = X if start == 1 else full[start - 2]
            part = net.layer_activations(inputs, start=start, stop=stop)
            assert len(part) == stop - start + 1
            for got, want in zip(part, full[start - 1:stop]):
                assert_close(got, want, tol, what=f"A (start={start}, stop={stop})")
    np.testing.assert_array_equal(net.forward(full[0], start=2, stop=2), net.layer_activations(full[0], start=2, stop=2)[0])
    with pytest.raises(ValueError, match=r"layers must satisfy 1 <= start <= stop <= 3; got start=2, stop=1"):
        net.layer_activations(X, start=2, stop=1)
    with pytest.raises(ValueError, match=r"X must have 5 columns, shape \(m, 5\); got shape \(11, 7\)"):
        net.forward(X, start=2)
    with pytest.raises(TypeError, match="start must be a layer number"):
        net.forward(X, start=1.0)


def test_mean_activations_in_blocks_equal_one_pass(rng, monkeypatch):
    from ufldl.network import derived

    net = ufldl.Network([6, 5, 4, 6], random_state=0)
    X = rng.normal(size=(103, 6))
    want = [A.mean(axis=0) for A in net.layer_activations(X)[:-1]]
    monkeypatch.setattr(derived, "_MEAN_BLOCK_ELEMENTS", 50)  # blocks of 10 rows
    for got, expected in zip(net.mean_activations(X), want):
        np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert ufldl.Network([6, 6], random_state=0).mean_activations(X) == []


def test_pickle_rebuilds_the_engine(rng):
    import copy
    import pickle

    net = ufldl.Network([6, 4, 6], weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.1, 2.0), dtype="float32",
                        random_state=0)
    X = rng.uniform(size=(9, 6)).astype(np.float32)
    for again in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert repr(again) == repr(net) and np.array_equal(again.theta, net.theta)
        assert again.cost(X, X) == net.cost(X, X)
        again.theta[0] += 1  # its own parameters
        assert again.theta[0] != net.theta[0]
