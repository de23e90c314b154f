"""Benchmarks: ufldl's StackedAutoencoder on the 8x8 digits, against its four stages on SciPy + NumPy and PyTorch.

The data, rounds, untimed warm-up run and oracle are ``bench_estimators.py``'s (``benchmarks/estimator_rows.py``):
m = 898 training and 899 test examples of ``ufldl.datasets.load_digits()``, float64, 3 rounds of one whole
training each; every row's final parameters are evaluated with ``ufldl.reference`` (``train_cost``, and
``test_accuracy``, which must be >= 0.9). lambda = 1e-4 throughout.

Group ``stacked autoencoder digits m=898 64-32-16-10`` (``UFLDL_BENCH_STACK_HIDDEN=200,200``: the exercise's
64-200-200-10), the tutorial's deep network: sparse autoencoders 64-32-64 on X and 32-16-32 on the first one's
features (sigmoid, rho 0.1, beta 3, lambda 1e-4), a softmax layer on the 16 features (lambda 1e-4, initial
weights scaled to max |W| = 0.005), then fine-tuning of the whole 64-32-16-10 network (decay 1e-4 on every
layer); 400 L-BFGS iterations (at most) for each of the four stages:

``ufldl``
    ``ufldl.StackedAutoencoder((32, 16), random_state=0).fit`` (its defaults are the above).
``ufldl-lbfgsb``
    The estimator with its four stages run by SciPy's L-BFGS-B on the core (``solver="lbfgsb"`` of
    ``ufldl.train``): the estimator as it ran before the native L-BFGS.
``scipy+numpy-reference``
    The same pipeline with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True, options={"maxiter": 400,
    "maxcor": 100, "ftol": 1e-9, "gtol": 1e-5})`` on ``ufldl.reference.cost_and_grad`` for each stage, and
    ``reference.forward`` for the features. Its initial weights are ufldl's, drawn the way the estimator draws
    them: ``reference.init_params`` for the two autoencoders and the softmax layer in turn from one
    ``numpy.random.default_rng(0)`` (the draws of ``ufldl.Network.initialize``). Checked untimed: after 10
    iterations per stage it holds the parameters of ``ufldl-lbfgsb`` (the same solver; to 1e-8). The stages
    are not convex, and over 400 iterations rounding differences grow until the runs reach different minima:
    after the whole training only the accuracies are asserted.
``pytorch``
    The same pipeline (the same initial weights, ``reference.forward`` for the features) with each stage's
    objective written with float64 torch tensors and trained by ``torch.optim.LBFGS(line_search_fn=
    "strong_wolfe", history_size=100, max_iter=400)`` (``benchmarks/pytorch_rows.py``: one flat parameter
    tensor, autograd, as many threads as ufldl's BLAS pool, tolerances that never stop a stage before ufldl's
    tests would, so it may run a stage longer). Checked untimed: the torch cost and gradient of each kind of
    stage (autoencoder, softmax layer, fine-tuning) equal ``Network.cost_and_grad``'s at their initial
    parameters to a relative 1e-10. Skipped without torch.

For every row ``extra_info`` holds the test accuracy before fine-tuning
(``test_accuracy_pretrained``) and after (``test_accuracy``), and the iterations of the autoencoders
(``pretrain_n_iter``) and of fine-tuning (``n_iter``); the SciPy and PyTorch rows also the iterations and
evaluations of all four stages (``stage_n_iter``, ``stage_n_evals``).

Run ``python -m pytest benchmarks/bench_stacked.py --benchmark-json=stacked.json`` and ``python
benchmarks/report.py stacked.json`` on a quiet machine (see benchmarks/README.md). To check this file quickly with
``--benchmark-disable``, ``UFLDL_BENCH_EST_ITER_SCALE=0.25`` runs a quarter of every stage's iterations (the
group name then carries the count run; the accuracy threshold still applies; timings mean nothing).
"""

import contextlib
import os
from dataclasses import dataclass

import numpy as np
import pytest

import ufldl
from benchmarks import pytorch_rows
from benchmarks.estimator_rows import (
    LAMBDA,
    M_TRAIN,
    MAX_CORRECTIONS,
    N_CLASSES,
    SCALE,
    SEED,
    Classifier,
    Outcome,
    copies,
    digits,
    measure,
    network_outcome,
    pack,
    reference_fun,
    scaled,
    scipy_lbfgs,
    unpack,
)
from benchmarks.pytorch_rows import import_torch
from ufldl import reference

# UFLDL_BENCH_STACK_HIDDEN="200,200": the tutorial's stacked-autoencoder exercise's hidden sizes (minutes).
STACK_HIDDEN = tuple(int(h) for h in os.environ.get("UFLDL_BENCH_STACK_HIDDEN", "32,16").split(","))
RHO, BETA = 0.1, 3.0
STACK_ITER = scaled(400)
AGREE_ITER, AGREE_ATOL = 10, 1e-8  # the SciPy stacked pipeline against ufldl's, parameters after a short run


# ---------------------------------------------------------------------------------------------------------
# Stacked autoencoder: two sparse autoencoders, a softmax layer, fine-tuning
# ---------------------------------------------------------------------------------------------------------

STACK = Classifier((64, *STACK_HIDDEN, N_CLASSES), ("sigmoid",) * len(STACK_HIDDEN) + ("softmax",),
                   weight_decay=(LAMBDA,) * (len(STACK_HIDDEN) + 1))
STACK_GROUP = (f"stacked autoencoder digits m={M_TRAIN} {'-'.join(map(str, STACK.sizes))}"
               + ("" if SCALE == 1 else f" L-BFGS {STACK_ITER} iterations per stage"))


def stacked_ufldl(n=None, solver="lbfgs"):
    d, max_iter = digits(), n or STACK_ITER

    def run():
        with stage_solver(solver):
            return fit_stack()

    def fit_stack():
        clf = ufldl.StackedAutoencoder(STACK_HIDDEN, rho=RHO, beta=BETA, weight_decay=LAMBDA,
                                       pretrain_max_iter=max_iter, softmax_weight_decay=LAMBDA,
                                       softmax_max_iter=max_iter, finetune_weight_decay="all",
                                       finetune_max_iter=max_iter, random_state=SEED).fit(d.X_train, d.y_train)
        outcome = network_outcome(clf.network_, clf.n_iter_,
                                  pretrain_n_iter=[int(ae.n_iter_) for ae in clf.autoencoders_])
        outcome.pretrained = (copies(clf.pretrained_network_.weights), copies(clf.pretrained_network_.biases))
        return outcome

    return run


@dataclass(frozen=True)
class Stage:
    """One L-BFGS stage of the stacked pipeline: its objective, as the arguments of ``reference_fun``."""

    sizes: tuple
    activations: tuple
    loss: str
    X: np.ndarray
    Y: np.ndarray
    weight_decay: object = LAMBDA
    sparsity_layers: tuple = ()

    def network(self):
        """The same objective as a ``ufldl.Network`` (for the agreement checks)."""
        sparsity = ufldl.KLSparsity(RHO, BETA, layers=self.sparsity_layers) if self.sparsity_layers else None
        return ufldl.Network(list(self.sizes), list(self.activations), self.loss, weight_decay=self.weight_decay,
                             sparsity=sparsity)


def autoencoder_stage(features, n_hidden):
    n = features.shape[1]
    return Stage((n, n_hidden, n), ("sigmoid", "sigmoid"), "squared", features, features, sparsity_layers=(1,))


def softmax_stage(features, labels):
    return Stage((features.shape[1], N_CLASSES), ("softmax",), "cross_entropy", features, labels)


def finetune_stage():
    d = digits()
    return Stage(STACK.sizes, STACK.activations, "cross_entropy", d.X_train, d.y_train, STACK.weight_decay)


def scipy_stage(stage, theta0, max_iter):
    """SciPy's L-BFGS-B on the reference: ``(theta, iterations, evaluations, message)``."""
    fun = reference_fun(stage.sizes, stage.activations, stage.loss, stage.X, stage.Y, stage.weight_decay,
                        sparsity_layers=stage.sparsity_layers, rho=RHO, beta=BETA)
    result = scipy_lbfgs(fun, theta0, max_iter)
    return result.x, int(result.nit), int(result.nfev), str(result.message)


def pytorch_cost(torch, stage):
    """The stage's objective written with torch tensors (benchmarks/pytorch_rows.py)."""
    X = torch.tensor(stage.X)  # float64 copies (the arrays may be read-only)
    Y = torch.tensor(stage.Y, dtype=torch.int64) if stage.loss == "cross_entropy" else X
    return pytorch_rows.objective(torch, stage.sizes, stage.activations, stage.loss, X, Y, stage.weight_decay,
                                  stage.sparsity_layers, RHO, BETA)


def pytorch_stage(stage, theta0, max_iter):
    """torch.optim.LBFGS on the stage's torch objective: the same tuple as ``scipy_stage``."""
    torch = import_torch()
    result = pytorch_rows.lbfgs(torch, pytorch_cost(torch, stage), theta0, max_iter, MAX_CORRECTIONS)
    return result.theta, result.n_iter, result.n_evals, result.message


def stacked_pipeline(solve, n=None):
    """The estimator's four stages with ``solve(stage, theta0, max_iter)`` for each and ``reference.forward``
    for the features, from ufldl's initial weights (drawn in the estimator's order from one generator)."""
    d, max_iter = digits(), n or STACK_ITER

    def run():
        rng = np.random.default_rng(SEED)  # drawn in the estimator's order: autoencoder 1, 2, the softmax layer
        features, weights, biases, iters, evals = d.X_train, [], [], [], []
        for n_hidden in STACK_HIDDEN:
            stage = autoencoder_stage(features, n_hidden)
            theta, nit, nfev, _ = solve(stage, pack(*reference.init_params(stage.sizes, rng)), max_iter)
            (W, _), (b, _) = unpack(theta, stage.sizes)
            weights.append(W)
            biases.append(b)
            iters.append(nit)
            evals.append(nfev)
            features = reference.forward([W], [b], ("sigmoid",), features)[-1]
        stage = softmax_stage(features, d.y_train)
        theta0 = pack(*reference.init_params(stage.sizes, rng))
        theta0 *= 0.005 / np.abs(theta0).max()  # small weights (max |W| = 0.005), as the estimator
        theta, nit, nfev, _ = solve(stage, theta0, max_iter)
        (W,), (b,) = unpack(theta, stage.sizes)
        iters.append(nit)
        evals.append(nfev)
        pretrained = (copies(weights + [W]), copies(biases + [b]))
        theta, nit, nfev, message = solve(finetune_stage(), pack(*pretrained), max_iter)
        outcome = Outcome(*unpack(theta, STACK.sizes), nit,
                          {"pretrain_n_iter": iters[:-1], "stage_n_iter": iters + [nit],
                           "stage_n_evals": evals + [nfev], "message": message})
        outcome.pretrained = pretrained
        return outcome

    return run


def stacked_scipy(n=None):
    return stacked_pipeline(scipy_stage, n)


def stacked_pytorch(n=None):
    import_torch()  # skips the row (before its untimed warm-up run) when torch is not installed
    return stacked_pipeline(pytorch_stage, n)


def pytorch_stage_agreement():
    """Max relative difference between the torch objectives of the three kinds of stage and ufldl's
    ``Network.cost_and_grad`` at their initial parameters on the training half (asserted <= 1e-10)."""
    torch, d, rng = import_torch(), digits(), np.random.default_rng(SEED)
    worst = 0.0
    for stage in (autoencoder_stage(d.X_train, STACK_HIDDEN[0]), softmax_stage(d.X_train, d.y_train),
                  finetune_stage()):
        theta = pack(*reference.init_params(stage.sizes, rng))
        got = pytorch_rows.cost_and_grad(torch, pytorch_cost(torch, stage), theta)
        want = stage.network().cost_and_grad(stage.X, stage.Y, theta)
        worst = max(worst, pytorch_rows.assert_matches_ufldl(f"pytorch stage {stage.sizes}", got, want))
    return worst


@contextlib.contextmanager
def stage_solver(solver):
    """The estimator's four L-BFGS stages run by ``solver`` ("lbfgsb": SciPy's L-BFGS-B on the core, the
    estimator as it was before the native L-BFGS)."""
    from ufldl.estimators import base, stacked  # noqa: PLC0415  (base: the autoencoders' fits)

    original = stacked.fit_network
    if solver != "lbfgs":
        def replaced(net, X, Y, _solver, *args, **kwargs):
            return original(net, X, Y, solver, *args, **kwargs)
        base.fit_network = stacked.fit_network = replaced
    try:
        yield
    finally:
        base.fit_network = stacked.fit_network = original


STACK_IMPLEMENTATIONS = {
    "ufldl": stacked_ufldl,
    "ufldl-lbfgsb": lambda n=None: stacked_ufldl(n, solver="lbfgsb"),
    "scipy+numpy-reference": stacked_scipy,
    pytorch_rows.ROW: stacked_pytorch,
}


@pytest.mark.parametrize("impl", list(STACK_IMPLEMENTATIONS))
def test_stacked_autoencoder(benchmark, impl):
    outcome = measure(benchmark, STACK_GROUP, impl, STACK_IMPLEMENTATIONS, STACK, layer_sizes=list(STACK.sizes),
                      rho=RHO, beta=BETA, max_iter_per_stage=STACK_ITER)
    pretrained_accuracy = STACK.test_accuracy(*outcome.pretrained)
    benchmark.extra_info.update(test_accuracy_pretrained=pretrained_accuracy,
                                train_cost_pretrained=STACK.train_cost(*outcome.pretrained))
    assert all(1 <= k <= STACK_ITER for k in outcome.info["pretrain_n_iter"] + [outcome.n_iter])
    if impl == pytorch_rows.ROW:
        difference = pytorch_stage_agreement()
        benchmark.extra_info["agreement_max_relative_difference"] = difference
    if impl == "scipy+numpy-reference":
        difference = stacked_difference(AGREE_ITER)
        benchmark.extra_info.update(agreement_iter=AGREE_ITER, agreement_max_abs_difference=difference)
        assert difference <= AGREE_ATOL, (
            f"after {AGREE_ITER} iterations per stage the SciPy pipeline's parameters differ from ufldl's by "
            f"{difference:.3g}")


def stacked_difference(n):
    """Max |difference| between the parameters of ufldl's estimator with SciPy's L-BFGS-B and the SciPy pipeline's,
    before and after fine-tuning, after short untimed runs (n iterations per stage): the same starts, objectives
    and solver."""
    ours, theirs = stacked_ufldl(n, solver="lbfgsb")(), stacked_scipy(n)()  # (both SciPy's L-BFGS-B)
    pairs = zip(ours.weights + ours.biases + ours.pretrained[0] + ours.pretrained[1],
                theirs.weights + theirs.biases + theirs.pretrained[0] + theirs.pretrained[1])
    return float(max(np.abs(a - b).max() for a, b in pairs))
