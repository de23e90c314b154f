"""Benchmarks: one mini-batch epoch of a 784-256-256-10 softmax network (relu hidden layers, batch 256, SGD with
momentum 0.9, float32, lambda 1e-4), m = 10,240 examples (40 steps).

``ufldl-cpp-epoch``
    The whole epoch in C++ (gather, forward, backward, fused update), one call with the GIL released.
``numpy-reference``
    The same loop in Python: ``ufldl.reference.cost_and_grad`` on each batch and the update in NumPy.
``ufldl-train_minibatch``
    The public API, ``ufldl.train_minibatch(..., max_epochs=1)``: the same epoch plus its bookkeeping (the
    shuffle, the runs of batches between Python checks, the finiteness checks and the loss history).
``products-floor`` / ``pytorch-products-floor``
    Only the eight matrix products of each step (forward and backward), with NumPy's OpenBLAS and with
    PyTorch's MKL: what no implementation built on that library can beat.
``pytorch``
    The same maths in a PyTorch eager loop on the CPU (as many threads as ufldl's BLAS pool): forward,
    ``loss.backward()``, and ``torch.optim.SGD(momentum=0.9)``; skipped when torch is not installed.

Each benchmark times one epoch; divide by the 40 steps for a time per step. The first epoch of each is checked
to lower the loss (outside the timed part).
"""

import numpy as np
import pytest

import ufldl
from benchmarks import pytorch_rows
from benchmarks.pytorch_rows import import_torch
from ufldl import reference

SIZES = (784, 256, 256, 10)
ACTS = ("relu", "relu", "softmax")
M, BATCH, LR, MOMENTUM, LAMBDA = 10240, 256, 0.01, 0.9, 1e-4
GROUP = f"minibatch epoch {'-'.join(map(str, SIZES))} batch {BATCH} float32 m={M}"
DTYPE = np.float32


def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(M, SIZES[0])).astype(DTYPE)
    y = rng.integers(0, SIZES[-1], size=M)
    return X, y


def network():
    return ufldl.Network(SIZES, ACTS, loss="cross_entropy", weight_decay=LAMBDA, dtype=DTYPE, random_state=1)


def cpp_epoch(net, X, y, order, velocity):
    flags = [False] * (len(SIZES))
    costs = np.full(-(-M // BATCH), np.nan)
    step = np.zeros(1, np.int64)
    cost = ufldl._core.CostSettings(sparse_layers=flags, weight_decay=LAMBDA, rho=0.01, beta=3.0)
    update = ufldl._core.UpdateParams(rule=ufldl._core.UpdateRule.sgd, learning_rate=LR, momentum=MOMENTUM,
                                      nesterov=False)
    return net._engine.minibatch_epoch(net.theta, X, y, order, BATCH, cost, update, velocity,
                                       np.zeros_like(velocity), step, costs)


@pytest.mark.benchmark(group=GROUP)
def test_ufldl_cpp_epoch(benchmark):
    X, y = data()
    y = y.astype(np.int64)
    net = network()
    velocity = np.zeros(net.n_params, DTYPE)
    order = np.random.default_rng(2).permutation(M).astype(np.int64)
    before = net.cost(X, y)
    cpp_epoch(net, X, y, order, velocity)
    assert net.cost(X, y) < before
    benchmark.extra_info["implementation"] = "ufldl"
    benchmark.pedantic(cpp_epoch, args=(net, X, y, order, velocity), rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_numpy_reference(benchmark):
    X, y = data()
    weights, biases = reference.init_params(SIZES, np.random.default_rng(1), dtype=DTYPE)
    velocity = [np.zeros_like(p) for p in weights + biases]
    order = np.random.default_rng(2).permutation(M)

    def epoch():
        for start in range(0, M, BATCH):
            rows = order[start:start + BATCH]
            _, gw, gb, _ = reference.cost_and_grad(weights, biases, X[rows], y[rows], ACTS, "cross_entropy",
                                                   LAMBDA)
            for p, g, v in zip(weights + biases, gw + gb, velocity):
                v *= MOMENTUM
                v -= LR * g
                p += v

    before = reference.cost_and_grad(weights, biases, X, y, ACTS, "cross_entropy", LAMBDA)[0]
    epoch()
    assert reference.cost_and_grad(weights, biases, X, y, ACTS, "cross_entropy", LAMBDA)[0] < before
    benchmark.extra_info["implementation"] = "numpy-reference"
    benchmark.pedantic(epoch, rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_pytorch(benchmark):
    torch = import_torch()
    X, y = data()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    weights, biases = reference.init_params(SIZES, np.random.default_rng(1), dtype=DTYPE)
    params = [torch.tensor(p, requires_grad=True) for p in weights + biases]
    Ws, bs = params[:3], params[3:]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    order = torch.from_numpy(np.random.default_rng(2).permutation(M))

    def loss_of(xb, yb):
        a = xb
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = a @ W.T + b
            a = torch.relu(z) if i < 2 else z
        data_loss = torch.nn.functional.cross_entropy(a, yb)
        return data_loss + 0.5 * LAMBDA * sum((W * W).sum() for W in Ws)

    def epoch():
        for start in range(0, M, BATCH):
            rows = order[start:start + BATCH]
            opt.zero_grad(set_to_none=False)
            loss_of(Xt[rows], yt[rows]).backward()
            opt.step()

    with torch.no_grad():
        before = loss_of(Xt, yt).item()
    epoch()
    with torch.no_grad():
        assert loss_of(Xt, yt).item() < before
    benchmark.extra_info.update(implementation=pytorch_rows.ROW, torch=pytorch_rows.torch_info())
    benchmark.pedantic(epoch, rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_ufldl_train_minibatch(benchmark):
    X, y = data()
    net = network()
    opt = ufldl.SGD(LR, momentum=MOMENTUM, nesterov=False)
    gen = np.random.default_rng(2)
    before = net.cost(X, y)

    def epoch():
        return ufldl.train_minibatch(net, X, y, opt, batch_size=BATCH, max_epochs=1, random_state=gen)

    assert epoch().n_updates == M // BATCH and net.cost(X, y) < before
    benchmark.extra_info["implementation"] = "ufldl-train_minibatch"
    benchmark.pedantic(epoch, rounds=5, warmup_rounds=1)


def products(matmul, X, weights):
    """The eight products of one step per batch: forward Z_l = A_{l-1} W_l^T, backward gW_l = D_l^T A_{l-1}
    and D_{l-1} = D_l W_l (none for the input)."""
    W1, W2, W3 = weights

    def epoch():
        for start in range(0, M, BATCH):
            xb = X[start:start + BATCH]
            A1 = matmul(xb, W1.T)
            A2 = matmul(A1, W2.T)
            Z3 = matmul(A2, W3.T)
            matmul(Z3.T, A2)
            D2 = matmul(Z3, W3)
            matmul(D2.T, A1)
            D1 = matmul(D2, W2)
            matmul(D1.T, xb)

    return epoch


@pytest.mark.benchmark(group=GROUP)
def test_products_floor(benchmark):
    X, _ = data()
    weights, _ = reference.init_params(SIZES, np.random.default_rng(1), dtype=DTYPE)
    benchmark.extra_info["implementation"] = "products-floor"
    benchmark.pedantic(products(np.matmul, X, weights), rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group=GROUP)
def test_pytorch_products_floor(benchmark):
    torch = import_torch()
    X, _ = data()
    weights, _ = reference.init_params(SIZES, np.random.default_rng(1), dtype=DTYPE)
    benchmark.extra_info.update(implementation=f"{pytorch_rows.ROW}-products-floor", torch=pytorch_rows.torch_info())
    with torch.no_grad():
        benchmark.pedantic(products(torch.matmul, torch.from_numpy(X), [torch.from_numpy(W) for W in weights]),
                           rounds=5, warmup_rounds=1)
