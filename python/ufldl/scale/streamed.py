"""The cost of all the rows, read block by block: the full-batch solvers on data larger than memory.

:class:`StreamedObjective` is ``fun(theta) -> (cost, grad)`` as :meth:`ufldl.Network.objective` is, but it never
holds more than one block of rows: each evaluation reads the blocks in order, once (every block's
``partial_sums``, or with a KL penalty on the first hidden layer only its ``one_pass_sums``,
``docs/math.md#one-pass-kl-sums``), or twice with a KL penalty on other layers (the global rho_hat first, from
every block's ``activation_sums``; then every block's ``partial_sums`` at it), adds them in block order and
finishes with ``Network.combine`` (``docs/math.md#chunks-and-shards``). With sample
weights, each block is evaluated with its rows' weights: the weighted rho_hat, and sums that ``combine`` divides by
the total weight (``docs/math.md#sample-weights``). The private
memory of an evaluation is one block converted to the network's dtype and the core's workspace for one block;
a memory-mapped file's pages are the operating system's cache, not the process's.

The helpers below apply the same reading to the fitted model (forward passes, mean activations, sums over rows)
for ``transform``, ``predict`` and ``score``.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from ufldl._lib.types import ArrayLike, Float64Array, FloatArray, RowsLike, ThetaLike
from ufldl.scale.rows import block_bounds, block_rows_for, read_rows
from ufldl.scale.weights import (block_weights, chunk_activation_sums, chunk_one_pass_sums, chunk_partial_sums,
                                 weights_of)

if TYPE_CHECKING:
    from ufldl.network import Network
    from ufldl.network.sums import ActivationSums, OnePassSums, PartialSums

__all__ = ["StreamedObjective", "map_rows", "mean_activations", "sum_over_rows"]


class StreamedObjective:
    """``fun(theta) -> (cost, grad)`` over ``X`` (and ``Y``) read ``block_rows`` rows at a time.

    Parameters
    ----------
    net : ufldl.Network
        Its architecture, losses and penalties (its own parameters are not used).
    X : row-sliceable, shape (m, n_0)
        An array, a memory-mapped array, an h5py or zarr dataset, a :class:`ufldl.scale.RowBlocks`.
    Y : row-sliceable, shape (m, n_L) or (m,), or the same object as ``X``
        The targets; for an autoencoder ``X`` itself, each block then read once and used as both.
    block_rows : int or None
        Rows per block (None: :func:`ufldl.scale.rows.block_rows_for`).
    sample_weight : array_like, memory-mapped array or None, shape (m,)
        The rows' weights (``docs/math.md#sample-weights``), read with their blocks; None: every row weighs 1.
    one_pass : bool or None, default None
        Read the blocks once per evaluation with ``Network.one_pass_sums``: None when it applies (a KL penalty
        on the first hidden layer only), True to insist (ValueError if it does not apply), False for the two
        passes of ``activation_sums`` and ``partial_sums``.

    Attributes
    ----------
    m : int
        Rows.
    bounds : list of (int, int)
        The blocks, in the order they are read and added.
    one_pass : bool
        Whether an evaluation reads the blocks once with ``one_pass_sums``.
    """

    def __init__(self, net: "Network", X: RowsLike, Y: RowsLike, block_rows: int | None = None,
                 sample_weight: RowsLike = None, one_pass: bool | None = None) -> None:
        shape = tuple(X.shape)
        if len(shape) != 2 or shape[1] != net.layer_sizes[0]:
            raise ValueError(f"X must have shape (m, {net.layer_sizes[0]}); got shape {shape}")
        if shape[0] < 1:
            raise ValueError(f"X must hold at least one example (row); got shape {shape}")
        self.same = Y is X
        if not self.same and int(Y.shape[0]) != shape[0]:
            raise ValueError(f"Y must have one row per row of X ({shape[0]}); got shape {tuple(Y.shape)}")
        self.net, self.X, self.Y = net, X, Y
        self.m = int(shape[0])
        self.sample_weight = block_weights(sample_weight, self.m)
        self.block_rows = block_rows_for(X, net.layer_sizes, net.dtype, block_rows)
        self.bounds = block_bounds(self.m, self.block_rows)
        self.sparse = net.sparsity is not None and net.sparsity.beta > 0
        self.one_pass = net.use_one_pass(one_pass)
        self.n_evals = 0

    def _rows(self, start: int, stop: int) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        Xb = read_rows(self.X, start, stop)
        return Xb, (Xb if self.same else read_rows(self.Y, start, stop))

    def rho_hat(self, theta: ArrayLike) -> Float64Array:
        """The mean hidden activations of all the rows at ``theta`` (the first pass).

        Parameters
        ----------
        theta : ndarray, shape (n_params,)
            The parameters to evaluate at.

        Returns
        -------
        ndarray of float64, shape (n_1 + ... + n_L,)
            The mean activation of every unit.
        """
        total: ActivationSums | None = None
        for start, stop in self.bounds:
            part = chunk_activation_sums(self.net, read_rows(self.X, start, stop), theta,
                                         weights_of(self.sample_weight, start, stop))
            total = part if total is None else total + part
        return cast("ActivationSums", total).rho_hat  # (m >= 1: one block at least)

    def sums(self, theta: ArrayLike) -> "PartialSums | OnePassSums":
        """The added :class:`ufldl.network.sums.PartialSums` (with ``one_pass``, ``OnePassSums``) of every block
        at ``theta``, in block order.

        Parameters
        ----------
        theta : ndarray, shape (n_params,)
            The parameters to evaluate at.

        Returns
        -------
        ufldl.network.PartialSums or ufldl.network.OnePassSums
            The sums of all the rows.
        """
        theta = np.asarray(theta)
        if self.one_pass:
            return self._one_pass_sums(theta)
        rho_hat = self.rho_hat(theta) if self.sparse else None
        total: PartialSums | None = None
        for start, stop in self.bounds:
            Xb, Yb = self._rows(start, stop)
            part = chunk_partial_sums(self.net, Xb, Yb, theta, rho_hat, weights_of(self.sample_weight, start, stop))
            total = part if total is None else total + part
        return cast("PartialSums", total)  # (m >= 1: one block at least)

    def _one_pass_sums(self, theta: FloatArray) -> "OnePassSums":
        """Every block's ``one_pass_sums``, added in block order: one reading of the blocks."""
        total: OnePassSums | None = None
        for start, stop in self.bounds:
            Xb, Yb = self._rows(start, stop)
            part = chunk_one_pass_sums(self.net, Xb, Yb, theta, weights_of(self.sample_weight, start, stop))
            total = part if total is None else total + part
        return cast("OnePassSums", total)  # (m >= 1: one block at least)

    def __call__(self, theta: ArrayLike) -> tuple[float, FloatArray]:
        self.n_evals += 1
        return self.net.combine(self.sums(theta), theta)


def map_rows(X: RowsLike, fn: Callable[[npt.NDArray[Any]], ArrayLike], n_out: int, dtype: npt.DTypeLike,
             block_rows: int) -> npt.NDArray[Any]:
    """``fn(block)`` of every block of ``X`` into one new array of shape (m, n_out)."""
    m = int(X.shape[0])
    out = np.empty((m, n_out), dtype=dtype)
    for start, stop in block_bounds(m, block_rows):
        out[start:stop] = fn(read_rows(X, start, stop))
    return out


def sum_over_rows(X: RowsLike, fn: Callable[[int, int, npt.NDArray[Any]], float], block_rows: int) -> float:
    """The sum over the blocks of ``X``, in order, of ``fn(start, stop, block)`` (a float)."""
    m = int(X.shape[0])
    return sum(fn(start, stop, read_rows(X, start, stop)) for start, stop in block_bounds(m, block_rows))


def mean_activations(net: "Network", X: RowsLike, block_rows: int | None = None,
                     theta: ThetaLike = None) -> list[Float64Array]:
    """``net.mean_activations(X)`` read block by block: float64 arrays, one per hidden layer."""
    if net.n_layers == 1:
        return []
    block_rows = block_rows_for(X, net.layer_sizes, net.dtype, block_rows)
    total: ActivationSums | None = None
    for start, stop in block_bounds(int(X.shape[0]), block_rows):
        part = net.activation_sums(read_rows(X, start, stop), theta)
        total = part if total is None else total + part
    means: list[Float64Array] = []
    rho_hat, offset = cast("ActivationSums", total).rho_hat, 0
    for n in net.layer_sizes[1:-1]:
        means.append(rho_hat[offset:offset + n])
        offset += n
    return means
