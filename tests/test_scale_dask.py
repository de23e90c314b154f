"""Dask (ufldl.scale.dask_objective): ufldl.train and SparseAutoencoder.fit on a Dask array's chunks give the
in-memory results from a TRAINED theta, bitwise reproducibly for a given chunking (the same numbers with Dask's
threads and with a distributed cluster of worker processes), and transform/predict stay lazy."""

import numpy as np
import pytest

import ufldl
from ufldl.scale import DaskObjective, objective_for

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


def sparse_net(n=12, hidden=5):
    return ufldl.Network([n, hidden, n], weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)


def brightness_sorted(rng, m=2100, n=12):
    X = rng.uniform(0.05, 0.95, size=(m, n)) ** rng.uniform(0.5, 2.0, size=(1, n))
    return X[np.argsort(X.sum(axis=1))]  # each chunk sees other activations


def relative_curve_error(result, reference):
    ref = np.array(reference)
    return np.abs(np.array(result) - ref).max() / np.abs(ref).max()


@pytest.fixture(scope="module")
def problem():
    """Rows in uneven chunks, and a network trained on them in memory (rho_hat far from its initial value)."""
    X = brightness_sorted(np.random.default_rng(7))
    start = sparse_net()
    ufldl.train(start, X, X, max_iter=40)
    whole = start.copy()
    reference = ufldl.train(whole, X, X, max_iter=30)
    return X, da.from_array(X, chunks=((300, 500, 100, 700, 500), (12,))), start, whole, reference


def test_threaded_scheduler_fit_equals_in_memory_and_repeats_bitwise(problem):
    X, Xd, start, whole, reference = problem
    runs = []
    for _ in range(2):
        net = start.copy()
        with dask.config.set(scheduler="threads"):
            runs.append((net, ufldl.train(net, Xd, Xd, max_iter=30)))
    (net, result), (again, repeat) = runs
    assert result.n_iter == 30
    assert relative_curve_error(result.loss_curve, reference.loss_curve) <= 1e-9
    assert np.abs(net.theta - whole.theta).max() <= 1e-7
    assert repeat.loss_curve == result.loss_curve and np.array_equal(again.theta, net.theta)  # bitwise
    fun = objective_for(start, Xd, Xd)
    assert isinstance(fun, DaskObjective) and fun.n_chunks == 5 and fun.Y is None  # Y is X: sent once
    cost, grad = fun(whole.theta)
    ref_cost, ref_grad = whole.cost_and_grad(X, X)
    assert abs(cost - ref_cost) <= 1e-12 * ref_cost
    assert np.abs(grad - ref_grad).max() <= 1e-10 * np.abs(ref_grad).max()


def test_labels_in_memory_beside_a_dask_array_and_the_errors(rng):
    X = rng.normal(size=(500, 6))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    net = ufldl.Network([6, 5, 3], ["tanh", "softmax"], "cross_entropy", weight_decay=1e-3, random_state=0)
    a, b = net.copy(), net.copy()
    ra = ufldl.train(a, X, y, max_iter=20)
    rb = ufldl.train(b, da.from_array(X, chunks=128), y, max_iter=20)  # labels cut to X's chunks
    assert relative_curve_error(rb.loss_curve, ra.loss_curve) <= 1e-9
    with pytest.raises(ValueError, match="block_rows is for arrays read in blocks"):
        ufldl.train(net.copy(), da.from_array(X, chunks=128), y, block_rows=100)
    with pytest.raises(TypeError, match="partial_fit on its blocks"):
        ufldl.train(net.copy(), da.from_array(X, chunks=128), y, "sgd")
    unknown = da.from_array(X, chunks=128)[da.from_array(X[:, 0] > -10, chunks=128)]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        ufldl.train(net.copy(), unknown, y)
    with pytest.raises(ValueError, match="one row per row of X"):
        ufldl.train(net.copy(), da.from_array(X, chunks=128), y[:-1])


def test_sparse_autoencoder_on_a_dask_array(problem):
    X, Xd, *_ = problem
    params = dict(n_hidden=5, rho=0.05, weight_decay=1e-3, max_iter=30, random_state=0)
    ref = ufldl.SparseAutoencoder(**params).fit(X)
    ae = ufldl.SparseAutoencoder(**params).fit(Xd)
    assert relative_curve_error(ae.loss_curve_, ref.loss_curve_) <= 1e-9
    assert np.abs(ae.components_ - ref.components_).max() <= 1e-7
    assert np.abs(ae.rho_hat_ - ref.rho_hat_).max() <= 1e-9 and ae.n_features_in_ == 12
    H = ae.transform(Xd)
    assert isinstance(H, da.Array) and H.chunks == (Xd.chunks[0], (5,)) and H.dtype == np.float64  # lazy
    ae.fit(X[:10])  # a later fit does not change what was asked for before it
    assert np.abs(H.compute() - ref.transform(X)).max() <= 1e-7
    ae = ufldl.SparseAutoencoder(**params).fit(Xd)
    assert isinstance(ae.predict(Xd), da.Array)
    assert np.abs(ae.predict(Xd).compute() - ref.predict(X)).max() <= 1e-7
    assert abs(ae.score(Xd) - ref.score(X)) <= 1e-9 * abs(ref.score(X))
    with pytest.raises(ValueError, match="X has 11 features"):
        ae.transform(Xd[:, :11])


def test_partial_fit_blocks_over_dask_chunks(rng):
    X = rng.uniform(0.1, 0.9, size=(700, 12))
    params = dict(n_hidden=4, solver="sgd", shuffle=False, random_state=0)
    Xd = da.from_array(X, chunks=((300, 400), (12,)))
    ae = ufldl.scale.partial_fit_blocks(ufldl.SparseAutoencoder(**params), Xd, epochs=2)
    ref = ufldl.SparseAutoencoder(**params)
    for _ in range(2):
        ref.partial_fit(X[:300]).partial_fit(X[300:])
    assert np.array_equal(ae.components_, ref.components_)
    y = (X[:, 0] > 0.5).astype(int)
    clf = ufldl.scale.partial_fit_blocks(ufldl.NeuralNetClassifier((4,), solver="adam", random_state=0), Xd,
                                         da.from_array(y, chunks=((300, 400),)), classes=[0, 1])
    assert clf.n_iter_ == 2 and list(clf.classes_) == [0, 1]


def test_a_local_cluster_of_worker_processes_gives_the_same_numbers(problem, monkeypatch):
    X, Xd, start, whole, reference = problem
    params = dict(n_hidden=5, rho=0.05, weight_decay=1e-3, max_iter=30, random_state=0)
    ref = ufldl.SparseAutoencoder(**params).fit(X)
    with dask.config.set(scheduler="threads"):
        threaded = ufldl.SparseAutoencoder(**params).fit(Xd)
        wide = ufldl.Network([60, 600, 60], random_state=0)  # 72660 parameters: theta is scattered, not inline
        Xw = da.from_array(np.random.default_rng(3).uniform(0.1, 0.9, size=(800, 60)), chunks=200)
        wide_threaded = ufldl.train(wide.copy(), Xw, Xw, max_iter=3)
    assert wide.theta.nbytes > ufldl.scale.dask_objective.INLINE_THETA_BYTES
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster, distributed.Client(cluster) as client:
        scattered = []
        original = client.scatter

        def scatter(data, **kwargs):
            scattered.append(kwargs)
            return original(data, **kwargs)

        monkeypatch.setattr(client, "scatter", scatter)
        ae = ufldl.SparseAutoencoder(**params).fit(Xd)
        assert relative_curve_error(ae.loss_curve_, ref.loss_curve_) <= 1e-9
        assert np.abs(ae.components_ - ref.components_).max() <= 1e-7
        # Bitwise the threaded scheduler's fit: each chunk on one thread, the sums added in chunk order.
        assert ae.loss_curve_ == threaded.loss_curve_ and np.array_equal(ae.components_, threaded.components_)
        assert not scattered  # a small theta travels inside the graph
        H = ae.transform(Xd)
        assert isinstance(H, da.Array)
        assert np.abs(H.compute() - ref.transform(X)).max() <= 1e-7
        result = ufldl.train(wide_net := wide.copy(), Xw, Xw, max_iter=3)
        assert scattered and all(not kw.get("broadcast") for kw in scattered)
        assert len(scattered) == result.n_evals  # once per evaluation
        assert result.loss_curve == wide_threaded.loss_curve and wide_net.n_params == 72660


def test_classifier_and_regressor_fit_on_a_dask_array(rng):
    X = rng.normal(size=(600, 6))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0)
    Xd = da.from_array(X, chunks=(250, 6))
    params = dict(hidden_layer_sizes=(7,), activation="tanh", solver="lbfgs", max_iter=25, random_state=0)
    ref = ufldl.NeuralNetClassifier(**params).fit(X, y)
    clf = ufldl.NeuralNetClassifier(**params).fit(Xd, da.from_array(y, chunks=250))
    assert relative_curve_error(clf.loss_curve_, ref.loss_curve_) <= 1e-9
    lazy = {name: getattr(clf, name)(Xd) for name in ("predict_proba", "predict_log_proba", "predict")}
    assert all(isinstance(value, da.Array) for value in lazy.values()), "predictions of a Dask array stay lazy"
    assert lazy["predict"].shape == (600,) and lazy["predict_proba"].chunks == ((250, 250, 100), (3,))
    assert np.abs(lazy["predict_proba"].compute() - ref.predict_proba(X)).max() <= 1e-7  # chunk by chunk
    assert np.abs(lazy["predict_log_proba"].compute() - ref.predict_log_proba(X)).max() <= 1e-7
    assert np.array_equal(lazy["predict"].compute(), ref.predict(X)) and clf.n_features_in_ == 6
    assert clf.score(Xd, y) == ref.score(X, y)
    soft = ufldl.SoftmaxRegression(max_iter=20).fit(Xd, y)
    assert np.abs(soft.predict_proba(Xd) - ufldl.SoftmaxRegression(max_iter=20).fit(X, y).predict_proba(X)).max() \
        <= 1e-7
    target = X[:, 0] - 2 * X[:, 1]
    reg_ref = ufldl.NeuralNetRegressor(**params).fit(X, target)
    reg = ufldl.NeuralNetRegressor(**params).fit(Xd, target)
    predicted = reg.predict(Xd)
    assert isinstance(predicted, da.Array) and predicted.shape == (600,)
    assert np.abs(predicted.compute() - reg_ref.predict(X)).max() <= 1e-7
    assert abs(reg.score(Xd, target) - reg_ref.score(X, target)) <= 1e-9
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ufldl.NeuralNetClassifier(**params).fit(Xd, y[:-1])


def test_stacked_autoencoder_on_a_dask_array_equals_in_memory_and_stays_lazy(rng):
    X = rng.uniform(0.05, 0.95, size=(500, 10))
    y = (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5)
    Xd = da.from_array(X, chunks=(150, 10))
    params = dict(hidden_layer_sizes=(6, 4), pretrain_max_iter=15, softmax_max_iter=15, finetune_max_iter=15,
                  random_state=0)
    ref = ufldl.StackedAutoencoder(**params).fit(X, y)
    with dask.config.set(scheduler="threads"):
        stack = ufldl.StackedAutoencoder(**params).fit(Xd, da.from_array(y, chunks=150))
        outputs = {name: getattr(stack, name)(Xd) for name in ("predict_proba", "predict_log_proba", "predict",
                                                               "transform")}
        assert all(isinstance(value, da.Array) for value in outputs.values())
        computed = {name: value.compute() for name, value in outputs.items()}
    # The first autoencoder is one fit from the same start: the in-memory curve to rounding. The stack chains
    # four L-BFGS runs (two autoencoders, the softmax layer, fine-tuning), each starting where the chunked
    # rounding of the one before left it, so the differences grow along the chain (5e-8 seen at the end).
    first, first_ref = stack.autoencoders_[0], ref.autoencoders_[0]
    assert relative_curve_error(first.loss_curve_, first_ref.loss_curve_) <= 1e-9
    assert np.abs(first.components_ - first_ref.components_).max() <= 1e-7
    assert relative_curve_error(stack.loss_curve_, ref.loss_curve_) <= 1e-6
    assert np.abs(computed["predict_proba"] - ref.predict_proba(X)).max() <= 1e-6
    for name, value in computed.items():  # the lazy outputs are the fitted model's own, chunk by chunk
        assert np.allclose(value, getattr(stack, name)(X), rtol=1e-12, atol=1e-12), name


def _cluster():
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address="127.0.0.1:0")


def _kill_a_worker_at(client, iteration):
    """A training callback that SIGKILLs one worker process (its nanny restarts it) after ``iteration``."""
    import os
    import signal
    pid = sorted(client.run(os.getpid).values())[0]

    def callback(it, theta, cost):
        if it == iteration:
            os.kill(pid, signal.SIGKILL)
    return callback


def test_a_worker_killed_mid_fit_is_recomputed_from_lineage_with_the_same_numbers(problem):
    X, Xd, start, whole, reference = problem
    with _cluster() as cluster, distributed.Client(cluster) as client:
        undisturbed = ufldl.train(start.copy(), Xd, Xd, max_iter=12)
        net = start.copy()
        result = ufldl.train(net, Xd, Xd, max_iter=12, callback=_kill_a_worker_at(client, 4))
    assert result.n_iter == 12
    assert result.loss_curve == undisturbed.loss_curve  # bitwise: the lost chunks recomputed, the same tree
    assert relative_curve_error(result.loss_curve, reference.loss_curve[:12]) <= 1e-9


def test_data_scattered_without_lineage_and_lost_gives_a_clear_error_not_a_hang(rng):
    import os
    import signal
    import threading
    import time
    X = rng.uniform(0.1, 0.9, size=(800, 12))
    outcome = {}
    with _cluster() as cluster, distributed.Client(cluster) as client:
        holder = sorted(client.scheduler_info()["workers"])[0]
        futures = client.scatter([X[i:i + 200] for i in range(0, 800, 200)], workers=[holder])  # its only copy
        Xd = da.concatenate([da.from_delayed(f, (200, 12), X.dtype) for f in futures])
        os.kill(client.run(os.getpid, workers=[holder])[holder], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while all(f.status == "finished" for f in futures) and time.monotonic() < deadline:
            time.sleep(0.05)  # (until the scheduler has seen the worker go)
        net = sparse_net()

        def fit():
            try:
                ufldl.train(net, Xd, Xd, max_iter=50)
            except Exception as exc:  # noqa: BLE001  (the test inspects it)
                outcome["error"] = exc

        worker = threading.Thread(target=fit, daemon=True)
        worker.start()
        worker.join(timeout=120)  # a hang guard, not a speed limit (the error comes in well under a second)
        assert not worker.is_alive(), "training hung after the scattered data was lost"
    error = outcome.get("error")
    assert isinstance(error, ufldl.scale.DataLostError), repr(error)
    assert "scattered" in str(error) and "from_zarr" in str(error)
    assert np.isfinite(net.theta).all()
