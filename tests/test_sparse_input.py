"""Sparse inputs (docs/math.md#sparse-input): a scipy.sparse X multiplies the first layer in the core as CSR,
never densified. Checked against the dense path and against ufldl.reference (SciPy's own sparse products), in
float64 and float32, for CSR and CSC, int32 and int64 indices, with empty rows, duplicate entries and unsorted
indices; gradient checks; the solvers and the estimators on sparse X against the densified array; malformed
matrices refused."""

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import ufldl
from ufldl import _core, reference
from tests.helpers import (DTYPES, SEED, assert_close, make_targets, pack, randomize_biases, reference_params,
                           sparsity_layers, tolerance)

# (first-layer activation, later activations, loss, hidden sizes): every loss and every activation the first
# layer can have, shallow (L = 1: the output layer reads X itself) and deep.
ARCHITECTURES = [
    ("sigmoid", "sigmoid", "squared", (7,)),
    ("tanh", "identity", "squared", (6,)),
    ("relu", "softmax", "cross_entropy", (8,)),
    ("identity", "sigmoid", "binary_cross_entropy", (5,)),
    ("sigmoid", "softmax", "cross_entropy", (9, 6, 4)),
    ("softmax", None, "cross_entropy", ()),
    ("identity", None, "squared", ()),
    ("sigmoid", None, "binary_cross_entropy", ()),
]


def awkward_csr(rng, m, n, density=0.15, index_dtype=np.int32):
    """A CSR matrix with empty rows, a repeated column in some rows and unsorted indices within rows."""
    rows = []
    for i in range(m):
        k = 0 if i % 7 == 3 else rng.binomial(n, density)
        cols = list(rng.choice(n, size=k, replace=False))
        if k >= 2 and i % 3 == 0:
            cols.append(cols[0])  # a duplicate: counts as the sum of its entries
        rng.shuffle(cols)  # unsorted within the row
        rows.append(cols)
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(index_dtype)
    indices = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]).astype(index_dtype)
    data = rng.uniform(0.05, 1.0, size=indices.size)
    X = sp.csr_matrix((data, indices, indptr), shape=(m, n))
    X.indices, X.indptr = indices, indptr  # (scipy would narrow int64 indices that fit int32)
    assert X.indices.dtype == index_dtype and not X.has_canonical_format
    return X


def build(first, later, loss, hidden, n_in, n_out, dtype, sparsity=False):
    acts = [first] if not hidden else [first] + [("sigmoid" if later == "softmax" else later)] * (len(hidden) - 1) + [later]
    kl = ufldl.KLSparsity(0.2, 0.5, layers=[1]) if sparsity and first == "sigmoid" and hidden else None
    net = ufldl.Network([n_in, *hidden, n_out], acts, loss, weight_decay=1e-3, sparsity=kl, dtype=dtype,
                        random_state=SEED)
    return randomize_biases(net, np.random.default_rng(SEED))


def reference_of(net, X, Y):
    """The reference's cost and flat gradient on X (sparse, rounded to the network's dtype), in float64."""
    weights, biases = reference_params(net)
    X = X.astype(net.dtype).astype(np.float64)
    if sp.issparse(Y) or Y.dtype.kind == "f":
        Y = Y.astype(net.dtype).astype(np.float64)
    kl = net.sparsity or ufldl.KLSparsity()
    layers = sparsity_layers(net)
    cost, gW, gb, _ = reference.cost_and_grad(weights, biases, X, Y, net.activations, net.loss, net.weight_decay,
                                              layers, kl.rho, kl.beta)
    return cost, pack(gW, gb)


@pytest.mark.parametrize("threads", [1, None], ids=["one-thread", "shards"])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("first,later,loss,hidden", ARCHITECTURES)
def test_cost_and_gradient_match_the_dense_path_and_the_reference(first, later, loss, hidden, dtype, fmt,
                                                                    index_dtype, threads):
    rng = np.random.default_rng(SEED)
    m, n_in, n_out = 3000, 40, 5  # with two threads: shards (m * (n_1 + ... + n_L) >= 2 * 16384, >= 64 rows each)
    X = awkward_csr(rng, m, n_in, index_dtype=index_dtype).asformat(fmt)
    if fmt == "csc":
        X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    net = build(first, later, loss, hidden, n_in, n_out, dtype, sparsity=True)
    Y = make_targets(rng, net, m, labels=loss == "cross_entropy" and len(hidden) > 1)
    tol = tolerance(dtype)
    with threadpool_limits(threads):
        cost, grad = net.cost_and_grad(X, Y)
        dense_cost, dense_grad = net.cost_and_grad(X.toarray(), Y)
        A, A_dense = net.layer_activations(X), net.layer_activations(X.toarray())
    ref_cost, ref_grad = reference_of(net, X, Y)
    assert grad.dtype == net.dtype
    assert_close(cost, ref_cost, tol.cost, what="cost against the reference")
    assert_close(grad, ref_grad, tol.grad, what="gradient against the reference")
    assert_close(cost, dense_cost, tol.cost, what="cost against the dense path")
    assert_close(grad, dense_grad, tol.grad, float(np.abs(dense_grad).max()), what="gradient against the dense path")
    for layer, (a, a_dense) in enumerate(zip(A, A_dense), start=1):
        assert_close(a, a_dense, tol.act, what=f"A_{layer}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_few_rows_through_a_wide_first_layer_split_the_kernels_over_the_pool(dtype):
    # Under 128 rows the batch is one shard, and the sparse products themselves run in parts on the pool.
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 100, 300, density=0.05)
    net = build("sigmoid", "softmax", "cross_entropy", (64,), 300, 4, dtype, sparsity=True)
    Y = make_targets(rng, net, 100, labels=True)
    cost, grad = net.cost_and_grad(X, Y)
    ref_cost, ref_grad = reference_of(net, X, Y)
    tol = tolerance(dtype)
    assert_close(cost, ref_cost, tol.cost, what="cost")
    assert_close(grad, ref_grad, tol.grad, what="gradient")
    assert_close(net.forward(X), net.forward(X.toarray()), tol.act, what="forward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss,decoder", [("squared", "sigmoid"), ("squared", "identity"),
                                          ("binary_cross_entropy", "sigmoid")])
def test_sparse_targets_of_an_autoencoder_are_its_inputs(loss, decoder, dtype):
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 500, 30, density=0.2) * 0.5  # (a duplicate's two entries sum to at most 1)
    net = ufldl.Network([30, 8, 30], ["sigmoid", decoder], loss, weight_decay=1e-3, dtype=dtype,
                        sparsity=ufldl.KLSparsity(0.1, 3.0), random_state=SEED)
    randomize_biases(net, rng)
    cost, grad = net.cost_and_grad(X, X)
    dense_cost, dense_grad = net.cost_and_grad(X.toarray(), X.toarray())
    ref_cost, ref_grad = reference_of(net, X, X)
    tol = tolerance(dtype)
    assert_close(cost, ref_cost, tol.cost, what="cost")
    assert_close(grad, ref_grad, tol.grad, what="gradient")
    assert_close(grad, dense_grad, tol.grad, float(np.abs(dense_grad).max()), what="gradient, dense path")
    assert_close(cost, dense_cost, tol.cost, what="cost, dense path")


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_kernel_twins_are_the_dense_products(dtype):
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 50, 20).astype(dtype)
    W, D = rng.normal(size=(6, 20)).astype(dtype), rng.normal(size=(50, 6)).astype(dtype)
    tol = tolerance(dtype).act
    assert_close(reference.sparse_input_product(X, W), X.toarray() @ W.T, tol, what="X W^T")
    assert_close(reference.sparse_input_gradient(X, D), D.T @ X.toarray(), tol, what="D^T X")


@pytest.mark.parametrize("first,later,loss,hidden", ARCHITECTURES)
def test_gradient_check_with_sparse_x(first, later, loss, hidden):
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 24, 10, density=0.3)
    net = build(first, later, loss, hidden, 10, 3, "float64", sparsity=True)
    Y = make_targets(rng, net, 24)
    diffs = net.check_gradient(X, Y, eps=1e-5)
    assert diffs["all"] < 1e-9, diffs
    assert diffs["W1"] < 1e-9, diffs


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_training_on_sparse_x_follows_training_on_the_dense_array(solver):
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 300, 25, density=0.2)
    options = {} if solver == "lbfgs" else {"batch_size": 64, "random_state": 0}
    trained = []
    for data in (X, X.toarray()):
        net = ufldl.Network([25, 6, 25], "sigmoid", weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.1, 1.0),
                            random_state=SEED)
        ufldl.train(net, data, data, solver, max_iter=15, **options)
        trained.append(net.theta.copy())
    assert_close(trained[0], trained[1], 1e-9, what="theta after training")


def test_early_stopping_holds_out_sparse_rows():
    rng = np.random.default_rng(SEED)
    X = awkward_csr(rng, 200, 12)
    y = rng.integers(0, 3, size=200)
    nets = [ufldl.NeuralNetClassifier((5,), solver="adam", early_stopping=True, max_iter=8, random_state=0).fit(d, y)
            for d in (X, X.toarray())]
    assert nets[0].validation_scores_ == pytest.approx(nets[1].validation_scores_, rel=1e-9)
    assert_close(nets[0].network_.theta, nets[1].network_.theta, 1e-9, what="theta")


ESTIMATORS = [
    lambda: ufldl.SparseAutoencoder(n_hidden=4, max_iter=30, random_state=0),
    lambda: ufldl.SparseAutoencoder(n_hidden=4, solver="adam", max_iter=5, random_state=0),
    lambda: ufldl.SoftmaxRegression(max_iter=30, random_state=0),
    lambda: ufldl.NeuralNetClassifier((6,), max_iter=30, random_state=0),
    lambda: ufldl.NeuralNetClassifier((6,), solver="sgd", max_iter=5, random_state=0),
    lambda: ufldl.NeuralNetRegressor((6,), max_iter=30, random_state=0),
    lambda: ufldl.StackedAutoencoder((5,), pretrain_max_iter=20, softmax_max_iter=20, finetune_max_iter=20,
                                     random_state=0),
]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("make", ESTIMATORS)
def test_estimators_fit_on_sparse_x_as_on_the_densified_array(make, fmt):
    rng = np.random.default_rng(SEED)
    X = (awkward_csr(rng, 120, 15, density=0.25) * 0.5).asformat(fmt)  # (in [0, 1] with duplicates summed)
    y = rng.uniform(size=120) if isinstance(make(), ufldl.NeuralNetRegressor) else rng.integers(0, 3, size=120)
    sparse_fit, dense_fit = make().fit(X, y), make().fit(X.toarray(), y)
    assert_close(sparse_fit.network_.theta, dense_fit.network_.theta, 1e-9, what="fitted theta")
    for method in ("predict", "transform", "predict_proba"):
        if hasattr(sparse_fit, method):
            out = getattr(sparse_fit, method)(X)
            assert_close(out, getattr(dense_fit, method)(X.toarray()), 1e-9, what=method)
    assert sparse_fit.score(X, y) == pytest.approx(dense_fit.score(X.toarray(), y), rel=1e-9)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dok", "lil", "dia", "bsr", "csr64", "csc64"])
def test_the_autoencoder_takes_every_sparse_format(fmt):
    # scikit-learn's check_estimator_sparse_* with the reconstruction's shape (see tests/test_autoencoder.py).
    rng = np.random.RandomState(0)
    dense = rng.uniform(size=(40, 3))
    dense[dense < 0.6] = 0
    X = sp.csr_matrix(dense).asformat(fmt[:3])
    if fmt.endswith("64"):
        X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    ae = ufldl.SparseAutoencoder(n_hidden=2, max_iter=20, random_state=0).fit(X)
    assert ae.predict(X).shape == (40, 3)
    assert ae.transform(X).shape == (40, 2)
    assert_close(ae.predict(X), ae.predict(dense), 1e-12, what="reconstruction")


def hostile(kind):
    X = sp.csr_matrix(np.eye(4, 6))
    if kind == "index too large":
        X.indices[2] = 6
    elif kind == "negative index":
        X.indices[1] = -1
    elif kind == "decreasing indptr":
        X.indptr[2] = 0
    elif kind == "indptr past the entries":
        X.indptr[-1] = 7
    elif kind == "indptr not from 0":
        X.indptr[0] = 1
    return X


@pytest.mark.parametrize("kind", ["index too large", "negative index", "decreasing indptr", "indptr past the entries",
                                  "indptr not from 0"])
@pytest.mark.parametrize("call", ["cost_and_grad", "forward", "minibatch"])
def test_a_malformed_matrix_is_refused(kind, call):
    net = ufldl.Network([6, 3, 2], "sigmoid", random_state=0)
    X, Y = hostile(kind), np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match=r"X\.ind(ices|ptr)"):
        if call == "cost_and_grad":
            net.cost_and_grad(X, Y)
        elif call == "forward":
            net.forward(X)
        else:
            ufldl.train(net, X, Y, "adam", max_iter=1, batch_size=2)


def test_malformed_core_arguments_are_refused():
    net = ufldl.Network([6, 2], "identity", random_state=0)
    X = sp.csr_matrix(np.eye(3, 6))
    engine_args = (net.theta, np.full((3, 2), 0.5), np.empty(net.n_params), net._cost_settings())
    bad = {
        "data and indices of different lengths": (X.data[:2], X.indices, X.indptr, X.shape),
        "indptr of the wrong length": (X.data, X.indices, X.indptr[:-1], X.shape),
        "float indices": (X.data, X.indices.astype(float), X.indptr, X.shape),
        "a wrong column count": (X.data, X.indices, X.indptr, (3, 5)),
    }
    for name, (data, indices, indptr, shape) in bad.items():
        csr = _core.CsrMatrix(data, indices, indptr, shape)
        with pytest.raises((ValueError, TypeError), match=r"X"):
            net._engine.cost_and_grad(engine_args[0], csr, *engine_args[1:])
        assert name


def test_a_malformed_csc_matrix_is_refused_before_its_conversion():
    X = sp.csc_matrix(np.eye(4, 6))
    X.indices[0] = 99
    with pytest.raises(ValueError):
        ufldl.Network([6, 2], "identity", random_state=0).cost_and_grad(X, np.zeros((4, 2)))


def test_non_finite_sparse_values_are_refused():
    X = sp.csr_matrix(np.eye(4, 6))
    X.data[1] = np.nan
    with pytest.raises(ValueError, match="X.data must be finite"):
        ufldl.train(ufldl.Network([6, 2], "identity", random_state=0), X, np.zeros((4, 2)), "lbfgs", max_iter=1)
