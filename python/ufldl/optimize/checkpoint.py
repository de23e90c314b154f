"""Checkpoints of a full-batch run: theta written atomically every few iterations, and a new run resumed from it.

A client that dies in the middle of a long fit (on a cluster, the process that runs the optimiser) loses
nothing but the iterations since the last checkpoint: ``ufldl.train(..., checkpoint=Checkpoint(path))`` (or an
estimator's ``fit(..., checkpoint=path)``) writes the iterate reached to ``path`` every ``every`` iterations and
when the run ends, whatever ends it, and the same call made again finds the file and continues from it (or, if
the run had converged or reached ``max_iter``, returns its result at once).

The file is a ``ufldl.io`` archive of kind ``"ufldl.TrainingCheckpoint"`` (written by ``ufldl.io.save``: a
temporary file, synced, then renamed over the old one, so a crash leaves the previous checkpoint whole). It
holds theta, the iterations done, the loss curve so far, the solver and the network's architecture; a run
refuses a checkpoint of another architecture, dtype or solver.

What a resumed run does not keep: L-BFGS's correction pairs (and CG's direction) are not saved, so the run
after a resume starts its memory afresh from the saved theta, as minFunc does when it is restarted. A resumed
run is therefore the same as an uninterrupted one up to the checkpoint, and the same as a new run from the
checkpoint's theta after it (the tests check both, bit for bit).
"""

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ufldl import io
from ufldl._lib.types import FloatArray, PathLike
from ufldl._lib.validation import integer

if TYPE_CHECKING:
    from ufldl.network import Network

__all__ = ["Checkpoint", "CheckpointState", "as_checkpoint"]

_KIND = "ufldl.TrainingCheckpoint"
_VERSION = 1


@dataclass
class CheckpointState:
    """What a checkpoint file holds.

    Attributes
    ----------
    theta : ndarray, shape (n_params,)
        The parameters after ``n_iter`` iterations, in the network's dtype.
    n_iter : int
        Iterations done (over every run that wrote this file).
    loss_curve : list of float, length n_iter
        The cost after each of them.
    initial_cost : float
        The cost at the first run's starting point (NaN if unknown).
    solver : str
    architecture : dict
        ``layer_sizes``, ``activations``, ``loss`` and ``dtype`` of the network.
    converged : bool
        Whether the run ended by converging (a tolerance met): resumed, it is finished whatever ``max_iter``.
    """

    theta: FloatArray
    n_iter: int
    loss_curve: list[float] = field(default_factory=list)
    initial_cost: float = math.nan
    solver: str = "lbfgs"
    architecture: dict[str, Any] = field(default_factory=dict)
    converged: bool = False


def _to_state(state: CheckpointState) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    meta = {"version": _VERSION, "n_iter": state.n_iter, "loss_curve": [float(c) for c in state.loss_curve],
            "initial_cost": None if math.isnan(state.initial_cost) else float(state.initial_cost),
            "solver": state.solver, "architecture": state.architecture, "converged": bool(state.converged)}
    return meta, {"theta": state.theta}


def _from_state(meta: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]]) -> CheckpointState:
    if meta.get("version") != _VERSION:
        raise ValueError(f"unknown training checkpoint version {meta.get('version')!r}")
    theta = arrays["theta"]
    if theta.ndim != 1 or len(meta["loss_curve"]) != meta["n_iter"]:
        raise ValueError("a training checkpoint's theta must be 1-D and its loss curve one cost per iteration")
    initial = meta["initial_cost"]
    return CheckpointState(theta, int(meta["n_iter"]), list(meta["loss_curve"]),
                           math.nan if initial is None else float(initial), meta["solver"], meta["architecture"],
                           bool(meta.get("converged", False)))  # (files written before the flag: not converged)


io.register(_KIND, CheckpointState, _to_state, _from_state)


def architecture_of(net: "Network") -> dict[str, Any]:
    """The description a checkpoint must match: layer sizes, activations, loss and dtype."""
    return {"layer_sizes": [int(n) for n in net.layer_sizes], "activations": list(net.activations),
            "loss": net.loss, "dtype": str(net.dtype)}


class Checkpoint:
    """Where and how often a full-batch run saves its iterate (see the module's docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (its directory must exist). If it exists when the run starts, the run resumes from
        it; delete it to start afresh. One file belongs to one training run: do not share it between runs
        (grid-search clones, other data).
    every : int, default 10
        Write after every ``every``-th iteration (counted over the whole run, resumed ones included), and
        always when the run ends (converged, ``max_iter``, Ctrl-C, an exception, a non-finite cost).

    Attributes
    ----------
    resumed_from : int
        The iterations the last run found in the file (0 when it started afresh).
    n_writes : int
        Files written by the last run.
    """

    def __init__(self, path: PathLike, every: int = 10) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(f"checkpoint path must be a non-empty str or os.PathLike; got {path!r}")
        self.path = os.fspath(path)
        self.every = integer(every, "every", low=1)
        self.resumed_from = 0
        self.n_writes = 0

    def __repr__(self) -> str:
        return f"Checkpoint({self.path!r}, every={self.every})"

    def load(self, net: "Network", solver: str) -> CheckpointState | None:
        """The saved state, checked against ``net`` and ``solver``, or None when there is no file yet.

        Parameters
        ----------
        net : ufldl.Network
            The network to resume; the file must hold its architecture.
        solver : str
            The solver resuming; the file must have been written by it.

        Returns
        -------
        CheckpointState or None
            The saved iterate and history.
        """
        if not os.path.exists(self.path):
            return None
        state = io.load(self.path)
        if not isinstance(state, CheckpointState):
            raise ValueError(f"checkpoint {self.path!r} is a saved {type(state).__name__}, not a training "
                             "checkpoint: choose another path")
        expected = architecture_of(net)
        if state.architecture != expected:
            raise ValueError(f"checkpoint {self.path!r} belongs to another network: it holds "
                             f"{state.architecture}, this one is {expected}; delete it or choose another path")
        if state.solver != solver:
            raise ValueError(f"checkpoint {self.path!r} was written by solver {state.solver!r}, not {solver!r}; "
                             "delete it or choose another path")
        if state.theta.shape != (net.n_params,) or not np.isfinite(state.theta).all():
            raise ValueError(f"checkpoint {self.path!r} holds a theta of shape {state.theta.shape} (expected "
                             f"({net.n_params},), all finite)")
        return state

    def save(self, state: CheckpointState) -> None:
        """Write ``state`` atomically (``ufldl.io.save``).

        Parameters
        ----------
        state : CheckpointState
            The iterate and history to write.
        """
        io.save(state, self.path)
        self.n_writes += 1


def as_checkpoint(checkpoint: "Checkpoint | PathLike | None") -> "Checkpoint | None":
    """``checkpoint`` as a :class:`Checkpoint` (from a path) or None."""
    if checkpoint is None or isinstance(checkpoint, Checkpoint):
        return checkpoint
    if isinstance(checkpoint, (str, os.PathLike)):
        return Checkpoint(checkpoint)
    raise TypeError(f"checkpoint must be None, a path or a ufldl.optimize.Checkpoint; got "
                    f"{type(checkpoint).__name__}")
