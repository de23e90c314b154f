"""One entry point that trains a :class:`ufldl.Network` with any of the library's solvers.

``train(net, X, Y, solver)`` runs :func:`ufldl.minimize` on the full-batch cost (``"lbfgs"``, ``"lbfgsb"``,
``"cg"``, ``"gd"``) or :func:`ufldl.train_minibatch` (``"sgd"``, ``"adam"``) and leaves the parameters reached in
``net.theta``. The estimators (``ufldl.SparseAutoencoder`` and the rest) train through it.
"""

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from ufldl._lib.deprecation import renamed_keyword
from ufldl._lib.errors import NonFiniteError
from ufldl._lib.types import ArrayLike, FloatArray, MethodName, PathLike, RandomStateLike, SolverName
from ufldl.network import Network
from ufldl.optimize.callbacks import call_with_parameters_read_only, read_only_view
from ufldl.optimize.checkpoint import Checkpoint, CheckpointState, architecture_of, as_checkpoint
from ufldl.optimize.fullbatch import METHODS, minimize
from ufldl.optimize.minibatch import train_minibatch
from ufldl.optimize.optimizers import SGD, Adam, MinibatchOptimizer
from ufldl.optimize.results import OptimizeResult
from ufldl.scale import is_dask_array, objective_for

__all__ = ["SOLVERS", "train"]

#: Every solver :func:`train` knows: full-batch first, then mini-batch.
SOLVERS = METHODS + ("sgd", "adam")

_FULL_BATCH_OPTIONS = {"gtol", "max_corrections", "max_evals", "learning_rate", "n_iter_no_change",
                       "blas_isolation"}
_MINIBATCH_OPTIONS = {"batch_size", "shuffle", "n_iter_no_change", "early_stopping", "validation_fraction",
                      "validation_data", "scoring", "rho_hat_decay", "blas_isolation"}
_OPTIMIZER_OPTIONS = {"sgd": {"learning_rate", "momentum", "nesterov", "lr_schedule", "power_t"},
                      "adam": {"learning_rate", "beta_1", "beta_2", "epsilon", "lr_schedule", "power_t"}}
# tol means a relative decrease of the cost for the full-batch methods, an absolute one per epoch for the
# mini-batch ones (as in scikit-learn's MLP); these are the defaults.
DEFAULT_TOL = {"lbfgs": 1e-9, "lbfgsb": 1e-9, "cg": 1e-9, "gd": 1e-9, "sgd": 1e-4, "adam": 1e-4}


@renamed_keyword("schedule", "lr_schedule")
def train(net: Network, X: ArrayLike, Y: ArrayLike, solver: SolverName = "lbfgs", *, max_iter: int = 400,
          tol: float | None = None, callback: Callable[..., Any] | None = None, verbose: int = 0,
          random_state: RandomStateLike = None, optimizer: MinibatchOptimizer | None = None,
          block_rows: int | None = None, checkpoint: Checkpoint | PathLike | None = None,
          sample_weight: ArrayLike | None = None, **options: Any) -> OptimizeResult:
    """Train ``net`` in place on ``(X, Y)``; returns the optimiser's result.

    Parameters
    ----------
    net : ufldl.Network
        Its ``theta`` is the starting point and receives the parameters reached.
    X : array_like, shape (m, n_0)
        With the full-batch solvers also data read in blocks of rows (a memory-mapped array, an h5py or zarr
        dataset, ``ufldl.scale.RowBlocks``; arrays above ``ufldl.scale.STREAM_ABOVE_BYTES``) or a Dask array
        (evaluated on its chunks): see ``ufldl.scale``. The results are the in-memory fit's up to rounding.
    Y : array_like, shape (m, n_L), or (m,) int labels for cross-entropy
        The targets, as in :meth:`ufldl.Network.cost_and_grad` (for an autoencoder, ``X`` itself).
    solver : {"lbfgs", "lbfgsb", "cg", "gd", "sgd", "adam"}, default "lbfgs"
        ``"lbfgs"``, ``"lbfgsb"``, ``"cg"``, ``"gd"``: :func:`ufldl.minimize` on the cost of all of X.
        ``"lbfgs"`` is minFunc's L-BFGS, the tutorial's choice, run entirely in the core (evaluations and line
        search without the GIL; control returns to Python after every iteration); ``"lbfgsb"`` is SciPy's
        L-BFGS-B. ``"sgd"``, ``"adam"``: :func:`ufldl.train_minibatch`.
    max_iter : int, default 400
        Iterations for the full-batch solvers, epochs for the mini-batch ones.
    tol : float or None, default None
        None: 1e-9 (relative decrease of the cost) for the full-batch solvers, 1e-4 (absolute decrease of
        the epoch loss) for the mini-batch ones.
    callback : callable or None
        ``callback(iteration, theta, cost)`` after every iteration or epoch; a true return value (or
        StopIteration) stops. With every solver ``theta`` is a read-only view of ``net.theta``, which holds
        the iterate just completed during the call (so ``net.cost(X_val, Y_val)`` or ``net.predict`` there
        see it), and ``net.theta``, ``net.weights`` and ``net.biases`` are read-only for the duration of the
        call: writing to them raises ValueError (the solver owns the parameters while it runs; change them
        between calls of ``train`` instead).
    verbose : int, default 0
        Progress lines: as :func:`ufldl.minimize` takes it (full-batch), or :func:`ufldl.train_minibatch` (one
        line per epoch).
    random_state : int, numpy.random.Generator or None
        The mini-batch solvers' shuffles and validation split.
    optimizer : SGD, Adam or None
        For ``"sgd"`` / ``"adam"``: an optimiser object to use (and continue) instead of a new one built from
        ``options``.
    block_rows : int or None, default None
        Full-batch solvers: evaluate the cost over blocks of this many rows (``ufldl.scale.StreamedObjective``),
        whatever X is; None: only for the inputs ``ufldl.scale.streams`` names, in blocks of about
        ``ufldl.scale.BLOCK_BYTES``.
    checkpoint : str, os.PathLike, ufldl.optimize.Checkpoint or None, default None
        Full-batch solvers: save the iterate to this file every 10 iterations (a ``Checkpoint(path, every=k)``
        to choose) and when the run ends, atomically; if the file exists, resume from it (``max_iter`` then
        counts the iterations before the checkpoint too, and the result's ``n_iter`` and ``loss_curve`` cover
        the whole run). L-BFGS's memory is not saved: after a resume it starts afresh. See
        ``ufldl.optimize.checkpoint``. (For mini-batch training, save the estimator between ``partial_fit``
        calls).
    sample_weight : array_like, shape (m,), or None, default None
        Weights >= 0 of the examples, not all zero (docs/math.md#sample-weights): every solver minimises the
        weighted mean cost (integer weights train as repeated rows; the mini-batch solvers leave rows of weight 0
        out of their batches). With data read in blocks, a 1-D array (or a memory-mapped one) read with the
        blocks; with a Dask array X, a NumPy or Dask array (rechunked to X's row chunks).
    **options
        Passed on. Full-batch: ``gtol``, ``max_corrections``, ``max_evals``, ``learning_rate`` (``"gd"``),
        ``n_iter_no_change``, ``blas_isolation``. Mini-batch: ``batch_size``, ``shuffle``,
        ``n_iter_no_change``, ``early_stopping``, ``validation_fraction``, ``validation_data``, ``scoring``,
        ``rho_hat_decay``, ``blas_isolation``, and the optimiser's own (``learning_rate``, ``momentum``,
        ``nesterov``, ``beta_1``, ``beta_2``, ``epsilon``, ``lr_schedule`` (formerly ``schedule``), ``power_t``).

    Returns
    -------
    result : OptimizeResult or MinibatchResult
        The run: the parameters reached (also in ``net.theta``), the loss history and why it stopped.

    Raises
    ------
    NonFiniteError
        As the solver raises it; ``net.theta`` holds the last finite parameters.
    Exception
        Whatever ``callback`` (or, for the mini-batch solvers, ``scoring``) raised, unchanged, with every
        solver: training stops and ``net.theta`` keeps the progress reached, as after Ctrl-C, that is the
        last completed iterate or epoch (with ``early_stopping``, the best validated one).

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(200, 16))
    >>> net = ufldl.Network([16, 5, 16], weight_decay=1e-4, sparsity=ufldl.KLSparsity(0.05, 3.0), random_state=0)
    >>> result = ufldl.train(net, X, X, "lbfgs", max_iter=100)
    >>> bool(net.cost(X, X) == result.cost)
    True
    """
    if not isinstance(solver, str) or solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}; got {solver!r}")
    tol = DEFAULT_TOL[solver] if tol is None else tol
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be None or callable, as callback(iteration, theta, cost); got "
                        f"{type(callback).__name__}")
    if solver in METHODS:
        unknown = set(options) - _FULL_BATCH_OPTIONS
        if unknown or optimizer is not None:
            bad = sorted(unknown) or ["optimizer"]
            raise TypeError(f"solver {solver!r} takes no option {bad[0]!r} (it is for the mini-batch solvers "
                            f"or unknown); its options are {sorted(_FULL_BATCH_OPTIONS)}")
        checkpoint = as_checkpoint(checkpoint)
        saved = None if checkpoint is None else _resume(net, checkpoint, solver)
        done = 0 if saved is None else saved.n_iter
        if saved is not None and (done >= max_iter or saved.converged):
            return _finished_before(net, saved, cast(Checkpoint, checkpoint), max_iter)  # (saved: from it)
        fun = objective_for(net, X, Y, block_rows=block_rows, sample_weight=sample_weight)  # (None: in memory)
        if fun is None:
            data = net.training_data(X, Y)
            fun = net.objective(*data) if sample_weight is None else net.objective(*data, sample_weight=sample_weight)
        curve = [] if saved is None else list(saved.loss_curve)
        initial_cost = np.nan if saved is None else saved.initial_cost
        written = [done if saved is not None else -1]  # the iterations the file holds (-1: no file yet)
        converged = [False]

        def save_checkpoint() -> None:  # (called with a checkpoint only)
            cast(Checkpoint, checkpoint).save(CheckpointState(net.theta.copy(), len(curve), curve, initial_cost, solver,
                                            architecture_of(net), converged[0]))
            written[0] = len(curve)

        def watched(iteration: int, theta: FloatArray, cost: float) -> Any:
            # Every accepted iterate goes into net.theta at once (one O(n_params) copy per iteration, beside
            # an evaluation's O(m n_params)): whatever ends the run, an exception from the callback or from
            # the cost included, net.theta holds the last completed iterate, as with the mini-batch solvers,
            # and a callback reading the network (net.cost, net.predict) sees the iterate it is given.
            np.copyto(net.theta, theta, casting="same_kind")
            curve.append(float(cost))
            if checkpoint is not None and len(curve) % checkpoint.every == 0:
                save_checkpoint()
            if callback is None:
                return None
            return call_with_parameters_read_only(net, callback, done + iteration, read_only_view(net.theta),
                                                  cost)

        theta0 = net.theta.astype(np.float64)
        try:
            result = minimize(fun, theta0, cast(MethodName, solver), max_iter=max_iter - done, tol=tol,
                              callback=watched, verbose=verbose, **options)
        except NonFiniteError as err:
            net.theta = err.result.theta
            raise
        else:
            net.theta = result.theta
            if saved is None:
                initial_cost = result.initial_cost
            else:
                result.n_iter += done
                result.loss_curve = list(saved.loss_curve) + list(result.loss_curve)
                result.initial_cost = saved.initial_cost
            converged[0] = result.converged
        finally:
            if checkpoint is not None and (written[0] != len(curve) or converged[0]):
                save_checkpoint()  # whatever ended the run: nothing reached is lost (and a convergence is kept)
        return result

    if checkpoint is not None:
        raise TypeError(f"checkpoint is for the full-batch solvers; for {solver!r}, save the estimator (or the "
                        "network and optimiser) between partial_fit calls instead")
    if block_rows is not None or is_dask_array(X):
        raise TypeError(f"solver {solver!r} trains on mini-batches of an in-memory array; block_rows and Dask "
                        "arrays are for the full-batch solvers (for a Dask array, call partial_fit on its blocks "
                        "in turn: ufldl.scale.partial_fit_blocks)")
    own = _OPTIMIZER_OPTIONS[solver]
    unknown = set(options) - _MINIBATCH_OPTIONS - own
    if unknown:
        raise TypeError(f"solver {solver!r} takes no option {sorted(unknown)[0]!r}; its options are "
                        f"{sorted(_MINIBATCH_OPTIONS | own)}")
    hyper = {key: options.pop(key) for key in own if key in options}
    if optimizer is None:
        optimizer = (SGD if solver == "sgd" else Adam)(**hyper)
    elif not isinstance(optimizer, MinibatchOptimizer) or optimizer.name != solver:
        raise TypeError(f"optimizer must be a ufldl.{'SGD' if solver == 'sgd' else 'Adam'} for solver "
                        f"{solver!r}; got {type(optimizer).__name__}")
    elif hyper:
        raise TypeError(f"pass either optimizer or its hyperparameters ({sorted(hyper)}), not both")
    return train_minibatch(net, X, Y, optimizer, max_epochs=max_iter, tol=tol, callback=callback,
                           verbose=verbose, random_state=random_state, sample_weight=sample_weight, **options)


def _resume(net: Network, checkpoint: Checkpoint, solver: str) -> CheckpointState | None:
    """The checkpoint's saved state (its theta put into ``net``), or None when there is none yet."""
    saved = checkpoint.load(net, solver)
    checkpoint.resumed_from, checkpoint.n_writes = (0 if saved is None else saved.n_iter), 0
    if saved is not None:
        net.theta = saved.theta
    return saved


def _finished_before(net: Network, saved: CheckpointState, checkpoint: Checkpoint,
                     max_iter: int) -> OptimizeResult:
    """The result of a run whose checkpoint holds a converged run, or ``max_iter`` iterations or more: nothing to
    do."""
    reached = "the run had converged" if saved.converged else f"max_iter={max_iter} already reached"
    return OptimizeResult(theta=net.theta.astype(np.float64), cost=saved.loss_curve[-1], n_iter=saved.n_iter,
                          n_evals=0, loss_curve=list(saved.loss_curve),
                          message=f"resumed from checkpoint {checkpoint.path!r} after {saved.n_iter} iterations: "
                                  f"{reached}", converged=saved.converged,
                          method=saved.solver, initial_cost=saved.initial_cost)
