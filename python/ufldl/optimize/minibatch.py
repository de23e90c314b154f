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
>>> net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
>>> result = ufldl.train_minibatch(net, X, X, ufldl.Adam(learning_rate=0.01), batch_size=50, max_epochs=20,
...                                random_state=0)
>>> result.n_iter, len(result.loss_curve), result.n_updates
(20, 20, 200)
>>> bool(result.loss_curve[-1] < result.loss_curve[0])
True

The optimiser object keeps its state (velocity or Adam's moments, the step count, the learning rate of the
schedule, the running rho_hat): calling ``train_minibatch`` again with the same optimiser continues exactly
where the last call stopped, as ``partial_fit`` does.

This module is the training loop, in named steps: the argument checks, the validation split, the start of
the run, the epoch loop (with validation, the callback and the stopping rules) and the finish. The
optimisers are ``ufldl.optimize.optimizers``; the calls into the core, ``ufldl.optimize.minibatch_run``.
"""

import contextlib
import math
import warnings
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
from ufldl._lib.sparse import contiguous_rows
from ufldl._lib.threads import isolated_blas
from ufldl._lib.types import ArrayLike, BatchSize, Float64Array, FloatArray, RandomStateLike, Targets
from ufldl._lib.validation import flag, integer, patience, random_generator, real_scalar
from ufldl.layers import sample_weights
from ufldl.network import Network
from ufldl.optimize.callbacks import call_with_parameters_read_only, read_only_view
from ufldl.optimize.minibatch_run import MinibatchRun
from ufldl.optimize.results import MinibatchResult
from ufldl.optimize.optimizers import as_optimizer, MinibatchOptimizer

__all__ = ["train_minibatch"]


def train_minibatch(net: Network, X: ArrayLike, Y: ArrayLike, optimizer: "str | MinibatchOptimizer" = "adam", *,
                    batch_size: BatchSize = "auto", max_epochs: int = 200, shuffle: bool = True,
                    random_state: RandomStateLike = None, tol: float | None = 1e-4, n_iter_no_change: float = 10,
                    early_stopping: bool = False, validation_fraction: float = 0.1,
                    validation_data: tuple[ArrayLike, ...] | None = None,
                    scoring: Callable[[Network, FloatArray, Targets], float] | None = None,
                    rho_hat_decay: float | None = None, callback: Callable[..., Any] | None = None, verbose: int = 0,
                    blas_isolation: bool = True, sample_weight: ArrayLike | None = None) -> MinibatchResult:
    """Train ``net`` in place by mini-batch gradient descent (SGD with momentum, or Adam).

    Parameters
    ----------
    net : ufldl.Network
        Trained in place: ``net.theta`` holds the result afterwards.
    X : array_like, shape (m, n_0)
        The inputs, one example per row.
    Y : array_like, shape (m, n_L), or (m,) int labels for cross-entropy
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
    n_iter_no_change : int or numpy.inf, default 10
        Epochs in a row without improvement that are tolerated: the next one stops training (scikit-learn's
        MLP counts so), or with the optimiser's ``lr_schedule="adaptive"`` divides the learning rate by 5 instead,
        until it reaches 1e-6. ``numpy.inf``: never stop for want of progress.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data (or use ``validation_data``), score it after every
        epoch, stop when the score stops improving, and keep the parameters of the best epoch.
    validation_fraction : float, default 0.1
        The share of the examples held out for early stopping, in (0, 1).
    validation_data : tuple (X_val, Y_val) or (X_val, Y_val, sample_weight_val) or None, default None
        Data to validate on instead of a held-out fraction (all of X, Y are then trained on). Given without
        ``early_stopping``, the scores are recorded but do not stop training.
    scoring : callable or None, default None
        ``scoring(net, X_val, Y_val) -> float``, higher is better; with weighted validation data (given, or held
        out of weighted X) ``scoring(net, X_val, Y_val, sample_weight_val)``. Default: minus the network's
        (weighted) cost on the validation data (``-net.cost(X_val, Y_val, sample_weight=...)``). The network's parameters are read-only during the call,
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
    sample_weight : array_like, shape (m,), or None, default None
        Weights >= 0 of the examples (docs/math.md#sample-weights): each batch's cost is its rows' weighted mean,
        rows of weight 0 are left out of the batches, an epoch's loss weights its batches by their total weights,
        and early stopping's hold-out keeps its rows' weights (its default score is weighted).

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

    settings = _checked_settings(net, optimizer, max_epochs, shuffle, tol, n_iter_no_change, early_stopping,
                                 scoring, rho_hat_decay, callback, verbose, blas_isolation)
    rng = random_generator(random_state)
    X, Y = net.training_data(X, Y)
    weights = sample_weights(sample_weight, X.shape[0])
    X, Y, weights, validation = _validation_split(net, X, Y, weights, rng, validation_data, early_stopping,
                                                  validation_fraction)
    run = _start_run(net, X, Y, weights, batch_size, settings, validation)
    try:
        with isolated_blas() if settings.blas_isolation else contextlib.nullcontext():
            message, converged = _epoch_loop(run, rng, settings, validation)
    except KeyboardInterrupt:
        return _interrupted(run, settings)
    except NonFiniteError:
        raise  # the network keeps the last finite parameters
    except BaseException:
        # The callback's or scoring's own exception (or another from inside): the network keeps what Ctrl-C
        # would have left it, and the exception goes on unchanged.
        if settings.early_stopping:
            run.restore_best()
        raise
    return _finish(run, message, converged, settings)


# ----------------------------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class _Settings:
    """The checked arguments that the epoch loop and the finish read."""

    optimizer: MinibatchOptimizer
    max_epochs: int
    shuffle: bool
    tol: float
    n_iter_no_change: int | float
    early_stopping: bool
    scoring: Callable[..., float]
    rho_hat_decay: float | None
    callback: Callable[..., Any] | None
    verbose: int
    blas_isolation: bool


def _default_scoring(network: Network, X_val: FloatArray, Y_val: Targets,
                     sample_weight: Float64Array | None = None) -> float:
    return -network.cost(X_val, Y_val, sample_weight=sample_weight)


def _checked_settings(net: Network, optimizer: "str | MinibatchOptimizer", max_epochs: int, shuffle: bool,
                      tol: float | None, n_iter_no_change: float, early_stopping: bool,
                      scoring: Callable[..., float] | None, rho_hat_decay: float | None,
                      callback: Callable[..., Any] | None, verbose: int, blas_isolation: bool) -> _Settings:
    """Step 1: the arguments that do not depend on the data, checked (TypeError / ValueError naming them)."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a ufldl.Network; got {type(net).__name__}")
    opt = as_optimizer(optimizer)
    max_epochs = integer(max_epochs, "max_epochs", 1)
    n_iter_no_change = patience(n_iter_no_change, "n_iter_no_change")
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
    return _Settings(optimizer=opt, max_epochs=max_epochs, shuffle=shuffle, tol=tol,
                     n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
                     scoring=_default_scoring if scoring is None else scoring, rho_hat_decay=rho_hat_decay,
                     callback=callback, verbose=verbose, blas_isolation=blas_isolation)


def _validation_split(net: Network, X: FloatArray, Y: Targets, weights: Float64Array | None, rng: np.random.Generator,
                      validation_data: tuple[ArrayLike, ...] | None, early_stopping: bool, validation_fraction: float
                      ) -> tuple[FloatArray, Targets, Float64Array | None, tuple[Any, ...] | None]:
    """Step 2: the data to validate on. Returns ``(X, Y, weights, validation)``, ``validation`` a pair
    ``(X_val, Y_val)`` (a triple with the weights) or None: ``validation_data`` checked, or with early stopping
    alone a held-out ``validation_fraction`` of the rows (drawn with ``rng``, and taken out of ``X``, ``Y`` and
    the weights)."""
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError("validation_data must be a pair (X_val, Y_val) or a triple (X_val, Y_val, "
                            "sample_weight_val)")
        try:
            data: tuple[Any, ...] = net.training_data(*validation_data[:2])
            if len(validation_data) == 3 and validation_data[2] is not None:
                data += (sample_weights(validation_data[2], data[0].shape[0]),)
            return X, Y, weights, data
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"validation_data: {exc}") from None
    if not early_stopping:
        return X, Y, weights, None
    m = X.shape[0]
    validation_fraction = real_scalar(validation_fraction, "validation_fraction", low=0.0, low_inclusive=False,
                                      high=1.0, high_inclusive=False)
    n_val = math.ceil(validation_fraction * m)
    if m - n_val < 1:
        raise ValueError(f"early_stopping needs at least one training example after holding out "
                         f"validation_fraction={validation_fraction} of m={m}; got {m - n_val}")
    held = rng.permutation(m)
    val, kept = held[:n_val], held[n_val:]
    if weights is None:
        return contiguous_rows(X[kept]), contiguous_rows(Y[kept]), None, (X[val], Y[val])
    if not weights[kept].sum() > 0 or not weights[val].sum() > 0:
        raise ValueError("early_stopping: the rows held out for validation, or the rows left to train on, all have "
                         "sample_weight 0; give more rows of positive weight or another validation_fraction")
    return contiguous_rows(X[kept]), contiguous_rows(Y[kept]), weights[kept], (X[val], Y[val], weights[val])


def _start_run(net: Network, X: FloatArray, Y: Targets, weights: Float64Array | None, batch_size: BatchSize,
               settings: _Settings, validation: tuple[Any, ...] | None) -> MinibatchRun:
    """Step 3: the batch size, the optimiser's state bound to ``net`` (and its running rho_hat), the run."""
    m = X.shape[0]
    if batch_size == "auto":
        rows_per_batch = min(200, m)
    else:
        rows_per_batch = min(integer(batch_size, "batch_size", 1), m)
    opt = settings.optimizer
    opt.bind(net)
    rho_hat_decay = settings.rho_hat_decay
    if rho_hat_decay is not None and net.sparsity is not None and net.sparsity.beta > 0:
        opt.init_running_rho_hat(net, X, weights)
    else:
        rho_hat_decay = None  # no sparsity penalty: nothing to average
    run = MinibatchRun(net, X, Y, opt, rows_per_batch, rho_hat_decay, settings.verbose, weights)
    run.reporter.total = settings.max_epochs  # the progress bar's length
    if validation is not None:
        run.validation_scores = []
    if settings.verbose:
        run.say(f"{opt.name}: {net.n_params} parameters, {m} examples, batch size {rows_per_batch}")
    return run


def _epoch_loop(run: MinibatchRun, rng: np.random.Generator, settings: _Settings,
                validation: tuple[Any, ...] | None) -> tuple[str, bool]:
    """Step 4: the epochs, each followed by validation, the progress line, the callback and the stopping
    rules (no improvement in ``n_iter_no_change`` epochs: stop, or with "adaptive" lower the rate first).
    Returns ``(message, converged)``."""
    s, opt = settings, settings.optimizer
    m = run.X.shape[0]
    natural = np.arange(m, dtype=np.int64)
    best_loss, no_improvement = math.inf, 0
    for _ in range(s.max_epochs):
        order = rng.permutation(m) if s.shuffle else natural
        lr = opt.current_learning_rate
        loss = run.epoch(order)
        run.record_epoch(loss, lr)
        opt.end_epoch()
        epoch = run.n_epochs
        line = f"loss {loss:.8g}"  # the progress line's numbers (ufldl._lib.progress adds "epoch N", elapsed)
        improved = loss <= best_loss - s.tol  # (scikit-learn's MLP: no improvement is loss > best - tol)
        if validation is not None:
            score, score_improved = _validate(run, validation, s)
            line += f"  validation {score:.8g}"
            if s.early_stopping:
                improved = score_improved
        best_loss = min(best_loss, loss)
        no_improvement = 0 if improved else no_improvement + 1
        if s.verbose:
            run.reporter.update(epoch, f"{line}  lr {lr:.3g}")
        if s.callback is not None and _callback_stops(run, s.callback, loss):
            return f"stopped by the callback after epoch {epoch}", False
        # As scikit-learn's MLP: n_iter_no_change epochs without improvement are tolerated, one more stops.
        if no_improvement > s.n_iter_no_change:
            if opt.lr_schedule == "adaptive" and opt.reduce_on_plateau():
                no_improvement = 0
                if s.verbose:
                    run.say(f"learning rate divided by 5: {opt.current_learning_rate:.3g}")
                continue
            stop_on = "validation score" if s.early_stopping else "training loss"
            return (f"converged: the {stop_on} did not improve by more than tol ({s.tol:g}) in "
                    f"{no_improvement} consecutive epochs (n_iter_no_change={s.n_iter_no_change})"), True
    return f"max_epochs ({s.max_epochs}) epochs reached", False


def _validate(run: MinibatchRun, validation: tuple[Any, ...], settings: _Settings) -> tuple[float, bool]:
    """Score the validation data after an epoch and keep the best epoch (with early stopping, its
    parameters). Returns ``(score, improved)``, improved meaning by more than ``tol`` over the best so far."""
    net = run.net
    score = float(call_with_parameters_read_only(net, settings.scoring, net, *validation))
    cast("list[float]", run.validation_scores).append(score)  # a list once there is validation data
    improved = run.best is None or score >= run.best[0] + settings.tol  # (scikit-learn: < best + tol is none)
    if run.best is None or score > run.best[0]:
        run.best = (score, run.n_epochs, net.theta.copy() if settings.early_stopping else None)
    return score, improved


def _callback_stops(run: MinibatchRun, callback: Callable[..., Any], loss: float) -> bool:
    """Call the user's callback after an epoch, the parameters read-only; True when it asks to stop."""
    net = run.net
    try:
        stop = call_with_parameters_read_only(net, callback, run.n_epochs, read_only_view(net.theta), loss)
    except StopIteration:
        stop = True
    return bool(stop)


def _finish(run: MinibatchRun, message: str, converged: bool, settings: _Settings) -> MinibatchResult:
    """Step 5: with early stopping, the best validated parameters back into the network; the result."""
    if settings.early_stopping:
        run.restore_best()
        if run.best is not None:
            message += f"; the parameters of epoch {run.best[1]} (best validation score) are kept"
    result = run.result(message, converged=converged)
    if settings.verbose:
        run.say(f"{run.opt.name}: stopped after {result.n_iter} epochs ({result.n_updates} updates, "
                f"{result.seconds:.2f} s): {result.message}", last=True)
    return result


def _interrupted(run: MinibatchRun, settings: _Settings) -> MinibatchResult:
    """Step 5 after Ctrl-C: the network keeps the parameters reached (with early stopping, the best
    validated ones); warns TrainingInterrupted at the caller of train_minibatch and returns the result."""
    if settings.early_stopping:
        run.restore_best()
    message = f"interrupted (KeyboardInterrupt) in epoch {run.n_epochs + 1}"
    result = run.result(message, interrupted=True)
    if settings.verbose:
        run.say(f"{run.opt.name}: {message}", last=True)
    warnings.warn(f"training {message}; the network keeps the parameters reached and the result the "
                  "history so far", TrainingInterrupted, stacklevel=3)
    return result
