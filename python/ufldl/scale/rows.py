"""Data read in blocks of rows: which inputs are streamed, the size of a block, and reading one.

An input is *streamed* (``docs/math.md#chunks-and-shards``) when holding it, converted, beside the core's
workspace of m rows would cost memory in proportion to m:

- a NumPy array backed by a file (``np.memmap``, ``np.load(..., mmap_mode="r")``, or a view of one);
- any other object with a 2-D ``shape``, a numeric ``dtype`` and row slicing ``X[start:stop]`` that is not a
  NumPy, Dask or SciPy sparse array (an h5py dataset, a zarr array);
- a NumPy array larger than :data:`STREAM_ABOVE_BYTES`;
- :class:`RowBlocks`, which also says how many rows a block holds.

A Dask array is not read here: its chunks are the blocks (``ufldl.scale.dask_objective``).
"""

import mmap
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse

from ufldl._lib.types import RowsLike
from ufldl._lib.validation import integer

__all__ = ["STREAM_ABOVE_BYTES", "BLOCK_BYTES", "RowBlocks", "is_dask_array", "is_row_source", "is_file_backed",
           "streams", "block_rows_for", "block_bounds", "read_rows", "check_block_rows"]

#: In-memory NumPy arrays larger than this (1 GiB) are streamed too, in blocks of :func:`block_rows_for` rows.
STREAM_ABOVE_BYTES = 1 << 30
#: A default block holds about this many bytes of converted rows and core workspace (32 MiB).
BLOCK_BYTES = 32 << 20
#: The fewest rows a default block holds (so that the core can still split it over its threads).
MIN_BLOCK_ROWS = 1024


class RowBlocks:
    """Rows to be read ``block_rows`` at a time: wrap any row-sliceable ``source`` (an array, a memmap, an h5py
    dataset, a zarr array) to have ``ufldl.train`` and the estimators stream it in blocks of that size.

    Parameters
    ----------
    source : array-like with ``shape`` (m, n), ``dtype`` and row slicing
        The rows, read ``block_rows`` at a time.
    block_rows : int or None, default None
        Rows per block, >= 1; None chooses them from the network (about ``BLOCK_BYTES`` per block).

    Examples
    --------
    >>> import numpy as np, ufldl
    >>> X = np.random.default_rng(0).uniform(0.1, 0.9, size=(300, 8))
    >>> ae = ufldl.SparseAutoencoder(n_hidden=3, max_iter=5, random_state=0)
    >>> ae.fit(ufldl.scale.RowBlocks(X, block_rows=100)).transform(X).shape
    (300, 3)
    """

    def __init__(self, source: RowsLike, block_rows: int | None = None) -> None:
        if isinstance(source, RowBlocks):
            source = source.source
        shape = getattr(source, "shape", None)
        if shape is None or len(shape) != 2:
            raise ValueError(f"RowBlocks needs a 2-D source with .shape (m, n_features); got "
                             f"{type(source).__name__} with shape {shape}")
        if is_dask_array(source):
            raise TypeError("a Dask array is read chunk by chunk already: pass it as it is (rechunk it to choose "
                            "the rows per chunk)")
        self.source: RowsLike = source
        self.block_rows = None if block_rows is None else integer(block_rows, "block_rows", 1)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.source.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        dtype: np.dtype[Any] = np.dtype(self.source.dtype)  # (source: any row source, typed Any)
        return dtype

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> Any:
        return self.source[rows]

    def __repr__(self) -> str:
        return f"RowBlocks({type(self.source).__name__} of shape {self.shape}, block_rows={self.block_rows})"


def is_dask_array(X: object) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (without importing Dask when it has not been imported).

    Parameters
    ----------
    X : object
        Any input.

    Returns
    -------
    bool
        Whether ``X`` is a Dask array.
    """
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)


def is_file_backed(X: object) -> bool:
    """Whether the NumPy array ``X`` is (a view of) a memory-mapped file."""
    base = X
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def is_row_source(X: object) -> bool:
    """Whether ``X`` is read in blocks rather than converted whole: a :class:`RowBlocks`, or an object with a
    2-D ``shape``, a ``dtype`` and ``__getitem__`` that is neither a NumPy array nor a Dask array.

    Parameters
    ----------
    X : object
        Any input.

    Returns
    -------
    bool
        Whether ``X`` is read in blocks.
    """
    if isinstance(X, RowBlocks):
        return True
    if isinstance(X, np.ndarray) or is_dask_array(X) or scipy.sparse.issparse(X):
        return False  # (a sparse matrix is validated, and refused, by scikit-learn as usual)
    shape, dtype = getattr(X, "shape", None), getattr(X, "dtype", None)
    if shape is None or dtype is None or not hasattr(X, "__getitem__"):
        return False
    try:
        return len(shape) == 2 and np.dtype(dtype).kind in "biuf"
    except TypeError:
        return False


def streams(X: object, block_rows: int | None = None) -> bool:
    """Whether :func:`ufldl.train` and the estimators read ``X`` in blocks of rows (see the module's docstring);
    an explicit ``block_rows`` streams any array.

    Parameters
    ----------
    X : object
        The training input.
    block_rows : int or None, default None
        An explicit block size.

    Returns
    -------
    bool
        Whether ``X`` is read in blocks of rows.
    """
    if is_row_source(X):
        return True
    if isinstance(X, np.ndarray) and X.ndim == 2:
        return block_rows is not None or is_file_backed(X) or X.nbytes > STREAM_ABOVE_BYTES
    return False


def check_block_rows(block_rows: int | None) -> int | None:
    """``block_rows`` checked: None or an int >= 1."""
    return None if block_rows is None else integer(block_rows, "block_rows", 1)


def block_rows_for(X: object, layer_sizes: Sequence[int], dtype: npt.DTypeLike,
                   block_rows: int | None = None) -> int:
    """The rows per block: ``block_rows`` if given (or the one ``X`` carries as a :class:`RowBlocks`), else
    about :data:`BLOCK_BYTES` of converted input, targets and the core's workspace (one row of each layer),
    at least :data:`MIN_BLOCK_ROWS`."""
    if block_rows is None and isinstance(X, RowBlocks):
        block_rows = X.block_rows
    if block_rows is not None:
        return integer(block_rows, "block_rows", 1)  # check_block_rows of a block_rows given
    per_row = (sum(layer_sizes) + layer_sizes[-1] + max(layer_sizes[1:])) * np.dtype(dtype).itemsize
    return max(MIN_BLOCK_ROWS, BLOCK_BYTES // per_row)


def block_bounds(m: int, block_rows: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: the rows ``0..m-1`` in consecutive blocks of ``block_rows`` (the last shorter)."""
    return [(start, min(start + block_rows, m)) for start in range(0, m, block_rows)]


def read_rows(X: RowsLike, start: int, stop: int) -> npt.NDArray[Any]:
    """Rows ``start..stop-1`` of ``X`` as a NumPy array (a view when ``X`` is an array; read from the source
    otherwise)."""
    if isinstance(X, RowBlocks):
        X = X.source
    return np.asarray(X[start:stop])
