"""Threads: the result with 1 BLAS thread equals the result with 2 (to rounding); ``blas_threads`` limits the
core's own pool and only it; concurrent ``cost_and_grad`` calls from Python threads agree with serial ones; and
the GIL is released while the kernel runs.
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy_openblas32
from threadpoolctl import threadpool_info

import ufldl

# Equal "to rounding": the products are blocked differently with 1 and 2 threads, so sums are reordered.
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5}


def assert_same_result(actual, desired, dtype, what):
    """Costs to ``rtol``; gradients to ``rtol * max |grad|`` (entries near 0 have no relative precision)."""
    rtol = RTOL[np.dtype(dtype)]
    (cost, grad), (cost0, grad0) = actual, desired
    assert grad.dtype == grad0.dtype == np.dtype(dtype)
    assert np.isfinite(cost) and np.all(np.isfinite(grad)), what
    assert abs(cost - cost0) <= rtol * abs(cost0), f"{what}: cost {cost!r} != {cost0!r}"
    err = float(np.max(np.abs(grad.astype(np.float64) - grad0)))
    scale = float(np.max(np.abs(grad0)))
    assert err <= rtol * scale, f"{what}: max gradient error {err:.3g} > {rtol:g} * {scale:.3g}"


# ---------------------------------------------------------------------------- networks and data


def sparse_autoencoder(dtype="float64"):
    """The tutorial's 64-25-64 sparse autoencoder (rho = 0.01, lambda = 1e-4, beta = 3)."""
    return ufldl.Network([64, 25, 64], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), dtype=dtype,
                         random_state=0)


def softmax_net(dtype="float64"):
    """Three weight layers ending in softmax + cross-entropy, with nonzero biases."""
    net = ufldl.Network([50, 40, 30, 10], activations=["sigmoid", "tanh", "softmax"], loss="cross_entropy",
                        weight_decay=1e-4, dtype=dtype, random_state=1)
    rng = np.random.default_rng(2)
    for b in net.biases:
        b[...] = rng.uniform(-0.3, 0.3, size=b.shape)
    return net


def patches(m, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 0.9, size=(m, 64))


def classification(m, seed=0, dense=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 50))
    y = rng.integers(0, 10, size=m)
    if dense:
        P = rng.uniform(0.1, 1.0, size=(m, 10))
        return X, P / P.sum(axis=1, keepdims=True)
    return X, y


def our_pool_threads():
    return ufldl.blas_info()["num_threads"]


def other_blas_pools():
    """Every BLAS pool in the process except the core's (NumPy's, SciPy's): filepath -> num_threads."""
    ours = os.path.realpath(ufldl.blas_info()["filepath"])
    return {p["filepath"]: p["num_threads"] for p in threadpool_info()
            if p["user_api"] == "blas" and os.path.realpath(p["filepath"]) != ours}


# ---------------------------------------------------------------------------- 1 thread == 2 threads


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["sparse_autoencoder", "softmax_labels", "softmax_dense"])
def test_one_thread_equals_two(kind, dtype):
    m = 2000
    if kind == "sparse_autoencoder":
        net = sparse_autoencoder(dtype)
        X = Y = patches(m)
    else:
        net = softmax_net(dtype)
        X, Y = classification(m, dense=kind == "softmax_dense")
    theta = net.theta.copy()
    with ufldl.blas_threads(1):
        assert our_pool_threads() == 1
        one = net.cost_and_grad(X, Y)
        again = net.cost_and_grad(X, Y)
    with ufldl.blas_threads(2):
        assert our_pool_threads() == 2
        two = net.cost_and_grad(X, Y)
    # One thread is deterministic: the same call gives the same bits.
    assert one[0] == again[0]
    np.testing.assert_array_equal(one[1], again[1])
    assert_same_result(two, one, dtype, f"{kind} {dtype}: 2 threads vs 1")
    np.testing.assert_array_equal(net.theta, theta)
    # Every cost term too (the sparsity term depends on rho_hat, a column sum over the whole batch).
    with ufldl.blas_threads(1):
        terms1 = net.cost_terms(X, Y)
    with ufldl.blas_threads(2):
        terms2 = net.cost_terms(X, Y)
    for key, value in terms1.items():
        assert abs(terms2[key] - value) <= RTOL[np.dtype(dtype)] * abs(value), key


# ---------------------------------------------------------------------------- blas_info / blas_threads


def test_blas_info_reports_the_core_pool():
    info = ufldl.blas_info()
    assert set(info) >= {"filepath", "version", "num_threads", "architecture", "elementwise_isa"}
    # The core's own OpenBLAS, the one from scipy-openblas32 (not NumPy's or SciPy's copy).
    assert os.path.isfile(info["filepath"])
    assert os.path.realpath(os.path.dirname(info["filepath"])) == os.path.realpath(scipy_openblas32.get_lib_dir())
    assert "openblas" in os.path.basename(info["filepath"]).lower()
    assert isinstance(info["version"], str) and info["version"]
    assert isinstance(info["num_threads"], int) and info["num_threads"] >= 1
    assert isinstance(info["architecture"], str)
    assert info["elementwise_isa"] in ("avx512", "avx2", "baseline")
    # threadpoolctl sees the same pool with the same thread count.
    seen = [p for p in threadpool_info()
            if os.path.realpath(p["filepath"]) == os.path.realpath(info["filepath"])]
    assert len(seen) == 1 and seen[0]["num_threads"] == info["num_threads"]


def test_blas_threads_limits_inside_and_restores_after():
    original = our_pool_threads()
    others = other_blas_pools()
    with ufldl.blas_threads(2):
        assert our_pool_threads() == 2
        with ufldl.blas_threads(1):
            assert our_pool_threads() == 1
            assert ufldl.blas_info()["num_threads"] == 1
            assert other_blas_pools() == others  # NumPy's and SciPy's pools are left alone
        assert our_pool_threads() == 2
    assert our_pool_threads() == original
    assert other_blas_pools() == others


def test_blas_threads_restores_after_an_exception():
    original = our_pool_threads()
    with pytest.raises(KeyError, match="inside"):
        with ufldl.blas_threads(1):
            assert our_pool_threads() == 1
            raise KeyError("inside")
    assert our_pool_threads() == original
    # A failed call inside the block neither leaves the limit in place nor breaks the pool.
    net = sparse_autoencoder()
    X = patches(300)
    with pytest.raises(ValueError, match=r"\bX\b"):
        with ufldl.blas_threads(1):
            net.cost_and_grad(X[:, :10], X)
    assert our_pool_threads() == original
    assert np.isfinite(net.cost(X, X))


@pytest.mark.parametrize(("n", "exc"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError),
                                        (True, TypeError), (None, TypeError)])
def test_blas_threads_bad_n(n, exc):
    original = our_pool_threads()
    with pytest.raises(exc, match=r"\bn\b") as info:
        with ufldl.blas_threads(n):
            pass
    assert repr(n) in str(info.value)
    assert our_pool_threads() == original


# ---------------------------------------------------------------------------- concurrent calls


def _jobs():
    """(name, network, X, Y): the same network at two batch sizes, and different networks and dtypes."""
    ae, ae32, sm = sparse_autoencoder(), sparse_autoencoder("float32"), softmax_net()
    X_big, X_small = patches(3000, seed=1), patches(700, seed=2)
    Xc, yc = classification(2000, seed=3)
    Xd, Yd = classification(500, seed=4, dense=True)
    X32 = patches(1500, seed=5)
    return [
        ("ae m=3000", ae, X_big, X_big),
        ("ae m=700", ae, X_small, X_small),
        ("softmax labels m=2000", sm, Xc, yc),
        ("softmax dense m=500", sm, Xd, Yd),
        ("ae float32 m=1500", ae32, X32, X32),
    ]


@pytest.mark.parametrize("blas_threads", [1, 2])
def test_concurrent_calls_agree_with_serial_calls(blas_threads):
    jobs = _jobs()
    n_threads, rounds = 4, 3
    # Each step of a round: threads 0 and 1 run the same job (same network, same batch), thread 2 the next one
    # (for job 0: the same network at another batch size), thread 3 another network.
    offsets = [0, 0, 1, 3]
    with ufldl.blas_threads(blas_threads):
        serial = [net.cost_and_grad(X, Y) for _, net, X, Y in jobs]
        thetas = [net.theta.copy() for _, net, _, _ in jobs]
        barrier = threading.Barrier(n_threads)

        def worker(tid):
            calls = []
            for _ in range(rounds):
                barrier.wait()  # every round starts together
                for step in range(len(jobs)):
                    j = (offsets[tid] + step) % len(jobs)
                    _, net, X, Y = jobs[j]
                    start = time.perf_counter()
                    result = net.cost_and_grad(X, Y)
                    calls.append((j, tid, start, time.perf_counter(), result))
            return calls

        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            calls = [c for future in [pool.submit(worker, t) for t in range(n_threads)] for c in future.result()]

    assert len(calls) == n_threads * rounds * len(jobs)
    for j, tid, _, _, result in calls:
        name, net = jobs[j][0], jobs[j][1]
        assert_same_result(result, serial[j], net.dtype, f"{name}, thread {tid}")
    for (_, net, _, _), theta in zip(jobs, thetas):
        np.testing.assert_array_equal(net.theta, theta)

    # The calls really overlapped: on one network with the same batch, and with different batch sizes (so the
    # kept workspace was busy and another call worked in a private one).
    def overlapping(same_batch):
        for a in calls:
            for b in calls:
                if a[1] < b[1] and jobs[a[0]][1] is jobs[b[0]][1] and (a[0] == b[0]) == same_batch \
                        and a[2] < b[3] and b[2] < a[3]:
                    return True
        return False

    assert overlapping(same_batch=True), "no two calls on one network with one batch ran at the same time"
    assert overlapping(same_batch=False), "no two calls on one network with two batch sizes ran at the same time"


def test_concurrent_calls_with_caller_buffers():
    # Each thread owns its grad buffer; concurrent calls on one network write only into their own.
    net = sparse_autoencoder()
    batches = [patches(1500 + 500 * t, seed=10 + t) for t in range(4)]
    serial = [net.cost_and_grad(X, X) for X in batches]
    buffers = [np.full(net.n_params, np.nan) for _ in batches]
    barrier = threading.Barrier(len(batches))

    def worker(t):
        barrier.wait()
        results = []
        for _ in range(3):
            cost, grad = net.cost_and_grad(batches[t], batches[t], grad=buffers[t])
            assert grad is buffers[t]
            results.append((cost, grad.copy()))
        return results

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        results = list(pool.map(worker, range(len(batches))))
    for t, per_thread in enumerate(results):
        for result in per_thread:
            assert_same_result(result, serial[t], net.dtype, f"thread {t}")


# ---------------------------------------------------------------------------- the GIL


def _counter_progress_during(call):
    """Run ``call()`` while a pure-Python thread counts; return how often it counted in the middle of the call.

    A thread that holds the GIL keeps every other Python thread from running a single bytecode. So if ``call``
    held the GIL from start to end, the counter could not tick at all in the middle of it (the first and last
    20 % are left out: the Python-level argument handling before and after the kernel). No timing threshold is
    involved: the count is either 0 (GIL held) or, on a free core, large.
    """
    stamps = []
    stop = threading.Event()
    running = threading.Event()

    def count():
        append, clock = stamps.append, time.perf_counter
        running.set()
        while not stop.is_set():
            append(clock())

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    running.wait()
    try:
        start = time.perf_counter()
        call()
        end = time.perf_counter()
    finally:
        stop.set()
        counter.join()
    margin = 0.2 * (end - start)
    s = np.asarray(stamps)
    return int(np.count_nonzero((s > start + margin) & (s < end - margin))), end - start


@pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(), reason="free-threaded Python: no GIL")
def test_gil_is_released_during_the_kernel():
    net = ufldl.Network([256, 256, 256], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
    with ufldl.blas_threads(1):  # the kernel on one core, the counting thread on the other
        # A batch large enough that one call takes > 100 ms on this machine.
        m, X = 2000, None
        while True:
            X = np.random.default_rng(0).uniform(0.1, 0.9, size=(m, 256))
            start = time.perf_counter()
            net.cost_and_grad(X, X)
            if time.perf_counter() - start > 0.25 or m >= 64000:  # a margin over the 0.1 s asserted below
                break
            m *= 2
        ticks, duration = _counter_progress_during(lambda: net.cost_and_grad(X, X))
    assert duration > 0.1, f"the call took only {duration:.3f} s even at m = {m}"
    assert ticks > 0, f"no Python thread ran during {duration:.3f} s of cost_and_grad: the GIL was held"

    # The measurement itself can tell: a builtin that holds the GIL (sum over a range runs in C without ever
    # returning to the interpreter) lets the counter tick exactly 0 times in its middle.
    n = 1_000_000
    while True:
        start = time.perf_counter()
        sum(range(n))
        if time.perf_counter() - start > 0.25 or n >= 10**9:  # the same margin: a later run can be faster
            break
        n *= 2
    held_ticks, held_duration = _counter_progress_during(lambda: sum(range(n)))
    assert held_duration > 0.1
    assert held_ticks == 0, "the control that holds the GIL let the counter run: the measurement is broken"


# ---------------------------------------------------------------------------- changing the pool's size


# Run in a child process so that a deadlock fails the test (by the timeout) instead of hanging the suite.
_STRESS = r"""
import sys, threading, time
import numpy as np
import threadpoolctl
import ufldl

variant, seconds = sys.argv[1], float(sys.argv[2])
net = ufldl.Network([64, 25, 64], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
X = np.random.default_rng(0).uniform(0.1, 0.9, size=(2000, 64))
expected = net.cost_and_grad(X, X)
stop = time.monotonic() + seconds
failures, calls = [], [0] * 4

def evaluate(k):
    while time.monotonic() < stop:
        if variant == "each call in blas_threads(1 + k % 2)":
            with ufldl.blas_threads(1 + calls[k] % 2):
                cost, grad = net.cost_and_grad(X, X)
        else:
            cost, grad = net.cost_and_grad(X, X)
        calls[k] += 1
        if abs(cost - expected[0]) > 1e-12 * expected[0] or np.abs(grad - expected[1]).max() > 1e-12:
            failures.append((k, cost))

def toggle():
    i = 0
    while time.monotonic() < stop:
        n = 1 + i % 2
        limits = ufldl.blas_threads(n) if variant == "a thread toggling blas_threads" else \
            threadpoolctl.threadpool_limits(n)
        with limits:
            time.sleep(0.0002)
        i += 1

threads = [threading.Thread(target=evaluate, args=(k,)) for k in range(4)]
if variant != "each call in blas_threads(1 + k % 2)":
    threads.append(threading.Thread(target=toggle))
for t in threads:
    t.start()
for t in threads:
    t.join()
print(min(calls), len(failures))
"""


@pytest.mark.parametrize("variant", ["each call in blas_threads(1 + k % 2)", "a thread toggling blas_threads",
                                     "a thread toggling threadpool_limits"])
def test_no_deadlock_while_the_pool_size_changes(variant):
    # Before the fix every run of each variant hung within seconds: one thread held OpenBLAS's level-3 lock
    # and waited for the core's pool, another held the pool and waited for that lock.
    import subprocess

    try:
        done = subprocess.run([sys.executable, "-c", _STRESS, variant, "4.0"], capture_output=True, text=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{variant}: the threads stopped making progress (deadlock)")
    assert done.returncode == 0, done.stderr
    min_calls, failures = map(int, done.stdout.split())
    assert min_calls > 0, f"{variant}: a thread made no call"
    assert failures == 0, f"{variant}: {failures} calls gave another cost or gradient than a serial call"


def test_evaluations_never_change_the_thread_count():
    # The core reads OpenBLAS's thread count and never writes it: a limit set by the user (or by threadpoolctl
    # in another thread) is what every thread sees while sharded evaluations run, and stays after them.
    # (The core used to lower the count to 1 during each sharded evaluation and restore it afterwards, which
    # another thread could see, and which could restore over that thread's own change.)
    from ufldl import _core

    net = sparse_autoencoder()
    X = patches(4000)
    stop = threading.Event()
    calls = [0, 0]

    def evaluate(k):
        while not stop.is_set():
            net.cost_and_grad(X, X)
            calls[k] += 1

    with ufldl.blas_threads(2):
        workers = [threading.Thread(target=evaluate, args=(k,)) for k in range(2)]
        for w in workers:
            w.start()
        seen = set()
        try:
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                seen.add(_core.blas_num_threads())
        finally:
            stop.set()
            for w in workers:
                w.join()
        assert min(calls) > 2, f"the evaluating threads made too few calls to test anything: {calls}"
        assert seen == {2}, f"the thread count changed under the user's limit of 2: saw {sorted(seen)}"
        assert _core.blas_num_threads() == 2


def test_more_pool_threads_than_parts_of_a_job():
    # Jobs of 2, 3 and 4 parts back to back on a pool of 4 threads (more than this machine's cores): a worker
    # with no part in a job must still be done with that job before the next is posted (ThreadSanitizer found
    # a worker reading the job's part count while the owner wrote the next one's). Results equal 1 thread.
    net = ufldl.Network([8, 6, 2], activations="tanh", random_state=0)
    batches = [np.random.default_rng(m).normal(size=(m, 8)) for m in (4200, 7000, 12000)]
    targets = [np.random.default_rng(m + 1).normal(size=(m, 2)) for m in (4200, 7000, 12000)]
    with ufldl.blas_threads(1):
        expected = [net.cost_and_grad(X, Y) for X, Y in zip(batches, targets)]
    with ufldl.blas_threads(4):
        for _ in range(30):
            for X, Y, want in zip(batches, targets, expected):
                assert_same_result(net.cost_and_grad(X, Y), want, net.dtype, f"m = {X.shape[0]}, 4 threads")
