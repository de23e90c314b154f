"""Mini-batch training of a :class:`ufldl.Network`: SGD (with momentum or Nesterov) and Adam.

The epochs run in the compiled core: for every batch it gathers the rows, computes the cost and gradient
and applies the optimiser's update in one fused pass over ``theta`` and the optimiser's state, all without
the GIL. Python only shuffles (``numpy.random.Generator.permutation``, so a seed gives the same batches as a
NumPy loop would), and regains control between runs of batches for callbacks, early stopping, progress
and Ctrl-C.

Use
---
>>> import numpy as np, ufldl
>>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(500, 16))
>>> net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), seed=0)
>>> result = ufldl.train_minibatch(net, X, X, ufldl.Adam(learning_rate=0.01), batch_size=50, max_epochs=20,
...                                random_state=0)
>>> result.n_iter, len(result.loss_curve), result.n_updates
(20, 20, 200)
>>> bool(result.loss_curve[-1] < result.loss_curve[0])
True

The optimiser object keeps its state (velocity or Adam's moments, the step count, the learning rate of the
schedule, the running rho_hat): calling ``train_minibatch`` again with the same optimiser continues exactly
where the last call stopped, as ``partial_fit`` does.
"""

import contextlib
import math
import numbers
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
from ufldl._lib.threads import isolated_blas
from ufldl._lib.validation import first_non_finite, flag, integer, random_generator, real_scalar, require_finite
from ufldl.network import Network
from ufldl.optimize import OptimizeResult

__all__ = ["SCHEDULES", "SGD", "Adam", "MinibatchResult", "train_minibatch"]

#: Learning-rate schedules (see :class:`SGD`).
SCHEDULES = ("constant", "invscaling", "adaptive")

# "adaptive" stops when the learning rate falls to this (scikit-learn's MLP does the same).
_ADAPTIVE_FLOOR = 1e-6
# Python regains control after runs of batches that take about this long (Ctrl-C, progress).
_CHUNK_SECONDS = 0.1


# ----------------------------------------------------------------------------------------------- optimisers


class MinibatchOptimizer:
    """What SGD and Adam share: the hyperparameters, the schedule and the state between calls."""

    name = None

    def __init__(self, learning_rate, schedule, power_t):
        self.learning_rate = real_scalar(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}")
        self.schedule = schedule
        self.power_t = real_scalar(power_t, "power_t", low=0.0)
        self.reset()

    def reset(self):
        """Forget the state: the next training starts from zero velocity / moments and step 0."""
        self.state1 = None  # sgd: velocity; adam: first moment
        self.state2 = None  # adam: second moment (sgd: unused)
        self.step = np.zeros(1, dtype=np.int64)  # updates made so far (an array: the core updates it in place)
        self.samples_seen = 0
        self.current_learning_rate = self.learning_rate
        self.running_rho_hat = None  # float64, n_1 + ... + n_L entries, when a moving average is used
        return self

    @property
    def n_updates(self):
        """int: the number of updates made since the last reset."""
        return int(self.step[0])

    def _bind(self, net):
        """Allocate (or check) the state for ``net``'s parameter vector."""
        if self.state1 is None:
            self.state1 = np.zeros(net.n_params, dtype=net.dtype)
            self.state2 = np.zeros(net.n_params, dtype=net.dtype)  # adam's second moment; unused by sgd
            return
        if self.state1.shape != (net.n_params,) or self.state1.dtype != net.dtype:
            raise ValueError(
                f"optimizer holds state for {self.state1.size} {self.state1.dtype} parameters; the network has "
                f"{net.n_params} {net.dtype} parameters (call optimizer.reset() to train another network)"
            )

    def _end_epoch(self):
        """Advance the schedule after an epoch (scikit-learn's MLP does the same, counting samples seen)."""
        if self.schedule == "invscaling":
            self.current_learning_rate = self.learning_rate / (self.samples_seen + 1) ** self.power_t

    def _reduce_on_plateau(self):
        """"adaptive": divide the learning rate by 5; returns False when it has already reached the floor."""
        if self.current_learning_rate <= _ADAPTIVE_FLOOR:
            return False
        self.current_learning_rate /= 5.0
        return True

    def _update_args(self):
        raise NotImplementedError

    def state_dict(self):
        """The state as plain values and arrays (for saving; see ``load_state_dict``)."""
        arrays = {}
        if self.state1 is not None:
            arrays["state1"], arrays["state2"] = self.state1, self.state2
        if self.running_rho_hat is not None:
            arrays["running_rho_hat"] = self.running_rho_hat
        meta = {"step": self.n_updates, "samples_seen": int(self.samples_seen),
                "current_learning_rate": float(self.current_learning_rate)}
        return meta, arrays

    def load_state_dict(self, meta, arrays):
        """Restore what ``state_dict`` returned."""
        self.reset()
        self.step[0] = int(meta["step"])
        self.samples_seen = int(meta["samples_seen"])
        self.current_learning_rate = float(meta["current_learning_rate"])
        if "state1" in arrays:
            self.state1 = np.array(arrays["state1"], order="C")
            self.state2 = np.array(arrays["state2"], order="C")
        if "running_rho_hat" in arrays:
            self.running_rho_hat = np.array(arrays["running_rho_hat"], dtype=np.float64, order="C")
        return self


class SGD(MinibatchOptimizer):
    """Stochastic gradient descent with momentum (optionally Nesterov's), as scikit-learn's MLP defines it.

    With velocity v (zero at the start), for each batch gradient g::

        v <- momentum * v - lr * g
        theta <- theta + v                          (nesterov=False)
        theta <- theta + momentum * v - lr * g      (nesterov=True)

    ``momentum=0`` is plain mini-batch gradient descent, ``theta <- theta - lr * g``.

    Parameters
    ----------
    learning_rate : float, default 0.01
        The initial step size lr, > 0.
    momentum : float, default 0.9
        In [0, 1).
    nesterov : bool, default True
        Nesterov's momentum.
    schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        How lr changes between epochs (it is constant within one): ``"constant"`` keeps it;
        ``"invscaling"`` sets it to ``learning_rate / (t + 1) ** power_t`` after each epoch, t the number of
        training examples seen so far; ``"adaptive"`` keeps it while the loss improves and divides it by 5
        each time ``n_iter_no_change`` epochs in a row fail to improve by ``tol``, stopping once it is
        <= 1e-6. These are scikit-learn's MLP schedules.
    power_t : float, default 0.5
        The exponent of ``"invscaling"``, >= 0.

    Attributes
    ----------
    current_learning_rate : float
        The rate the next epoch uses.
    n_updates : int
        Updates made since the last ``reset()``.
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=True, schedule="constant", power_t=0.5):
        self.momentum = real_scalar(momentum, "momentum", low=0.0, high=1.0, high_inclusive=False)
        self.nesterov = flag(nesterov, "nesterov")
        super().__init__(learning_rate, schedule, power_t)

    def _update_args(self):
        return (self.current_learning_rate, self.momentum, self.nesterov, 0.9, 0.999, 1e-8)

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}, "
                f"nesterov={self.nesterov!r}, schedule={self.schedule!r}, power_t={self.power_t!r})")


class Adam(MinibatchOptimizer):
    """Adam (Kingma and Ba), as scikit-learn's MLP defines it.

    For step t = 1, 2, ... and batch gradient g::

        m1 <- beta_1 m1 + (1 - beta_1) g;   m2 <- beta_2 m2 + (1 - beta_2) g^2
        theta <- theta - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m1 / (sqrt(m2) + epsilon)

    Parameters
    ----------
    learning_rate : float, default 0.001
        > 0.
    beta_1, beta_2 : float, default 0.9 and 0.999
        Decay rates of the moment estimates, each in [0, 1).
    epsilon : float, default 1e-8
        > 0.
    schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        As for :class:`SGD` (scikit-learn's Adam has only ``"constant"``).
    power_t : float, default 0.5
        The exponent of ``"invscaling"``.
    """

    name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule="constant",
                 power_t=0.5):
        self.beta_1 = real_scalar(beta_1, "beta_1", low=0.0, high=1.0, high_inclusive=False)
        self.beta_2 = real_scalar(beta_2, "beta_2", low=0.0, high=1.0, high_inclusive=False)
        self.epsilon = real_scalar(epsilon, "epsilon", low=0.0, low_inclusive=False)
        super().__init__(learning_rate, schedule, power_t)

    def _update_args(self):
        return (self.current_learning_rate, 0.0, False, self.beta_1, self.beta_2, self.epsilon)

    def __repr__(self):
        return (f"Adam(learning_rate={self.learning_rate!r}, beta_1={self.beta_1!r}, beta_2={self.beta_2!r}, "
                f"epsilon={self.epsilon!r}, schedule={self.schedule!r}, power_t={self.power_t!r})")


_OPTIMIZERS = {"sgd": SGD, "adam": Adam}


# ----------------------------------------------------------------------------------------------- result


@dataclass(repr=False)
class MinibatchResult(OptimizeResult):
    """The outcome of :func:`train_minibatch`: an :class:`ufldl.OptimizeResult` whose iterations are epochs.

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        A copy of the parameters left in the network (with early stopping, the best validated ones), in the
        network's dtype.
    cost : float
        The last epoch's training loss (``loss_curve[-1]``; NaN if no epoch finished).
    n_iter : int
        Epochs completed.
    n_evals : int
        Batch evaluations made (each followed by an update, except a non-finite one).
    loss_curve : list of float
        The training loss of each epoch: the mean of its batch costs weighted by the batches' sizes (the cost
        of each batch includes the weight-decay and sparsity terms).
    n_updates : int
        Updates made in this call.
    batch_loss_curve : ndarray, float64
        The cost of every batch evaluated in this call, in order.
    validation_scores : list of float or None
        The validation score after each epoch (higher is better), with early stopping or validation data.
    best_iteration : int or None
        The epoch of the best validation score (its parameters are the ones kept with early stopping).
    learning_rates : list of float
        The learning rate each epoch used.
    method : str
        ``"sgd"`` or ``"adam"``.
    """

    n_updates: int = 0
    batch_loss_curve: np.ndarray = field(default_factory=lambda: np.empty(0))
    validation_scores: list | None = None
    best_iteration: int | None = None
    learning_rates: list = field(default_factory=list)

    def __repr__(self):
        return (f"MinibatchResult(method={self.method!r}, cost={self.cost!r}, n_iter={self.n_iter}, "
                f"n_updates={self.n_updates}, converged={self.converged}, interrupted={self.interrupted}, "
                f"seconds={self.seconds:.3f}, message={self.message!r}, theta=<{self.theta.size} {self.theta.dtype}>)")


# ----------------------------------------------------------------------------------------------- one run


class _Run:
    """One call of train_minibatch: the data, the counters, the history; the compiled calls."""

    def __init__(self, net, X, Y, optimizer, batch_size, rho_hat_decay, verbose):
        self.net, self.X, self.Y, self.opt = net, X, Y, optimizer
        self.batch_size = batch_size
        self.rho_hat_decay = rho_hat_decay
        self.verbose = verbose
        self.n_epochs = 0
        self.n_evals = 0
        self.updates_at_start = optimizer.n_updates
        self.loss_curve, self.learning_rates, self.batch_costs = [], [], []
        self.validation_scores = None
        self.best = None  # (score, epoch, theta copy) with validation
        self.start = time.perf_counter()
        # Batches per call into the core: grown until a call takes about _CHUNK_SECONDS; kept in the
        # optimiser so that a run of one epoch at a time (partial_fit) does not start from 1 each time.
        self.batches_per_call = getattr(optimizer, "_batches_per_call", 1)
        self.partial = None  # batches of the epoch under way whose costs are recorded

    def elapsed(self):
        return time.perf_counter() - self.start

    def say(self, text):
        print(text, file=sys.stdout, flush=True)

    def epoch(self, order):
        """One epoch over the rows ``order``: returns its loss. Raises NonFiniteError."""
        b = self.batch_size
        n_batches = -(-order.size // b)
        costs = np.full(n_batches, np.nan)
        self.batch_costs.append(costs)  # filled in place: an interrupted epoch keeps what it did
        start = self._snapshot()  # to replay the epoch up to an overflow, should one happen
        done = self.partial = 0
        while done < n_batches:
            k = min(self.batches_per_call, n_batches - done)
            tick = time.perf_counter()
            self.run_batches(order, done, k, costs, start)
            seconds = time.perf_counter() - tick
            if seconds < _CHUNK_SECONDS / 2 and k == self.batches_per_call:
                self.batches_per_call *= 2
            elif seconds > 2 * _CHUNK_SECONDS and self.batches_per_call > 1:
                self.batches_per_call //= 2
            self.opt._batches_per_call = self.batches_per_call
            done += k
            self.partial = done
        self.partial = None
        sizes = np.full(n_batches, b, dtype=np.float64)
        sizes[-1] = order.size - b * (n_batches - 1)
        self.opt.samples_seen += order.size
        return float(costs @ sizes / order.size)

    def run_batches(self, order, first, count, costs, start):
        """Batches first .. first + count - 1 of the epoch in one call into the core."""
        b = self.batch_size
        updates = self._call(order[first * b:(first + count) * b], costs[first:first + count])
        if not self._state_is_finite():
            # An update overflowed (a finite gradient, an infinite step) or the optimiser's state did. The
            # core is deterministic: go back to the start of the epoch, redo the batches before this run in
            # one call, then this run's one at a time, to keep the parameters before the overflowing update.
            self._restore(start)
            costs[first:first + count] = np.nan
            if first:
                self._call(order[:first * b], costs[:first])
            for i in range(first, first + count):
                before = self._snapshot()
                if self._call(order[i * b:(i + 1) * b], costs[i:i + 1]) == 0:
                    self._non_finite(costs[i], i, "the cost or gradient")
                if not self._state_is_finite():
                    self._restore(before)
                    self._non_finite(costs[i], i, "the update (the parameters or the optimiser's state "
                                     "overflowed)")
            return  # (a replay that did not overflow, as with a different number of threads, carries on)
        if updates < count:
            self._non_finite(costs[first + updates], first + updates, "the cost or gradient")

    def _snapshot(self):
        opt = self.opt
        return (self.net.theta.copy(), opt.state1.copy(), opt.state2.copy(), opt.step.copy(),
                None if opt.running_rho_hat is None else opt.running_rho_hat.copy())

    def _call(self, rows, costs):
        opt = self.opt
        lr, momentum, nesterov, beta1, beta2, eps = opt._update_args()
        update = dict(rule=opt.name, learning_rate=lr, momentum=momentum, nesterov=nesterov, beta1=beta1,
                      beta2=beta2, epsilon=eps)
        running = opt.running_rho_hat if self.rho_hat_decay is not None else None
        updates = self.net.minibatch_updates(self.X, self.Y, rows, self.batch_size, update, (opt.state1, opt.state2),
                                             opt.step, costs, running_rho_hat=running,
                                             rho_hat_decay=self.rho_hat_decay or 0.0)
        self.n_evals += updates + (updates < costs.size)  # a non-finite batch was evaluated too
        return updates

    def _state_is_finite(self):
        opt = self.opt
        return all(first_non_finite(a) is None for a in (self.net.theta, opt.state1, opt.state2))

    def _restore(self, saved):
        theta, s1, s2, step, running = saved
        opt = self.opt
        np.copyto(self.net.theta, theta)
        np.copyto(opt.state1, s1)
        np.copyto(opt.state2, s2)
        np.copyto(opt.step, step)
        if running is not None:
            np.copyto(opt.running_rho_hat, running)

    def _non_finite(self, cost, batch, what):
        epoch = self.n_epochs + 1
        self.partial = batch + 1
        update = self.opt.n_updates - self.updates_at_start + 1
        message = (f"{self.opt.name}: non-finite {what} in epoch {epoch}, batch {batch + 1} (update {update} of "
                   f"this run; batch cost {cost}); training stopped and the last finite parameters (before that "
                   "update) are kept in the network and in the exception's .result")
        if self.verbose:
            self.say(message)
        raise NonFiniteError(message, self.result(message), epoch)

    def result(self, message, converged=False, interrupted=False):
        costs = self.batch_costs
        if costs and self.partial is not None:  # an epoch under way: the batches it recorded
            last = costs[-1]
            recorded = self.partial
            if interrupted:  # Ctrl-C may arrive after the core wrote costs and before they were counted
                unreached = np.flatnonzero(np.isnan(last[recorded:]))
                recorded += int(unreached[0]) if unreached.size else last.size - recorded
            costs = costs[:-1] + [last[:recorded]]
        costs = np.concatenate(costs) if costs else np.empty(0)
        return MinibatchResult(
            theta=self.net.theta.copy(), cost=self.loss_curve[-1] if self.loss_curve else math.nan,
            n_iter=self.n_epochs, n_evals=self.n_evals, loss_curve=list(self.loss_curve), message=message,
            converged=converged, interrupted=interrupted, seconds=self.elapsed(), method=self.opt.name,
            n_updates=self.opt.n_updates - self.updates_at_start, batch_loss_curve=costs,
            validation_scores=None if self.validation_scores is None else list(self.validation_scores),
            best_iteration=None if self.best is None else self.best[1], learning_rates=list(self.learning_rates))

    def restore_best(self):
        """With early stopping: put the best validated parameters back into the network."""
        if self.best is not None and self.best[2] is not None:
            np.copyto(self.net.theta, self.best[2])


# ----------------------------------------------------------------------------------------------- user code

_READ_ONLY_NOTE = ("ufldl: net.theta, net.weights and net.biases are read-only while a training callback (or "
                   "scoring function) runs: the solver owns them until training returns; change them between "
                   "calls instead")


def read_only_view(array):
    """A read-only view of ``array``."""
    view = array.view()
    view.flags.writeable = False
    return view


def call_with_parameters_read_only(net, function, *args):
    """``function(*args)``, a user's callback or scoring function, with ``net.theta`` and the weight and bias
    views into it read-only, so that every solver treats a write the same way: it raises ValueError (a note
    on it says why) instead of being honoured by some solvers and overwritten by others."""
    try:
        with net.parameters_read_only():
            return function(*args)
    except ValueError as exc:
        if "read-only" in str(exc) and _READ_ONLY_NOTE not in getattr(exc, "__notes__", ()):
            exc.add_note(_READ_ONLY_NOTE)
        raise


# ----------------------------------------------------------------------------------------------- validation


def _as_optimizer(optimizer):
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(_OPTIMIZERS)} or an SGD/Adam instance; "
                             f"got {optimizer!r}")
        return _OPTIMIZERS[optimizer]()
    if not isinstance(optimizer, MinibatchOptimizer):
        raise TypeError(f"optimizer must be 'sgd', 'adam', ufldl.SGD or ufldl.Adam; got "
                        f"{type(optimizer).__name__}")
    return optimizer


def _init_running_rho_hat(net, X, opt):
    """The running estimate starts as the exact rho_hat of the training data at the current parameters."""
    units = sum(net.layer_sizes[1:])
    if opt.running_rho_hat is not None:
        if opt.running_rho_hat.shape != (units,):
            raise ValueError(f"optimizer holds a running rho_hat of {opt.running_rho_hat.size} units; the "
                             f"network has {units} (call optimizer.reset())")
        return
    running = np.zeros(units, dtype=np.float64)
    offset = 0
    means = net.mean_activations(X)
    for layer, n in enumerate(net.layer_sizes[1:], start=1):
        if layer < net.n_layers:
            running[offset:offset + n] = means[layer - 1]
        offset += n
    opt.running_rho_hat = running


# ----------------------------------------------------------------------------------------------- the API


def train_minibatch(net, X, Y, optimizer="adam", *, batch_size="auto", max_epochs=200, shuffle=True,
                    random_state=None, tol=1e-4, n_iter_no_change=10, early_stopping=False,
                    validation_fraction=0.1, validation_data=None, scoring=None, rho_hat_decay=None,
                    callback=None, verbose=0, blas_isolation=True):
    """Train ``net`` in place by mini-batch gradient descent (SGD with momentum, or Adam).

    Parameters
    ----------
    net : ufldl.Network
        Trained in place: ``net.theta`` holds the result afterwards.
    X : array_like, shape (m, n_0)
    Y : array_like, shape (m, n_L), or (m,) integer labels for cross-entropy
        As in ``Network.cost_and_grad`` (for an autoencoder, ``Y`` is ``X``).
    optimizer : {"adam", "sgd"} or SGD or Adam, default "adam"
        A name (the optimiser with its defaults) or an optimiser object, whose state carries over between
        calls (pass the same object again to continue training).
    batch_size : int or "auto", default "auto"
        Examples per update; ``"auto"`` is ``min(200, m)`` (scikit-learn's choice). The last batch of an
        epoch holds what is left; a batch size above m gives one batch per epoch.
    max_epochs : int, default 200
        Passes over the data, >= 1.
    shuffle : bool, default True
        Draw a new order of the examples for every epoch (``rng.permutation(m)``); False keeps their order.
    random_state : int, numpy.random.Generator or None, default None
        Seeds the shuffles and the validation split. Results are reproducible for a fixed seed, on any
        number of threads (the compiled sums are added in a fixed order).
    tol : float, default 1e-4
        Improvement threshold, >= 0: an epoch "improves" when the training loss falls below the best so far
        minus ``tol`` (or, with validation, the score rises above the best plus ``tol``).
    n_iter_no_change : int, default 10
        Stop after this many epochs in a row without improvement (with the ``"adaptive"`` schedule, divide
        the learning rate by 5 instead, until it reaches 1e-6).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (or use ``validation_data``), score it after every
        epoch, stop when the score stops improving, and keep the parameters of the best epoch.
    validation_fraction : float, default 0.1
        The share of the examples held out for early stopping, in (0, 1).
    validation_data : tuple (X_val, Y_val) or None, default None
        Data to validate on instead of a held-out fraction (all of X, Y are then trained on). Given without
        ``early_stopping``, the scores are recorded but do not stop training.
    scoring : callable or None, default None
        ``scoring(net, X_val, Y_val) -> float``, higher is better. Default: minus the network's cost on the
        validation data (``-net.cost(X_val, Y_val)``). The network's parameters are read-only during the call,
        as during ``callback``.
    rho_hat_decay : float or None, default None
        How the KL sparsity penalty's rho_hat is estimated. None: from each batch alone, so that every
        update follows the gradient of the batch's own cost. A float d in [0, 1): from an exponential moving
        average across batches, ``r <- d * r + (1 - d) * rho_hat(batch)``, used in the penalty and its
        gradient in place of the batch's rho_hat; ``r`` starts as the exact rho_hat of all of X at the
        starting parameters and is kept in the optimiser between calls. Small batches make the batch's
        rho_hat noisy (with rho = 0.01 and 20 examples it is mostly 0 or 0.05); the average estimates the
        whole data set's rho_hat, which is what the full-batch cost penalises: with one example per batch,
        the batch's rho_hat pulls every example's activation towards rho, while the average only constrains
        the mean. The estimate lags the parameters: with a large learning rate and momentum the lag can
        make training oscillate (measured: lr 0.1 with momentum 0.9 and d = 0.9 diverged where d = 0.5 or
        no momentum did not); lower the rate or d. Has no effect without sparsity.
    callback : callable or None, default None
        ``callback(epoch, theta, loss)`` after every epoch, ``theta`` a read-only view of ``net.theta`` (the
        parameters reached). A true return value (or StopIteration) stops training. ``net.theta``,
        ``net.weights`` and ``net.biases`` are read-only during the call: writing to them raises ValueError,
        as with every solver of :func:`ufldl.train` (the solver owns the parameters while it runs; change
        them between calls instead); the optimiser object is not locked (a callback may set its
        ``current_learning_rate``).
    verbose : int, default 0
        0: silent; 1 or more: one line per epoch (loss, validation score, learning rate, elapsed seconds).
    blas_isolation : bool, default True
        Limit every other BLAS/OpenMP pool to one thread while training, as in :func:`ufldl.minimize`.

    Returns
    -------
    result : MinibatchResult
        The parameters reached, the loss history per epoch and per batch, validation scores, the reason
        for stopping.

    Raises
    ------
    NonFiniteError
        A batch's cost or gradient, or an update, was NaN or infinite. The message names the epoch, the batch
        and the update; the network keeps the last finite parameters (those before that update), and the
        exception's ``.result`` holds them with the history.
    TypeError, ValueError
        Invalid arguments, named in the message.
    Exception
        Whatever ``callback`` (other than StopIteration) or ``scoring`` raised, unchanged: training stops and
        the network keeps what Ctrl-C would leave it (the parameters reached, with early stopping the best
        validated ones), as with the full-batch solvers of :func:`ufldl.train`.

    Warns
    -----
    TrainingInterrupted
        Ctrl-C: training stops after the batch in progress (within about 0.1 s), the network keeps the
        parameters reached (with early stopping, the best validated ones) and the returned result has
        ``interrupted=True`` and the history so far.

    Notes
    -----
    The training loss of an epoch is the mean of its batch costs, each evaluated at the parameters before
    that batch's update: a running estimate, as scikit-learn's MLP reports. Each batch's cost includes the
    whole weight-decay term ``(lambda / 2) sum ||W||^2`` (not scaled by the batch's share), so every
    update follows an unbiased estimate of the gradient of the full-batch cost J.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a ufldl.Network; got {type(net).__name__}")
    opt = _as_optimizer(optimizer)
    max_epochs = integer(max_epochs, "max_epochs", 1)
    n_iter_no_change = integer(n_iter_no_change, "n_iter_no_change", 1)
    tol = real_scalar(tol, "tol", low=0.0)
    verbose = integer(int(verbose) if isinstance(verbose, (bool, np.bool_)) else verbose, "verbose", 0)
    shuffle, early_stopping = flag(shuffle, "shuffle"), flag(early_stopping, "early_stopping")
    blas_isolation = flag(blas_isolation, "blas_isolation")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be None or callable, as callback(epoch, theta, loss); got "
                        f"{type(callback).__name__}")
    if scoring is not None and not callable(scoring):
        raise TypeError(f"scoring must be None or callable, as scoring(net, X_val, Y_val); got "
                        f"{type(scoring).__name__}")
    if rho_hat_decay is not None:
        rho_hat_decay = real_scalar(rho_hat_decay, "rho_hat_decay", low=0.0, high=1.0, high_inclusive=False)
    rng = random_generator(random_state)
    X, Y = net.training_data(X, Y)
    m = X.shape[0]

    X_val = Y_val = None
    if validation_data is not None:
        try:
            X_val, Y_val = validation_data
        except (TypeError, ValueError):
            raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
        try:
            X_val, Y_val = net.training_data(X_val, Y_val)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"validation_data: {exc}") from None
    elif early_stopping:
        validation_fraction = real_scalar(validation_fraction, "validation_fraction", low=0.0,
                                          low_inclusive=False, high=1.0, high_inclusive=False)
        n_val = math.ceil(validation_fraction * m)
        if m - n_val < 1:
            raise ValueError(f"early_stopping needs at least one training example after holding out "
                             f"validation_fraction={validation_fraction} of m={m}; got {m - n_val}")
        held = rng.permutation(m)
        X_val, Y_val = X[held[:n_val]], Y[held[:n_val]]
        X, Y = np.ascontiguousarray(X[held[n_val:]]), np.ascontiguousarray(Y[held[n_val:]])
        m = X.shape[0]
    if batch_size == "auto":
        batch_size = min(200, m)
    else:
        batch_size = min(integer(batch_size, "batch_size", 1), m)
    if scoring is None:
        def scoring(network, Xv, Yv):
            return -network.cost(Xv, Yv)

    opt._bind(net)
    sparse = net.sparsity is not None and net.sparsity.beta > 0
    if rho_hat_decay is not None and sparse:
        _init_running_rho_hat(net, X, opt)
    else:
        rho_hat_decay = None
    run = _Run(net, X, Y, opt, batch_size, rho_hat_decay, verbose)
    if X_val is not None:
        run.validation_scores = []
    natural = np.arange(m, dtype=np.int64)
    best_loss, no_improvement = math.inf, 0
    message, converged = f"max_epochs ({max_epochs}) epochs reached", False
    if verbose:
        run.say(f"{opt.name}: {net.n_params} parameters, {m} examples, batch size {batch_size}")
    try:
        with isolated_blas() if blas_isolation else contextlib.nullcontext():
            for _ in range(max_epochs):
                order = rng.permutation(m) if shuffle else natural
                lr = opt.current_learning_rate
                loss = run.epoch(order)
                run.n_epochs += 1
                run.loss_curve.append(loss)
                run.learning_rates.append(lr)
                opt._end_epoch()
                epoch = run.n_epochs
                line = f"epoch {epoch:4d}  loss {loss:.8g}"
                improved = loss < best_loss - tol
                if X_val is not None:
                    score = float(call_with_parameters_read_only(net, scoring, net, X_val, Y_val))
                    run.validation_scores.append(score)
                    line += f"  validation {score:.8g}"
                    if early_stopping:
                        improved = run.best is None or score > run.best[0] + tol
                    if run.best is None or score > run.best[0]:
                        run.best = (score, epoch, net.theta.copy() if early_stopping else None)
                best_loss = min(best_loss, loss)
                no_improvement = 0 if improved else no_improvement + 1
                if verbose:
                    run.say(f"{line}  lr {lr:.3g}  elapsed {run.elapsed():.2f} s")
                if callback is not None:
                    try:
                        stop = call_with_parameters_read_only(net, callback, epoch, read_only_view(net.theta),
                                                               loss)
                    except StopIteration:
                        stop = True
                    if stop:
                        message = f"stopped by the callback after epoch {epoch}"
                        break
                stop_on = "validation score" if early_stopping else "training loss"
                if no_improvement >= n_iter_no_change:
                    if opt.schedule == "adaptive" and opt._reduce_on_plateau():
                        no_improvement = 0
                        if verbose:
                            run.say(f"learning rate divided by 5: {opt.current_learning_rate:.3g}")
                        continue
                    message = (f"converged: the {stop_on} did not improve by more than tol ({tol:g}) in "
                               f"{n_iter_no_change} consecutive epochs")
                    converged = True
                    break
    except KeyboardInterrupt:
        if early_stopping:
            run.restore_best()
        message = f"interrupted (KeyboardInterrupt) in epoch {run.n_epochs + 1}"
        result = run.result(message, interrupted=True)
        if verbose:
            run.say(f"{opt.name}: {message}")
        warnings.warn(f"training {message}; the network keeps the parameters reached and the result the "
                      "history so far", TrainingInterrupted, stacklevel=2)
        return result
    except NonFiniteError:
        raise  # the network keeps the last finite parameters
    except BaseException:
        # The callback's or scoring's own exception (or another from inside): the network keeps what Ctrl-C
        # would have left it, and the exception goes on unchanged.
        if early_stopping:
            run.restore_best()
        raise
    if early_stopping:
        run.restore_best()
        if run.best is not None:
            message += f"; the parameters of epoch {run.best[1]} (best validation score) are kept"
    result = run.result(message, converged=converged)
    if verbose:
        run.say(f"{opt.name}: stopped after {result.n_iter} epochs ({result.n_updates} updates, "
                f"{result.seconds:.2f} s): {result.message}")
    return result
