"""minFunc's L-BFGS, run by the compiled core: ``ufldl.minimize(..., method="lbfgs")``.

The algorithm is the one the UFLDL exercises call (Mark Schmidt's minFunc with ``options.Method = 'lbfgs'``):
the two-loop recursion over at most ``max_corrections`` correction pairs, minFunc's bracketing line search
with cubic interpolation and its strong Wolfe conditions, and minFunc's stopping tests
(``docs/math.md#l-bfgs-direction``, ``docs/math.md#l-bfgs-line-search``). It lives in the core as an ask/tell
state machine (``ufldl._core.Lbfgs``, ``cpp/include/ufldl/lbfgs.hpp``) over float64 vectors; this module drives
it and keeps the bookkeeping of :class:`ufldl.optimize.fullbatch_run.FullBatchRun` (history, callbacks,
progress, Ctrl-C, non-finite values):

- for a Python ``fun``, every evaluation returns here: the state asks for a point, ``fun`` is called on it, the
  state is told the cost and gradient;
- for a network's objective (:meth:`ufldl.Network.objective`, which :func:`ufldl.train` and the estimators use),
  the objective's ``lbfgs_evaluations(state)`` runs the evaluations and the line search in C++ with the GIL
  released, and control comes back here once per completed iteration (and about every 0.1 s within one,
  for Ctrl-C).

Precision: the iterate, the gradients, the direction and the memory are float64 whatever the network's dtype;
a float32 network is evaluated at each trial point rounded to float32, and its gradient is widened to float64.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ufldl._lib.lbfgs import LbfgsState, LbfgsStatus, LbfgsStop
from ufldl._lib.types import Float64Array

if TYPE_CHECKING:
    from ufldl.optimize.fullbatch_run import FullBatchRun
    from ufldl.optimize.results import OptimizeResult

__all__ = ["default_max_evals", "run_lbfgs"]

_STATUS = LbfgsStatus
_STOP = LbfgsStop

#: minFunc's own evaluation cap (MaxFunEvals), for its default MaxIter of 500.
MINFUNC_MAX_EVALS = 1000


def default_max_evals(max_iter: int) -> int:
    """The evaluation cap when ``max_evals`` is None: minFunc's 1000, or ``2 * max_iter`` for longer runs."""
    return max(MINFUNC_MAX_EVALS, 2 * max_iter)


def _message(state: Any, tol: float, gtol: float, max_iter: int, max_evals: int) -> tuple[str, bool]:
    """The stop's message and whether it counts as converged."""
    stop = state.stop
    if stop == _STOP.optimality:
        where = " at theta0" if state.iteration == 0 else ""
        return f"converged: sum |gradient| <= gtol ({gtol:g}){where}", True
    if stop == _STOP.step:
        return f"converged: step length sum |t * d| <= tol ({tol:g})", True
    if stop == _STOP.function:
        return f"converged: relative change of the cost < tol ({tol:g})", True
    if stop == _STOP.directional:
        return (f"converged: directional derivative g'd > -tol ({tol:g}): the L-BFGS direction no longer "
                f"descends"), True
    if stop == _STOP.max_evals:
        return f"stopped: more than max_evals ({max_evals}) evaluations", False
    if stop == _STOP.max_iter:
        return f"max_iter ({max_iter}) iterations reached", False
    if stop == _STOP.bad_direction:
        return "stopped: the L-BFGS direction is not finite (its entries, or the sum of their magnitudes, overflowed)", False
    return f"stopped ({stop.name})", False


def _started(run: "FullBatchRun", state: Any) -> None:
    """Record the evaluation at theta0 as FullBatchRun.evaluate does for its first evaluation."""
    cost = state.initial_f
    run.initial_cost = cost
    run.current = (0, run.theta0, cost)
    if run.verbose:
        run.say(f"{run.method}: {run.n} parameters")
    run.progress(0, cost)


def run_lbfgs(run: "FullBatchRun", fun: Callable[[Float64Array], Any], max_iter: int, tol: float, gtol: float,
              max_corrections: int, max_evals: int) -> "OptimizeResult":
    """Minimise ``fun`` from ``run.theta0`` with the core's L-BFGS; returns ``run``'s result.

    ``run`` is the :class:`FullBatchRun` of the call (it receives every iterate, in order, through ``accept``).
    ``tol`` is minFunc's ``progTol`` (the step test, the cost's change relative to max(|J_old|, |J_new|, 1),
    and the directional-derivative test), ``gtol`` its ``optTol`` (sum |g|).
    """
    state = LbfgsState(run.n, corrections=max_corrections, max_iter=max_iter, max_evals=max_evals,
                        opt_tol=gtol, prog_tol=tol)
    native = getattr(fun, "lbfgs_evaluations", None)
    status = state.start(run.theta0)
    try:
        while True:
            if status == _STATUS.evaluate:
                if native is not None:
                    status = native(state)
                    run.n_evals = state.evaluations
                    if status == _STATUS.non_finite:
                        # Refused in the core: the message FullBatchRun gives (it raises NonFiniteError).
                        run.non_finite(state.trial_f, np.array(state.trial_gradient))
                        raise AssertionError("unreachable: a refused evaluation always raises")
                else:
                    cost, grad = run.evaluate(state.point)  # raises NonFiniteError itself
                    status = state.tell(cost, np.ascontiguousarray(grad, dtype=np.float64))
                    if status == _STATUS.non_finite:
                        run.non_finite(state.trial_f, np.array(state.trial_gradient))
                        raise AssertionError("unreachable: a refused evaluation always raises")
                if state.evaluations == 1 and status != _STATUS.evaluate and native is not None:
                    _started(run, state)
            elif status == _STATUS.started:
                status = state.next()
            elif status == _STATUS.iteration:
                if state.met_infinity:
                    run.inf_iteration = state.iteration  # accept() refuses a zero step after it
                if run.accept(state.x, state.f, copy=True):
                    return run.result(f"stopped by the callback after iteration {run.n_iter}")
                if state.stop != _STOP.none:
                    break
                status = state.next()
            else:  # stopped
                break
    except KeyboardInterrupt:
        if native is not None:  # (a Python fun's calls are counted as they start, by run.evaluate)
            run.n_evals = state.evaluations
        raise
    message, converged = _message(state, tol, gtol, max_iter, max_evals)
    return run.result(message, converged=converged)
