"""Shapes, layouts and values at the edges: one example, one-unit layers, widths that are not multiples of the
SIMD width, non-contiguous / Fortran / other-dtype / integer inputs, the ``grad=`` output buffer, changing
batch sizes on one network, and the numerical stability of sigmoid, softmax and the KL penalty.
"""

import numpy as np
import pytest

import ufldl
from ufldl import reference

from .helpers import DTYPES, assert_close, assert_matches_reference, make_targets, randomize_biases, tolerance

SPARSE = ufldl.KLSparsity(rho=0.1, beta=3.0)


def _net(sizes, activations="sigmoid", loss="squared", dtype="float64", rng=None, **kwargs):
    net = ufldl.Network(sizes, activations, loss=loss, dtype=dtype, random_state=len(sizes), **kwargs)
    if rng is not None:
        randomize_biases(net, rng)
    return net


def _assert_same_result(net, X, Y, X_ref, Y_ref):
    """Bitwise the same cost, gradient and activations for (X, Y) as for the already-converted (X_ref, Y_ref)."""
    cost, grad = net.cost_and_grad(X, Y)
    cost_ref, grad_ref = net.cost_and_grad(X_ref, Y_ref)
    assert cost == cost_ref
    np.testing.assert_array_equal(grad, grad_ref)
    assert net.cost_terms(X, Y) == net.cost_terms(X_ref, Y_ref)
    for A, A_ref in zip(net.layer_activations(X), net.layer_activations(X_ref)):
        np.testing.assert_array_equal(A, A_ref)


# ---------------------------------------------------------------------------- one example, one unit


ONE_EXAMPLE = {
    "sparse-autoencoder": dict(sizes=[6, 4, 6], activations="sigmoid", loss="squared", sparsity=SPARSE),
    "tanh-identity": dict(sizes=[5, 3, 2], activations=["tanh", "identity"], loss="squared"),
    "relu-softmax": dict(sizes=[4, 5, 3], activations=["relu", "softmax"], loss="cross_entropy"),
    "deep-mixed-sparse": dict(sizes=[3, 4, 5, 2], activations=["sigmoid", "tanh", "softmax"], loss="cross_entropy",
                              sparsity=ufldl.KLSparsity(0.2, 1.0, layers=(1,))),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", ONE_EXAMPLE.values(), ids=ONE_EXAMPLE.keys())
def test_single_example(rng, config, dtype):
    config = dict(config)
    net = _net(config.pop("sizes"), dtype=dtype, rng=rng, weight_decay=1e-3, **config)
    X = rng.uniform(-1, 1, size=(1, net.layer_sizes[0]))
    Y = make_targets(rng, net, 1, labels=net.loss == "cross_entropy")
    assert_matches_reference(net, X, Y)
    assert net.forward(X).shape == (1, net.layer_sizes[-1])


ONE_UNIT = {
    "1-1-1": dict(sizes=[1, 1, 1]),
    "3-1-2": dict(sizes=[3, 1, 2], sparsity=SPARSE),
    "1-1": dict(sizes=[1, 1]),
    "2-1-1-3-tanh": dict(sizes=[2, 1, 1, 3], activations=["tanh", "sigmoid", "identity"]),
    "3-1-2-softmax": dict(sizes=[3, 1, 2], activations=["sigmoid", "softmax"], loss="cross_entropy",
                          sparsity=SPARSE),
    "3-2-1-softmax": dict(sizes=[3, 2, 1], activations=["tanh", "softmax"], loss="cross_entropy"),  # one class
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m", [1, 9])
@pytest.mark.parametrize("config", ONE_UNIT.values(), ids=ONE_UNIT.keys())
def test_one_unit_layers(rng, config, m, dtype):
    config = dict(config)
    net = _net(config.pop("sizes"), dtype=dtype, rng=rng, weight_decay=1e-3, **config)
    X = rng.uniform(-1, 1, size=(m, net.layer_sizes[0]))
    for labels in (False, True) if net.loss == "cross_entropy" else (False,):
        assert_matches_reference(net, X, make_targets(rng, net, m, labels))


# ---------------------------------------------------------------------------- widths off the SIMD grid


ODD_WIDTHS = {
    "33-13-7": dict(sizes=[33, 13, 7], activations=["sigmoid", "identity"], sparsity=SPARSE),
    "7-67-33": dict(sizes=[7, 67, 33], activations=["tanh", "sigmoid"]),
    "67-33-67": dict(sizes=[67, 33, 67], activations="sigmoid", sparsity=SPARSE),
    "13-67-7-33-softmax": dict(sizes=[13, 67, 7, 33], activations=["sigmoid", "relu", "softmax"],
                               loss="cross_entropy", sparsity=ufldl.KLSparsity(0.05, 3.0, layers=(1,))),
    "67-13-softmax": dict(sizes=[67, 13], activations="softmax", loss="cross_entropy"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m", [1, 7, 37])
@pytest.mark.parametrize("config", ODD_WIDTHS.values(), ids=ODD_WIDTHS.keys())
def test_odd_widths(rng, config, m, dtype):
    config = dict(config)
    net = _net(config.pop("sizes"), dtype=dtype, rng=rng, weight_decay=1e-3, **config)
    X = rng.uniform(-1, 1, size=(m, net.layer_sizes[0]))
    assert_matches_reference(net, X, make_targets(rng, net, m, labels=net.loss == "cross_entropy"))


# ---------------------------------------------------------------------------- input layouts and dtypes


@pytest.fixture(params=DTYPES)
def problem(request, rng):
    """A sparse sigmoid/softmax net, a C-contiguous X of its dtype and dense targets of its dtype."""
    dtype = np.dtype(request.param)
    net = _net([7, 5, 3], ["sigmoid", "softmax"], "cross_entropy", dtype, rng, weight_decay=1e-3, sparsity=SPARSE)
    X = rng.uniform(-1, 1, size=(12, 7)).astype(dtype)
    Y = make_targets(rng, net, 12).astype(dtype)
    return net, X, Y


def test_non_contiguous_inputs(rng, problem):
    net, X, Y = problem
    big_X = np.zeros((36, 14), X.dtype)
    big_X[::3, ::2] = X
    big_Y = np.zeros((24, 3), Y.dtype)
    big_Y[1::2] = Y
    X_view, Y_view = big_X[::3, ::2], big_Y[1::2]
    assert not X_view.flags.c_contiguous and not Y_view.flags.c_contiguous
    _assert_same_result(net, X_view, Y_view, X, Y)
    # A view whose rows are reversed (negative strides).
    _assert_same_result(net, X[::-1], Y[::-1], X[::-1].copy(), Y[::-1].copy())


def test_fortran_ordered_inputs(problem):
    net, X, Y = problem
    X_f, Y_f = np.asfortranarray(X), np.asfortranarray(Y)
    assert X_f.flags.f_contiguous and not X_f.flags.c_contiguous
    _assert_same_result(net, X_f, Y_f, X, Y)
    assert_matches_reference(net, X_f, Y_f)


def test_other_float_dtype_is_converted(problem):
    net, X, Y = problem
    other = np.float32 if net.dtype == np.float64 else np.float64
    X_other, Y_other = X.astype(other), Y.astype(other)
    # The documented behaviour: converted to the network's dtype, i.e. the same as converting first.
    _assert_same_result(net, X_other, Y_other, X_other.astype(net.dtype), Y_other.astype(net.dtype))
    assert net.cost_and_grad(X_other, Y_other)[1].dtype == net.dtype
    assert all(A.dtype == net.dtype for A in net.layer_activations(X_other))


def test_integer_and_list_inputs_are_converted(rng, problem):
    net, _, Y = problem
    X_int = rng.integers(-2, 3, size=(12, 7))
    _assert_same_result(net, X_int, Y, X_int.astype(net.dtype), Y)
    assert_matches_reference(net, X_int, Y)
    _assert_same_result(net, X_int.tolist(), Y.tolist(), X_int.astype(net.dtype), Y)
    # Integer labels of any integer dtype.
    labels = rng.integers(0, 3, size=12)
    _assert_same_result(net, X_int, labels.astype(np.int32), X_int.astype(net.dtype), labels)
    _assert_same_result(net, X_int, labels.astype(np.uint8), X_int.astype(net.dtype), labels)


# ---------------------------------------------------------------------------- the grad= output buffer


def test_grad_buffer_of_the_right_dtype_is_filled_in_place(problem):
    net, X, Y = problem
    expected_cost, expected = net.cost_and_grad(X, Y)
    buf = np.full(net.n_params, np.nan, dtype=net.dtype)
    cost, grad = net.cost_and_grad(X, Y, grad=buf)
    assert grad is buf
    assert cost == expected_cost
    np.testing.assert_array_equal(buf, expected)
    # Also with theta=, and reusing the filled buffer.
    theta = net.theta * 0.5
    cost2, grad2 = net.cost_and_grad(X, Y, theta, grad=buf)
    assert grad2 is buf
    np.testing.assert_array_equal(buf, net.cost_and_grad(X, Y, theta)[1])


def test_grad_buffer_of_the_wrong_dtype_is_refused(problem):
    net, X, Y = problem
    other = np.float32 if net.dtype == np.float64 else np.float64
    buf = np.zeros(net.n_params, dtype=other)
    with pytest.raises(TypeError, match="grad"):
        net.cost_and_grad(X, Y, grad=buf)
    assert not buf.any()  # untouched, no silent copy
    with pytest.raises(TypeError, match="grad"):
        net.cost_and_grad(X, Y, grad=np.zeros(net.n_params, dtype=np.int64))
    with pytest.raises(TypeError, match="grad"):
        net.cost_and_grad(X, Y, grad=[0.0] * net.n_params)


def test_grad_buffer_of_the_wrong_shape_or_layout_is_refused(problem):
    net, X, Y = problem
    with pytest.raises(ValueError, match="grad"):
        net.cost_and_grad(X, Y, grad=np.zeros(net.n_params + 1, dtype=net.dtype))
    with pytest.raises(ValueError, match="grad"):
        net.cost_and_grad(X, Y, grad=np.zeros((1, net.n_params), dtype=net.dtype))
    strided = np.zeros(2 * net.n_params, dtype=net.dtype)[::2]
    with pytest.raises(ValueError, match="grad"):
        net.cost_and_grad(X, Y, grad=strided)
    assert not strided.any()
    readonly = np.zeros(net.n_params, dtype=net.dtype)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="grad"):
        net.cost_and_grad(X, Y, grad=readonly)


# ---------------------------------------------------------------------------- changing batch sizes


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_size_changes_match_fresh_networks(rng, dtype):
    config = dict(layer_sizes=[13, 7, 5, 13], activations=["sigmoid", "tanh", "sigmoid"], weight_decay=1e-3,
                  sparsity=ufldl.KLSparsity(0.1, 3.0, layers=(1,)), dtype=dtype)
    net = ufldl.Network(**config, random_state=3)
    randomize_biases(net, rng)
    for m in (5, 64, 3, 1, 200, 7, 64):  # grow, shrink, grow past every earlier size, shrink again
        X = rng.uniform(0, 1, size=(m, 13))
        cost, grad = net.cost_and_grad(X, X)
        acts = net.layer_activations(X)
        fresh = ufldl.Network(**config, random_state=0)
        fresh.theta = net.theta
        fresh_cost, fresh_grad = fresh.cost_and_grad(X, X)
        assert cost == fresh_cost, m
        np.testing.assert_array_equal(grad, fresh_grad)
        for A, A_fresh in zip(acts, fresh.layer_activations(X)):
            np.testing.assert_array_equal(A, A_fresh)
        assert_matches_reference(net, X, X)


# ---------------------------------------------------------------------------- numerical stability


def _set_params(net, weights, biases):
    for W, W_new in zip(net.weights, weights):
        W[...] = W_new
    for b, b_new in zip(net.biases, biases):
        b[...] = b_new


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_at_z_plus_minus_1000(dtype):
    # Output layer: Z = X W^T with entries exactly +-1000 and 0.
    net = ufldl.Network([2, 3], "sigmoid", weight_decay=1e-3, dtype=dtype, random_state=0)
    _set_params(net, [[[1000.0, 0.0], [-1000.0, 0.0], [1000.0, -1000.0]]], [[0.0, 0.0, 0.0]])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    Y = np.array([[0.0, 1.0, 0.5], [0.3, 0.3, 0.3], [1.0, 0.0, 0.0], [0.2, 0.9, 0.4]])
    np.testing.assert_array_equal(net.forward(X)[:, :2], [[1, 0], [0.5, 0.5], [1, 0], [0, 1]])
    assert_matches_reference(net, X, Y)

    # Hidden layer saturated the same way, identity output.
    deep = ufldl.Network([2, 3, 2], ["sigmoid", "identity"], dtype=dtype, random_state=0)
    _set_params(deep, [net.weights[0], [[0.5, -0.25, 1.0], [1.0, 1.0, -1.0]]], [[0.0, 0.0, 0.0], [0.1, -0.1]])
    assert_matches_reference(deep, X, np.linspace(-1, 1, 8).reshape(4, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_at_logits_plus_minus_1000(dtype):
    net = ufldl.Network([2, 3], "softmax", loss="cross_entropy", dtype=dtype, random_state=0)
    _set_params(net, [[[1000.0, 0.0], [-1000.0, 0.0], [0.0, 1000.0]]], [[0.0, 0.0, 0.0]])
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, -1.0]])
    # Rows 0 and 3 put the target on a class whose probability underflows to 0: log a must stay finite
    # (a log-softmax), giving a cost of about 2000 and 1000 for those rows.
    labels = np.array([1, 1, 2, 1, 0])
    cost_ref = assert_matches_reference(net, X, labels)[0]
    assert 500 < cost_ref < 1000
    A = net.forward(X)
    assert np.all(np.isfinite(A)) and np.all(A >= 0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=tolerance(dtype).act)
    # Dense targets, including a split one.
    Y = np.zeros((5, 3))
    Y[np.arange(5), labels] = 1.0
    Y[2] = [0.25, 0.25, 0.5]
    assert_matches_reference(net, X, Y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("magnitude", [1.0, 1000.0, 1e5])
def test_softmax_gradient_consistent_with_forward_at_large_logits(magnitude, dtype):
    """With one softmax layer, dJ/db = mean over rows of (A - Y): the probabilities the gradient uses must be
    the ones ``forward`` returns. Every logit here is exact (+-magnitude or 0), and so are the probabilities
    (0, 1/2 or 1), so a stable softmax gets them to within an ulp whatever the magnitude."""
    net = ufldl.Network([2, 3], "softmax", loss="cross_entropy", dtype=dtype, random_state=0)
    _set_params(net, [[[magnitude, 0.0], [-magnitude, 0.0], [0.0, magnitude]]], [[0.0, 0.0, 0.0]])
    X = np.array([[1.0, 1.0], [0.0, -1.0], [1.0, 0.0]])
    labels = np.array([0, 1, 0])
    A = net.forward(X)
    if magnitude > 100:
        np.testing.assert_array_equal(A, [[0.5, 0, 0.5], [0.5, 0.5, 0], [1, 0, 0]])
    grad = net.cost_and_grad(X, labels)[1]
    grad_b = (A.astype(np.float64) - np.eye(3)[labels]).mean(axis=0)
    assert_close(grad[-3:], grad_b, tolerance(dtype).grad, what="dJ/db vs forward()")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m", [1, 10])
def test_saturated_hidden_units_with_sparsity(rng, m, dtype):
    """Unscaled inputs (~100) and weights ~1 drive every hidden sigmoid to exactly 0 or 1 on every example, so
    rho_hat is exactly 0 or 1, where KL is infinite. Both the network and the reference clip rho_hat into
    [eps, 1 - eps] (eps of the dtype), so the reference runs in the network's dtype here."""
    rho, beta = 0.05, 3.0
    net = ufldl.Network([16, 6, 16], ["sigmoid", "identity"], weight_decay=1e-4,
                        sparsity=ufldl.KLSparsity(rho, beta), dtype=dtype, random_state=1)
    signs = np.array([1, -1, 1, -1, -1, 1])[:, None]
    net.weights[0][...] = signs * rng.uniform(0.8, 1.2, size=(6, 16))  # |Z| >= 16 * 80 * 0.8 > 1000
    net.weights[1][...] = rng.uniform(-0.1, 0.1, size=(16, 6))
    randomize_biases(net, rng)
    X = rng.uniform(80, 120, size=(m, 16))

    A1 = net.layer_activations(X)[0]
    np.testing.assert_array_equal(A1, np.broadcast_to((signs.T + 1) / 2, A1.shape))  # exactly 0 or 1

    tol = tolerance(dtype)
    assert_matches_reference(net, X, X, ref_dtype=dtype)
    cost, grad = net.cost_and_grad(X, X)
    assert np.isfinite(cost) and np.all(np.isfinite(grad))

    eps = np.finfo(dtype).eps
    n_on = int((signs > 0).sum())
    expected = beta * (n_on * reference.kl_divergence(rho, 1 - eps) + (6 - n_on) * reference.kl_divergence(rho, eps))
    assert_close(net.cost_terms(X, X)["sparsity"], expected, tol.cost, what="clipped sparsity term")


# A wide output layer over a large batch is processed in blocks of rows (more than 16 MB of output: here
# 1100 x 2048 float64 = 18 MB, so blocks of 512, 512 and 76 rows). Each block's products, loss pass and the
# hidden layer's delta must add up to the whole-batch result.
BLOCKED = {
    "squared-sparse": dict(layer_sizes=[6, 5, 2048], activations="sigmoid", weight_decay=1e-3,
                           sparsity=ufldl.KLSparsity(0.05, 2.0)),
    "softmax-deep": dict(layer_sizes=[6, 5, 4, 2048], activations=["tanh", "sigmoid", "softmax"],
                         loss="cross_entropy", weight_decay=1e-3),
    "softmax-only": dict(layer_sizes=[6, 2048], activations="softmax", loss="cross_entropy"),
}


BLOCKED_CASES = [(name, labels) for name, config in BLOCKED.items()
                 for labels in ((False, True) if config.get("loss") == "cross_entropy" else (False,))]


@pytest.mark.parametrize("name, labels", BLOCKED_CASES)
def test_output_layer_in_row_blocks(rng, name, labels):
    net = ufldl.Network(**BLOCKED[name], dtype="float64", random_state=3)
    randomize_biases(net, rng)
    m = 1100
    X = rng.uniform(-1, 1, size=(m, net.layer_sizes[0]))
    Y = make_targets(rng, net, m, labels=labels)
    assert m * net.layer_sizes[-1] * 8 > 16 << 20  # really more than one block
    assert_matches_reference(net, X, Y)


# With several threads a large batch is split into shards of rows, each evaluated on its own thread and then
# summed; shards in different phases share the hidden-layer buffers, so hidden layers of different widths and a
# sparsity penalty (which needs every shard's activations before any shard can go back) are the cases to check.
SHARDED = {
    "deep-sparse": dict(layer_sizes=[9, 30, 7, 20, 5], activations=["sigmoid", "tanh", "sigmoid", "sigmoid"],
                        weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.1, 3.0, layers=(1, 3))),
    "softmax": dict(layer_sizes=[9, 13, 6, 4], activations=["relu", "sigmoid", "softmax"], loss="cross_entropy"),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", SHARDED.values(), ids=SHARDED.keys())
def test_batch_split_into_shards(rng, config, dtype, threads):
    net = ufldl.Network(**config, dtype=dtype, random_state=5)
    randomize_biases(net, rng)
    m = 3001  # odd, so the shards differ in size
    X = rng.uniform(-1, 1, size=(m, net.layer_sizes[0]))
    Y = make_targets(rng, net, m, labels=net.loss == "cross_entropy")
    with ufldl.blas_threads(threads):
        assert_matches_reference(net, X, Y)
