"""Training on data larger than memory, and on Dask: the full-batch cost of all the rows from chunks of them.

``ufldl.train`` and the estimators' ``fit`` take, besides NumPy arrays,

- data read in blocks of rows (``ufldl.scale.rows``): a memory-mapped array (``np.load(path, mmap_mode="r")``,
  ``np.memmap``), an h5py or zarr dataset, any object with a 2-D ``shape``, a ``dtype`` and row slicing, an
  array larger than ``STREAM_ABOVE_BYTES``, or :class:`RowBlocks` to choose the rows per block. The cost is
  evaluated block by block (:class:`StreamedObjective`): private memory grows with the block, not with m;
- a Dask array (``ufldl.scale.dask_objective``; ``pip install "ufldl[dask]"``): each evaluation maps the
  chunks' partial sums where the chunks live and adds them in a tree of fixed shape (:class:`DaskObjective`);
  ``transform`` and ``predict`` of a Dask array return a lazy Dask array.

Both take sample weights (``ufldl.scale.weights``, ``docs/math.md#sample-weights``): a 1-D array of m weights
(a memory-mapped one stays mapped) read with the blocks, or for a Dask array a NumPy or Dask array of them, with
its row chunks.

Both follow ``docs/math.md#chunks-and-shards``: one pass over the rows per evaluation, also with a KL penalty on
the first hidden layer only (``docs/math.md#one-pass-kl-sums``); two with a KL penalty on deeper layers (the global
rho_hat, then the gradient at it); the sums added in row order, ``Network.combine`` once. The results are those of the in-memory
fit up to rounding. The layer: above ``ufldl.network``, beside ``ufldl.optimize`` (whose ``train`` uses it),
below the estimators.
"""

from ufldl.scale.dask_objective import DaskObjective, DataLostError
from ufldl.scale.dispatch import (apply_rows, column_variance_sum, forward, is_chunked, mean_activations,
                                  network_row_sum, objective_for, per_row, squared_error, validate_rows, value_range)
from ufldl.scale.incremental import partial_fit_blocks
from ufldl.scale.rows import BLOCK_BYTES, STREAM_ABOVE_BYTES, RowBlocks, is_dask_array, is_row_source, streams
from ufldl.scale.streamed import StreamedObjective
from ufldl.scale.weights import block_weights, dask_weights

__all__ = ["BLOCK_BYTES", "STREAM_ABOVE_BYTES", "DaskObjective", "DataLostError", "RowBlocks", "StreamedObjective",
           "apply_rows", "block_weights", "column_variance_sum", "dask_weights", "forward", "is_chunked",
           "is_dask_array", "is_row_source", "mean_activations", "network_row_sum", "objective_for",
           "partial_fit_blocks", "per_row", "squared_error", "streams", "validate_rows", "value_range"]
