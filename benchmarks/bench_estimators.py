"""Benchmarks: the estimators' whole trainings on the 8x8 digits, against SciPy + NumPy, scikit-learn and PyTorch.

Data: ``ufldl.datasets.load_digits()`` (1,797 images, pixels in [0, 1]), float64, split once in halves with
``train_test_split(test_size=0.5, random_state=0, stratify=y)``: m = 898 training and 899 test examples. Every
row of a group trains from scratch on the training half; one round is one whole training (a few hundred ms to a
few seconds), 3 rounds, no warm-up round (as ``bench_training.py``). Before its rounds, each benchmark runs its
training once untimed with 1 iteration (or epoch) per stage, which loads every library and touches the buffers.

Every row's final parameters are evaluated with the same oracle, ``ufldl.reference``: the training cost of the
group's objective, ``J = -(1/m) sum_i log p(y_i | x_i) + (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed,
not divided by m; the ``train_cost`` of ``extra_info``) and the test accuracy (``test_accuracy``), which must
be >= 0.9. Iterations, epochs and solver messages go into ``benchmark.extra_info`` too. lambda = 1e-4 throughout.

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
``torch-eager``
    A PyTorch loop on the CPU (2 threads, float64): ufldl's initial weights and the same shuffles (the same
    ``numpy.random.default_rng(0)`` stream), cross-entropy plus ``0.5 lambda ||W||^2`` per batch,
    ``loss.backward()``, ``torch.optim.Adam`` (which adds epsilon to ``sqrt(v_hat)``, where ufldl and
    scikit-learn add it to ``sqrt(v)``). Skipped when torch is not installed. Checked untimed: after 2 epochs
    its training cost is ufldl's to a relative 1e-4 (it follows ufldl's trajectory; with a negligible epsilon
    the two agree to rounding).

Group ``MLP digits m=898 64-100-10 relu L-BFGS 200 iterations``: the same network, full-batch L-BFGS:

``ufldl``
    ``ufldl.NeuralNetClassifier((100,), "relu", weight_decay=1e-4, solver="lbfgs", max_iter=200,
    random_state=0).fit``: 100 correction pairs, ``ftol=1e-9``, ``gtol=1e-5``.
``sklearn-MLPClassifier``
    ``MLPClassifier(..., solver="lbfgs", alpha=lambda * m, max_iter=200, max_fun=100000, tol=1e-5,
    random_state=0)``: the same objective (full batch, so ``alpha / m = lambda``; its reported ``loss_`` is
    checked against the reference cost), SciPy's L-BFGS-B with its default 10 correction pairs and ``ftol``, its
    own initial weights. Both rows run the 200 iterations here (``n_iter``; ufldl's ``n_evals`` too).

Group ``stacked autoencoder digits m=898 64-32-16-10`` (``UFLDL_BENCH_STACK_HIDDEN=200,200``: the exercise's
64-200-200-10), the tutorial's deep network: sparse autoencoders
64-32-64 on X and 32-16-32 on the first one's features (sigmoid, rho 0.1, beta 3, lambda 1e-4), a softmax
layer on the 16 features (lambda 1e-4, initial weights scaled to max |W| = 0.005), then fine-tuning of the whole
64-32-16-10 network (decay 1e-4 on every layer); 400 L-BFGS iterations (at most) for each of the four stages:

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
    iterations per stage it holds the parameters of ``ufldl-lbfgsb`` (the same solver; to 1e-8). The stages are not convex, and over
    400 iterations rounding differences grow until the runs reach different minima: after the whole training
    only the accuracies are asserted.

For both rows of the last group ``extra_info`` holds the test accuracy before fine-tuning
(``test_accuracy_pretrained``) and after (``test_accuracy``), and the iterations of the autoencoders
(``pretrain_n_iter``) and of fine-tuning (``n_iter``).

Run ``python -m pytest benchmarks/bench_estimators.py --benchmark-json=est.json`` and ``python
benchmarks/report.py est.json`` on a quiet machine (see benchmarks/README.md). To check this file quickly with
``--benchmark-disable``, ``UFLDL_BENCH_EST_ITER_SCALE=0.25`` runs a quarter of every iteration and epoch count
(the group names then carry the counts run; the accuracy threshold still applies; timings mean nothing).
"""

import contextlib
import math
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pytest
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info

import ufldl
from ufldl import datasets, reference

LAMBDA_TEXT = "1e-4"  # as the group names spell it
LAMBDA = float(LAMBDA_TEXT)
ROUNDS = 3
SEED = 0
MAX_CORRECTIONS = 100  # ufldl's L-BFGS memory (the tutorial's minFunc)
FTOL, GTOL = 1e-9, 1e-5  # ufldl.minimize's defaults, which the estimators use; given to SciPy too
TORCH_THREADS = 2
MIN_ACCURACY = 0.9
COST_RTOL = 1e-3  # ufldl's final cost may exceed SciPy's by at most this (relative)
WARM_ITER = 1  # iterations (or epochs) per stage of the untimed run before the rounds
AGREE_EPOCHS, AGREE_RTOL = 2, 1e-4  # torch's Adam loop against ufldl's, after a short untimed run
AGREE_ITER, AGREE_ATOL = 10, 1e-8  # the SciPy stacked pipeline against ufldl's, parameters after a short run

SCALE = float(os.environ.get("UFLDL_BENCH_EST_ITER_SCALE", "1"))
if not 0 < SCALE <= 1:
    raise ValueError(f"UFLDL_BENCH_EST_ITER_SCALE must be a number in (0, 1]; got {SCALE}")


def scaled(n):
    return max(1, round(n * SCALE))


SOFTMAX_ITER = scaled(100)
HIDDEN, BATCH, LEARNING_RATE = 100, 200, 1e-3
ADAM_EPOCHS = scaled(200)
MLP_LBFGS_ITER = scaled(200)
MLP_MAX_FUN = 100_000
# UFLDL_BENCH_STACK_HIDDEN="200,200": the tutorial's stacked-autoencoder exercise's hidden sizes (minutes).
STACK_HIDDEN = tuple(int(h) for h in os.environ.get("UFLDL_BENCH_STACK_HIDDEN", "32,16").split(","))
RHO, BETA = 0.1, 3.0
STACK_ITER = scaled(400)

LOAD_AT_START = os.getloadavg()


# ---------------------------------------------------------------------------------------------------------
# Data, parameter layout and the oracle
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digits:
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    @property
    def m(self):
        return self.X_train.shape[0]


@lru_cache(maxsize=None)
def digits():
    X, y = datasets.load_digits()
    parts = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    for part in parts:
        part.flags.writeable = False
    return Digits(*parts)


M_TRAIN = digits().m
N_CLASSES = int(digits().y_train.max()) + 1


def pack(weights, biases):
    """theta in ``ufldl.Network``'s layout, ``[W_1, ..., W_L, b_1, ..., b_L]``, each W row-major."""
    return np.concatenate([np.ravel(p) for p in list(weights) + list(biases)])


def unpack(theta, sizes):
    """Views ``([W_1, ..., W_L], [b_1, ..., b_L])`` of theta, ``W_l`` of shape (n_l, n_{l-1})."""
    weights, biases, start = [], [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(theta[start:start + n_in * n_out].reshape(n_out, n_in))
        start += n_in * n_out
    for n_out in sizes[1:]:
        biases.append(theta[start:start + n_out])
        start += n_out
    assert start == theta.size, f"theta has {theta.size} parameters, layers {sizes} need {start}"
    return weights, biases


def reference_fun(sizes, activations, loss, X, Y, weight_decay, sparsity_layers=(), rho=RHO, beta=BETA):
    """``theta -> (cost, grad)`` with ``ufldl.reference.cost_and_grad``, in ufldl's flat layout."""

    def fun(theta):
        weights, biases = unpack(theta, sizes)
        cost, grad_w, grad_b, _ = reference.cost_and_grad(weights, biases, X, Y, activations, loss, weight_decay,
                                                          sparsity_layers, rho, beta)
        return cost, pack(grad_w, grad_b)

    return fun


def scipy_lbfgs(fun, theta0, max_iter):
    """SciPy's L-BFGS-B with the options ufldl.minimize gives it (ufldl's maxfun cap is never reached here)."""
    return scipy.optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B",
                                   options={"maxiter": max_iter, "maxcor": MAX_CORRECTIONS, "ftol": FTOL,
                                            "gtol": GTOL})


@dataclass(frozen=True)
class Classifier:
    """A softmax network and the objective every row of a group is judged by."""

    sizes: tuple
    activations: tuple
    weight_decay: object = LAMBDA  # one lambda, or one per weight layer

    @property
    def n_params(self):
        return sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def fun(self):
        d = digits()
        return reference_fun(self.sizes, self.activations, "cross_entropy", d.X_train, d.y_train,
                             self.weight_decay)

    def train_cost(self, weights, biases):
        d = digits()
        return reference.cost_and_grad(weights, biases, d.X_train, d.y_train, self.activations, "cross_entropy",
                                       self.weight_decay)[0]

    def test_accuracy(self, weights, biases):
        d = digits()
        probabilities = reference.forward(weights, biases, self.activations, d.X_test)[-1]
        return float(np.mean(np.argmax(probabilities, axis=1) == d.y_test))


@dataclass
class Outcome:
    """One training's final parameters (``ufldl.Network``'s orientation) and its counters."""

    weights: list
    biases: list
    n_iter: int  # iterations (full batch) or epochs
    info: dict = field(default_factory=dict)
    pretrained: tuple = None  # (weights, biases) before fine-tuning, for the stacked autoencoder


def copies(arrays):
    return [np.array(a, dtype=np.float64) for a in arrays]


def network_outcome(net, n_iter, **info):
    return Outcome(copies(net.weights), copies(net.biases), int(n_iter), info)


def sklearn_mlp_outcome(clf, **info):
    """scikit-learn's ``coefs_`` are (n_in, n_out): transposed into ufldl's orientation."""
    return Outcome(copies(W.T for W in clf.coefs_), copies(clf.intercepts_), int(clf.n_iter_), info)


def pools():
    return [{k: pool.get(k) for k in ("internal_api", "num_threads", "version", "architecture", "filepath")}
            for pool in threadpool_info()]


def import_torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(TORCH_THREADS)
    return torch


OUTCOMES = {}  # (group, implementation) -> the Outcome of its last round


def measure(benchmark, group, impl, implementations, problem, **info):
    """Time ``implementations[impl](n)()`` (one whole training) and evaluate its outcome, untimed."""
    benchmark.group = group
    d = digits()
    benchmark.extra_info.update(implementation=impl, dtype="float64", m_train=d.m, m_test=d.X_test.shape[0],
                                weight_decay=LAMBDA, loadavg_at_start=LOAD_AT_START, **info)
    build = implementations[impl]
    build(WARM_ITER)()  # untimed: loads every library, touches the buffers, wakes the thread pools
    benchmark.extra_info["pools"] = pools()
    if impl.startswith("torch"):
        import torch

        benchmark.extra_info["torch"] = {"version": torch.__version__, "num_threads": torch.get_num_threads(),
                                         "mkl": torch.backends.mkl.is_available()}
    outcome = benchmark.pedantic(build(None), rounds=ROUNDS, iterations=1, warmup_rounds=0)
    OUTCOMES[group, impl] = outcome
    evaluate(benchmark, impl, problem, outcome)
    return outcome


def evaluate(benchmark, impl, problem, outcome):
    params = outcome.weights + outcome.biases
    assert all(np.all(np.isfinite(p)) for p in params), f"{impl}: non-finite parameters"
    cost = problem.train_cost(outcome.weights, outcome.biases)
    accuracy = problem.test_accuracy(outcome.weights, outcome.biases)
    benchmark.extra_info.update(train_cost=cost, test_accuracy=accuracy, n_iter=outcome.n_iter, **outcome.info)
    assert accuracy >= MIN_ACCURACY, f"{impl}: test accuracy {accuracy:.4f} < {MIN_ACCURACY}"
    return cost, accuracy


def outcome_of(group, impl, implementations):
    """An implementation's outcome: from its benchmark if it ran in this session, else one untimed training."""
    if (group, impl) not in OUTCOMES:
        OUTCOMES[group, impl] = implementations[impl](None)()
    return OUTCOMES[group, impl]


def silenced(fit):
    """Run ``fit()`` with scikit-learn's ConvergenceWarning ignored (max_iter is the intended stop)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


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
    "torch-eager": mlp_adam_torch,
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
    if impl == "torch-eager":
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


# ---------------------------------------------------------------------------------------------------------
# 4. Stacked autoencoder: two sparse autoencoders, a softmax layer, fine-tuning
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


def pretrain_autoencoder(features, n_hidden, rng, max_iter):
    """One sparse autoencoder with SciPy and the reference: returns the encoder (W, b) and the iterations."""
    n = features.shape[1]
    sizes = (n, n_hidden, n)
    weights, biases = reference.init_params(sizes, rng)
    fun = reference_fun(sizes, ("sigmoid", "sigmoid"), "squared", features, features, LAMBDA, (1,), RHO, BETA)
    result = scipy_lbfgs(fun, pack(weights, biases), max_iter)
    weights, biases = unpack(result.x, sizes)
    return weights[0], biases[0], int(result.nit)


def train_softmax_layer(features, labels, rng, max_iter):
    """The softmax layer on the last features, from small weights (max |W| = 0.005, as the estimator)."""
    sizes = (features.shape[1], N_CLASSES)
    theta0 = pack(*reference.init_params(sizes, rng))
    theta0 *= 0.005 / np.abs(theta0).max()
    fun = reference_fun(sizes, ("softmax",), "cross_entropy", features, labels, LAMBDA)
    weights, biases = unpack(scipy_lbfgs(fun, theta0, max_iter).x, sizes)
    return weights[0], biases[0]


def stacked_scipy(n=None):
    d, max_iter = digits(), n or STACK_ITER
    finetune = STACK.fun()

    def run():
        rng = np.random.default_rng(SEED)  # drawn in the estimator's order: autoencoder 1, 2, the softmax layer
        features, weights, biases, pretrain_iter = d.X_train, [], [], []
        for n_hidden in STACK_HIDDEN:
            W, b, nit = pretrain_autoencoder(features, n_hidden, rng, max_iter)
            weights.append(W)
            biases.append(b)
            pretrain_iter.append(nit)
            features = reference.forward([W], [b], ("sigmoid",), features)[-1]
        W, b = train_softmax_layer(features, d.y_train, rng, max_iter)
        pretrained = (copies(weights + [W]), copies(biases + [b]))
        result = scipy_lbfgs(finetune, pack(*pretrained), max_iter)
        outcome = Outcome(*unpack(result.x, STACK.sizes), int(result.nit),
                          {"pretrain_n_iter": pretrain_iter, "message": result.message})
        outcome.pretrained = pretrained
        return outcome

    return run


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
}


@pytest.mark.parametrize("impl", list(STACK_IMPLEMENTATIONS))
def test_stacked_autoencoder(benchmark, impl):
    outcome = measure(benchmark, STACK_GROUP, impl, STACK_IMPLEMENTATIONS, STACK, layer_sizes=list(STACK.sizes),
                      rho=RHO, beta=BETA, max_iter_per_stage=STACK_ITER)
    pretrained_accuracy = STACK.test_accuracy(*outcome.pretrained)
    benchmark.extra_info.update(test_accuracy_pretrained=pretrained_accuracy,
                                train_cost_pretrained=STACK.train_cost(*outcome.pretrained))
    assert all(1 <= k <= STACK_ITER for k in outcome.info["pretrain_n_iter"] + [outcome.n_iter])
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
