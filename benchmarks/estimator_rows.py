"""What the estimator benchmarks share (``bench_estimators.py``, ``bench_stacked.py``): the digits, the
parameter layout, the oracle every row is judged by, SciPy's L-BFGS-B set up as ufldl's, and ``measure``.

Data: ``ufldl.datasets.load_digits()`` (1,797 images, pixels in [0, 1]), float64, split once in halves with
``train_test_split(test_size=0.5, random_state=0, stratify=y)``: m = 898 training and 899 test examples. Every
row of a group trains from scratch on the training half; one round is one whole training (a few hundred ms to a
few seconds), 3 rounds, no warm-up round (as ``bench_training.py``). Before its rounds, each benchmark runs its
training once untimed with 1 iteration (or epoch) per stage, which loads every library and touches the buffers.

Every row's final parameters are evaluated with the same oracle, ``ufldl.reference``: the training cost of the
group's objective, ``J = -(1/m) sum_i log p(y_i | x_i) + (lambda / 2) sum_l ||W_l||_F^2`` (biases not decayed,
not divided by m; the ``train_cost`` of ``extra_info``) and the test accuracy (``test_accuracy``), which must
be >= 0.9. Iterations, epochs and solver messages go into ``benchmark.extra_info`` too. lambda = 1e-4 throughout.

``UFLDL_BENCH_EST_ITER_SCALE`` (in (0, 1], default 1) scales every iteration and epoch count (:func:`scaled`),
to check the files quickly with ``--benchmark-disable``; the group names then carry the counts run.
"""

import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info

from benchmarks import pytorch_rows
from ufldl import datasets, reference

LAMBDA_TEXT = "1e-4"  # as the group names spell it
LAMBDA = float(LAMBDA_TEXT)
ROUNDS = 3
SEED = 0
MAX_CORRECTIONS = 100  # ufldl's L-BFGS memory (the tutorial's minFunc)
FTOL, GTOL = 1e-9, 1e-5  # ufldl.minimize's defaults, which the estimators use; given to SciPy too
MIN_ACCURACY = 0.9
WARM_ITER = 1  # iterations (or epochs) per stage of the untimed run before the rounds

SCALE = float(os.environ.get("UFLDL_BENCH_EST_ITER_SCALE", "1"))
if not 0 < SCALE <= 1:
    raise ValueError(f"UFLDL_BENCH_EST_ITER_SCALE must be a number in (0, 1]; got {SCALE}")


def scaled(n):
    return max(1, round(n * SCALE))


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


def reference_fun(sizes, activations, loss, X, Y, weight_decay, **sparsity):
    """``theta -> (cost, grad)`` with ``ufldl.reference.cost_and_grad``, in ufldl's flat layout; ``sparsity``:
    its ``sparsity_layers``, ``rho`` and ``beta``, if any."""

    def fun(theta):
        weights, biases = unpack(theta, sizes)
        cost, grad_w, grad_b, _ = reference.cost_and_grad(weights, biases, X, Y, activations, loss, weight_decay,
                                                          **sparsity)
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
    if impl == pytorch_rows.ROW:
        benchmark.extra_info["torch"] = pytorch_rows.torch_info()
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
