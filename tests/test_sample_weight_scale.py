"""Sample weights on data evaluated in pieces (ufldl.scale; docs/math.md#sample-weights, "Chunks"): weighted
fits of a memory-mapped array, of blocks of rows and of a Dask array (threads, and a cluster of worker processes)
follow the in-memory weighted fit from a TRAINED theta; at such a theta the weighted sums of uneven chunks give
cost_and_grad(sample_weight=); integer weights equal repeated rows; every estimator that takes weights in memory
takes them with a chunked X; partial_fit_blocks passes each block's; bad weights are refused naming them."""

import numpy as np
import pytest

import ufldl
from ufldl.scale import DaskObjective, StreamedObjective, objective_for

from .helpers import assert_close

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

CHUNKS = (300, 500, 100, 700, 500)  # uneven; the second chunk's weights are all zero
AE = dict(n_hidden=5, rho=0.05, weight_decay=1e-3, max_iter=25, random_state=0)


def sparse_net(dtype="float64"):
    return ufldl.Network([12, 5, 12], weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), dtype=dtype,
                         random_state=0)


def relative_curve_error(result, reference):
    ref = np.array(reference)
    assert len(result) == len(ref)
    return np.abs(np.array(result) - ref).max() / np.abs(ref).max()


def chunk_bounds(sizes):
    ends = np.cumsum((0,) + tuple(sizes))
    return list(zip(ends[:-1], ends[1:]))


@pytest.fixture(scope="module")
def problem():
    """Brightness-sorted rows (each chunk sees other activations), weights in [0, 3) with a chunk of zeros, a
    network trained on the rows (rho_hat far from its initial value) and, from it, the in-memory weighted fit.

    The start is trained on the unweighted cost: at the weighted minimum the gradient is some 20 times smaller
    than at this theta, a difference of row sums that cancel, and the in-memory core is itself 1.3e-12 of it from
    the float64 NumPy twin there, so a 1e-12 comparison would measure that cancellation, not the chunked sums."""
    rng = np.random.default_rng(11)
    X = rng.uniform(0.05, 0.95, size=(2100, 12)) ** rng.uniform(0.5, 2.0, size=(1, 12))
    X = X[np.argsort(X.sum(axis=1))]
    w = rng.uniform(0.0, 3.0, size=2100)
    w[300:800] = 0.0
    start = sparse_net()
    ufldl.train(start, X, X, max_iter=40)
    reference = ufldl.train(start.copy(), X, X, max_iter=30, sample_weight=w)
    return X, w, start, reference


@pytest.fixture(scope="module")
def cluster():
    """One distributed cluster of 2 worker processes on loopback for the module (a test connects its client); its
    dashboard on a free port (":0"), since the default one may be another process's on a shared machine."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as local_cluster:
        yield local_cluster


# ------------------------------------------------------------------ the sums at a trained theta


@pytest.mark.parametrize(("dtype", "rtol"), [("float64", 1e-12), ("float32", 2e-6)])
def test_weighted_sums_of_uneven_chunks_at_a_trained_theta_equal_cost_and_grad(problem, dtype, rtol):
    X, w, start, _ = problem
    net = sparse_net(dtype)
    net.theta = start.theta
    Xc = X.astype(dtype)
    ref_cost, ref_grad = net.cost_and_grad(Xc, Xc, sample_weight=w)
    bounds = chunk_bounds(CHUNKS)
    acts = [ufldl.scale.weights.chunk_activation_sums(net, Xc[a:b], None, w[a:b]) for a, b in bounds]
    total_acts = acts[0]
    for part in acts[1:]:
        total_acts = total_acts + part
    assert_close(total_acts.rho_hat[:5], net.mean_activations(Xc, sample_weight=w)[0], rtol, what="rho_hat")
    parts = [net.partial_sums(Xc[a:b], Xc[a:b], rho_hat=total_acts.rho_hat, sample_weight=w[a:b])
             for a, b in bounds if w[a:b].sum() > 0]  # (the network refuses a chunk of weights all zero)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    assert total.m == pytest.approx(w.sum(), rel=1e-15)
    evaluations = {"partial_sums + combine": net.combine(total),
                   "streamed": StreamedObjective(net, Xc, Xc, 350, w)(net.theta)}
    with dask.config.set(scheduler="threads"):
        evaluations["dask"] = DaskObjective(net, da.from_array(Xc, chunks=(CHUNKS, 12)), Xc,
                                            sample_weight=w)(net.theta)
    for what, (cost, grad) in evaluations.items():
        assert_close(cost, ref_cost, rtol, what=f"{what}: cost")
        assert grad.dtype == np.dtype(dtype)
        assert_close(grad, ref_grad, rtol, what=f"{what}: gradient")
    unweighted = net.cost_and_grad(Xc, Xc)[0]
    assert abs(unweighted - ref_cost) > 100 * rtol * ref_cost  # the weights matter


# ------------------------------------------------------------------ fits: memmap, blocks, Dask


def test_weighted_fits_of_a_memmap_and_of_blocks_follow_the_in_memory_fit(problem, tmp_path):
    X, w, start, reference = problem
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "w.npy", w)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    w_map = np.load(tmp_path / "w.npy", mmap_mode="r")  # read with the blocks, never converted whole
    assert isinstance(objective_for(start, X_map, X_map, sample_weight=w_map), StreamedObjective)
    fits = {"memmap": (X_map, {}), "block_rows": (X, {"block_rows": 350}),
            "RowBlocks": (ufldl.scale.RowBlocks(X_map, block_rows=256), {})}
    for what, (data, options) in fits.items():
        net = start.copy()
        result = ufldl.train(net, data, data, max_iter=30, sample_weight=w_map, **options)
        assert result.n_iter == 30, what
        assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9, what
        assert np.abs(net.theta - reference.theta).max() <= 1e-7, what


def test_weighted_dask_fit_follows_the_in_memory_fit_and_repeats_bitwise(problem):
    X, w, start, reference = problem
    Xd = da.from_array(X, chunks=(CHUNKS, 12))
    runs = {}
    with dask.config.set(scheduler="threads"):
        for what, weights in {"numpy": w, "dask": da.from_array(w, chunks=400),  # rechunked to X's rows
                              "numpy again": w}.items():
            net = start.copy()
            runs[what] = (ufldl.train(net, Xd, Xd, max_iter=30, sample_weight=weights), net)
    result, net = runs["numpy"]
    assert result.n_iter == 30
    assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9
    assert np.abs(net.theta - reference.theta).max() <= 1e-7
    for what in ("dask", "numpy again"):  # bitwise: the same tree over the same chunks
        assert runs[what][0].loss_curve == result.loss_curve and np.array_equal(runs[what][1].theta, net.theta)
    fun = objective_for(start, Xd, Xd, sample_weight=da.from_array(w, chunks=400))
    assert fun.sample_weight.chunks == (CHUNKS,) and fun.sample_weight.dtype == np.float64


def test_a_cluster_of_worker_processes_gives_the_threads_numbers_bitwise(problem, cluster):
    X, w, start, reference = problem
    Xd = da.from_array(X, chunks=(CHUNKS, 12))
    with dask.config.set(scheduler="threads"):
        threaded = ufldl.train(start.copy(), Xd, Xd, max_iter=20, sample_weight=w)
    with distributed.Client(cluster):  # (Dask's default scheduler inside the block)
        net = start.copy()
        on_cluster = ufldl.train(net, Xd, Xd, max_iter=20, sample_weight=da.from_array(w, chunks=700))
    assert on_cluster.n_iter == 20
    assert on_cluster.loss_curve == threaded.loss_curve  # bitwise: each chunk on one thread, the same tree
    assert relative_curve_error(on_cluster.loss_curve, reference.loss_curve[:20]) <= 1e-9


def test_integer_weights_equal_repeated_rows_in_a_chunked_fit(problem):
    X, _, start, _ = problem
    X = X[::3]
    counts = np.random.default_rng(5).integers(0, 4, size=X.shape[0])
    repeated = X[np.repeat(np.arange(X.shape[0]), counts)]
    by_rows = ufldl.train(a := start.copy(), repeated, repeated, max_iter=25)
    by_blocks = ufldl.train(b := start.copy(), X, X, max_iter=25, block_rows=128, sample_weight=counts)
    with dask.config.set(scheduler="threads"):
        Xd = da.from_array(X, chunks=((200, 300, 200), (12,)))
        by_chunks = ufldl.train(c := start.copy(), Xd, Xd, max_iter=25, sample_weight=counts)
    for result, net in ((by_blocks, b), (by_chunks, c)):
        assert relative_curve_error(result.loss_curve, by_rows.loss_curve) <= 1e-9
        assert np.abs(net.theta - a.theta).max() <= 1e-7


# ------------------------------------------------------------------ estimators


def _estimators():
    return {
        "autoencoder": lambda: ufldl.SparseAutoencoder(**AE),
        "classifier": lambda: ufldl.NeuralNetClassifier((6,), activation="tanh", solver="lbfgs", max_iter=20,
                                                        random_state=0),
        "regressor": lambda: ufldl.NeuralNetRegressor((6,), activation="tanh", solver="lbfgs", max_iter=20,
                                                      random_state=0),
        "softmax": lambda: ufldl.SoftmaxRegression(max_iter=20),
        "stacked": lambda: ufldl.StackedAutoencoder((6, 4), pretrain_max_iter=12, softmax_max_iter=12,
                                                    finetune_max_iter=12, random_state=0),
    }


@pytest.fixture(scope="module")
def labelled():
    rng = np.random.default_rng(3)
    X = rng.uniform(0.05, 0.95, size=(600, 8))
    y = (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5)
    w = rng.uniform(0.0, 2.0, size=600)
    w[250:400] = 0.0  # a whole chunk and blocks of weight zero
    return X, y, w, {"autoencoder": None, "regressor": X[:, 0] - 2 * X[:, 1]}


@pytest.mark.filterwarnings("ignore::ufldl.estimators.fit_warnings.AutoencoderCollapseWarning")
@pytest.mark.parametrize("chunked", ["dask", "RowBlocks"])
@pytest.mark.parametrize("name", sorted(_estimators()))
def test_every_estimator_fits_weighted_chunked_data_as_in_memory(name, chunked, labelled):
    X, y, w, targets = labelled
    t = targets.get(name, y)
    make = _estimators()[name]
    ref = make().fit(X, t, sample_weight=w)
    if chunked == "dask":
        data, weights = da.from_array(X, chunks=((250, 150, 200), (8,))), da.from_array(w, chunks=300)
    else:
        data, weights = ufldl.scale.RowBlocks(X, block_rows=100), w
    with dask.config.set(scheduler="threads"):
        fitted = make().fit(data, t, sample_weight=weights)
    # A stack chains four L-BFGS runs, each from where the chunked rounding of the one before left it: its first
    # autoencoder is one fit (1e-9), the fine-tuning's curve follows to the chain's rounding (test_scale_dask).
    first, first_ref = (fitted.autoencoders_[0], ref.autoencoders_[0]) if name == "stacked" else (fitted, ref)
    assert relative_curve_error(first.loss_curve_, first_ref.loss_curve_) <= 1e-9
    assert relative_curve_error(fitted.loss_curve_, ref.loss_curve_) <= (1e-6 if name == "stacked" else 1e-9)
    unweighted = make().fit(X, t)
    assert relative_curve_error(unweighted.loss_curve_, ref.loss_curve_) > 1e-4  # the weights reached the fit
    if name == "autoencoder":  # a weighted score of chunked rows too
        with dask.config.set(scheduler="threads"):
            assert fitted.score(data, sample_weight=weights) == pytest.approx(ref.score(X, sample_weight=w),
                                                                             rel=1e-9)


def test_mini_batch_fits_of_a_memmap_and_blocks_with_weights_and_early_stopping_are_the_in_memory_fit(labelled,
                                                                                                     tmp_path):
    """The mini-batch solvers read a memmap or RowBlocks as an array: weights, and early stopping's weighted
    hold-out, as in memory (a Dask X is refused by them: partial_fit_blocks is the way, tested below)."""
    X, y, w, _ = labelled
    np.save(tmp_path / "X.npy", X)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = dict(hidden_layer_sizes=(5,), solver="adam", max_iter=8, early_stopping=True,
                  validation_fraction=0.2, n_iter_no_change=100, random_state=0)
    ref = ufldl.NeuralNetClassifier(**params).fit(X, y, sample_weight=w)
    for data in (X_map, ufldl.scale.RowBlocks(X_map, block_rows=100)):
        clf = ufldl.NeuralNetClassifier(**params).fit(data, y, sample_weight=w)
        assert clf.loss_curve_ == ref.loss_curve_ and clf.validation_scores_ == ref.validation_scores_
        assert np.array_equal(clf.network_.theta, ref.network_.theta)
    assert ref.validation_scores_ != ufldl.NeuralNetClassifier(**params).fit(X, y).validation_scores_


def test_partial_fit_blocks_passes_each_blocks_weights(labelled):
    X, y, w, _ = labelled
    sizes = (250, 150, 200)  # the second block weighs 0: skipped, as removed rows
    params = dict(n_hidden=4, solver="sgd", shuffle=False, random_state=0)
    Xd = da.from_array(X, chunks=(sizes, (8,)))
    with dask.config.set(scheduler="threads"):
        ae = ufldl.scale.partial_fit_blocks(ufldl.SparseAutoencoder(**params), Xd, epochs=2,
                                            sample_weight=da.from_array(w, chunks=200))
        blocks = ufldl.scale.partial_fit_blocks(ufldl.SparseAutoencoder(**params), X, epochs=2, block_rows=250,
                                                sample_weight=w)
    ref = ufldl.SparseAutoencoder(**params)
    for _ in range(2):
        ref.partial_fit(X[:250], sample_weight=w[:250]).partial_fit(X[400:], sample_weight=w[400:])
    assert np.array_equal(ae.components_, ref.components_) and ae.n_iter_ == ref.n_iter_ == 4
    # blocks of 250 rows: [0, 250), [250, 500) (weights partly zero: trained), [500, 600)
    by_hand = ufldl.SparseAutoencoder(**params)
    for _ in range(2):
        for a, b in ((0, 250), (250, 500), (500, 600)):
            by_hand.partial_fit(X[a:b], sample_weight=w[a:b])
    assert np.array_equal(blocks.components_, by_hand.components_)
    clf = ufldl.scale.partial_fit_blocks(ufldl.NeuralNetClassifier((4,), solver="adam", random_state=0), Xd,
                                         da.from_array(y, chunks=(sizes,)), classes=[0, 1, 2], sample_weight=w)
    clf_ref = ufldl.NeuralNetClassifier((4,), solver="adam", random_state=0)
    clf_ref.partial_fit(X[:250], y[:250], classes=[0, 1, 2], sample_weight=w[:250])
    clf_ref.partial_fit(X[400:], y[400:], classes=[0, 1, 2], sample_weight=w[400:])
    assert np.array_equal(clf.network_.theta, clf_ref.network_.theta)


# ------------------------------------------------------------------ bad weights


def _bad_weights(m):
    negative, nan = np.ones(m), np.ones(m)
    negative[7], nan[m - 3] = -1.0, np.nan
    return {"wrong length": (np.ones(m - 1), rf"sample_weight must have shape \({m},\)"),
            "2-D": (np.ones((m, 1)), rf"sample_weight must have shape \({m},\)"),
            "negative": (negative, r"sample_weight must be finite and >= 0; got -1.0 at index 7"),
            "NaN": (nan, rf"sample_weight must be finite and >= 0; got nan at index {m - 3}"),
            "all zero": (np.zeros(m), "sample_weight must not be all zero")}


@pytest.mark.parametrize("case", sorted(_bad_weights(10)))
def test_bad_weights_are_refused_naming_sample_weight(case, labelled):
    X, y, _, _ = labelled
    m = X.shape[0]
    weights, message = _bad_weights(m)[case]
    net = ufldl.Network([8, 3, 8], random_state=0)
    Xd = da.from_array(X, chunks=((250, 150, 200), (8,)))
    lazy = da.from_array(weights, chunks=100) if weights.ndim == 1 else da.from_array(weights)
    attempts = {
        "train, block_rows": lambda: ufldl.train(net.copy(), X, X, max_iter=2, block_rows=100, sample_weight=weights),
        "train, Dask X": lambda: ufldl.train(net.copy(), Xd, Xd, max_iter=2, sample_weight=weights),
        "train, Dask X and weights": lambda: ufldl.train(net.copy(), Xd, Xd, max_iter=2, sample_weight=lazy),
        "fit, RowBlocks": lambda: ufldl.NeuralNetClassifier((3,), solver="lbfgs", max_iter=2).fit(
            ufldl.scale.RowBlocks(X, 100), y, sample_weight=weights),
        "fit, Dask": lambda: ufldl.SparseAutoencoder(3, max_iter=2).fit(Xd, sample_weight=lazy),
        "partial_fit_blocks": lambda: ufldl.scale.partial_fit_blocks(
            ufldl.SparseAutoencoder(3, solver="sgd"), Xd, sample_weight=weights),
    }
    for what, attempt in attempts.items():
        with dask.config.set(scheduler="threads"), pytest.raises(ValueError, match=message):
            attempt()
            pytest.fail(f"{what}: accepted {case} weights")


def test_dask_weights_that_cannot_be_matched_to_the_rows_are_refused(labelled):
    X, _, w, _ = labelled
    Xd = da.from_array(X, chunks=((250, 150, 200), (8,)))
    net = ufldl.Network([8, 3, 8], random_state=0)
    lazy = da.from_array(w, chunks=100)
    unknown = lazy[lazy >= 0]  # (all of them, in chunks of unknown size)
    with dask.config.set(scheduler="threads"):
        with pytest.raises(ValueError, match="sample_weight has chunks of unknown size"):
            ufldl.train(net.copy(), Xd, Xd, max_iter=2, sample_weight=unknown)
        with pytest.raises(ValueError, match=r"sample_weight must have shape \(600,\).*got shape \(599,\)"):
            ufldl.SparseAutoencoder(3, max_iter=2).fit(Xd, sample_weight=lazy[:-1])
        with pytest.raises(TypeError, match="sample_weight is a Dask array but X is not"):
            ufldl.train(net.copy(), X, X, max_iter=2, block_rows=100, sample_weight=lazy)
        # a known chunking other than X's is rechunked to X's row chunks (not refused)
        assert objective_for(net, Xd, Xd, sample_weight=lazy).sample_weight.chunks == ((250, 150, 200),)
