"""Interleaved A/B: one in-memory evaluation, then one on a LocalCluster, alternately, on a noisy host.

``bench_scale.py`` times each implementation in its own group, one after the other; on a shared VM whose speed
drifts by 10-50% within minutes that order biases the ratio. Here the two alternate, so each pair sees the same
host: the 64-25-64 sparse autoencoder, float64, 1,000,000 rows generated on the workers by Dask's random
generator and persisted there, a LocalCluster of 2 worker processes x 1 thread on loopback, against
``Network.objective`` in memory on both cores.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/cluster_ab.py 100000 250000 500000``
(the chunk sizes, rows per chunk; default 100000 and 500000). Prints, per chunk size, both medians and the median
of the pairs' ratios (cluster / in memory).
"""

import sys
import time

import numpy as np

import ufldl
from ufldl.scale import DaskObjective

ROWS, N, HIDDEN, PAIRS = 1_000_000, 64, 25, 21


def measure(chunk_rows: int) -> None:
    import dask.array as da  # noqa: PLC0415
    import distributed  # noqa: PLC0415

    X = da.random.default_rng(0).uniform(0.1, 0.9, size=(ROWS, N), chunks=(chunk_rows, N))
    X_local = X.compute(scheduler="threads")
    net = ufldl.Network([N, HIDDEN, N], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    ufldl.train(net, X_local[:10_000], X_local[:10_000], max_iter=20)  # rho_hat away from its initial value
    theta = net.theta.copy()
    local = net.objective(X_local, X_local)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster, distributed.Client(cluster):
        remote = DaskObjective(net, X, X)
        cost, grad = local(theta)
        got_cost, got_grad = remote(theta)  # (also the warm-up)
        assert abs(got_cost - cost) <= 1e-10 * abs(cost) and np.abs(got_grad - grad).max() <= 1e-9 * np.abs(grad).max()
        times = np.empty((PAIRS, 2))
        for i in range(PAIRS):
            for j, fun in enumerate((local, remote)):
                start = time.perf_counter()
                fun(theta)
                times[i, j] = time.perf_counter() - start
    ms = 1e3 * np.median(times, axis=0)
    ratio = float(np.median(times[:, 1] / times[:, 0]))
    print(f"chunks of {chunk_rows:,} rows: in memory {ms[0]:.1f} ms, cluster {ms[1]:.1f} ms; "
          f"median pair ratio {ratio:.3f} (cluster at {1 / ratio:.2f} of in-memory speed)")


if __name__ == "__main__":  # (a spawned worker re-imports this file: nothing runs at import)
    for rows in [int(a) for a in sys.argv[1:]] or [100_000, 500_000]:
        measure(rows)
