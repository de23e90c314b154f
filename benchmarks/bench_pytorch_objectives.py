"""Checks, no timings: the torch twins of ufldl's objectives (benchmarks/pytorch_rows.py) that the ``pytorch``
rows time compute ufldl's cost and gradient, and torch's L-BFGS as set up there runs its iterations.

Small sizes (a second or two in all); skipped without torch. ``python -m pytest benchmarks/bench_pytorch_objectives.py``.
"""

import numpy as np
import pytest

import ufldl
from benchmarks import pytorch_rows
from benchmarks.pytorch_rows import import_torch

F32_RTOL = 5e-5  # float32 sums over m rows in different orders (bench_network's tolerance)


def data(m, n, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 0.9, size=(m, n))


def torch_and_ufldl(torch, net, X, Y, sparsity_layers=(), rho=0.01, beta=3.0):
    """(torch's, ufldl's) cost and flat gradient at the network's own theta."""
    Xt = torch.tensor(X)
    Yt = torch.tensor(Y, dtype=torch.int64) if net.loss == "cross_entropy" else torch.tensor(Y)
    cost = pytorch_rows.objective(torch, net.layer_sizes, net.activations, net.loss, Xt, Yt, net.weight_decay,
                                  sparsity_layers, rho, beta)
    return pytorch_rows.cost_and_grad(torch, cost, net.theta), net.cost_and_grad(X, Y)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, pytorch_rows.UFLDL_RTOL), (np.float32, F32_RTOL)])
def test_sparse_autoencoder_matches_ufldl(dtype, rtol):
    torch = import_torch()
    X = data(200, 64).astype(dtype)
    net = ufldl.Network([64, 25, 64], "sigmoid", "squared", weight_decay=1e-4,
                        sparsity=ufldl.KLSparsity(rho=0.01, beta=3.0), dtype=dtype, random_state=1)
    got, want = torch_and_ufldl(torch, net, X, X, sparsity_layers=(1,))
    assert got[1].dtype == dtype
    pytorch_rows.assert_matches_ufldl("sparse autoencoder", got, want, rtol)


def test_stacked_finetuning_matches_ufldl():
    """Sigmoid layers and a softmax output on labels, a different lambda per layer (the stack's fine-tuning)."""
    torch = import_torch()
    X, y = data(150, 20), np.random.default_rng(1).integers(0, 5, size=150)
    net = ufldl.Network([20, 12, 8, 5], ["sigmoid", "sigmoid", "softmax"], "cross_entropy",
                        weight_decay=[1e-3, 2e-3, 3e-3], random_state=2)
    pytorch_rows.assert_matches_ufldl("fine-tuning", *torch_and_ufldl(torch, net, X, y))


def test_sparsity_on_one_hidden_layer_matches_ufldl():
    torch = import_torch()
    X = data(120, 10)
    net = ufldl.Network([10, 8, 6, 10], ["relu", "sigmoid", "sigmoid"], "squared", weight_decay=1e-3,
                        sparsity=ufldl.KLSparsity(rho=0.1, beta=2.0, layers=(2,)), random_state=3)
    pytorch_rows.assert_matches_ufldl("sparse layer 2", *torch_and_ufldl(torch, net, X, X, (2,), 0.1, 2.0))


def test_lbfgs_runs_its_iterations_and_follows_ufldl():
    """With the tolerances of lbfgs_options nothing stops torch before max_iter here, and its minFunc-like
    L-BFGS (the same memory, first step and strong Wolfe search) ends where ufldl's native L-BFGS does."""
    torch = import_torch()
    X = data(100, 64)
    net = ufldl.Network([64, 25, 64], "sigmoid", "squared", weight_decay=1e-4,
                        sparsity=ufldl.KLSparsity(rho=0.01, beta=3.0), random_state=1)
    Xt = torch.tensor(X)
    cost = pytorch_rows.objective(torch, (64, 25, 64), ("sigmoid", "sigmoid"), "squared", Xt, Xt, 1e-4, (1,))
    theta0 = net.theta.copy()
    run = pytorch_rows.lbfgs(torch, cost, theta0, max_iter=30, max_corrections=100)
    ours = ufldl.minimize(lambda t: net.cost_and_grad(X, X, t), theta0, max_iter=30, max_corrections=100)
    assert run.n_iter == 30 and ours.n_iter == 30, (run.message, ours.message)
    assert run.n_evals > run.n_iter  # the first evaluation counts, as in ufldl's n_evals
    theirs = net.cost(X, X, run.theta)
    assert theirs < 0.5 * net.cost(X, X, theta0)
    assert abs(theirs - ours.cost) <= 1e-6 * ours.cost, f"torch ends at {theirs!r}, ufldl at {ours.cost!r}"


@pytest.mark.parametrize("activations, loss, match", [
    (("sigmoid", "softmax"), "squared", "got loss 'squared' after a 'softmax'"),
    (("sigmoid", "sigmoid"), "cross_entropy", "got loss 'cross_entropy' after a 'sigmoid'"),
    (("tanh", "sigmoid"), "squared", "hidden activations"),
    (("sigmoid",), "squared", "activations must name 2 layers"),
])
def test_objective_rejects_what_it_does_not_write(activations, loss, match):
    torch = import_torch()
    X = torch.zeros(3, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match=match):
        pytorch_rows.objective(torch, (4, 2, 4), activations, loss, X, X)


def test_objective_rejects_a_wrong_parameter_count():
    torch = import_torch()
    X = torch.zeros(3, 4, dtype=torch.float64)
    cost = pytorch_rows.objective(torch, (4, 2, 4), ("sigmoid", "sigmoid"), "squared", X, X)
    with pytest.raises(ValueError, match="must hold 22 parameters"):
        cost(torch.zeros(21, dtype=torch.float64))
