"""Benchmarks: the estimators' whole trainings on the 8x8 digits, against SciPy + NumPy, scikit-learn and PyTorch.

Data: m = 898 training and 899 test examples of ``ufldl.datasets.load_digits()``, float64; every row of a group
trains from scratch on the training half, 3 rounds of one whole training each (a few hundred ms to a few
seconds), after one untimed run with 1 iteration (or epoch). Every row's final parameters are evaluated with the
same oracle, ``ufldl.reference``: the training cost of the group's objective (``train_cost`` in ``extra_info``)
and the test accuracy (``test_accuracy``), which must be >= 0.9. lambda = 1e-4 throughout. The split, the
objective and the measurement are shared with ``bench_stacked.py`` (the stacked autoencoder) and described in
``benchmarks/estimator_rows.py``.

Group ``softmax regression digits m=898 (lambda 1e-4, L-BFGS 100 iterations)``, a 64-10 softmax layer with
intercepts, all parameters starting at 0:

``ufldl``
    ``ufldl.SoftmaxRegression(weight_decay=1e-4, max_iter=100).fit``: SciPy's L-BFGS-B on the compiled core,
    100 correction pairs, ``ftol=1e-9``, ``gtol=1e-5`` (its defaults), starting at 0 (as the estimator does).
``scipy+numpy-reference``
    ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` on ``ufldl.reference.cost_and_grad`` from 0, with
    ufldl's options (``maxiter=100, maxcor=100, ftol=1e-9, gtol=1e-5``): the same solver on plain NumPy. ufldl's
    final cost must be no higher than this row's times (1 + 1e-3).
``sklearn-LogisticRegression``
    ``LogisticRegression(C=1 / (lambda m), max_iter=100, tol=1e-12)`` (lbfgs, multinomial): the same objective
    (scikit-learn's scaled by C m). Its L-BFGS-B keeps SciPy's default 10 correction pairs, ``maxls=50`` and
    ``ftol=64 eps``; its ConvergenceWarning is silenced.

The problem is convex and small: the first two rows stop on the gradient test before the 100th iteration (71
iterations on this split), while scikit-learn, with ``tol`` near 0 and less memory, runs all 100 and ends a
little higher (``n_iter`` and ``train_cost`` in ``extra_info``).

Group ``MLP digits m=898 64-100-10 relu adam 200 epochs batch 200``: one relu hidden layer of 100, softmax
output, Adam (learning rate 1e-3, betas 0.9 and 0.999, epsilon 1e-8), batches of 200 (4 of 200 and one of 98 per
epoch), reshuffled every epoch, 200 epochs (1,000 updates) for every row: the stopping tests are switched off
(``n_iter_no_change=201``), and each row's epochs, examples seen and Adam steps are asserted (the steps from
the optimisers' own counters: ufldl's ``_optimizer.n_updates``, scikit-learn's ``_optimizer.t``).

``ufldl``
    ``ufldl.NeuralNetClassifier((100,), "relu", weight_decay=1e-4, solver="adam", max_iter=200, batch_size=200,
    learning_rate=1e-3, n_iter_no_change=201, random_state=0).fit``. Each batch's cost carries the whole
    ``(lambda / 2) sum ||W||^2``.
``sklearn-MLPClassifier``
    ``MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=lambda * 200,
    batch_size=200, learning_rate_init=1e-3, max_iter=200, n_iter_no_change=201, random_state=0)``.
    scikit-learn divides ``alpha`` by the batch's size, not by m, so ``alpha = lambda * batch_size`` gives the
    same decay on the full batches (the last one, of 98, gets about twice as much). Its own initial weights
    (Glorot's bound, random intercepts) and shuffles; its ConvergenceWarning is silenced.
``pytorch``
    A PyTorch loop on the CPU (float64, as many threads as ufldl's BLAS pool): ufldl's initial weights and
    the same shuffles (the same ``numpy.random.default_rng(0)`` stream), cross-entropy plus ``0.5 lambda
    ||W||^2`` per batch, ``loss.backward()``, ``torch.optim.Adam`` (which adds epsilon to ``sqrt(v_hat)``,
    where ufldl and scikit-learn add it to ``sqrt(v)``). Skipped when torch is not installed. Checked
    untimed: after 2 epochs its training cost is ufldl's to a relative 1e-4 (it follows ufldl's trajectory;
    with a negligible epsilon the two agree to rounding).

Group ``MLP digits m=898 64-100-10 relu L-BFGS 200 iterations``: the same network, full-batch L-BFGS:

``ufldl``
    ``ufldl.NeuralNetClassifier((100,), "relu", weight_decay=1e-4, solver="lbfgs", max_iter=200,
    random_state=0).fit``: 100 correction pairs, ``ftol=1e-9``, ``gtol=1e-5``.
``sklearn-MLPClassifier``
    ``MLPClassifier(..., solver="lbfgs", alpha=lambda * m, max_iter=200, max_fun=100000, tol=1e-5,
    random_state=0)``: the same objective (full batch, so ``alpha / m = lambda``; its reported ``loss_`` is
    checked against the reference cost), SciPy's L-BFGS-B with its default 10 correction pairs and ``ftol``, its
    own initial weights. Both rows run the 200 iterations here (``n_iter``; ufldl's ``n_evals`` too).

Run ``python -m pytest benchmarks/bench_estimators.py --benchmark-json=est.json`` and ``python
benchmarks/report.py est.json`` on a quiet machine (see benchmarks/README.md). To check this file quickly with
``--benchmark-disable``, ``UFLDL_BENCH_EST_ITER_SCALE=0.25`` runs a quarter of every iteration and epoch count
(the group names then carry the counts run; the accuracy threshold still applies; timings mean nothing).
"""

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

import ufldl
from benchmarks import pytorch_rows
from benchmarks.estimator_rows import (
    GTOL,
    LAMBDA,
    LAMBDA_TEXT,
    M_TRAIN,
    N_CLASSES,
    SEED,
    Classifier,
    Outcome,
    copies,
    digits,
    measure,
    network_outcome,
    outcome_of,
    scaled,
    scipy_lbfgs,
    silenced,
    sklearn_mlp_outcome,
    unpack,
)
from benchmarks.pytorch_rows import import_torch
from ufldl import reference

COST_RTOL = 1e-3  # ufldl's final cost may exceed SciPy's by at most this (relative)
AGREE_EPOCHS, AGREE_RTOL = 2, 1e-4  # torch's Adam loop against ufldl's, after a short untimed run

SOFTMAX_ITER = scaled(100)
HIDDEN, BATCH, LEARNING_RATE = 100, 200, 1e-3
ADAM_EPOCHS = scaled(200)
MLP_LBFGS_ITER = scaled(200)
MLP_MAX_FUN = 100_000


# ---------------------------------------------------------------------------------------------------------
# 1. Softmax regression, L-BFGS from 0
# ---------------------------------------------------------------------------------------------------------

SOFTMAX = Classifier((64, N_CLASSES), ("softmax",))
SOFTMAX_GROUP = f"softmax regression digits m={M_TRAIN} (lambda {LAMBDA_TEXT}, L-BFGS {SOFTMAX_ITER} iterations)"


def softmax_ufldl(n=None):
    d, max_iter = digits(), n or SOFTMAX_ITER

    def run():
        clf = ufldl.SoftmaxRegression(weight_decay=LAMBDA, max_iter=max_iter).fit(d.X_train, d.y_train)
        return network_outcome(clf.network_, clf.n_iter_, n_evals=clf.t_ // d.m, converged=clf.converged_)

    return run


def softmax_scipy(n=None):
    fun, theta0, max_iter = SOFTMAX.fun(), np.zeros(SOFTMAX.n_params), n or SOFTMAX_ITER

    def run():
        result = scipy_lbfgs(fun, theta0, max_iter)
        weights, biases = unpack(result.x, SOFTMAX.sizes)
        return Outcome(weights, biases, int(result.nit), {"n_evals": int(result.nfev), "message": result.message})

    return run


def softmax_sklearn(n=None):
    d, max_iter = digits(), n or SOFTMAX_ITER

    def run():
        clf = silenced(lambda: LogisticRegression(C=1.0 / (LAMBDA * d.m), max_iter=max_iter, tol=1e-12)
                       .fit(d.X_train, d.y_train))
        return Outcome(copies([clf.coef_]), copies([clf.intercept_]), int(clf.n_iter_[0]))

    return run


SOFTMAX_IMPLEMENTATIONS = {
    "ufldl": softmax_ufldl,
    "scipy+numpy-reference": softmax_scipy,
    "sklearn-LogisticRegression": softmax_sklearn,
}


@pytest.mark.parametrize("impl", list(SOFTMAX_IMPLEMENTATIONS))
def test_softmax_regression(benchmark, impl):
    outcome = measure(benchmark, SOFTMAX_GROUP, impl, SOFTMAX_IMPLEMENTATIONS, SOFTMAX,
                      max_iter=SOFTMAX_ITER, layer_sizes=list(SOFTMAX.sizes))
    assert outcome.n_iter <= SOFTMAX_ITER
    if impl == "scipy+numpy-reference":
        ours = outcome_of(SOFTMAX_GROUP, "ufldl", SOFTMAX_IMPLEMENTATIONS)
        ours_cost = SOFTMAX.train_cost(ours.weights, ours.biases)
        theirs = benchmark.extra_info["train_cost"]
        benchmark.extra_info["ufldl_train_cost"] = ours_cost
        assert ours_cost <= theirs * (1 + COST_RTOL), (
            f"ufldl's final cost {ours_cost:.8g} is above SciPy's {theirs:.8g} by more than {COST_RTOL:g}")


# ---------------------------------------------------------------------------------------------------------
# 2. and 3. A 64-100-10 relu network: Adam on mini-batches, and L-BFGS
# ---------------------------------------------------------------------------------------------------------

MLP = Classifier((64, HIDDEN, N_CLASSES), ("relu", "softmax"))
MLP_NAME = f"MLP digits m={M_TRAIN} {'-'.join(map(str, MLP.sizes))} relu"
ADAM_GROUP = f"{MLP_NAME} adam {ADAM_EPOCHS} epochs batch {BATCH}"
MLP_LBFGS_GROUP = f"{MLP_NAME} L-BFGS {MLP_LBFGS_ITER} iterations"


def batches_per_epoch(m):
    return math.ceil(m / BATCH)


def updates_made(clf, counter):
    """The estimator's count of Adam steps (private: ufldl's ``_optimizer.n_updates``, scikit-learn's
    ``_optimizer.t``), or None when this version keeps it elsewhere."""
    value = getattr(getattr(clf, "_optimizer", None), counter, None)
    return None if value is None else int(value)


def cost_after(build, n):
    """The training cost after a short untimed run of ``build(n)`` (n epochs)."""
    outcome = build(n)()
    return MLP.train_cost(outcome.weights, outcome.biases)


def mlp_adam_ufldl(n=None):
    d, epochs = digits(), n or ADAM_EPOCHS

    def run():
        clf = ufldl.NeuralNetClassifier((HIDDEN,), "relu", weight_decay=LAMBDA, solver="adam", max_iter=epochs,
                                        batch_size=BATCH, learning_rate=LEARNING_RATE, n_iter_no_change=epochs + 1,
                                        random_state=SEED).fit(d.X_train, d.y_train)
        return network_outcome(clf.network_, clf.n_iter_, examples_seen=clf.t_,
                               n_updates=updates_made(clf, "n_updates"), last_epoch_loss=clf.loss_curve_[-1])

    return run


def mlp_adam_sklearn(n=None):
    d, epochs = digits(), n or ADAM_EPOCHS

    def run():
        clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="adam", alpha=LAMBDA * BATCH,
                            batch_size=BATCH, learning_rate_init=LEARNING_RATE, max_iter=epochs,
                            n_iter_no_change=epochs + 1, random_state=SEED)
        clf = silenced(lambda: clf.fit(d.X_train, d.y_train))
        return sklearn_mlp_outcome(clf, examples_seen=int(clf.t_), n_updates=updates_made(clf, "t"),
                                   last_epoch_loss=float(clf.loss_curve_[-1]))

    return run


def mlp_adam_torch(n=None):
    torch = import_torch()
    d, epochs = digits(), n or ADAM_EPOCHS
    X, y = torch.tensor(d.X_train), torch.tensor(d.y_train)  # float64 and int64 copies
    m = d.m

    def loss_of(Ws, bs, rows):
        hidden = torch.relu(torch.addmm(bs[0], X[rows], Ws[0].T))
        logits = torch.addmm(bs[1], hidden, Ws[1].T)
        return (torch.nn.functional.cross_entropy(logits, y[rows])
                + 0.5 * LAMBDA * sum((W * W).sum() for W in Ws))

    def run():
        rng = np.random.default_rng(SEED)  # ufldl's stream: the initial weights, then one shuffle per epoch
        weights, biases = reference.init_params(MLP.sizes, rng)
        params = [torch.tensor(p, requires_grad=True) for p in weights + biases]
        Ws, bs = params[:2], params[2:]
        optimizer = torch.optim.Adam(params, lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
        updates, losses = 0, []
        for _ in range(epochs):
            order = torch.from_numpy(rng.permutation(m))
            total = 0.0
            for start in range(0, m, BATCH):
                rows = order[start:start + BATCH]
                optimizer.zero_grad()
                loss = loss_of(Ws, bs, rows)
                loss.backward()
                optimizer.step()
                total += loss.item() * rows.numel()
                updates += 1
            losses.append(total / m)
        return Outcome(copies(W.detach().numpy() for W in Ws), copies(b.detach().numpy() for b in bs), epochs,
                       {"examples_seen": epochs * m, "n_updates": updates, "last_epoch_loss": losses[-1]})

    return run


ADAM_IMPLEMENTATIONS = {
    "ufldl": mlp_adam_ufldl,
    "sklearn-MLPClassifier": mlp_adam_sklearn,
    pytorch_rows.ROW: mlp_adam_torch,
}


@pytest.mark.parametrize("impl", list(ADAM_IMPLEMENTATIONS))
def test_mlp_adam(benchmark, impl):
    outcome = measure(benchmark, ADAM_GROUP, impl, ADAM_IMPLEMENTATIONS, MLP, layer_sizes=list(MLP.sizes),
                      epochs=ADAM_EPOCHS, batch_size=BATCH, learning_rate=LEARNING_RATE)
    m = digits().m
    # Every row runs every epoch over every example, in batches of the same sizes: the same number of updates.
    assert outcome.n_iter == ADAM_EPOCHS, f"{impl}: {outcome.n_iter} epochs, not {ADAM_EPOCHS}"
    assert outcome.info["examples_seen"] == ADAM_EPOCHS * m, f"{impl}: {outcome.info['examples_seen']} examples"
    updates = outcome.info["n_updates"]
    assert updates is None or updates == ADAM_EPOCHS * batches_per_epoch(m), f"{impl}: {updates} updates"
    if impl == pytorch_rows.ROW:
        # Untimed: from ufldl's start, with ufldl's shuffles, the loop follows ufldl's training (only Adam's
        # epsilon sits elsewhere), so the costs after a few epochs agree closely.
        ours, theirs = cost_after(mlp_adam_ufldl, AGREE_EPOCHS), cost_after(mlp_adam_torch, AGREE_EPOCHS)
        benchmark.extra_info.update(agreement_epochs=AGREE_EPOCHS, agreement_costs=[ours, theirs])
        assert abs(theirs - ours) <= AGREE_RTOL * ours, (
            f"after {AGREE_EPOCHS} epochs the torch loop's cost {theirs:.10g} is not ufldl's {ours:.10g}")


def mlp_lbfgs_ufldl(n=None):
    d, max_iter = digits(), n or MLP_LBFGS_ITER

    def run():
        clf = ufldl.NeuralNetClassifier((HIDDEN,), "relu", weight_decay=LAMBDA, solver="lbfgs", max_iter=max_iter,
                                        random_state=SEED).fit(d.X_train, d.y_train)
        return network_outcome(clf.network_, clf.n_iter_, n_evals=clf.t_ // d.m, converged=clf.converged_)

    return run


def mlp_lbfgs_sklearn(n=None):
    d, max_iter = digits(), n or MLP_LBFGS_ITER

    def run():
        clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="lbfgs", alpha=LAMBDA * d.m,
                            max_iter=max_iter, max_fun=MLP_MAX_FUN, tol=GTOL, random_state=SEED)
        clf = silenced(lambda: clf.fit(d.X_train, d.y_train))
        return sklearn_mlp_outcome(clf, reported_loss=float(clf.loss_))

    return run


MLP_LBFGS_IMPLEMENTATIONS = {
    "ufldl": mlp_lbfgs_ufldl,
    "sklearn-MLPClassifier": mlp_lbfgs_sklearn,
}


@pytest.mark.parametrize("impl", list(MLP_LBFGS_IMPLEMENTATIONS))
def test_mlp_lbfgs(benchmark, impl):
    outcome = measure(benchmark, MLP_LBFGS_GROUP, impl, MLP_LBFGS_IMPLEMENTATIONS, MLP,
                      layer_sizes=list(MLP.sizes), max_iter=MLP_LBFGS_ITER)
    assert 1 <= outcome.n_iter <= MLP_LBFGS_ITER
    if "reported_loss" in outcome.info:  # scikit-learn's loss is the same objective (log-loss clipping aside)
        cost = benchmark.extra_info["train_cost"]
        assert abs(outcome.info["reported_loss"] - cost) <= 1e-6 * max(cost, 1e-3), (
            f"{impl} reports loss {outcome.info['reported_loss']}, the reference gives {cost}")
