"""Full-batch optimisers on one flat parameter vector: L-BFGS, nonlinear conjugate gradient, gradient descent.

Everything here works on a function ``fun(theta) -> (cost, grad)`` of a 1-D float64 vector ``theta`` (for a
network, ``lambda theta: net.cost_and_grad(X, Y, theta)``), as ``docs/math.md`` ("Optimisation")
describes: the tutorial trains its sparse autoencoder with at most 400 iterations of L-BFGS on the flat
``theta``. ``"lbfgs"`` is minFunc's L-BFGS, the tutorial's optimiser, run by the compiled core
(``ufldl.optimize.lbfgs``; for a network's objective the line search runs in C++ too). ``"lbfgsb"`` and
``"cg"`` are SciPy's (``scipy.optimize.minimize(..., jac=True)``, methods ``"L-BFGS-B"`` and ``"CG"``), with
their own line searches. ``ufldl.optimize.fullbatch_run`` keeps the bookkeeping every method shares (loss
history, progress, callbacks, Ctrl-C, non-finite values), and this module the thread pools.

Use
---
>>> import numpy as np, ufldl
>>> from ufldl.optimize import minimize
>>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(200, 16))
>>> net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.01, 3.0), random_state=0)
>>> result = minimize(lambda theta: net.cost_and_grad(X, X, theta), net.theta, max_iter=50)
>>> net.theta = result.theta
>>> len(result.loss_curve) == result.n_iter
True
"""

import contextlib
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import scipy.optimize

from ufldl._lib.threads import isolated_blas
from ufldl._lib.types import ArrayLike, Float64Array, MethodName
from ufldl._lib.validation import first_non_finite, flag, integer, numeric_array, patience, real_scalar
from ufldl.optimize.fullbatch_run import VERBOSE_EVERY, FullBatchRun, relative_decrease
from ufldl.optimize.lbfgs import default_max_evals, run_lbfgs
from ufldl.optimize.results import OptimizeResult

__all__ = ["METHODS", "minimize"]

#: The methods of :func:`minimize`: minFunc's L-BFGS (the core's), SciPy's L-BFGS-B, SciPy's CG, gradient descent.
METHODS = ("lbfgs", "lbfgsb", "cg", "gd")

# SciPy's L-BFGS-B counts evaluations too; its default cap (15000) is raised for very long runs so that
# max_iter, not the evaluation count, is what ends a run that makes progress.
_EVALS_PER_ITER = 20


# ----------------------------------------------------------------------------------------------- validation


def _as_theta0(theta0: ArrayLike) -> Float64Array:
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


# ----------------------------------------------------------------------------------------------- the methods


def _run_scipy(run: FullBatchRun, method: MethodName, max_iter: int, tol: float, gtol: float, max_corrections: int,
               max_evals: int | None) -> OptimizeResult:
    options: Any  # (scipy-stubs: a private TypedDict per method)
    scipy_method: Literal["L-BFGS-B", "CG"]
    if method == "lbfgsb":
        options = {"maxiter": max_iter, "maxcor": max_corrections, "ftol": tol, "gtol": gtol,
                   "maxfun": max(15000, _EVALS_PER_ITER * max_iter) if max_evals is None else max_evals}
        scipy_method = "L-BFGS-B"
    else:
        options = {"maxiter": max_iter, "gtol": gtol, "norm": np.inf}
        scipy_method = "CG"
    res = scipy.optimize.minimize(run.evaluate, run.theta0, jac=True, method=scipy_method, options=options,
                                  callback=run.scipy_callback)
    # SciPy status: 0 its convergence test, 1 max_iter (or L-BFGS-B's evaluation cap), 2 line-search failure.
    if run.stop_reason == "callback":
        message, converged = f"stopped by the callback after iteration {run.n_iter}", False
    elif run.stop_reason == "max_evals":
        message, converged = f"stopped: max_evals ({max_evals}) evaluations reached", False
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


def _run_gd(run: FullBatchRun, max_iter: int, tol: float, gtol: float, learning_rate: float,
            n_iter_no_change: float) -> OptimizeResult:
    theta = run.theta0.copy()  # gradient descent writes its iterates: never into the caller's theta0
    spare = np.empty_like(theta)
    run.theta0 = theta
    run.current = (0, theta, math.nan)
    read_only: dict[int, Float64Array] = {}  # fun gets read-only views of the two buffers
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
            message = (f"stopped: max_evals ({run.max_evals}) evaluations reached" if run.stop_reason == "max_evals"
                       else f"stopped by the callback after iteration {run.n_iter}")
            break
        if np.max(np.abs(grad)) <= gtol:
            message, converged = f"converged: max |gradient| <= gtol ({gtol:g})", True
            break
        if relative_decrease(best, new_cost) > tol:
            no_improvement = 0
        else:
            no_improvement += 1
        best = min(best, new_cost)
        if no_improvement > n_iter_no_change:  # (n_iter_no_change tolerated, as scikit-learn's MLP)
            if relative_decrease(best, new_cost) >= -tol:  # a plateau, not a rise
                message = (f"converged: the cost fell by no more than tol ({tol:g}, relative) in "
                           f"{no_improvement} consecutive iterations (n_iter_no_change={n_iter_no_change})")
                converged = True
            else:
                message = (f"stopped: the cost has not improved in {no_improvement} consecutive iterations "
                           f"and is rising (best {best:.10g}, now {new_cost:.10g}): learning_rate "
                           f"({learning_rate:g}) may be too large")
            break
    return run.result(message, converged=converged)


# ----------------------------------------------------------------------------------------------- the API


def minimize(fun: Callable[[Float64Array], tuple[float, ArrayLike]], theta0: ArrayLike, method: MethodName = "lbfgs",
             *, max_iter: int = 400, tol: float = 1e-9, gtol: float = 1e-5, callback: Callable[..., Any] | None = None,
             verbose: int = 0, max_corrections: int = 100, max_evals: int | None = None, learning_rate: float = 0.1,
             n_iter_no_change: float = 10, blas_isolation: bool = True) -> OptimizeResult:
    """Minimise ``fun`` over a flat parameter vector, on the whole training set at each step.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)``: ``theta`` a float64 array of shape (n_params,); ``cost`` a real
        scalar; ``grad`` an array of shape (n_params,) (float64 is used as is, other real dtypes are
        converted). ``fun`` must not modify ``theta`` (for ``"lbfgs"`` and gradient descent it is a read-only
        view of the solver's own buffer, valid during the call only: copy it to keep it) and must return a new
        ``grad`` array at every call (SciPy's CG keeps earlier gradients). For a network:
        ``lambda theta: net.cost_and_grad(X, Y, theta)``, or ``net.objective(X, Y)``, with which ``"lbfgs"``
        runs its evaluations and line search in the core (see Notes).
    theta0 : array_like, shape (n_params,)
        The starting point: finite real numbers, 1-D. A float64 C-contiguous array is handed to SciPy as is
        (SciPy copies it into its own working array) and copied by ``"lbfgs"``; other inputs are converted.
        Never modified.
    method : {"lbfgs", "lbfgsb", "cg", "gd"}, default "lbfgs"
        ``"lbfgs"``: minFunc's L-BFGS (the UFLDL tutorial's optimiser, ``options.Method = 'lbfgs'`` with its
        defaults), implemented in the compiled core: the two-loop recursion over ``max_corrections`` pairs,
        minFunc's bracketing line search with cubic interpolation (strong Wolfe, c1 = 1e-4, c2 = 0.9, at most
        25 iterations per search) and minFunc's stopping tests; from the same start on the same cost it
        evaluates the costs minFunc evaluates, in order, to rounding (``docs/math.md#l-bfgs-direction``).
        ``"lbfgsb"``: SciPy's L-BFGS-B without bounds (its own line search and tests; ``max_corrections``
        is its ``maxcor``). ``"cg"``: SciPy's nonlinear conjugate gradient (Polak-Ribiere, strong Wolfe line
        search). ``"gd"``: batch gradient descent ``theta <- theta - learning_rate * grad``.
        Called ``method`` as in ``scipy.optimize.minimize``, whose role this function plays; :func:`ufldl.train`
        and the estimators, which follow scikit-learn, call the same choice ``solver``.
    max_iter : int, default 400
        Maximum number of iterations (the tutorial's 400), >= 1. An L-BFGS or CG iteration may evaluate
        ``fun`` more than once (line search); a gradient-descent iteration evaluates it once.
    tol : float, default 1e-9
        Progress tolerance, >= 0, on the relative decrease of the cost over one iteration,
        ``(J_old - J_new) / max(|J_old|, |J_new|, 1)``. ``"lbfgs"``: minFunc's ``progTol``: stop when the
        relative decrease is < tol (minFunc's own test is ``|J_old - J_new| < progTol``, the same for costs of
        magnitude at most 1), when the step ``sum_i |t d_i|`` is <= tol, or when the next direction's
        directional derivative ``g'd`` is > -tol. ``"lbfgsb"``: SciPy's ``ftol`` (stop when it is <= tol).
        ``"cg"``: the same test, checked after each iteration. ``"gd"``: stop when it is <= tol (measured
        against the best cost so far) in more than ``n_iter_no_change`` consecutive iterations. The default
        1e-9 is minFunc's ``progTol`` (and close to SciPy's own 2.2e-9).
    gtol : float, default 1e-5
        First-order optimality tolerance, >= 0. ``"lbfgs"``: stop when ``sum_i |grad_i| <= gtol`` (minFunc's
        ``optTol``, on the 1-norm as minFunc tests it). ``"lbfgsb"``, ``"cg"``, ``"gd"``: stop when
        ``max_i |grad_i| <= gtol`` (SciPy's ``gtol`` with the infinity norm).
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
        ``"lbfgs"`` and ``"lbfgsb"``: the number of correction pairs L-BFGS keeps (minFunc's ``Corr``, SciPy's
        ``maxcor``), >= 1. ``"lbfgs"`` keeps them in float64, ``2 * max_corrections + 2`` vectors of
        n_params (allocated once, committed by the operating system as they fill), beside about 8 more for
        its iterate, direction, trial point and gradients.
    max_evals : int or None, default None
        Every method: the cap on evaluations of ``fun``, >= 1. ``"lbfgs"`` stops after the
        first iteration that ends with more (minFunc's ``MaxFunEvals``; a line search may go past it); None:
        ``max(1000, 2 * max_iter)``, minFunc's 1000 for the tutorial's 400 iterations. ``"lbfgsb"``: SciPy's
        ``maxfun``; None: ``max(15000, 20 * max_iter)``. ``"cg"`` and ``"gd"``: stop after the first iteration
        that reaches it (None: no cap). scikit-learn's MLP calls it ``max_fun``.
    learning_rate : float, default 0.1
        ``"gd"`` only: the step size alpha, > 0.
    n_iter_no_change : int or numpy.inf, default 10
        ``"gd"`` only: consecutive iterations without a relative improvement above ``tol`` that are tolerated,
        >= 1 (the next one ends the run, as scikit-learn's MLP counts), or ``numpy.inf`` (never).
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
    - at a line-search trial point of ``"lbfgs"``, ``"lbfgsb"`` or ``"cg"``: it is handed to the line search
      as +inf, worse than any finite cost, so that a line search able to back off from it does.
      ``"lbfgs"`` does as minFunc does with an "illegal" value: it halves the step back from it and goes on
      with minFunc's backtracking (Armijo) search. SciPy's CG line search shrinks the step and goes on.
      SciPy's L-BFGS-B does not back off: its line search collapses to a zero step and it would then stop
      claiming convergence. A zero step after an infinite trial (with any method), or a line-search failure
      after one (SciPy's), raises NonFiniteError instead.

    In every case the parameters kept (``error.result.theta``) are those of the last accepted iterate,
    which are finite and whose cost is finite.

    **Copies.** ``fun`` receives SciPy's own copy of its iterate for ``"lbfgsb"`` and ``"cg"`` (SciPy copies
    before each call), a read-only view of the core's trial point for ``"lbfgs"`` (whose gradient is copied
    into the core) and a view of one of two alternating buffers for ``"gd"``; this module adds one O(n)
    copy per iteration, of the accepted iterate into a buffer, so that Ctrl-C or an error can return it.

    **minFunc's L-BFGS in the core.** ``"lbfgs"`` drives the core's state machine (``ufldl._core.Lbfgs``):
    for a Python ``fun`` every evaluation comes back to Python; for ``net.objective(X, Y)`` (what
    :func:`ufldl.train` and the estimators pass), the evaluations and the line search of a whole iteration run
    in C++ without the GIL, and control returns after each completed iteration (callbacks, progress) and
    about every 0.1 s within one (Ctrl-C). The iterate, gradients, direction and correction pairs are float64
    for every network; a float32 network is evaluated at each trial point rounded to float32.

    **Thread pools.** Measured on 2 cores with ``benchmarks/bench_training.py`` (the tutorial's 400 L-BFGS
    iterations on 10,000 patches with SciPy's L-BFGS-B, 413 evaluations): 1.77 s with
    ``blas_isolation=True``, 3.00 s without (medians of 3). Without it, an evaluation of the compiled core
    took 5.5-6.0 ms instead of 2.9-3.0 ms, because SciPy's pool, which L-BFGS-B calls between evaluations,
    was spinning on the cores ufldl's needed. Of the 1.77 s, about 0.56 s was SciPy's L-BFGS-B itself (100
    correction pairs, 1.4 ms per iteration). ``"lbfgs"`` uses only the core's own pool.

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
    if max_evals is not None:
        max_evals = integer(max_evals, "max_evals", 1)
    learning_rate = real_scalar(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
    n_iter_no_change = patience(n_iter_no_change, "n_iter_no_change")
    blas_isolation = flag(blas_isolation, "blas_isolation")
    theta0 = _as_theta0(theta0)

    run = FullBatchRun(fun, theta0, method, tol, callback, verbose)
    if method in ("cg", "gd"):
        run.max_evals = max_evals
    run.reporter.total = max_iter  # the progress bar's length
    try:  # from here on, Ctrl-C returns what was computed (the pools restored first)
        with isolated_blas() if blas_isolation else contextlib.nullcontext():
            if method == "gd":
                result = _run_gd(run, max_iter, tol, gtol, learning_rate, n_iter_no_change)
            elif method == "lbfgs":
                result = run_lbfgs(run, fun, max_iter, tol, gtol, max_corrections,
                                   default_max_evals(max_iter) if max_evals is None else max_evals)
            else:
                result = _run_scipy(run, method, max_iter, tol, gtol, max_corrections, max_evals)
    except KeyboardInterrupt:
        return run.interrupted()
    if verbose:
        if verbose == 1 and result.n_iter % VERBOSE_EVERY:  # the last line, unless already printed
            run.progress(result.n_iter, result.cost, last=True)
        run.say(f"{method}: stopped after {result.n_iter} iterations ({result.n_evals} evaluations, "
                f"{result.seconds:.2f} s): {result.message}", last=True)
    return result
