"""Full-batch optimisers on one flat parameter vector: L-BFGS, nonlinear conjugate gradient, gradient descent.

Everything here works on a function ``fun(theta) -> (cost, grad)`` of a 1-D float64 vector ``theta`` (for a
network, ``lambda theta: net.cost_and_grad(X, Y, theta)``), as ``shared/spec/math.md`` ("Optimisation")
describes: the tutorial trains its sparse autoencoder with at most 400 iterations of L-BFGS on the flat
``theta``. L-BFGS and CG are SciPy's (``scipy.optimize.minimize(..., jac=True)``, methods ``"L-BFGS-B"`` and
``"CG"``): this module adds no line search of its own, only the bookkeeping around them (loss history, progress,
callbacks, Ctrl-C, non-finite values, thread pools).

Use
---
>>> import numpy as np, ufldl
>>> from ufldl.optimize import minimize
>>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(200, 16))
>>> net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), seed=0)
>>> result = minimize(lambda theta: net.cost_and_grad(X, X, theta), net.theta, max_iter=50)
>>> net.theta = result.theta
>>> len(result.loss_curve) == result.n_iter
True
"""

import contextlib
import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
from ufldl._lib.threads import isolated_blas
from ufldl._lib.validation import first_non_finite, flag, integer, numeric_array, real_scalar

__all__ = ["METHODS", "NonFiniteError", "OptimizeResult", "TrainingInterrupted", "minimize"]

#: The methods of :func:`minimize`.
METHODS = ("lbfgs", "cg", "gd")

#: With ``verbose=1``, a progress line every this many iterations (and for the first and the last).
VERBOSE_EVERY = 10

# SciPy's L-BFGS-B counts evaluations too; its default cap (15000) is raised for very long runs so that
# max_iter, not the evaluation count, is what ends a run that makes progress.
_EVALS_PER_ITER = 20


@dataclass(repr=False)
class OptimizeResult:
    """The outcome of :func:`minimize`.

    Attributes
    ----------
    theta : ndarray, shape (n_params,), float64
        The parameters reached: the last iterate (for an interrupted run, the last one completed; always
        finite). A new array, never the caller's ``theta0``.
    cost : float
        ``fun(theta)[0]``: the cost at ``theta`` (NaN only if the run was interrupted before the first
        evaluation at ``theta0`` finished).
    n_iter : int
        Iterations completed (0 if the starting point already met the gradient tolerance).
    n_evals : int
        Calls of ``fun``, including line-search trials and interrupted or non-finite evaluations.
    loss_curve : list of float, length n_iter
        ``loss_curve[k - 1]`` is the cost after iteration k (the cost at ``theta0`` is ``initial_cost``).
    message : str
        Why the run stopped, in words.
    converged : bool
        True when the method's own convergence test (``tol``, ``gtol``) ended the run; False when ``max_iter``,
        the callback, Ctrl-C or a line-search failure did.
    interrupted : bool
        True when Ctrl-C (KeyboardInterrupt) ended the run.
    seconds : float
        Wall time of the whole run.
    method : str
        ``"lbfgs"``, ``"cg"`` or ``"gd"``.
    initial_cost : float
        The cost at ``theta0`` (NaN if interrupted before it was computed).
    """

    theta: np.ndarray
    cost: float
    n_iter: int
    n_evals: int
    loss_curve: list = field(default_factory=list)
    message: str = ""
    converged: bool = False
    interrupted: bool = False
    seconds: float = 0.0
    method: str = "lbfgs"
    initial_cost: float = math.nan

    def __repr__(self):
        return (f"OptimizeResult(method={self.method!r}, cost={self.cost!r}, n_iter={self.n_iter}, "
                f"n_evals={self.n_evals}, converged={self.converged}, interrupted={self.interrupted}, "
                f"seconds={self.seconds:.3f}, message={self.message!r}, theta=<{self.theta.size} float64>)")


# ----------------------------------------------------------------------------------------------- validation


def _as_theta0(theta0):
    """``theta0`` as a 1-D float64 C-contiguous array: the caller's own array when it already is one."""
    arr = numeric_array(theta0, "theta0")
    if arr.dtype.kind == "b":
        raise TypeError(f"theta0 must be a real numeric array; got dtype {arr.dtype}")
    if arr.ndim != 1:
        hint = " (pass theta.ravel() for a flat vector)" if arr.ndim > 1 else ""
        raise ValueError(f"theta0 must be 1-D, shape (n_params,); got shape {arr.shape}{hint}")
    if arr.size == 0:
        raise ValueError("theta0 must hold at least one parameter; got shape (0,)")
    if arr.dtype != np.float64 or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    where = first_non_finite(arr)
    if where is not None:
        raise ValueError(f"theta0 must be finite; got {arr[where]} at index {where[0]}")
    return arr


# ----------------------------------------------------------------------------------------------- one run


def _relative_decrease(old, new):
    """SciPy L-BFGS-B's measure: ``(old - new) / max(|old|, |new|, 1)``."""
    return (old - new) / max(abs(old), abs(new), 1.0)


class _Run:
    """The state of one optimisation: counters, the last accepted iterate, history, progress.

    ``self.current = (iteration, theta, cost)`` is replaced in a single assignment when an iterate is accepted,
    so that a KeyboardInterrupt arriving anywhere leaves a consistent last iterate behind. The arrays it refers
    to are never written again: iterates handed over by SciPy (which updates its ``x`` in place) are copied into
    one of two alternating buffers, gradient descent alternates between two buffers of its own.
    """

    def __init__(self, fun, theta0, method, tol, callback, verbose):
        self.fun = fun
        self.theta0 = theta0
        self.n = theta0.size
        self.method = method
        self.tol = tol
        self.callback = callback
        self.verbose = verbose
        self.n_evals = 0
        self.initial_cost = math.nan
        self.current = (0, theta0, math.nan)
        self.loss_curve = []
        self._buffers = None
        self.inf_iteration = None  # the last iteration whose line search met an infinite cost
        self.stop_reason = None  # "callback" or "tol" when this module (not SciPy) asked to stop
        self.start = time.perf_counter()

    @property
    def n_iter(self):
        return self.current[0]

    def elapsed(self):
        return time.perf_counter() - self.start

    def say(self, text):
        print(text, file=sys.stdout, flush=True)

    def progress(self, iteration, cost, last=False):
        if self.verbose >= 2 or (self.verbose == 1 and (iteration % VERBOSE_EVERY == 0 or last)):
            self.say(f"iteration {iteration:5d}  cost {cost:.10g}  elapsed {self.elapsed():8.2f} s")

    # ------------------------------------------------------------------ evaluations

    def evaluate(self, theta):
        """``fun(theta)``, checked. Handed to SciPy as the objective (jac=True)."""
        self.n_evals += 1
        out = self.fun(theta)
        try:
            cost, grad = out
        except (TypeError, ValueError):
            raise TypeError(f"fun must return a pair (cost, grad); got {type(out).__name__}") from None
        try:
            cost = float(cost)
        except (TypeError, ValueError):
            raise TypeError(f"fun's cost must be a real scalar; got {type(cost).__name__} {cost!r}") from None
        grad = np.asarray(grad)
        if grad.shape != (self.n,):
            raise ValueError(f"fun's gradient must have shape ({self.n},) like theta0; got shape {grad.shape}")
        if grad.dtype != np.float64:
            if grad.dtype.kind not in "fiu":
                raise TypeError(f"fun's gradient must be a real array; got dtype {grad.dtype}")
            grad = grad.astype(np.float64)
        if not (math.isfinite(cost) and np.isfinite(grad).all()):
            self.non_finite(cost, grad)
        if self.n_evals == 1:
            self.initial_cost = cost
            self.current = (0, self.theta0, cost)
            if self.verbose:
                self.say(f"{self.method}: {self.n} parameters")
            self.progress(0, cost)
        return cost, grad

    def non_finite(self, cost, grad):
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

    def fail(self, text, iteration):
        k, _, cost = self.current
        if iteration == 0:
            kept = "theta0 is kept in the exception's .result"
        else:
            kept = f"the last finite iterate (iteration {k}, cost {cost:.10g}) is kept in the exception's .result"
        message = f"{self.method}: {text}; training stopped and {kept}"
        if self.verbose:
            self.say(message)
        raise NonFiniteError(message, self.result(message), iteration)

    # ------------------------------------------------------------------ iterations

    def accept(self, theta, cost, copy):
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
            view = theta.view()
            view.flags.writeable = False
            try:
                stop = self.callback(k, view, cost)
            except StopIteration:
                stop = True
            if stop is not None and bool(stop):
                self.stop_reason = "callback"
                return True
        if self.method == "cg" and _relative_decrease(previous_cost, cost) <= self.tol:
            self.stop_reason = "tol"
            return True
        return False

    def scipy_callback(self, intermediate_result):
        """SciPy's per-iteration callback (its ``intermediate_result`` protocol)."""
        if self.accept(intermediate_result.x, float(intermediate_result.fun), copy=True):
            raise StopIteration

    # ------------------------------------------------------------------ results

    def result(self, message, converged=False, interrupted=False, theta=None, cost=None):
        """The result at the last accepted iterate, or at ``theta``/``cost`` when given."""
        k, current, current_cost = self.current
        if theta is None:
            theta, cost = current, current_cost
            if theta is self.theta0:  # never hand the caller's own array back
                theta = theta.copy()
        curve = self.loss_curve[:k]
        if len(curve) < k:  # interrupted between the commit and the append
            curve.append(current_cost)
        return OptimizeResult(theta=theta, cost=float(cost), n_iter=k, n_evals=self.n_evals, loss_curve=curve,
                              message=message, converged=converged, interrupted=interrupted,
                              seconds=self.elapsed(), method=self.method, initial_cost=self.initial_cost)

    def interrupted(self):
        message = f"interrupted (KeyboardInterrupt) after iteration {self.n_iter}"
        result = self.result(message, interrupted=True)
        if self.verbose:
            self.say(f"{self.method}: {message}")
        warnings.warn(f"training {message} ({self.n_evals} evaluations); returning the last iterate "
                      f"(cost {result.cost:.10g}) and the loss history", TrainingInterrupted, stacklevel=3)
        return result


def _run_scipy(run, method, max_iter, tol, gtol, max_corrections):
    if method == "lbfgs":
        options = {"maxiter": max_iter, "maxcor": max_corrections, "ftol": tol, "gtol": gtol,
                   "maxfun": max(15000, _EVALS_PER_ITER * max_iter)}
        scipy_method = "L-BFGS-B"
    else:
        options = {"maxiter": max_iter, "gtol": gtol, "norm": np.inf}
        scipy_method = "CG"
    res = scipy.optimize.minimize(run.evaluate, run.theta0, jac=True, method=scipy_method, options=options,
                                  callback=run.scipy_callback)
    # SciPy status: 0 its convergence test, 1 max_iter (or L-BFGS-B's evaluation cap), 2 line-search failure.
    if run.stop_reason == "callback":
        message, converged = f"stopped by the callback after iteration {run.n_iter}", False
    elif run.stop_reason == "tol":
        message = f"converged: relative reduction of the cost <= tol ({tol:g})"
        converged = True
    else:
        message, converged = str(res.message), res.status == 0
        if res.status == 1 and run.n_iter >= max_iter:
            message = f"max_iter ({max_iter}) iterations reached"
        # An infinite trial in the last iteration (or in the one under way), then a stop by the method's own
        # test other than the gradient test: the line search did not get past the overflow (a failure, or a
        # collapsed step that the progress test mistakes for convergence).
        if (run.inf_iteration is not None and run.inf_iteration >= run.n_iter and res.status in (0, 2)
                and not np.max(np.abs(res.jac)) <= gtol):
            run.fail(f"the line search of iteration {run.inf_iteration} met an infinite cost (the cost "
                     f"overflowed) and {method} stopped without getting past it ({res.message})",
                     run.inf_iteration)
    # The final iterate is SciPy's own array (a new one, which nothing else refers to): no copy.
    return run.result(message, converged=converged, theta=np.asarray(res.x, dtype=np.float64),
                      cost=float(res.fun))


def _run_gd(run, max_iter, tol, gtol, learning_rate, n_iter_no_change):
    theta = run.theta0.copy()  # gradient descent writes its iterates: never into the caller's theta0
    spare = np.empty_like(theta)
    run.theta0 = theta
    run.current = (0, theta, math.nan)
    read_only = {}  # fun gets read-only views of the two buffers
    for buf in (theta, spare):
        view = buf.view()
        view.flags.writeable = False
        read_only[id(buf)] = view
    cost, grad = run.evaluate(read_only[id(theta)])
    best, no_improvement = cost, 0
    message, converged = f"max_iter ({max_iter}) iterations reached", False
    if np.max(np.abs(grad)) <= gtol:
        return run.result(f"converged: max |gradient| <= gtol ({gtol:g}) at theta0", converged=True)
    for _ in range(max_iter):
        # theta_new = theta - learning_rate * grad, into the buffer that does not hold the current iterate.
        np.multiply(grad, -learning_rate, out=spare)
        spare += theta
        # Any non-finite value raises NonFiniteError here: there is no line search to back off.
        new_cost, grad = run.evaluate(read_only[id(spare)])
        theta, spare = spare, theta
        if run.accept(theta, new_cost, copy=False):
            message = f"stopped by the callback after iteration {run.n_iter}"
            break
        if np.max(np.abs(grad)) <= gtol:
            message, converged = f"converged: max |gradient| <= gtol ({gtol:g})", True
            break
        if _relative_decrease(best, new_cost) > tol:
            no_improvement = 0
        else:
            no_improvement += 1
        best = min(best, new_cost)
        if no_improvement >= n_iter_no_change:
            if _relative_decrease(best, new_cost) >= -tol:  # a plateau, not a rise
                message = (f"converged: the cost fell by no more than tol ({tol:g}, relative) in "
                           f"{n_iter_no_change} consecutive iterations")
                converged = True
            else:
                message = (f"stopped: the cost has not improved in {n_iter_no_change} consecutive iterations "
                           f"and is rising (best {best:.10g}, now {new_cost:.10g}): learning_rate "
                           f"({learning_rate:g}) may be too large")
            break
    return run.result(message, converged=converged)


# ----------------------------------------------------------------------------------------------- the API


def minimize(fun, theta0, method="lbfgs", *, max_iter=400, tol=1e-9, gtol=1e-5, callback=None, verbose=0,
             max_corrections=100, learning_rate=0.1, n_iter_no_change=10, blas_isolation=True):
    """Minimise ``fun`` over a flat parameter vector, on the whole training set at each step.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)``: ``theta`` a float64 array of shape (n_params,); ``cost`` a real
        scalar; ``grad`` an array of shape (n_params,) (float64 is used as is, other real dtypes are
        converted). ``fun`` must not modify ``theta`` (for gradient descent it is a read-only view) and must
        return a new ``grad`` array at every call (SciPy's CG keeps earlier gradients). For a network:
        ``lambda theta: net.cost_and_grad(X, Y, theta)``.
    theta0 : array_like, shape (n_params,)
        The starting point: finite real numbers, 1-D. A float64 C-contiguous array is handed to SciPy as is
        (SciPy copies it into its own working array); other inputs are converted. Never modified.
    method : {"lbfgs", "cg", "gd"}, default "lbfgs"
        ``"lbfgs"``: SciPy's L-BFGS-B without bounds, ``max_corrections`` pairs of memory (the tutorial used
        minFunc's L-BFGS, memory 100). ``"cg"``: SciPy's nonlinear conjugate gradient (Polak-Ribiere, strong
        Wolfe line search). ``"gd"``: batch gradient descent ``theta <- theta - learning_rate * grad``.
    max_iter : int, default 400
        Maximum number of iterations (the tutorial's 400), >= 1. An L-BFGS or CG iteration may evaluate
        ``fun`` more than once (line search); a gradient-descent iteration evaluates it once.
    tol : float, default 1e-9
        Progress tolerance, >= 0, on the relative decrease of the cost over one iteration,
        ``(J_old - J_new) / max(|J_old|, |J_new|, 1)``. ``"lbfgs"``: SciPy's ``ftol`` (stop when it is
        <= tol). ``"cg"``: the same test, checked after each iteration. ``"gd"``: stop when it is <= tol
        (measured against the best cost so far) in ``n_iter_no_change`` consecutive iterations.
        The default 1e-9 is minFunc's ``progTol`` (and close to SciPy's own 2.2e-9).
    gtol : float, default 1e-5
        First-order optimality tolerance, >= 0: stop when ``max_i |grad_i| <= gtol`` (minFunc's ``optTol``;
        SciPy's ``gtol`` with the infinity norm for both L-BFGS-B and CG).
    callback : callable or None, default None
        ``callback(iteration, theta, cost)``, called after every iteration (1, 2, ...) with the new iterate:
        ``theta`` a read-only view that is only valid during the call (copy it to keep it; writing to it
        raises ValueError, so a callback cannot steer the run). Returning a true value (or raising
        StopIteration) stops the run after that iteration: ``converged`` is then False and ``message`` says
        the callback stopped it. Any other exception it raises stops the run too and propagates unchanged
        (the thread pools restored first); the last completed iterate is then the ``theta`` that call was
        given (:func:`ufldl.train` keeps it in ``net.theta``).
    verbose : int, default 0
        0: silent. 1: one line (iteration, cost, elapsed seconds) every ``VERBOSE_EVERY`` (10) iterations,
        plus the start and the end. 2 or more: one line per iteration. Lines go to standard output.
    max_corrections : int, default 100
        ``"lbfgs"`` only: the number of correction pairs L-BFGS keeps (SciPy's ``maxcor``), >= 1.
    learning_rate : float, default 0.1
        ``"gd"`` only: the step size alpha, > 0.
    n_iter_no_change : int, default 10
        ``"gd"`` only: consecutive iterations without a relative improvement above ``tol`` that end the run,
        >= 1.
    blas_isolation : bool, default True
        Limit every BLAS and OpenMP thread pool of the process except ufldl's own OpenBLAS (NumPy's, SciPy's,
        and any other that threadpoolctl finds, chosen by file path) to 1 thread for the duration of the run,
        and restore them afterwards (also after an error or Ctrl-C). OpenBLAS threads spin while they wait;
        SciPy's L-BFGS-B calls its own BLAS between evaluations, and its spinning pool takes cores from
        ufldl's. Set it to False when ``fun`` computes with NumPy's or another library's BLAS.

    Returns
    -------
    result : OptimizeResult
        ``theta``, ``cost``, ``n_iter``, ``n_evals``, ``loss_curve``, ``message``, ``converged``,
        ``interrupted``, ``seconds``, ``method``, ``initial_cost``.

    Raises
    ------
    NonFiniteError
        A FloatingPointError: the cost or gradient was NaN or infinite (see Notes). Its message names the
        iteration; its ``.result`` holds the last finite iterate and the loss history, its ``.iteration`` the
        iteration in which the value appeared.
    TypeError, ValueError
        Invalid arguments (the message names the argument, what was expected and what came), or ``fun``
        returning something other than ``(cost, grad)`` with ``grad`` of shape (n_params,).
    Exception
        Whatever ``callback`` (other than StopIteration) or ``fun`` raised, unchanged.

    Warns
    -----
    TrainingInterrupted
        Ctrl-C (KeyboardInterrupt) during the run: it stops, and the result of the last completed iteration
        is returned with ``interrupted=True`` (nothing computed is lost: the loss history is kept).

    Notes
    -----
    **Non-finite values.** A NaN cost or gradient, a cost of -inf, and an infinite gradient entry at a finite
    cost always stop the run at once. A cost of +inf (an overflow) is treated by where it appears:

    - at the starting point, at any gradient-descent iterate, or at an iterate a method accepts: it stops the
      run;
    - at a line-search trial point of ``"lbfgs"`` or ``"cg"``: it is handed to SciPy as +inf, worse than any
      finite cost, so that a line search able to back off from it does. SciPy's CG line search does (it
      shrinks the step and goes on). SciPy's L-BFGS-B does not: its line search collapses to a zero step
      and it would then stop claiming convergence; this is detected (an infinite trial followed by a zero
      step, or a line-search failure after an infinite trial) and raises NonFiniteError instead.

    In every case the parameters kept (``error.result.theta``) are those of the last accepted iterate,
    which are finite and whose cost is finite.

    **Copies.** ``fun`` receives SciPy's own copy of its iterate for ``"lbfgs"`` and ``"cg"`` (SciPy copies
    before each call) and a view of one of two alternating buffers for ``"gd"``; this module adds one O(n)
    copy per iteration, of the accepted iterate into a buffer, so that Ctrl-C or an error can return it.

    **Thread pools.** Measured on 2 cores with ``benchmarks/bench_training.py`` (the tutorial's 400 L-BFGS
    iterations on 10,000 patches, 413 evaluations): 1.77 s with ``blas_isolation=True``, 3.00 s without
    (medians of 3). Without it, an evaluation of the compiled core took 5.5-6.0 ms instead of 2.9-3.0 ms,
    because SciPy's pool, which L-BFGS-B calls between evaluations, was spinning on the cores ufldl's needed.
    Of the 1.77 s, about 0.56 s is SciPy's L-BFGS-B itself (100 correction pairs, 1.4 ms per iteration).

    Examples
    --------
    >>> import numpy as np
    >>> from ufldl.optimize import minimize
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, -1.0])
    >>> result = minimize(lambda t: (0.5 * t @ A @ t - b @ t, A @ t - b), np.zeros(2))
    >>> bool(np.allclose(result.theta, np.linalg.solve(A, b)))
    True
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {METHODS}; got {type(method).__name__} {method!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if not callable(fun):
        raise TypeError(f"fun must be callable, as fun(theta) -> (cost, grad); got {type(fun).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be None or callable, as callback(iteration, theta, cost); got "
                        f"{type(callback).__name__}")
    max_iter = integer(max_iter, "max_iter", 1)
    tol = real_scalar(tol, "tol", low=0.0)
    gtol = real_scalar(gtol, "gtol", low=0.0)
    verbose = integer(int(verbose) if isinstance(verbose, (bool, np.bool_)) else verbose, "verbose", 0)
    max_corrections = integer(max_corrections, "max_corrections", 1)
    learning_rate = real_scalar(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
    n_iter_no_change = integer(n_iter_no_change, "n_iter_no_change", 1)
    blas_isolation = flag(blas_isolation, "blas_isolation")
    theta0 = _as_theta0(theta0)

    run = _Run(fun, theta0, method, tol, callback, verbose)
    try:  # from here on, Ctrl-C returns what was computed (the pools restored first)
        with isolated_blas() if blas_isolation else contextlib.nullcontext():
            if method == "gd":
                result = _run_gd(run, max_iter, tol, gtol, learning_rate, n_iter_no_change)
            else:
                result = _run_scipy(run, method, max_iter, tol, gtol, max_corrections)
    except KeyboardInterrupt:
        return run.interrupted()
    if verbose:
        if verbose == 1 and result.n_iter % VERBOSE_EVERY:  # the last line, unless already printed
            run.progress(result.n_iter, result.cost, last=True)
        run.say(f"{method}: stopped after {result.n_iter} iterations ({result.n_evals} evaluations, "
                f"{result.seconds:.2f} s): {result.message}")
    return result
