"""Benchmarks: one full-batch evaluation (cost and gradient) of the tutorial's sparse autoencoder, 64-25-64 float64
(rho = 0.01, beta = 3, lambda = 1e-4), on data held in other ways than one in-memory array (``ufldl.scale``).

Groups, each at m = 10,000, 100,000 and 1,000,000 rows (``UFLDL_BENCH_SCALE_ROWS="10000,100000"`` to choose):

``scale evaluation m=<m>``
    ``ufldl``: ``Network.objective(X, X)(theta)`` in memory, the core on both cores (the reference of every
    ratio).
    ``ufldl-memmap``: ``StreamedObjective`` over the same rows in an ``np.memmap`` (pages warm: read once
    before), blocks of ``ufldl.scale.BLOCK_BYTES``.
    ``ufldl-dask-threads``: ``DaskObjective`` on ``da.from_array`` of the same rows in chunks of 100,000 (at
    least 2 chunks), Dask's threaded scheduler: the per-evaluation overhead of building and running the graph.
    ``ufldl-dask-cluster``: ``DaskObjective`` with a ``distributed.LocalCluster`` of 2 worker processes x 1
    thread on loopback; the rows are generated on the workers by Dask's own random generator (the same numbers
    as the other rows', which compute that array once) and persisted there, as data loaded with Dask on a
    cluster would be (the issue's target: >= 0.85 of the in-memory speed at 1M rows). One pass over the chunks
    per evaluation (``docs/math.md#one-pass-kl-sums``).
    ``ufldl-dask-cluster-worker-chunks``: the same with one chunk per worker (m / 2 rows each) instead of chunks
    of 100,000: what a chunking matched to the cluster gains (fewer tasks, and the one-pass sums' own cost falls
    from 1.16x ``cost_and_grad`` at 50,000 rows a chunk to 1.09x at 500,000).
    ``ufldl-dask-cluster-two-pass``: the same as ``ufldl-dask-cluster`` with ``one_pass=False``: a first round
    trip for the global rho_hat, then the gradient's (what every chunked evaluation did before the one-pass sums).
    ``ufldl-one-pass-sums`` / ``ufldl-two-pass-sums``: all the rows as one chunk through the chunked API in memory
    (``one_pass_sums`` + ``combine``; ``activation_sums`` + ``partial_sums`` + ``combine``): what the sums cost
    against ``cost_and_grad`` (the issue's bound: 1.2x).

Every row first checks its cost and gradient against the in-memory evaluation (outside the timed part), at a
theta trained for 20 iterations (so rho_hat is far from its initial value). pytest-benchmark's median and
spread (the report prints them) are the per-evaluation time; the ratio to ``in-memory`` is the overhead.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m pytest benchmarks/bench_scale.py
--benchmark-json=scale.json && python benchmarks/report.py scale.json``.
"""

import os
from functools import lru_cache

import numpy as np
import pytest

import ufldl
from ufldl.scale import DaskObjective, StreamedObjective

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

ROWS = [int(m) for m in os.environ.get("UFLDL_BENCH_SCALE_ROWS", "10000,100000,1000000").split(",")]
N, HIDDEN = 64, 25
CHUNK_ROWS = 100_000


def _chunk_rows(m):
    return min(CHUNK_ROWS, max(1, m // 2))


def generated(m):
    """The rows as a Dask array made by Dask's random generator, chunk by chunk, where it is computed."""
    return da.random.default_rng(0).uniform(0.1, 0.9, size=(m, N), chunks=(_chunk_rows(m), N))


@lru_cache(maxsize=None)
def problem(m):
    X = generated(m).compute(scheduler="threads")
    net = ufldl.Network([N, HIDDEN, N], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    ufldl.train(net, X[:10_000], X[:10_000], max_iter=20)
    cost, grad = net.objective(X, X)(net.theta)
    return X, net, cost, grad


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster, distributed.Client(cluster) as c:
        yield c


def setup(impl, m, tmp_path, request):
    X, net, cost, grad = problem(m)
    if impl == "ufldl":
        return net.objective(X, X), (cost, grad)
    if impl == "ufldl-memmap":
        path = tmp_path / "X.f64"
        mapped = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
        mapped[:] = X
        mapped.flush()
        mapped = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
        float(mapped.sum())  # warm pages
        return StreamedObjective(net, mapped, mapped), (cost, grad)
    if impl == "ufldl-dask-threads":
        import dask  # noqa: PLC0415
        config = dask.config.set(scheduler="threads")
        request.addfinalizer(lambda: config.__exit__(None, None, None))
        Xd = da.from_array(X, chunks=(_chunk_rows(m), N))
        return DaskObjective(net, Xd, Xd, persist=False), (cost, grad)
    if impl == "ufldl-one-pass-sums":  # one chunk of all the rows through the chunked API, in memory
        return (lambda theta: net.combine(net.one_pass_sums(X, X, theta), theta)), (cost, grad)
    if impl == "ufldl-two-pass-sums":
        def two_passes(theta):
            rho_hat = net.activation_sums(X, theta).rho_hat
            return net.combine(net.partial_sums(X, X, theta, rho_hat=rho_hat), theta)
        return two_passes, (cost, grad)
    request.getfixturevalue("client")
    Xd = generated(m)
    if impl == "ufldl-dask-cluster-worker-chunks":  # the same numbers, one chunk per worker
        Xd = Xd.rechunk({0: -(-m // 2)})
    one_pass = impl != "ufldl-dask-cluster-two-pass"
    return DaskObjective(net, Xd, Xd, one_pass=one_pass), (cost, grad)  # (persisted on the workers)


@pytest.mark.parametrize("impl", ["ufldl", "ufldl-one-pass-sums", "ufldl-two-pass-sums", "ufldl-memmap",
                                  "ufldl-dask-threads", "ufldl-dask-cluster", "ufldl-dask-cluster-worker-chunks",
                                  "ufldl-dask-cluster-two-pass"])
@pytest.mark.parametrize("m", ROWS)
def test_scale_evaluation(benchmark, m, impl, tmp_path, request):
    benchmark.group = f"scale evaluation m={m}"
    benchmark.extra_info.update(implementation=impl, m=m, layer_sizes=[N, HIDDEN, N], chunk_rows=CHUNK_ROWS)
    fun, (cost, grad) = setup(impl, m, tmp_path, request)
    _, net, _, _ = problem(m)
    theta = net.theta.copy()
    got_cost, got_grad = fun(theta)  # correctness, once, untimed
    assert abs(got_cost - cost) <= 1e-10 * abs(cost)
    assert np.abs(got_grad - grad).max() <= 1e-9 * np.abs(grad).max()
    rounds = 20 if m <= 100_000 else 7
    benchmark.pedantic(fun, args=(theta,), rounds=rounds, warmup_rounds=1, iterations=1)
