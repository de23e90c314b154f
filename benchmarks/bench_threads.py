"""Benchmarks: what concurrent calls from Python threads cost against the same calls made one after another.

One group per network: the same ``4 * CALLS`` evaluations of ``Network.cost_and_grad`` on one network and one
batch, made

``ufldl``
    one after another on one Python thread (each call may use both cores: shards, split products);
``ufldl-4-threads``
    by 4 Python threads at once, ``CALLS`` each (the core gives its pool to one call at a time and runs the
    others single-threaded, so no core is oversubscribed by spinning pool threads);
``ufldl-4-threads-toggling``
    the same, while a fifth thread keeps changing the core's BLAS thread count between 1 and 2 with
    ``threadpoolctl.threadpool_limits`` (as scikit-learn does inside its own functions: this once deadlocked).

The ratio ``ufldl-4-threads / ufldl`` is the cost of concurrency (1.0x: none). Every concurrent result is checked
against the serial one (outside the timed part).
"""

import threading

import numpy as np
import pytest
import threadpoolctl

import ufldl

CALLS = 25
THREADS = 4
CASES = {
    "64-25-64 float64 m=2000": ([64, 25, 64], 2000),
    "784-196-784 float64 m=1000": ([784, 196, 784], 1000),
}


def problem(name):
    sizes, m = CASES[name]
    net = ufldl.Network(sizes, weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
    X = np.random.default_rng(0).uniform(0.1, 0.9, size=(m, sizes[0]))
    return net, X, net.cost_and_grad(X, X)


def serial(net, X):
    return [net.cost_and_grad(X, X) for _ in range(THREADS * CALLS)]


def concurrent(net, X, toggle=False):
    results = [[] for _ in range(THREADS)]
    stop = threading.Event()

    def work(k):
        results[k] = [net.cost_and_grad(X, X) for _ in range(CALLS)]

    def toggler():
        i = 0
        while not stop.is_set():
            with threadpoolctl.threadpool_limits(1 + i % 2):
                stop.wait(0.0005)
            i += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    side = threading.Thread(target=toggler) if toggle else None
    if side:
        side.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    if side:
        side.join()
    return [r for per_thread in results for r in per_thread]


def check(results, expected):
    assert len(results) == THREADS * CALLS
    for cost, grad in results:
        assert abs(cost - expected[0]) <= 1e-12 * abs(expected[0])
        np.testing.assert_allclose(grad, expected[1], rtol=0, atol=1e-12 * np.abs(expected[1]).max())


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("implementation", ["ufldl", "ufldl-4-threads", "ufldl-4-threads-toggling"])
def test_concurrency(benchmark, name, implementation):
    net, X, expected = problem(name)
    run = {"ufldl": lambda: serial(net, X),
           "ufldl-4-threads": lambda: concurrent(net, X),
           "ufldl-4-threads-toggling": lambda: concurrent(net, X, toggle=True)}[implementation]
    check(run(), expected)
    benchmark.group = f"concurrent calls {name}, {THREADS} x {CALLS} calls"
    benchmark.extra_info["implementation"] = implementation
    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
