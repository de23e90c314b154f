"""Mini-batch training over data in blocks: ``partial_fit`` on each block in turn, as dask-ml's ``Incremental``.

Why not synchronous distributed SGD (every step's gradient reduced over the workers)? A step of the mini-batch
solvers costs about 1.7 ms of compute on the tutorial's sizes (batches of 200); a round trip through a Dask
scheduler costs 25-40 ms (measured with a prototype), so every step would wait 15-25 times longer than it
computes. The mini-batch solvers instead stream the blocks to one process: each block is read (a Dask chunk is
computed) on its own, and the estimator runs one epoch of its solver on it (its optimiser state carries over),
so memory is bounded by a block. With sample weights, each block's ``partial_fit`` gets its rows' weights (a block
whose weights are all zero is skipped: a weight of zero removes its row). Local SGD with periodic parameter
averaging would be a different algorithm (it does not follow the same iterates) and is not built.
"""

from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from ufldl._lib.types import RandomStateLike, RowsLike
from ufldl._lib.validation import integer, random_generator
from ufldl.scale.rows import block_bounds, block_rows_for, is_dask_array, read_rows
from ufldl.scale.weights import block_weights, dask_weights

__all__ = ["partial_fit_blocks"]


class _Incremental(Protocol):
    """What partial_fit_blocks needs of an estimator."""

    def partial_fit(self, *args: Any, **kwargs: Any) -> Any: ...


_Estimator = TypeVar("_Estimator", bound=_Incremental)


def _blocks(X: RowsLike, block_rows: int | None) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: a Dask array's chunks, or blocks of ``block_rows`` rows (default: about
    ``BLOCK_BYTES`` of float64 input and targets)."""
    if is_dask_array(X):
        ends = np.cumsum((0,) + tuple(X.chunks[0])).tolist()
        return [(a, b) for a, b in zip(ends, ends[1:]) if b > a]
    n = int(X.shape[1])
    return block_bounds(int(X.shape[0]), block_rows_for(X, (n, n), np.float64, block_rows))


def _read(start: int, stop: int, *arrays: RowsLike) -> list[npt.NDArray[Any] | None]:
    """Rows ``start..stop-1`` of each array (None stays None); the Dask ones computed together."""
    lazy = [A[start:stop] for A in arrays if is_dask_array(A)]
    computed = iter(_compute(lazy) if lazy else ())
    out: list[npt.NDArray[Any] | None] = []
    for A in arrays:
        if A is None:
            out.append(None)
        elif is_dask_array(A):
            out.append(np.asarray(next(computed)))
        else:
            out.append(read_rows(A, start, stop) if hasattr(A, "shape") else np.asarray(A)[start:stop])
    return out


def _compute(lazy: list[Any]) -> tuple[Any, ...]:
    import dask  # noqa: PLC0415  (only for a Dask input)
    computed: tuple[Any, ...] = dask.compute(*lazy)
    return computed


def partial_fit_blocks(estimator: _Estimator, X: RowsLike, y: RowsLike = None, *, epochs: int = 1,
                       shuffle_blocks: bool = False, random_state: RandomStateLike = None,
                       block_rows: int | None = None, sample_weight: RowsLike = None,
                       **fit_params: Any) -> _Estimator:
    """Train a mini-batch estimator (``solver="sgd"`` or ``"adam"``) over ``X`` block by block.

    Parameters
    ----------
    estimator : an estimator with ``partial_fit`` (SparseAutoencoder, NeuralNetClassifier, ...)
        Trained in place, with ``solver="sgd"`` or ``"adam"``.
    X : Dask array, memory-mapped array, h5py/zarr dataset or array, shape (n_samples, n_features)
        Its blocks are a Dask array's chunks, else ``block_rows`` rows.
    y : array-like of n_samples rows or None
        Cut into the same blocks (a Dask array's chunks are computed with X's).
    epochs : int, default 1
        Passes over the blocks; each block is one ``partial_fit`` (one epoch of the solver over that block).
    shuffle_blocks : bool, default False
        Visit the blocks in a new random order every pass (the rows within a block are shuffled by the
        estimator's own ``shuffle``).
    random_state : int, Generator or None
        The order of the blocks when ``shuffle_blocks``.
    block_rows : int or None
        Rows per block for an input that is not a Dask array.
    sample_weight : array_like, memory-mapped array, dask.array.Array or None, shape (n_samples,)
        The examples' weights (``docs/math.md#sample-weights``), checked over all of them first (ValueError naming
        it), then cut into the blocks: each ``partial_fit`` gets its block's; a block of weights all zero is
        skipped. A Dask array only with a Dask X (rechunked to its row chunks).
    **fit_params
        Passed to every ``partial_fit`` (``classes=`` for a classifier's first call).

    Returns
    -------
    estimator
        Trained in place.
    """
    epochs = integer(epochs, "epochs", 1)
    rng = random_generator(random_state)
    blocks = _blocks(X, block_rows)
    m = int(X.shape[0])
    w = dask_weights(sample_weight, X) if is_dask_array(X) else block_weights(sample_weight, m)
    for _ in range(epochs):
        order = rng.permutation(len(blocks)) if shuffle_blocks else range(len(blocks))
        for index in order:
            start, stop = blocks[int(index)]
            Xb, yb, wb = _read(start, stop, X, y, w)
            if wb is not None and not wb.sum() > 0:
                continue  # (all its rows weigh 0: as if removed)
            weights = {} if wb is None else {"sample_weight": wb.astype(np.float64)}
            if yb is None:
                estimator.partial_fit(Xb, **weights, **fit_params)
            else:
                estimator.partial_fit(Xb, yb, **weights, **fit_params)
    return estimator
