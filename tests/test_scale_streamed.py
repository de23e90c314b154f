"""Out of core (ufldl.scale): ufldl.train and the estimators on data read in blocks of rows (memory-mapped arrays,
h5py/zarr-like datasets, RowBlocks) give the in-memory results, from a TRAINED theta (where a per-block rho_hat
would be visibly wrong), and the fit's private memory grows with the block, not with the rows."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ufldl
from ufldl.scale import RowBlocks, StreamedObjective, objective_for

CURVE_TOL = {np.float64: 1e-9, np.float32: 1e-5}


class Dataset:
    """What h5py and zarr datasets offer (shape, dtype, row slicing), and no __array__: reading it whole by
    mistake fails instead of passing silently. Records the rows of every read."""

    def __init__(self, array):
        self._array = array
        self.shape, self.dtype = array.shape, array.dtype
        self.reads = []

    def __getitem__(self, rows):
        assert isinstance(rows, slice), rows
        self.reads.append(rows.stop - rows.start)
        return self._array[rows].copy()


def sparse_net(dtype=np.float64, n=12, hidden=5):
    return ufldl.Network([n, hidden, n], weight_decay=1e-3, sparsity=ufldl.KLSparsity(0.05, 3.0), dtype=dtype,
                         random_state=0)


def brightness_sorted(rng, m=2100, n=12):
    X = rng.uniform(0.05, 0.95, size=(m, n)) ** rng.uniform(0.5, 2.0, size=(1, n))
    return X[np.argsort(X.sum(axis=1))]  # each block sees other activations


def memmap_of(tmp_path, X, name="X.npy"):
    np.save(tmp_path / name, X)
    return np.load(tmp_path / name, mmap_mode="r")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_streamed_lbfgs_equals_in_memory_from_a_trained_theta(tmp_path, rng, dtype):
    X = brightness_sorted(rng).astype(dtype)
    Xm = memmap_of(tmp_path, X)
    start = sparse_net(dtype)
    ufldl.train(start, X, X, max_iter=40)  # trained: rho_hat far from its initial 0.5
    whole, streamed = start.copy(), start.copy()
    ref = ufldl.train(whole, X, X, max_iter=30)
    res = ufldl.train(streamed, Xm, Xm, max_iter=30, block_rows=300)  # 7 blocks
    assert res.n_iter == ref.n_iter == 30
    ref_curve = np.array(ref.loss_curve)
    deviation = np.abs(np.array(res.loss_curve) - ref_curve).max() / np.abs(ref_curve).max()
    if dtype == np.float64:
        assert deviation <= CURVE_TOL[dtype]
    else:
        # In float32, 30 iterations of L-BFGS near a minimum amplify the rounding of any change in the order of
        # the additions to about 1e-5: the in-memory fit differs that much from itself on the same rows in another
        # order (or with another thread count). The streamed fit is held to 1e-5 or to that noise floor.
        permuted = start.copy()
        order = np.random.default_rng(1).permutation(len(X))
        floor = np.abs(np.array(ufldl.train(permuted, X[order], X[order], max_iter=30).loss_curve) - ref_curve)
        assert deviation <= max(CURVE_TOL[dtype], 3 * floor.max() / np.abs(ref_curve).max())
    if dtype == np.float64:  # (in float32 the iterates drift apart along the flat valley, as the costs show)
        assert np.abs(streamed.theta - whole.theta).max() <= 1e-7
    # One evaluation at the trained theta: the cost and gradient of all the rows.
    fun = objective_for(whole, Xm, Xm, block_rows=300)
    assert isinstance(fun, StreamedObjective) and len(fun.bounds) == 7
    cost, grad = fun(whole.theta.astype(np.float64))
    ref_cost, ref_grad = whole.cost_and_grad(X, X)
    assert grad.dtype == whole.dtype
    tol = 1e-12 if dtype == np.float64 else 2e-6
    assert abs(cost - ref_cost) <= tol * abs(ref_cost)
    assert np.abs(grad - ref_grad).max() <= 10 * tol * np.abs(ref_grad).max() + 1e-12


def test_which_inputs_are_streamed(tmp_path, rng, monkeypatch):
    X = rng.uniform(0.1, 0.9, size=(300, 12))
    net = sparse_net()
    assert objective_for(net, X, X) is None  # in memory: Network.objective (its L-BFGS runs in the core)
    assert isinstance(objective_for(net, memmap_of(tmp_path, X), X), StreamedObjective)
    view = memmap_of(tmp_path, X)[10:]  # a view of a memmap is file-backed too
    assert isinstance(objective_for(net, np.asarray(view), np.asarray(view)), StreamedObjective)
    assert isinstance(objective_for(net, Dataset(X), X), StreamedObjective)
    assert objective_for(net, X, X, block_rows=100).block_rows == 100  # an explicit block_rows streams any array
    assert objective_for(net, RowBlocks(X, block_rows=64), X).block_rows == 64
    monkeypatch.setattr(ufldl.scale.rows, "STREAM_ABOVE_BYTES", X.nbytes - 1)
    assert isinstance(objective_for(net, X, X), StreamedObjective)  # above the documented size
    big = objective_for(net, X, X)
    assert big.block_rows >= ufldl.scale.rows.MIN_BLOCK_ROWS and big.bounds == [(0, 300)]


def test_sources_are_read_one_block_at_a_time_and_checked(rng):
    X = rng.uniform(0.1, 0.9, size=(1000, 12))
    source = Dataset(X)
    net, ref = sparse_net(), sparse_net()
    res = ufldl.train(net, source, source, max_iter=5, block_rows=128)
    ufldl.train(ref, X, X, max_iter=5)
    assert max(source.reads) == 128 and len(source.reads) == 8 * res.n_evals  # one pass of 8 blocks (one_pass_sums)
    assert np.abs(net.theta - ref.theta).max() <= 1e-9
    bad = X.copy()
    bad[700, 3] = np.nan
    with pytest.raises(ValueError, match="X"):
        ufldl.train(sparse_net(), Dataset(bad), Dataset(bad), max_iter=2, block_rows=128)
    with pytest.raises(ValueError, match="one row per row of X"):
        ufldl.train(sparse_net(), Dataset(X), X[:999], max_iter=2)
    with pytest.raises(ValueError, match="block_rows"):
        ufldl.train(sparse_net(), X, X, max_iter=2, block_rows=0)
    with pytest.raises(TypeError, match="full-batch solvers"):
        ufldl.train(sparse_net(), X, X, "adam", max_iter=2, block_rows=100)


@pytest.mark.parametrize("solver", ["cg", "gd"])
def test_the_other_full_batch_solvers_stream_too(tmp_path, rng, solver):
    X = rng.uniform(0.1, 0.9, size=(600, 12))
    a, b = sparse_net(), sparse_net()
    ra = ufldl.train(a, X, X, solver, max_iter=8)
    rb = ufldl.train(b, memmap_of(tmp_path, X), X, solver, max_iter=8, block_rows=100)
    assert np.abs(np.array(ra.loss_curve) - rb.loss_curve).max() <= 1e-12


def test_sparse_autoencoder_on_a_memmap_and_a_dataset_equals_in_memory(tmp_path, rng):
    X = brightness_sorted(rng, m=1500)
    Xm = memmap_of(tmp_path, X)
    params = dict(n_hidden=5, rho=0.05, max_iter=30, random_state=0)
    ref = ufldl.SparseAutoencoder(**params).fit(X)
    for data in (Xm, RowBlocks(Dataset(X), block_rows=256)):
        ae = ufldl.SparseAutoencoder(**params).fit(data)
        assert np.abs(np.array(ae.loss_curve_) - ref.loss_curve_).max() <= 1e-9 * ref.loss_curve_[0]
        assert np.abs(ae.components_ - ref.components_).max() <= 1e-7
        assert np.abs(ae.rho_hat_ - ref.rho_hat_).max() <= 1e-9
        assert ae.n_features_in_ == 12 and ae.n_iter_ == ref.n_iter_ and ae.t_ == ref.t_
        H = ae.transform(data)
        assert isinstance(H, np.ndarray) and H.shape == (1500, 5)
        assert np.abs(H - ref.transform(X)).max() <= 1e-7
        assert np.abs(ae.predict(data) - ref.predict(X)).max() <= 1e-7
        assert abs(ae.score(data) - ref.score(X)) <= 1e-9 * abs(ref.score(X))
    source = Dataset(X)
    ufldl.SparseAutoencoder(**params).fit(RowBlocks(source, block_rows=300))
    assert max(source.reads) == 300  # never read whole
    with pytest.raises(ValueError, match="X has 11 features, but SparseAutoencoder is expecting 12"):
        ref.transform(Dataset(X[:, :11]))
    expected = rf"\[{2 * X.min():.4g}, {2 * X.max():.4g}\]"  # (found by reading the blocks)
    with pytest.warns(ufldl.estimators.autoencoder.DecoderRangeWarning, match=expected):
        ufldl.SparseAutoencoder(n_hidden=3, max_iter=2).fit(Dataset(X * 2.0))


def test_classifier_and_regressor_fit_and_predict_on_a_memmap(tmp_path, rng):
    X = rng.normal(size=(600, 6))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0)
    Xm = memmap_of(tmp_path, X)
    params = dict(hidden_layer_sizes=(7,), activation="tanh", solver="lbfgs", max_iter=25, random_state=0)
    ref = ufldl.NeuralNetClassifier(**params).fit(X, y)
    clf = ufldl.NeuralNetClassifier(**params).fit(Xm, y)
    assert np.abs(np.array(clf.loss_curve_) - ref.loss_curve_).max() <= 1e-9 * ref.loss_curve_[0]
    assert np.abs(clf.predict_proba(Xm) - ref.predict_proba(X)).max() <= 1e-7
    target = X[:, 0] - 2 * X[:, 1]
    reg_ref = ufldl.NeuralNetRegressor(**params).fit(X, target)
    reg = ufldl.NeuralNetRegressor(**params).fit(Xm, target)
    assert np.abs(reg.predict(Xm) - reg_ref.predict(X)).max() <= 1e-7


def test_stacked_autoencoder_on_a_memmap_equals_in_memory(tmp_path, rng):
    X = rng.uniform(0.05, 0.95, size=(400, 10))
    y = (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5)
    Xm = memmap_of(tmp_path, X)
    params = dict(hidden_layer_sizes=(6, 4), pretrain_max_iter=15, softmax_max_iter=15, finetune_max_iter=15,
                  random_state=0)
    ref = ufldl.StackedAutoencoder(**params).fit(X, y)
    stack = ufldl.StackedAutoencoder(**params).fit(ufldl.scale.RowBlocks(Xm, block_rows=64), y)
    # (four chained L-BFGS runs: see the Dask twin of this test for why the tolerance grows along the chain)
    first, first_ref = stack.autoencoders_[0], ref.autoencoders_[0]
    assert np.abs(np.array(first.loss_curve_) - first_ref.loss_curve_).max() <= 1e-9 * first_ref.loss_curve_[0]
    assert np.abs(np.array(stack.loss_curve_) - ref.loss_curve_).max() <= 1e-6 * ref.loss_curve_[0]
    assert np.abs(stack.predict_proba(Xm) - ref.predict_proba(X)).max() <= 1e-6
    assert np.array_equal(stack.predict(Xm), ref.predict(X))
    assert np.abs(stack.transform(Xm) - ref.transform(X)).max() <= 1e-6


def test_partial_fit_blocks_is_partial_fit_on_each_block(tmp_path, rng):
    X = rng.uniform(0.1, 0.9, size=(900, 12))
    params = dict(n_hidden=4, solver="adam", shuffle=False, random_state=0)
    ae = ufldl.scale.partial_fit_blocks(ufldl.SparseAutoencoder(**params), memmap_of(tmp_path, X), epochs=2,
                                        block_rows=400)
    ref = ufldl.SparseAutoencoder(**params)
    for _ in range(2):
        for start in (0, 400, 800):
            ref.partial_fit(X[start:start + 400])
    assert ae.n_iter_ == ref.n_iter_ == 6 and np.array_equal(ae.components_, ref.components_)


MEMORY_SCRIPT = r"""
import gc, json, sys, tracemalloc
import numpy as np
import ufldl

def rss_anon():  # private (anonymous) resident memory; a memory map's pages are the file's, not counted
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024

path, m, n = sys.argv[1], int(sys.argv[2]), 64
X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(m, n))
rng = np.random.default_rng(0)
for start in range(0, m, 1 << 16):
    X[start:start + (1 << 16)] = rng.uniform(0.1, 0.9, size=(min(1 << 16, m - start), n)).astype(np.float32)
X.flush()
del X
X = np.load(path, mmap_mode="r")
out = {}
ae = ufldl.SparseAutoencoder(n_hidden=25, dtype="float32", max_iter=2, random_state=0)
ae.fit(X[:5000])  # warm up: imports and first allocations of every code path
gc.collect()
before = rss_anon()
tracemalloc.start()
ae.fit(X)  # streamed: a memmap
H = None
out["fit_traced_peak"] = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
out["fit_rss_growth"] = rss_anon() - before  # the core's workspace is kept (grow-only): its size shows here
# The same fit's cost on all the rows at once, in memory: what streaming avoids (the control).
net = ae.network_.copy()
gc.collect()
before = rss_anon()
net.cost_and_grad(X, X)
out["in_memory_rss_growth"] = rss_anon() - before
print(json.dumps(out))
"""


def test_a_fit_on_a_large_float32_memmap_grows_with_the_block_not_with_m(tmp_path):
    m = 500_000  # 128 MB of float32
    script = textwrap.dedent(MEMORY_SCRIPT)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "big.npy"), str(m)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    block = ufldl.scale.BLOCK_BYTES
    # Deterministic bounds in proportion to the block (32 MiB), far below m's: no timing involved.
    assert out["fit_traced_peak"] <= block, out  # NumPy arrays alive at once during the fit
    assert out["fit_rss_growth"] <= 2 * block, out  # the core's workspace and everything else kept
    # The control, the same cost on all the rows in one call, grows with m (measured: 114 MB for these 128 MB;
    # the streamed fit: 14 MB, of which 3 MB NumPy arrays).
    assert out["in_memory_rss_growth"] >= max(0.5 * m * 64 * 4, 4 * out["fit_rss_growth"]), out


def test_dask_is_an_optional_extra_and_part_of_the_test_extra():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert any(r.startswith("dask[array]") for r in extras["dask"])
    assert any(r.startswith("distributed") for r in extras["dask"])
    assert "ufldl[dask]" in extras["test"]
    assert not any(r.startswith(("dask", "distributed")) for r in project["dependencies"])
