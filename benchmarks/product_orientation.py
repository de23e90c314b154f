"""Which layout makes each of the five products of one shard fastest: a diagnostic for the speed issue's part 2.

The core evaluates a batch as shards of rows, one per thread, each with single-threaded BLAS, and the output
layer in blocks of about 8 MB of rows (``Network::block_rows``). This times, with NumPy on one thread, the five
products of one 784-196-784 shard of 5,000 rows (the output layer's three in blocks of 1,337 rows, scaled to the
shard), each with its m x k operands and output stored as rows (m x k, the core's layout today) or hidden-major
(k x m), X always in rows (the public layout). Then it adds up three whole formulations: every intermediate in
rows, every one hidden-major, and hidden layers hidden-major with the output layer in rows.

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/product_orientation.py [float32]``
(median of 11 calls, two rounds; the second round's figures are printed). The figures are NumPy's OpenBLAS,
not the core's copy (``bench_network.py``'s note); the orientation effect is the point.
"""

import itertools
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

M, N, H, BLOCK = 5000, 784, 196, 1337


def median_ms(fun, calls=11):
    fun()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fun()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main(dtype):
    rng = np.random.default_rng(0)

    def random(*shape):
        return rng.random(shape).astype(dtype)

    def stored(a, hidden_major):  # a is logically (rows, k); hidden-major stores its transpose C-contiguously
        return np.ascontiguousarray(a.T).T if hidden_major else np.ascontiguousarray(a)

    def product(A, B, hidden_major_out):  # C = A B into a preallocated C, stored as rows or hidden-major
        if hidden_major_out:
            out = np.empty((B.shape[1], A.shape[0]), dtype)
            return lambda: np.dot(B.T, A.T, out=out)
        out = np.empty((A.shape[0], B.shape[1]), dtype)
        return lambda: np.dot(A, B, out=out)

    X, W1, W2 = random(M, N), random(H, N), random(N, H)
    A1 = {hm: stored(random(M, H), hm) for hm in (0, 1)}
    A1_block = {hm: stored(random(BLOCK, H), hm) for hm in (0, 1)}
    D2_block = {hm: stored(random(BLOCK, N), hm) for hm in (0, 1)}
    scale = M / BLOCK
    t = {}
    with threadpool_limits(1):
        for _ in range(2):
            for o in (0, 1):
                t["Z1 = X W1^T", o] = median_ms(product(X, W1.T, o))
            for a, o in itertools.product((0, 1), (0, 1)):
                t["Z2 = A1 W2^T", a, o] = scale * median_ms(product(A1_block[a], W2.T, o))
            for d, a in itertools.product((0, 1), (0, 1)):
                t["gW2 = D2^T A1", d, a] = scale * median_ms(product(D2_block[d].T, A1_block[a], 0))
            for d, o in itertools.product((0, 1), (0, 1)):
                t["P = D2 W2", d, o] = scale * median_ms(product(D2_block[d], W2, o))
            for d in (0, 1):
                t["gW1 = D1^T X", d] = median_ms(product(A1[d].T, X, 0))
    print(f"{np.dtype(dtype).name}, one thread, one shard of {M} rows (1 = hidden-major; the layouts are of the"
          " m x k operands, then the output):")
    for key, ms in t.items():
        print(f"  {ms:7.2f} ms  {key[0]}  {key[1:]}")
    for name, hidden, output in (("all rows", 0, 0), ("all hidden-major", 1, 1),
                                 ("hidden layers hidden-major, output layer rows", 1, 0)):
        total = (t["Z1 = X W1^T", hidden] + t["Z2 = A1 W2^T", hidden, output] + t["gW2 = D2^T A1", output, hidden]
                 + t["P = D2 W2", output, hidden] + t["gW1 = D1^T X", hidden])
        print(f"  {total:7.2f} ms  {name}")


if __name__ == "__main__":
    main(np.dtype(sys.argv[1]) if len(sys.argv) > 1 else np.float64)
