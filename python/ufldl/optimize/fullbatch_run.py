"""One run of the full-batch solvers (:func:`ufldl.minimize`): its bookkeeping around SciPy's iterations.

:class:`FullBatchRun` checks every evaluation of ``fun``, accepts the iterates (with the copy that lets Ctrl-C
or an error return the last one), tells an infinite line-search trial from a failure, calls the callback,
prints the progress and builds the :class:`ufldl.OptimizeResult`; ``ufldl.optimize.fullbatch`` drives it.
"""

import math
import time
import warnings
from collections.abc import Callable
from typing import Any, NoReturn, cast

import numpy as np

from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
from ufldl._lib.progress import Progress
from ufldl._lib.types import Float64Array, FloatArray
from ufldl.optimize.callbacks import read_only_view
from ufldl.optimize.results import OptimizeResult

# callback(iteration, theta, cost): a true value (or StopIteration) stops the run.
_Callback = Callable[[int, FloatArray, float], Any]

__all__ = ["VERBOSE_EVERY", "FullBatchRun", "relative_decrease"]

#: With ``verbose=1``, a progress line every this many iterations (and for the first and the last).
VERBOSE_EVERY = 10


def relative_decrease(old: float, new: float) -> float:
    """SciPy L-BFGS-B's measure: ``(old - new) / max(|old|, |new|, 1)``."""
    return (old - new) / max(abs(old), abs(new), 1.0)


class FullBatchRun:
    """The state of one run of :func:`ufldl.minimize`: counters, the last accepted iterate, history, progress.

    ``self.current = (iteration, theta, cost)`` is replaced in a single assignment when an iterate is accepted,
    so that a KeyboardInterrupt arriving anywhere leaves a consistent last iterate behind. The arrays it refers
    to are never written again: iterates handed over by SciPy (which updates its ``x`` in place) are copied into
    one of two alternating buffers, gradient descent alternates between two buffers of its own.
    """

    def __init__(self, fun: Callable[[Float64Array], Any], theta0: Float64Array, method: str, tol: float,
                 callback: _Callback | None, verbose: int) -> None:
        self.fun = fun
        self.theta0 = theta0
        self.n = theta0.size
        self.method = method
        self.tol = tol
        self.callback = callback
        self.verbose = verbose
        self.n_evals = 0
        self.initial_cost = math.nan
        self.current: tuple[int, FloatArray, float] = (0, theta0, math.nan)
        self.loss_curve: list[float] = []
        self._buffers: tuple[Float64Array, Float64Array] | None = None
        self.inf_iteration: int | None = None  # the last iteration whose line search met an infinite cost
        # "callback", "tol" or "max_evals" when this module (not SciPy) asked to stop
        self.stop_reason: str | None = None
        # "cg" and "gd": stop after the first iteration that reaches this many evaluations
        self.max_evals: int | None = None
        self.start = time.perf_counter()
        # The progress bar or lines (ufldl._lib.progress); its total, max_iter, is set by the solver.
        self.reporter = Progress(method, "iteration", every=1 if verbose >= 2 else VERBOSE_EVERY, enabled=verbose > 0)

    @property
    def n_iter(self) -> int:
        return self.current[0]

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def say(self, text: str, last: bool = False) -> None:
        self.reporter.close(text) if last else self.reporter.write(text)

    def progress(self, iteration: int, cost: float, last: bool = False) -> None:
        self.reporter.update(iteration, f"cost {cost:.10g}", last=last)

    # ------------------------------------------------------------------ evaluations

    def evaluate(self, theta: Float64Array) -> tuple[float, Float64Array]:
        """``fun(theta)``, checked. Handed to SciPy as the objective (jac=True)."""
        self.n_evals += 1
        out = self.fun(theta)
        try:
            cost, grad = out
        except (TypeError, ValueError):
            raise TypeError(f"fun must return a pair (cost, grad); got {type(out).__name__}") from None
        try:
            value = float(cost)
        except (TypeError, ValueError):
            raise TypeError(f"fun's cost must be a real scalar; got {type(cost).__name__} {cost!r}") from None
        gradient: Float64Array = np.asarray(grad)  # (float64 below)
        if gradient.shape != (self.n,):
            raise ValueError(f"fun's gradient must have shape ({self.n},) like theta0; got shape {gradient.shape}")
        if gradient.dtype != np.float64:
            if gradient.dtype.kind not in "fiu":
                raise TypeError(f"fun's gradient must be a real array; got dtype {gradient.dtype}")
            gradient = gradient.astype(np.float64)
        if not (math.isfinite(value) and np.isfinite(gradient).all()):
            self.non_finite(value, gradient)
        if self.n_evals == 1:
            self.initial_cost = value
            self.current = (0, self.theta0, value)
            if self.verbose:
                self.say(f"{self.method}: {self.n} parameters")
            self.progress(0, value)
        return value, gradient

    def non_finite(self, cost: float, grad: FloatArray) -> None:
        """Either let an infinite line-search trial through (returns) or stop with NonFiniteError."""
        iteration = 0 if self.n_evals == 1 else self.n_iter + 1
        if cost == math.inf and iteration > 0 and self.method != "gd":
            # A line-search trial that overflowed: worse than any finite cost, so a line search that can back
            # off does (SciPy's CG does). L-BFGS-B cannot; accept() and the end of the run catch that.
            self.inf_iteration = iteration
            return
        if not math.isfinite(cost):
            what = f"cost {cost}"
        else:
            bad = ~np.isfinite(grad)
            count, first = int(bad.sum()), int(np.argmax(bad))
            what = (f"gradient ({count} non-finite entr{'y' if count == 1 else 'ies'}, the first {grad[first]} "
                    f"at index {first}; cost {cost:.10g})")
        where = "at the starting point theta0 (iteration 0)" if iteration == 0 else f"in iteration {iteration}"
        self.fail(f"non-finite {what} at evaluation {self.n_evals}, {where}", iteration)

    def fail(self, text: str, iteration: int) -> NoReturn:
        k, _, cost = self.current
        if iteration == 0:
            kept = "theta0 is kept in the exception's .result"
        else:
            kept = f"the last finite iterate (iteration {k}, cost {cost:.10g}) is kept in the exception's .result"
        message = f"{self.method}: {text}; training stopped and {kept}"
        if self.verbose:
            self.say(message, last=True)
        raise NonFiniteError(message, self.result(message), iteration)

    # ------------------------------------------------------------------ iterations

    def accept(self, theta: FloatArray, cost: float, copy: bool) -> bool:
        """Record the iterate of iteration n_iter + 1; returns True when the run must stop."""
        k = self.n_iter + 1
        previous = self.current[1]
        if copy:
            if self._buffers is None:
                self._buffers = (np.empty(self.n), np.empty(self.n))
            buf = self._buffers[k % 2]  # the other buffer holds the current (committed) iterate
            np.copyto(buf, theta)
            theta = buf
        if not math.isfinite(cost):
            self.fail(f"the accepted iterate of iteration {k} has a non-finite cost {cost}", k)
        if self.inf_iteration == k and np.array_equal(theta, previous):
            # SciPy's L-BFGS-B line search cannot back off from an infinite cost: it collapses to a zero step
            # and would then stop, reporting convergence.
            self.fail(f"the line search of iteration {k} met an infinite cost (the cost overflowed) and could "
                      f"not back off from it (a zero step)", k)
        previous_cost = self.current[2]
        self.current = (k, theta, cost)  # the commit: one assignment
        self.loss_curve.append(cost)
        self.progress(k, cost)
        if self.callback is not None:
            try:
                stop = self.callback(k, read_only_view(theta), cost)
            except StopIteration:
                stop = True
            if stop is not None and bool(stop):
                self.stop_reason = "callback"
                return True
        if self.method == "cg" and relative_decrease(previous_cost, cost) <= self.tol:
            self.stop_reason = "tol"
            return True
        if self.max_evals is not None and self.n_evals >= self.max_evals:
            self.stop_reason = "max_evals"
            return True
        return False

    def scipy_callback(self, intermediate_result: Any) -> None:
        """SciPy's per-iteration callback (its ``intermediate_result`` protocol)."""
        if self.accept(intermediate_result.x, float(intermediate_result.fun), copy=True):
            raise StopIteration

    # ------------------------------------------------------------------ results

    def result(self, message: str, converged: bool = False, interrupted: bool = False,
               theta: FloatArray | None = None, cost: float | None = None) -> OptimizeResult:
        """The result at the last accepted iterate, or at ``theta``/``cost`` when given."""
        k, current, current_cost = self.current
        if theta is None:
            theta, cost = current, current_cost
            if theta is self.theta0:  # never hand the caller's own array back
                theta = theta.copy()
        curve = self.loss_curve[:k]
        if len(curve) < k:  # interrupted between the commit and the append
            curve.append(current_cost)
        return OptimizeResult(theta=theta, cost=float(cast(float, cost)),  # (cost: given with theta)
                              n_iter=k, n_evals=self.n_evals, loss_curve=curve, message=message,
                              converged=converged, interrupted=interrupted, seconds=self.elapsed(),
                              method=self.method, initial_cost=self.initial_cost)

    def interrupted(self) -> OptimizeResult:
        message = f"interrupted (KeyboardInterrupt) after iteration {self.n_iter}"
        result = self.result(message, interrupted=True)
        if self.verbose:
            self.say(f"{self.method}: {message}", last=True)
        warnings.warn(f"training {message} ({self.n_evals} evaluations); returning the last iterate "
                      f"(cost {result.cost:.10g}) and the loss history", TrainingInterrupted, stacklevel=3)
        return result
