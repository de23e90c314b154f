"""One call of :func:`ufldl.train_minibatch` as the compiled core sees it: runs of batches, the overflow replay,
the history, the result.

:class:`MinibatchRun` hands the core runs of batches that take about ``_CHUNK_SECONDS`` each (so that Python
regains control for Ctrl-C and progress between them), records every batch's cost, goes back to the start of
the epoch and replays it batch by batch when an update overflows, so that the network keeps the parameters
before the first non-finite update, and builds the :class:`ufldl.MinibatchResult`.
"""

import math
import time
from typing import TYPE_CHECKING, NoReturn, TypeAlias, cast

import numpy as np

from ufldl._lib.errors import NonFiniteError
from ufldl._lib.progress import Progress
from ufldl._lib.types import Float64Array, FloatArray, IntArray, Targets
from ufldl._lib.validation import first_non_finite
from ufldl.optimize.results import MinibatchResult

if TYPE_CHECKING:
    from ufldl.network import Network
    from ufldl.optimize.optimizers import MinibatchOptimizer

    # What _snapshot keeps: theta, state1, state2, step and the running rho_hat (or None).
    _Snapshot: TypeAlias = tuple[FloatArray, FloatArray, FloatArray, IntArray, Float64Array | None]

__all__ = ["MinibatchRun"]

# Python regains control after runs of batches that take about this long (Ctrl-C, progress).
_CHUNK_SECONDS = 0.1


class MinibatchRun:
    """One call of train_minibatch: the data, the counters, the history; the compiled calls."""

    def __init__(self, net: "Network", X: FloatArray, Y: Targets, optimizer: "MinibatchOptimizer", batch_size: int,
                 rho_hat_decay: float | None, verbose: int, sample_weight: Float64Array | None = None) -> None:
        self.net, self.X, self.Y, self.opt = net, X, Y, optimizer
        self.sample_weight = sample_weight  # float64 (m,) or None (docs/math.md#sample-weights)
        self.batch_size = batch_size
        self.rho_hat_decay = rho_hat_decay
        self.verbose = verbose
        self.n_epochs = 0
        self.n_evals = 0
        self.updates_at_start = optimizer.n_updates
        self.loss_curve: list[float] = []
        self.learning_rates: list[float] = []
        self.batch_costs: list[Float64Array] = []
        self.validation_scores: list[float] | None = None
        self.best: tuple[float, int, FloatArray | None] | None = None  # (score, epoch, theta copy) with validation
        self.start = time.perf_counter()
        # The progress bar or lines (ufldl._lib.progress): a line per epoch; its total is set by the loop.
        self.reporter = Progress(optimizer.name, "epoch", enabled=verbose > 0)
        # Batches per call into the core: grown until a call takes about _CHUNK_SECONDS; kept in the
        # optimiser so that a run of one epoch at a time (partial_fit) does not start from 1 each time.
        self.batches_per_call = optimizer.batches_per_call
        self.partial: int | None = None  # batches of the epoch under way whose costs are recorded

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def say(self, text: str, last: bool = False) -> None:
        self.reporter.close(text) if last else self.reporter.write(text)

    def record_epoch(self, loss: float, learning_rate: float) -> None:
        """Count the epoch just finished, with its training loss and the learning rate it used."""
        self.n_epochs += 1
        self.loss_curve.append(loss)
        self.learning_rates.append(learning_rate)

    def epoch(self, order: IntArray) -> float:
        """One epoch over the rows ``order``: returns its loss. Raises NonFiniteError."""
        w = self.sample_weight
        if w is not None:
            order = order[w[order] > 0]  # rows of weight 0 count for nothing: as if removed
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
            self.opt.batches_per_call = self.batches_per_call
            done += k
            self.partial = done
        self.partial = None
        self.opt.samples_seen += order.size
        if w is not None:  # the batches' costs weighted by their total weights
            sizes = np.add.reduceat(w[order], np.arange(0, order.size, b))
            return float(costs @ sizes / sizes.sum())
        sizes = np.full(n_batches, b, dtype=np.float64)
        sizes[-1] = order.size - b * (n_batches - 1)
        return float(costs @ sizes / order.size)

    def run_batches(self, order: IntArray, first: int, count: int, costs: Float64Array, start: "_Snapshot") -> None:
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
                    self._non_finite(costs[i], i, "cost or gradient")
                if not self._state_is_finite():
                    self._restore(before)
                    self._non_finite(costs[i], i, "update (the parameters or the optimiser's state "
                                     "overflowed)")
            return  # (a replay that did not overflow, as with a different number of threads, carries on)
        if updates < count:
            self._non_finite(costs[first + updates], first + updates, "cost or gradient")

    def _snapshot(self) -> "_Snapshot":
        opt = self.opt
        state1, state2 = cast("FloatArray", opt.state1), cast("FloatArray", opt.state2)  # bound by train_minibatch
        return (self.net.theta.copy(), state1.copy(), state2.copy(), opt.step.copy(),
                None if opt.running_rho_hat is None else opt.running_rho_hat.copy())

    def _call(self, rows: IntArray, costs: Float64Array) -> int:
        opt = self.opt
        state1, state2 = cast("FloatArray", opt.state1), cast("FloatArray", opt.state2)
        update = opt.update_rule()
        running = opt.running_rho_hat if self.rho_hat_decay is not None else None
        weighted = {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        updates = self.net.minibatch_updates(self.X, self.Y, rows, self.batch_size, update, (state1, state2),
                                             opt.step, costs, running_rho_hat=running,
                                             rho_hat_decay=self.rho_hat_decay or 0.0, **weighted)
        self.n_evals += updates + (updates < costs.size)  # a non-finite batch was evaluated too
        return updates

    def _state_is_finite(self) -> bool:
        opt = self.opt
        state1, state2 = cast("FloatArray", opt.state1), cast("FloatArray", opt.state2)
        return all(first_non_finite(a) is None for a in (self.net.theta, state1, state2))

    def _restore(self, saved: "_Snapshot") -> None:
        theta, s1, s2, step, running = saved
        opt = self.opt
        np.copyto(self.net.theta, theta)
        np.copyto(cast("FloatArray", opt.state1), s1)
        np.copyto(cast("FloatArray", opt.state2), s2)
        np.copyto(opt.step, step)
        if running is not None:
            np.copyto(cast("Float64Array", opt.running_rho_hat), running)

    def _non_finite(self, cost: float, batch: int, what: str) -> NoReturn:
        epoch = self.n_epochs + 1
        self.partial = batch + 1
        update = self.opt.n_updates - self.updates_at_start + 1
        message = (f"{self.opt.name}: non-finite {what} in epoch {epoch}, batch {batch + 1} (update {update} of "
                   f"this run; batch cost {cost}); training stopped and the last finite parameters (before that "
                   "update) are kept in the network and in the exception's .result")
        if self.verbose:
            self.say(message, last=True)
        raise NonFiniteError(message, self.result(message), epoch)

    def result(self, message: str, converged: bool = False, interrupted: bool = False) -> MinibatchResult:
        costs = self.batch_costs
        if costs and self.partial is not None:  # an epoch under way: the batches it recorded
            last = costs[-1]
            recorded = self.partial
            if interrupted:  # Ctrl-C may arrive after the core wrote costs and before they were counted
                unreached = np.flatnonzero(np.isnan(last[recorded:]))
                recorded += int(unreached[0]) if unreached.size else last.size - recorded
            costs = costs[:-1] + [last[:recorded]]
        batch_loss_curve = np.concatenate(costs) if costs else np.empty(0)
        return MinibatchResult(
            theta=self.net.theta.copy(), cost=self.loss_curve[-1] if self.loss_curve else math.nan,
            n_iter=self.n_epochs, n_evals=self.n_evals, loss_curve=list(self.loss_curve), message=message,
            converged=converged, interrupted=interrupted, seconds=self.elapsed(), method=cast(str, self.opt.name),
            n_updates=self.opt.n_updates - self.updates_at_start, batch_loss_curve=batch_loss_curve,
            validation_scores=None if self.validation_scores is None else list(self.validation_scores),
            best_iteration=None if self.best is None else self.best[1], learning_rates=list(self.learning_rates))

    def restore_best(self) -> None:
        """With early stopping: put the best validated parameters back into the network."""
        if self.best is not None and self.best[2] is not None:
            np.copyto(self.net.theta, self.best[2])
