"""Sample weights of rows evaluated in pieces (``docs/math.md#sample-weights``, "Chunks"): checked once over all
the rows, then cut with them, so that every block or chunk evaluates its rows with their own weights.

- For data read in blocks, the weights are a 1-D array of m values (in memory, or memory-mapped, or any 1-D object
  with ``shape``, ``dtype`` and slicing): :func:`block_weights` checks them a block at a time and
  :func:`weights_of` reads a block's.
- For a Dask array, a NumPy array or a Dask array of m values: :func:`dask_weights` gives a float64 Dask array
  with the row chunks of X (a Dask array rechunked to them), checked in one computation.

A block or chunk whose weights are all zero contributes nothing (a weight of zero removes its row), so
:func:`chunk_activation_sums`, :func:`chunk_partial_sums` and :func:`chunk_one_pass_sums` return zero sums for it, where the network would
refuse weights that are all zero; the weights of all the rows must not be.
"""

from typing import TYPE_CHECKING, Any

import numpy as np

from ufldl._lib.types import DaskArray, Float64Array, RowsLike, ThetaLike
from ufldl.network.sums import ActivationSums, OnePassSums, PartialSums
from ufldl.scale.rows import block_bounds, is_dask_array

if TYPE_CHECKING:
    from ufldl.network import Network

__all__ = ["block_weights", "weights_of", "dask_weights", "chunk_activation_sums", "chunk_partial_sums",
           "chunk_one_pass_sums"]

#: Weights checked at a time by :func:`block_weights` (1 Mi values: 8 MiB of float64).
CHECK_BLOCK = 1 << 20


def _refuse_bad(values: Float64Array, offset: int) -> None:
    """ValueError naming sample_weight and the first value that is not finite and >= 0 (at ``offset + i``)."""
    bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0)))
    if bad.size:
        raise ValueError(f"sample_weight must be finite and >= 0; got {values[bad[0]]} at index {offset + bad[0]}")


def _refuse_all_zero(total: float) -> None:
    if not total > 0:
        raise ValueError("sample_weight must not be all zero (their sum divides the weighted mean); got all zero")


def _shape_and_dtype(sample_weight: Any, m: int) -> None:
    shape = tuple(getattr(sample_weight, "shape", ()))
    if shape != (m,):
        raise ValueError(f"sample_weight must have shape ({m},), one weight per example (row of X); got shape "
                         f"{shape}")
    try:
        kind = np.dtype(sample_weight.dtype).kind
    except TypeError:
        kind = "O"
    if kind not in "biuf":
        raise TypeError(f"sample_weight must hold real numbers; got dtype {sample_weight.dtype}")


def block_weights(sample_weight: Any, m: int) -> Any:
    """``sample_weight`` for data read in blocks, checked: None stays None; otherwise shape (m,), real, finite,
    >= 0 and not all zero (ValueError naming it), read :data:`CHECK_BLOCK` values at a time (a memory-mapped
    array is not copied).

    Parameters
    ----------
    sample_weight : array_like, memory-mapped array, 1-D row source, or None
        One weight per row.
    m : int
        The rows of X.

    Returns
    -------
    ndarray, the row source given, or None
        The weights, to cut with :func:`weights_of`.
    """
    if sample_weight is None:
        return None
    if is_dask_array(sample_weight):
        raise TypeError("sample_weight is a Dask array but X is not: give X as a Dask array too (or the weights as "
                        "a NumPy array)")
    if not hasattr(sample_weight, "shape") or not hasattr(sample_weight, "dtype"):
        try:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"sample_weight must be None or {m} real numbers; got "
                            f"{type(sample_weight).__name__}") from None
    _shape_and_dtype(sample_weight, m)
    total = 0.0
    for start, stop in block_bounds(m, CHECK_BLOCK):
        values = np.asarray(sample_weight[start:stop], dtype=np.float64)
        _refuse_bad(values, start)
        total += float(values.sum())
    _refuse_all_zero(total)
    return sample_weight


def weights_of(sample_weight: Any, start: int, stop: int) -> Float64Array | None:
    """The weights of rows ``start..stop-1`` as float64 (None for None)."""
    if sample_weight is None:
        return None
    return np.asarray(sample_weight[start:stop], dtype=np.float64)


def dask_weights(sample_weight: Any, X: DaskArray) -> DaskArray | None:
    """``sample_weight`` for the Dask array ``X``, checked as :func:`block_weights` does (one computation for a
    Dask array): a float64 Dask array with the row chunks of ``X``; None stays None.

    Parameters
    ----------
    sample_weight : ndarray, dask.array.Array or None, shape (m,)
        One weight per row of X; a Dask array is rechunked to X's row chunks.
    X : dask.array.Array, shape (m, n)
        The rows (chunk sizes known).

    Returns
    -------
    dask.array.Array or None
        Chunks ``(X.chunks[0],)``.
    """
    if sample_weight is None:
        return None
    import dask  # noqa: PLC0415  (an optional dependency)
    import dask.array as da  # noqa: PLC0415
    m, chunks = int(X.shape[0]), (tuple(X.chunks[0]),)
    if not is_dask_array(sample_weight):
        return da.from_array(block_weights(np.asarray(sample_weight), m).astype(np.float64), chunks=chunks)
    if sample_weight.ndim == 1 and any(np.isnan(c) for c in sample_weight.chunks[0]):
        raise ValueError("sample_weight has chunks of unknown size, which cannot be matched to X's row chunks: call "
                         "sample_weight.compute_chunk_sizes() first")
    _shape_and_dtype(sample_weight, m)
    w = sample_weight.astype(np.float64)
    w = w if w.chunks == chunks else w.rechunk(chunks)
    ok, total = dask.compute((da.isfinite(w) & (w >= 0)).all(), w.sum())
    if not ok:
        first = int(da.argmin(da.isfinite(w) & (w >= 0)).compute())
        _refuse_bad(np.asarray(w[first:first + 1].compute()), first)
    _refuse_all_zero(float(total))
    return w


def chunk_activation_sums(net: "Network", X: RowsLike, theta: ThetaLike,
                          sample_weight: Float64Array | None) -> ActivationSums:
    """``net.activation_sums(X, theta, sample_weight=...)`` of one block or chunk; zero sums (m = 0) when its
    weights are all zero."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        return ActivationSums(0.0, np.zeros(sum(net.layer_sizes[1:]), dtype=np.float64))
    return net.activation_sums(X, theta, sample_weight=sample_weight)


def chunk_partial_sums(net: "Network", X: RowsLike, Y: RowsLike, theta: ThetaLike, rho_hat: Float64Array | None,
                       sample_weight: Float64Array | None) -> PartialSums:
    """``net.partial_sums(X, Y, theta, rho_hat=..., sample_weight=...)`` of one block or chunk; zero sums (m = 0)
    when its weights are all zero, with the KL term at ``rho_hat`` (every chunk's: it depends on rho_hat only),
    which one row evaluates."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        kl = net.partial_sums(X[:1], Y[:1], theta, rho_hat=rho_hat).kl
        return PartialSums(0.0, 0.0, np.zeros(net.n_params, dtype=np.float64), rho_hat, kl)
    return net.partial_sums(X, Y, theta, rho_hat=rho_hat, sample_weight=sample_weight)


def chunk_one_pass_sums(net: "Network", X: RowsLike, Y: RowsLike, theta: ThetaLike,
                        sample_weight: Float64Array | None) -> OnePassSums:
    """``net.one_pass_sums(X, Y, theta, sample_weight=...)`` of one block or chunk; zero sums (m = 0) when its
    weights are all zero."""
    if sample_weight is not None and not sample_weight.sum() > 0:
        n_1, n_0 = net.layer_sizes[1], net.layer_sizes[0]
        return OnePassSums(0.0, 0.0, np.zeros(net.n_params, dtype=np.float64), np.zeros(n_1), np.zeros(n_1),
                           np.zeros((n_1, n_0)))
    return net.one_pass_sums(X, Y, theta, sample_weight=sample_weight)
