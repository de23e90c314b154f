"""Which evaluation an input gets, for :func:`ufldl.train` and the estimators: in memory, streamed in blocks of
rows, or on Dask's chunks; and the fitted model's passes over such inputs.

Every function here leaves an in-memory NumPy array to the caller's usual path (they return None or call the
Network's own method), so that small data keeps the fastest route: ``Network.objective``, whose L-BFGS runs its
evaluations and line search in the core.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ufldl._lib.sparse import is_sparse
from ufldl._lib.types import CostAndGrad, Float64Array, FloatArray, RowsLike, RowsResult

from ufldl.scale.rows import (block_bounds, block_rows_for, check_block_rows, is_dask_array, read_rows,
                              streams)
from ufldl.scale.streamed import StreamedObjective, map_rows
from ufldl.scale.streamed import mean_activations as streamed_mean_activations

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

    from ufldl.network import Network

__all__ = ["is_chunked", "objective_for", "forward", "apply_rows", "per_row", "mean_activations", "squared_error", "network_row_sum",
           "value_range", "validate_rows", "column_variance_sum"]


def is_chunked(X: RowsLike, block_rows: int | None = None) -> bool:
    """Whether ``X`` is evaluated in pieces: a Dask array, or an input :func:`ufldl.scale.rows.streams`.

    Parameters
    ----------
    X : array_like, row source or Dask array, shape (m, n_0)
        The rows: in memory, read in blocks (:func:`ufldl.scale.streams`) or a Dask array.
    block_rows : int or None, default None
        Rows per block for a streamed input (None: about ``BLOCK_BYTES`` per block).

    Returns
    -------
    bool
        True for a Dask array or a streamed input.
    """
    return is_dask_array(X) or streams(X, block_rows)


def objective_for(net: "Network", X: RowsLike, Y: RowsLike, *, block_rows: int | None = None,
                  sample_weight: RowsLike = None) -> Callable[[FloatArray], CostAndGrad] | None:
    """``fun(theta) -> (cost, grad)`` of all the rows for a chunked ``X`` (:class:`ufldl.scale.DaskObjective` for
    a Dask array, :class:`ufldl.scale.StreamedObjective` otherwise); None for an in-memory array, which
    ``Network.objective`` evaluates.

    ``Y`` may be ``X`` itself (an autoencoder's targets: each block or chunk is read once).

    Parameters
    ----------
    net : ufldl.Network
        The architecture, losses and penalties to evaluate.
    X : array_like, row source or Dask array, shape (m, n_0)
        The rows: in memory, read in blocks (:func:`ufldl.scale.streams`) or a Dask array.
    Y : array_like, row source or Dask array, shape (m, n_L) or (m,)
        The targets, or ``X`` itself.
    block_rows : int or None, default None
        Rows per block for a streamed input (None: about ``BLOCK_BYTES`` per block).
    sample_weight : array_like, memory-mapped array, dask.array.Array or None, shape (m,)
        The rows' weights (``docs/math.md#sample-weights``), cut with the blocks or chunks (a Dask array only
        for a Dask ``X``, rechunked to its row chunks); checked here for a chunked ``X`` (ValueError naming
        it), by ``Network.objective`` for an in-memory one.

    Returns
    -------
    callable or None
        ``fun(theta) -> (cost, grad)``, theta and grad of shape (n_params,); None for an in-memory ``X``.
    """
    block_rows = check_block_rows(block_rows)
    if is_dask_array(X):
        if block_rows is not None:
            raise ValueError("block_rows is for arrays read in blocks; a Dask array's blocks are its chunks "
                             "(rechunk it to choose their size)")
        from ufldl.scale.dask_objective import DaskObjective  # noqa: PLC0415  (Dask is optional)
        return DaskObjective(net, X, Y, sample_weight=sample_weight)
    if is_dask_array(Y):
        raise TypeError("Y is a Dask array but X is not: give X as a Dask array too (with the same row chunks)")
    if streams(X, block_rows):
        return StreamedObjective(net, X, Y, block_rows, sample_weight)
    return None


def forward(net: "Network", X: RowsLike, *, start: int = 1, stop: int | None = None,
            block_rows: int | None = None) -> RowsResult:
    """``net.forward(X, start=start, stop=stop)``: a lazy Dask array for a Dask array, a NumPy array computed
    block by block for a streamed input, ``net.forward`` itself otherwise.

    Parameters
    ----------
    net : ufldl.Network
        The network to run.
    X : array_like, row source or Dask array, shape (m, n_0)
        The rows: in memory, read in blocks (:func:`ufldl.scale.streams`) or a Dask array.
    start, stop : int, default 1 and None
        The first and last layer computed, as in ``Network.forward`` (None: the output layer L).
    block_rows : int or None, default None
        Rows per block for a streamed input (None: about ``BLOCK_BYTES`` per block).

    Returns
    -------
    ndarray or dask.array.Array, shape (m, n_stop)
        The activations of layer ``stop``.
    """
    stop = net.n_layers if stop is None else stop
    if is_dask_array(X):
        from ufldl.scale.dask_objective import dask_forward  # noqa: PLC0415
        return dask_forward(net, X, start=start, stop=stop)
    if not streams(X, block_rows):
        return net.forward(X, start=start, stop=stop)
    rows = block_rows_for(X, net.layer_sizes, net.dtype, block_rows)
    theta = net.theta.copy()
    return map_rows(X, lambda block: net.forward(block, theta, start=start, stop=stop),
                    net.layer_sizes[stop], net.dtype, rows)


def apply_rows(X: RowsLike, fn: Callable[[Any], FloatArray], n_out: int, dtype: npt.DTypeLike, *,
               block_rows: int | None = None) -> RowsResult:
    """``fn(X)`` for a function of rows to rows (``(k, n) -> (k, n_out)``): lazily chunk by chunk (``map_blocks``;
    ``fn`` is pickled for the workers) for a Dask array, block by block into one NumPy array for a streamed
    input, ``fn(X)`` itself otherwise.

    Parameters
    ----------
    X : array_like, row source or Dask array, shape (m, n)
        The rows.
    fn : callable
        ``fn(rows) -> ndarray`` of shape ``(k, n_out)`` for ``rows`` of shape ``(k, n)``.
    n_out : int
        Columns of ``fn``'s result.
    dtype : numpy.dtype
        The dtype of ``fn``'s result.
    block_rows : int or None, default None
        Rows per block for a streamed input.

    Returns
    -------
    ndarray or dask.array.Array, shape (m, n_out)
        ``fn`` of every row (lazy for a Dask array).
    """
    if is_dask_array(X):
        from ufldl.scale.dask_objective import rows_of  # noqa: PLC0415
        X = rows_of(X, None)
        return X.map_blocks(fn, dtype=dtype, chunks=(X.chunks[0], (n_out,)))
    if not streams(X, block_rows):
        return fn(X)
    return map_rows(X, fn, n_out, dtype, _data_block_rows(X, block_rows))


def per_row(Z: RowsResult, fn: Callable[[Any], npt.NDArray[Any]], *, dtype: npt.DTypeLike,
            columns: bool = True) -> RowsResult:
    """``fn(Z)`` for a function of whole rows of an already computed (or lazy) result ``Z``: lazily chunk by
    chunk for a Dask array (``map_blocks``: each chunk holds whole rows), ``fn(Z)`` otherwise. ``columns=False``
    when ``fn`` returns one value per row (shape (k,)), True when it returns as many columns as ``Z`` has.

    Parameters
    ----------
    Z : ndarray or dask.array.Array, shape (m, n)
        The computed (or lazy) result.
    fn : callable
        A function of whole rows.
    dtype : numpy.dtype
        The dtype of ``fn``'s result.
    columns : bool, default True
        Whether ``fn`` returns ``n`` columns (True) or one value per row (False).

    Returns
    -------
    ndarray or dask.array.Array, shape (m, n) or (m,)
        ``fn(Z)`` (lazy for a Dask array).
    """
    if not is_dask_array(Z):
        return fn(Z)
    if columns:
        return Z.map_blocks(fn, dtype=dtype)
    return Z.map_blocks(fn, dtype=dtype, drop_axis=1)


def mean_activations(net: "Network", X: RowsLike, *, block_rows: int | None = None) -> list[Float64Array]:
    """``net.mean_activations(X)`` for any input (computed, float64).

    Parameters
    ----------
    net : ufldl.Network
        The network whose hidden units are averaged.
    X : array_like, row source or Dask array, shape (m, n_0)
        The rows: in memory, read in blocks (:func:`ufldl.scale.streams`) or a Dask array.
    block_rows : int or None, default None
        Rows per block for a streamed input (None: about ``BLOCK_BYTES`` per block).

    Returns
    -------
    list of ndarray of float64
        Entry l-1 of shape (n_l,): the mean activation of every unit of hidden layer l (l = 1 .. L-1) over all
        the rows.
    """
    if is_dask_array(X):
        from ufldl.scale.dask_objective import dask_mean_activations  # noqa: PLC0415
        return dask_mean_activations(net, X)
    if not streams(X, block_rows):
        return net.mean_activations(X)
    return streamed_mean_activations(net, X, block_rows)


def _data_block_rows(X: RowsLike, block_rows: int | None = None) -> int:
    """Rows per block for a pass over the data alone (about BLOCK_BYTES of float64 rows and as much again)."""
    n = int(X.shape[1])
    return block_rows_for(X, (n, n), np.float64, block_rows)


def squared_error(net: "Network", X: RowsLike, theta: FloatArray) -> float:
    """``sum_i 0.5 ||net.forward(x_i) - x_i||^2`` in float64 over the rows of the array ``X`` (an autoencoder's
    reconstruction error; ``theta`` the parameters).

    Parameters
    ----------
    net : ufldl.Network
        An autoencoder (``n_L = n_0``).
    X : ndarray, shape (m, n_0)
        In-memory rows (one block or chunk).
    theta : ndarray, shape (n_params,)
        The parameters to evaluate at.

    Returns
    -------
    float
        The summed reconstruction error (not divided by m). A sparse X is densified a block of rows at a time.
    """
    if is_sparse(X):
        rows = max(1, (1 << 20) // int(X.shape[1]))
        return sum(squared_error(net, X[a:b].toarray(), theta) for a, b in block_bounds(int(X.shape[0]), rows))
    residual = net.forward(X, theta).astype(np.float64) - X
    return 0.5 * float(np.einsum("ij,ij->", residual, residual))


def network_row_sum(net: "Network", X: RowsLike, fn: Callable[["Network", Any, FloatArray], float], *,
                    block_rows: int | None = None) -> float:
    """``sum of fn(net, block, theta)`` (floats) over the blocks or chunks of ``X``, added in row order, at the
    network's parameters now; ``fn(net, X, theta)`` itself for an in-memory array. ``fn`` is a module-level
    function (a Dask worker imports it) such as :func:`squared_error`.

    Parameters
    ----------
    net : ufldl.Network
        The network passed to ``fn``.
    X : array_like, row source or Dask array, shape (m, n_0)
        The rows: in memory, read in blocks (:func:`ufldl.scale.streams`) or a Dask array.
    fn : callable
        ``fn(net, rows, theta) -> float``, a module-level function.
    block_rows : int or None, default None
        Rows per block for a streamed input.

    Returns
    -------
    float
        The sum of ``fn`` over the blocks or chunks.
    """
    theta = net.theta.copy()
    if is_dask_array(X):
        from ufldl.scale.dask_objective import dask_network_sum  # noqa: PLC0415
        return dask_network_sum(net, X, fn)
    if not streams(X, block_rows):
        return float(fn(net, X, theta))
    rows = block_rows_for(X, net.layer_sizes, net.dtype, block_rows)
    return float(sum(float(fn(net, read_rows(X, a, b), theta)) for a, b in block_bounds(int(X.shape[0]), rows)))


def value_range(X: RowsLike) -> tuple[float, float]:
    """``(min, max)`` of X's values as floats, block by block for a chunked X (one pass).

    Parameters
    ----------
    X : array_like, row source or Dask array, shape (m, n)
        The values.

    Returns
    -------
    (float, float)
        The smallest and the largest value.
    """
    if is_dask_array(X):
        import dask  # noqa: PLC0415
        low, high = dask.compute(X.min(), X.max())
        return float(low), float(high)
    if is_sparse(X):  # (the implicit zeros included)
        return float(X.min()), float(X.max())
    if not streams(X):
        return float(np.min(X)), float(np.max(X))
    rows = _data_block_rows(X)
    low, high = np.inf, -np.inf
    for a, b in block_bounds(int(X.shape[0]), rows):
        block = read_rows(X, a, b)
        low, high = min(low, float(block.min())), max(high, float(block.max()))
    return low, high


def column_variance_sum(X: RowsLike) -> float:
    """``np.var(X, axis=0).sum()`` in float64 with a bounded working set (two passes over the blocks).

    Parameters
    ----------
    X : array_like, row source or Dask array, shape (m, n)
        The rows.

    Returns
    -------
    float
        The sum of the columns' variances (divided by m).
    """
    if is_sparse(X):  # E[x^2] - E[x]^2 per column, from the stored values alone
        X = X.astype(np.float64)
        mean = np.asarray(X.mean(axis=0)).ravel()
        return float((np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean**2).sum())
    if not is_chunked(X):
        return float(np.var(X, axis=0, dtype=np.float64).sum())
    m = int(X.shape[0])
    mean = _column_sums(X) / m
    if is_dask_array(X):
        return float((((X.astype(np.float64) - mean) ** 2).sum()).compute()) / m
    total = 0.0
    for a, b in block_bounds(m, _data_block_rows(X)):
        total += float(((read_rows(X, a, b).astype(np.float64) - mean) ** 2).sum())
    return total / m


def _column_sums(X: RowsLike) -> Float64Array:
    if is_dask_array(X):
        return np.asarray(X.sum(axis=0, dtype=np.float64).compute())
    rows = _data_block_rows(X)
    total = np.zeros(int(X.shape[1]), dtype=np.float64)
    for a, b in block_bounds(int(X.shape[0]), rows):
        total += read_rows(X, a, b).sum(axis=0, dtype=np.float64)
    return total


def validate_rows(estimator: "BaseEstimator", X: RowsLike, reset: bool) -> RowsLike:
    """The checks scikit-learn's ``validate_data`` makes, for an input that must not be converted whole (a Dask
    array, an h5py or zarr dataset, :class:`ufldl.scale.RowBlocks`): 2-D, real numbers, at least one row, and
    ``n_features_in_`` set (``reset``) or matched. Values are checked finite as they are read (the core refuses a
    block or chunk with NaN or inf, naming X).

    Parameters
    ----------
    estimator : sklearn.base.BaseEstimator
        The estimator whose ``n_features_in_`` is set or compared.
    X : dask.array.Array or row source, shape (n_samples, n_features)
        The input, not converted whole.
    reset : bool
        True at ``fit`` (set ``n_features_in_``), False afterwards (match it).

    Returns
    -------
    dask.array.Array or row source
        ``X``, a Dask array rechunked to whole rows.
    """
    shape = tuple(getattr(X, "shape", ()))
    if len(shape) != 2:
        raise ValueError(f"Expected a 2-D array, got shape {shape}")
    if np.dtype(X.dtype).kind not in "biuf":
        raise TypeError(f"X must be a real numeric array; got dtype {X.dtype}")
    if shape[0] < 1:
        raise ValueError(f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is required by "
                         f"{type(estimator).__name__}.")
    if is_dask_array(X):
        from ufldl.scale.dask_objective import rows_of  # noqa: PLC0415
        X = rows_of(X, None)
    n = int(shape[1])
    if reset:
        estimator.n_features_in_ = n
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif n != estimator.n_features_in_:
        raise ValueError(f"X has {n} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    return X
