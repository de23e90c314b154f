"""Network.one_pass_sums / combine (docs/math.md#one-pass-kl-sums): with the KL penalty on the first hidden layer
only, ONE pass over the chunks gives cost_and_grad of all the rows, for every loss, decay, sample weights, CSR
input, a deep network and uneven chunks, at a TRAINED theta (30 L-BFGS iterations first: at the initial theta
rho_hat is near 0.5, where the KL term and its errors are small). The core's sums against their NumPy twins
(ufldl.reference.one_pass_sums) for every activation of layer 1, and the streamed and Dask drivers: one pass per
evaluation, fits equal to the in-memory fit.

Near a minimum the gradient is a small difference of large terms, so its error is measured against the size of
the terms added (the chunks' gradients and the KL term's, in absolute value), as rounding scales with them."""

import numpy as np
import pytest
import scipy.sparse

import ufldl
from ufldl import reference
from ufldl.network import OnePassSums
from ufldl.scale import StreamedObjective

from .helpers import make_targets

TOL = {np.float64: 1e-12, np.float32: 2e-6}
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])

KL = ufldl.KLSparsity(0.05, 3.0)
CASES = {
    "sparse-autoencoder": dict(sizes=[12, 6, 12], activations="sigmoid", loss="squared", decay=1e-3),
    "linear-decoder-no-decay": dict(sizes=[12, 6, 12], activations=["sigmoid", "identity"], loss="squared",
                                    decay=0.0),
    "softmax-labels": dict(sizes=[9, 6, 4], activations=["sigmoid", "softmax"], loss="cross_entropy", decay=1e-3,
                           labels=True),
    "multilabel": dict(sizes=[9, 5, 3], activations=["sigmoid", "sigmoid"], loss="binary_cross_entropy",
                       decay=2e-3),
    "three-hidden-layers": dict(sizes=[10, 7, 6, 5, 4], activations=["sigmoid", "tanh", "relu", "identity"],
                                loss="squared", decay=[1e-3, 0.0, 2e-3, 1e-3], layers=(1,)),
}
# Uneven chunks of rows sorted by brightness (each sees other activations), one of a single row.
BOUNDS = (0, 37, 38, 200, 350, 351, 600)


def trained_problem(case, dtype, rng, m=600, sparse_X=False):
    net = ufldl.Network(case["sizes"], case["activations"], case["loss"], weight_decay=case["decay"],
                        sparsity=ufldl.KLSparsity(KL.rho, KL.beta, layers=case.get("layers")), dtype=dtype,
                        random_state=0)
    X = rng.uniform(0.0, 1.0, size=(m, case["sizes"][0]))
    if sparse_X:
        X[rng.random(X.shape) < 0.7] = 0.0  # 70% zeros, stored as CSR below
    Y = make_targets(rng, net, m, labels=case.get("labels", False))
    ufldl.train(net, X, Y, "lbfgs", max_iter=30)
    order = np.argsort(X.sum(axis=1))
    X, Y = X[order], Y[order]
    return net, (scipy.sparse.csr_matrix(X) if sparse_X else X), Y


def one_pass(net, X, Y, weights=None):
    parts = [net.one_pass_sums(X[a:b], Y[a:b], sample_weight=None if weights is None else weights[a:b])
             for a, b in zip(BOUNDS, BOUNDS[1:])]
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return net.combine(total), parts, total


def terms_scale(parts, total):
    """The size of the terms added: the chunks' data gradients and the KL gradient, in absolute value."""
    _, kl_W1, kl_b1 = reference.one_pass_kl(total.activation_sums, total.derivative_sums,
                                            total.derivative_input_sums, total.m, KL.rho, KL.beta)
    return max(sum(np.abs(part.grad) for part in parts).max() / total.m, np.abs(kl_W1).max(), np.abs(kl_b1).max())


def assert_equals_the_whole(net, X, Y, dtype, weights=None):
    (cost, grad), parts, total = one_pass(net, X, Y, weights)
    whole_cost, whole_grad = net.cost_and_grad(X, Y, sample_weight=weights)
    assert grad.dtype == net.dtype and grad.shape == (net.n_params,)
    assert abs(cost - whole_cost) <= TOL[dtype] * abs(whole_cost)
    assert np.abs(grad - whole_grad).max() <= TOL[dtype] * terms_scale(parts, total)
    return total


@DTYPES
@pytest.mark.parametrize("name", CASES)
def test_one_pass_equals_the_whole_at_a_trained_theta(rng, name, dtype):
    net, X, Y = trained_problem(CASES[name], dtype, rng)
    assert net.one_pass_applies
    total = assert_equals_the_whole(net, X, Y, dtype)
    assert total.m == 600 and isinstance(total.m, int)
    np.testing.assert_allclose(total.rho_hat, net.mean_activations(X)[0], rtol=1e-12 if dtype == np.float64 else 1e-6)


@DTYPES
@pytest.mark.parametrize("sparse_X", [False, True], ids=["dense", "csr"])
def test_one_pass_with_sample_weights_and_csr_input(rng, dtype, sparse_X):
    net, X, Y = trained_problem(CASES["sparse-autoencoder"], dtype, rng, sparse_X=sparse_X)
    weights = rng.uniform(0.0, 3.0, size=600)
    weights[3::7] = 0.0  # rows that weigh nothing (not the one-row chunks: a chunk must weigh more than 0)
    weights[1::5] = np.round(weights[1::5])
    total = assert_equals_the_whole(net, X, Y, dtype, weights)
    assert total.m == pytest.approx(weights.sum(), rel=1e-14)
    if sparse_X:
        assert_equals_the_whole(net, X, Y, dtype)  # unweighted CSR too


@DTYPES
def test_large_chunks_split_into_shards(rng, dtype):
    # Chunks of thousands of rows are evaluated as several shards when the core has several threads (each shard
    # its own F^T X, added in shard order), as one with one thread: both are the whole's to rounding.
    net, X, Y = trained_problem(CASES["sparse-autoencoder"], dtype, rng, m=6000)
    whole_cost, whole_grad = net.cost_and_grad(X, Y)
    for threads in (None, 1):
        with ufldl.blas_threads(threads or ufldl.blas_info()["num_threads"]):
            parts = [net.one_pass_sums(X[:2500], Y[:2500]), net.one_pass_sums(X[2500:], Y[2500:])]
        cost, grad = net.combine(total := parts[0] + parts[1])
        assert abs(cost - whole_cost) <= TOL[dtype] * abs(whole_cost)
        assert np.abs(grad - whole_grad).max() <= TOL[dtype] * terms_scale(parts, total)


@DTYPES
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_wide_inputs_run_layer_1_in_several_blocks_of_rows(rng, dtype, weighted):
    # With a dense X, layer 1's forward pass and F^T X go a block of rows at a time (about 512 KB of X: 218 rows
    # of 300 float64 inputs, 436 of float32), the last block partial: the sums are the whole's all the same.
    case = dict(sizes=[300, 10, 300], activations="sigmoid", loss="squared", decay=1e-3)
    net, X, Y = trained_problem(case, dtype, rng, m=1000)
    weights = rng.uniform(0.5, 2.0, size=1000) if weighted else None
    whole_cost, whole_grad = net.cost_and_grad(X, Y, sample_weight=weights)
    for threads in (None, 1):
        with ufldl.blas_threads(threads or ufldl.blas_info()["num_threads"]):
            parts = [net.one_pass_sums(X[a:b], Y[a:b], sample_weight=None if weights is None else weights[a:b])
                     for a, b in ((0, 999), (999, 1000))]
        cost, grad = net.combine(total := parts[0] + parts[1])
        assert abs(cost - whole_cost) <= TOL[dtype] * abs(whole_cost)
        assert np.abs(grad - whole_grad).max() <= TOL[dtype] * terms_scale(parts, total)


@DTYPES
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse_X", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_the_core_sums_equal_their_numpy_twin_for_every_activation(rng, activation, sparse_X, weighted, dtype):
    # The Network allows the KL penalty on sigmoid units only, but the sums are formulas of any activation: the
    # core's (through the engine for the others) against ufldl.reference.one_pass_sums, at a trained theta.
    sizes = [9, 6, 5, 4]
    acts = [activation, "tanh", "sigmoid"]
    net = ufldl.Network(sizes, acts, "binary_cross_entropy", dtype=dtype, random_state=0,
                        sparsity=ufldl.KLSparsity(KL.rho, KL.beta, layers=(1,)) if activation == "sigmoid" else None)
    X = rng.uniform(0.0, 1.0, size=(300, 9))
    X[rng.random(X.shape) < 0.5] = 0.0
    Y = make_targets(rng, net, 300)
    ufldl.train(net, X, Y, "lbfgs", max_iter=30)
    Xc = scipy.sparse.csr_matrix(X.astype(dtype)) if sparse_X else X.astype(dtype)
    w = rng.uniform(0.0, 2.0, size=300) if weighted else None
    twin = reference.one_pass_sums(net.weights, net.biases, Xc, Y.astype(dtype), acts, "binary_cross_entropy",
                                   sample_weight=w)
    if activation == "sigmoid":
        sums = net.one_pass_sums(Xc, Y, sample_weight=w)
        got = (sums.m, sums.data, sums.grad, sums.activation_sums, sums.derivative_sums, sums.derivative_input_sums)
    else:
        grad = np.empty(net.n_params, dtype=dtype)
        a, d, P = np.empty(6), np.empty(6), np.empty((6, 9))
        settings = ufldl._core.CostSettings(sparse_layers=[False] * 4)
        core_X = ufldl._core.CsrMatrix(Xc.data, Xc.indices, Xc.indptr, Xc.shape) if sparse_X else Xc
        data = net._engine.cost_and_grad_one_pass(net.theta, core_X, Y.astype(dtype), grad, settings, a, d, P, w)[0]
        m = 300 if w is None else w.sum()
        got = (m, data * m, grad.astype(np.float64) * m, a, d, P)
    twin_grad = np.concatenate([g.ravel() for g in twin["grad_weights"] + twin["grad_biases"]])
    want = (twin["m"], twin["data"], twin_grad, twin["activation_sums"], twin["derivative_sums"],
            twin["derivative_input_sums"])
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert got[0] == pytest.approx(want[0], rel=1e-14) and got[1] == pytest.approx(want[1], rel=tol)
    for name, g, t in zip(("grad", "activation_sums", "derivative_sums", "derivative_input_sums"), got[2:], want[2:]):
        assert g.dtype == np.float64 and g.shape == t.shape, name
        assert np.abs(g - t).max() <= tol * np.abs(t).max(), name


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_the_twin_s_one_pass_kl_is_the_kl_gradient_for_every_activation(rng, activation):
    # The derivation itself, in NumPy alone: the chunks' sums, added, with the KL term applied after the
    # reduction, equal reference.cost_and_grad with the penalty on layer 1 (biases keep rho_hat inside (0, 1)).
    sizes, acts = [8, 5, 6, 3], [activation, "sigmoid", "identity"]
    weights, biases = reference.init_params(sizes, rng)
    biases[0] += 0.4
    X, Y = rng.uniform(0.0, 1.0, size=(200, 8)), rng.uniform(-1.0, 1.0, size=(200, 3))
    w = rng.uniform(0.0, 2.0, size=200)
    chunks = [slice(0, 13), slice(13, 120), slice(120, 200)]
    parts = [reference.one_pass_sums(weights, biases, X[c], Y[c], acts, sample_weight=w[c]) for c in chunks]
    total = {key: sum(part[key] for part in parts) for key in parts[0] if key not in ("grad_weights", "grad_biases")}
    assert 0.05 < (total["activation_sums"] / total["m"]).min() and (total["activation_sums"] / total["m"]).max() < 1
    kl, kl_W1, kl_b1 = reference.one_pass_kl(total["activation_sums"], total["derivative_sums"],
                                             total["derivative_input_sums"], total["m"], 0.1, 3.0)
    cost, gW, gb, terms = reference.cost_and_grad(weights, biases, X, Y, acts, sparsity_layers=(1,), rho=0.1,
                                                  beta=3.0, sample_weight=w)
    assert kl == pytest.approx(terms["sparsity"], rel=1e-13) and kl > 0.01
    assert total["data"] / total["m"] == pytest.approx(terms["data"], rel=1e-13)
    for l in range(3):
        W = sum(part["grad_weights"][l] for part in parts) / total["m"] + (kl_W1 if l == 0 else 0)
        b = sum(part["grad_biases"][l] for part in parts) / total["m"] + (kl_b1 if l == 0 else 0)
        np.testing.assert_allclose(W, gW[l], rtol=0, atol=1e-13 * np.abs(gW[l]).max())
        np.testing.assert_allclose(b, gb[l], rtol=0, atol=1e-13 * np.abs(gb[l]).max())


def test_one_pass_is_refused_where_it_does_not_apply(rng):
    X = rng.uniform(0.1, 0.9, size=(50, 10))
    two_layers = ufldl.Network([10, 7, 5, 10], sparsity=ufldl.KLSparsity(0.1, 3.0, layers=(1, 2)))
    second_only = ufldl.Network([10, 7, 5, 10], sparsity=ufldl.KLSparsity(0.1, 3.0, layers=(2,)))
    every_hidden = ufldl.Network([10, 7, 5, 10], sparsity=ufldl.KLSparsity(0.1, 3.0))  # layers None: 1 and 2
    plain, zero_beta = ufldl.Network([10, 7, 10]), ufldl.Network([10, 7, 10], sparsity=ufldl.KLSparsity(0.1, 0.0))
    for net in (two_layers, second_only, every_hidden, plain, zero_beta):
        assert not net.one_pass_applies and not net.use_one_pass(None) and not net.use_one_pass(False)
        with pytest.raises(ValueError, match=r"one_pass_sums: the one-pass sums need the KL penalty on the first"):
            net.one_pass_sums(X, X)
        with pytest.raises(ValueError, match=r"one_pass=True: the one-pass sums need"):
            net.use_one_pass(True)
        with pytest.raises(ValueError, match=r"one_pass=True"):
            StreamedObjective(net, X, X, block_rows=20, one_pass=True)
    with pytest.raises(ValueError, match=r"hidden layers \(1, 2\)"):
        every_hidden.one_pass_sums(X, X)
    with pytest.raises(ValueError, match="no KL penalty"):
        plain.one_pass_sums(X, X)
    with pytest.raises(TypeError, match="one_pass must be True, False or None"):
        plain.use_one_pass("yes")
    net = ufldl.Network([10, 7, 10], sparsity=ufldl.KLSparsity(0.1, 3.0), random_state=0)
    sums = net.one_pass_sums(X, X)
    assert isinstance(sums, OnePassSums) and net.use_one_pass(True)
    with pytest.raises(TypeError, match="unsupported operand"):
        sums + net.partial_sums(X, X, rho_hat=net.activation_sums(X).rho_hat)
    net.sparsity = ufldl.KLSparsity(0.1, 0.0)  # the sums of a network that no longer has the penalty
    with pytest.raises(ValueError, match=r"total: the one-pass sums need"):
        net.combine(sums)
    with pytest.raises(TypeError, match="total must be PartialSums .* or OnePassSums"):
        net.combine((1.0, np.zeros(net.n_params)))


# ------------------------------------------------------------------ the drivers: one pass per evaluation

try:  # (the fixtures of the Dask tests: their rows in uneven chunks, and the in-memory fit from a trained theta)
    import dask
    import distributed

    from .test_scale_dask import _cluster, problem, relative_curve_error  # noqa: F401  (problem: a fixture)
except (ImportError, pytest.skip.Exception):
    dask = None
needs_dask = pytest.mark.skipif(dask is None, reason="dask and distributed are not installed (the dask extra)")


class Rows:
    """Rows read by slices only (as h5py and zarr datasets are), each read recorded: the passes are counted."""

    def __init__(self, array):
        self._array, self.shape, self.dtype, self.reads = array, array.shape, array.dtype, 0

    def __getitem__(self, rows):
        assert isinstance(rows, slice), rows
        self.reads += 1
        return self._array[rows].copy()


def task_counts(monkeypatch):
    """Every dask.compute's graph, as the number of tasks of each of the objective's functions."""
    seen = []
    original = dask.compute

    def compute(*collections, **kwargs):
        keys = {key for c in collections for key in c.__dask_graph__()}  # (the collections share dependencies)
        names = [key if isinstance(key, str) else key[0] for key in keys]
        seen.append({name: sum(n.startswith(name + "-") for n in names)
                     for name in ("_one_pass_sums", "_activation_sums", "_partial_sums", "_add")})
        return original(*collections, **kwargs)

    monkeypatch.setattr(dask, "compute", compute)
    return seen


@needs_dask
def test_a_streamed_fit_reads_the_blocks_once_per_evaluation(problem):
    X, _, start, whole, reference = problem
    source = Rows(X)
    net = start.copy()
    result = ufldl.train(net, source, source, max_iter=30, block_rows=300)  # 7 blocks, Y is X: read once
    assert result.n_iter == 30
    assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9
    assert np.abs(net.theta - whole.theta).max() <= 1e-7
    assert source.reads == 7 * result.n_evals  # one pass per evaluation
    one = ufldl.scale.objective_for(start, source, source, block_rows=300)
    two = StreamedObjective(start, source, source, block_rows=300, one_pass=False)
    assert one.one_pass and not two.one_pass
    source.reads = 0
    (cost, grad), (cost2, grad2) = one(start.theta), two(start.theta)
    assert source.reads == 7 + 2 * 7  # the two passes of the other form
    assert abs(cost - cost2) <= 1e-12 * cost and np.abs(grad - grad2).max() <= 1e-12 * np.abs(grad2).max()


@needs_dask
def test_a_dask_fit_is_one_task_per_chunk_per_evaluation(problem, monkeypatch):
    X, Xd, start, whole, reference = problem
    graphs = task_counts(monkeypatch)
    with dask.config.set(scheduler="threads"):
        net = start.copy()
        result = ufldl.train(net, Xd, Xd, max_iter=30)
        assert len(graphs) == result.n_evals  # one computation per evaluation, each one pass over the 5 chunks
        # (small sums: added on the client, CLIENT_REDUCE_BYTES)
        assert all(g == {"_one_pass_sums": 5, "_activation_sums": 0, "_partial_sums": 0, "_add": 0} for g in graphs)
        again = ufldl.train(start.copy(), Xd, Xd, max_iter=30)
        two = ufldl.scale.DaskObjective(start, Xd, Xd, one_pass=False)
        cost2, grad2 = two(start.theta)
    assert graphs[-1] == {"_one_pass_sums": 0, "_activation_sums": 5, "_partial_sums": 5, "_add": 1}
    assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9
    assert np.abs(net.theta - whole.theta).max() <= 1e-7
    assert again.loss_curve == result.loss_curve  # bitwise, for this chunking
    cost, grad = ufldl.scale.DaskObjective(start, Xd, Xd)(start.theta)
    assert abs(cost - cost2) <= 1e-12 * cost and np.abs(grad - grad2).max() <= 1e-12 * np.abs(grad2).max()
    with pytest.raises(ValueError, match="one_pass=True"):
        ufldl.scale.DaskObjective(ufldl.Network([12, 5, 4, 12], sparsity=KL), Xd, Xd, one_pass=True)


@needs_dask
def test_a_cluster_of_worker_processes_gives_the_threaded_numbers_in_one_pass(problem, monkeypatch):
    X, Xd, start, whole, reference = problem
    with dask.config.set(scheduler="threads"):
        threaded = ufldl.train(start.copy(), Xd, Xd, max_iter=30)
    graphs = task_counts(monkeypatch)
    with _cluster() as cluster, distributed.Client(cluster):
        net = start.copy()
        result = ufldl.train(net, Xd, Xd, max_iter=30)
    assert len(graphs) == result.n_evals
    assert all(g["_one_pass_sums"] == 5 and g["_activation_sums"] == 0 for g in graphs)
    assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9
    assert result.loss_curve == threaded.loss_curve  # bitwise the threaded scheduler's fit


@needs_dask
@pytest.mark.parametrize("one_pass", [True, False], ids=["one-pass", "two-pass"])
def test_sums_added_on_the_workers_or_on_the_client_are_the_same_numbers(problem, monkeypatch, one_pass):
    """Above CLIENT_REDUCE_BYTES the chunks' sums are added by tasks on the workers: the same tree, bitwise."""
    X, Xd, start, _, _ = problem
    with dask.config.set(scheduler="threads"):
        objective = ufldl.scale.DaskObjective(start, Xd, Xd, one_pass=one_pass)
        theta = start.theta.copy()
        on_client = objective(theta)
        graphs = task_counts(monkeypatch)
        monkeypatch.setattr(ufldl.scale.dask_objective, "CLIENT_REDUCE_BYTES", 0)
        on_workers = objective(theta)
    assert graphs[-1]["_add"] == (1 if one_pass else 2)
    assert on_workers[0] == on_client[0] and np.array_equal(on_workers[1], on_client[1])
