"""Checkpoints of a :class:`StackedAutoencoder` fit: one file per stage in a directory.

The fit is a sequence of full-batch runs (each autoencoder, the softmax layer, the fine-tuning), so its
checkpoint is a directory holding one :class:`ufldl.optimize.Checkpoint` file per stage:
``autoencoder-1.ckpt``, ..., ``softmax.ckpt``, ``finetune.ckpt``. Made again with the same directory, the fit
resumes: a stage whose file holds its whole run (``max_iter`` reached, or converged) returns that run's parameters
at once (its features follow from them, as they did), a stage cut short continues from its last write, and the
stages after one that trained start afresh (their files, written from other inputs, are removed). The
random initialisations are drawn in the same order either way, so a resumed fit equals an uninterrupted one up
to the point of the interruption, as a single run's checkpoint does.
"""

import os
from dataclasses import dataclass, field
from typing import Any

from ufldl._lib.types import PathLike
from ufldl.optimize.checkpoint import Checkpoint

__all__ = ["StackCheckpoints", "stack_checkpoints", "stage_keyword"]


@dataclass
class StackCheckpoints:
    """The directory of a stack's checkpoints, how often each stage writes its file, and the stages of this fit
    so far (in order)."""

    directory: str
    every: int
    stages: list[Checkpoint] = field(default_factory=list)

    def stage(self, name: str) -> dict[str, Any]:
        """``{"checkpoint": Checkpoint(<directory>/<name>.ckpt, every)}``, the keyword of that stage's run.

        If an earlier stage of this fit trained (wrote its file: it was not found finished), this stage's input
        has changed, so its file, written from the old input, is removed: it starts afresh."""
        path = os.path.join(self.directory, f"{name}.ckpt")
        if any(earlier.n_writes for earlier in self.stages) and os.path.exists(path):
            os.remove(path)
        checkpoint = Checkpoint(path, self.every)
        self.stages.append(checkpoint)
        return {"checkpoint": checkpoint}


def stack_checkpoints(checkpoint: "Checkpoint | PathLike | None") -> "StackCheckpoints | None":
    """``fit``'s ``checkpoint``: a directory (created if missing; its parent must exist), or a ``Checkpoint``
    whose path is taken as the directory and whose ``every`` applies to every stage; None stays None."""
    if checkpoint is None:
        return None
    if isinstance(checkpoint, Checkpoint):
        directory, every = checkpoint.path, checkpoint.every
    elif isinstance(checkpoint, (str, os.PathLike)) and os.fspath(checkpoint):
        directory, every = os.fspath(checkpoint), 10
    else:
        raise TypeError(f"checkpoint must be None, a directory path or a ufldl.optimize.Checkpoint; got "
                        f"{checkpoint!r}")
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(f"checkpoint {directory!r} is a file; a StackedAutoencoder keeps one file per stage in a "
                         "directory: choose a directory path")
    parent = os.path.dirname(os.path.abspath(directory))
    if not os.path.isdir(parent):
        raise ValueError(f"checkpoint {directory!r}: its parent directory {parent!r} does not exist")
    os.makedirs(directory, exist_ok=True)
    return StackCheckpoints(directory, every)


def stage_keyword(checkpoints: "StackCheckpoints | None", name: str) -> dict[str, Any]:
    """The checkpoint keyword of stage ``name``'s run: {} without checkpoints."""
    return {} if checkpoints is None else checkpoints.stage(name)
