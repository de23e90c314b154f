"""The cost of a Dask array's rows, evaluated where its chunks live: the full-batch solvers on Dask.

:class:`DaskObjective` is ``fun(theta) -> (cost, grad)`` for the solvers of :func:`ufldl.minimize`, which run on
the client. Each evaluation is one Dask computation (``docs/math.md#chunks-and-shards``):

1. theta goes to the chunks: inline in the graph, one key that every task shares, while it is at most
   :data:`INLINE_THETA_BYTES`; otherwise scattered once for this evaluation (``client.scatter(theta,
   hash=False)``, never ``broadcast=True``: the workers that need it fetch it from each other);
2. with a KL penalty on a layer other than the first hidden one, every chunk's ``activation_sums``, added in a
   tree of fixed shape (groups of :data:`FAN_IN` consecutive chunks, in chunk order), give the global rho_hat,
   on which
3. every chunk's ``partial_sums`` depend; they are added in the same kind of tree, which ``Network.combine``
   finishes on the client. While all the chunks' sums together are at most :data:`CLIENT_REDUCE_BYTES`, they
   come back as they are and the client adds them (the same tree, in the same order: the same numbers, with no
   dependent tasks and transfers between workers at the end of each evaluation); larger ones are added by tasks
   on the workers and only the root (m, the data cost, the float64 gradient) comes back. With a KL
   penalty on the first hidden layer only (or none), step 2 is skipped: every chunk's ``one_pass_sums`` (which
   carry what the KL term needs, ``docs/math.md#one-pass-kl-sums``) or ``partial_sums`` are added in the tree,
   one round trip per evaluation.

With sample weights (a Dask array with X's row chunks, ``ufldl.scale.weights``), each chunk's tasks take its
weights: the weighted rho_hat, and sums whose ``m`` is the chunks' total weight (``docs/math.md#sample-weights``).

The tree's shape depends on the number of chunks only and each addition is ``left + right`` in chunk order, never
in the order the tasks finish; each chunk is evaluated by the core on one thread as one shard
(``ufldl.scale.pinning``). So a fit is bitwise reproducible for a given chunking, whatever the scheduler and the
placement of the chunks (on machines of one kind: OpenBLAS chooses its kernels by CPU).

A worker builds a chunk's network once and keeps it (one per worker thread and architecture; the last
:data:`CACHED_NETWORKS`), so a task carries the architecture (a few numbers) and theta, never a Network.

With a ``distributed`` client, the arrays are persisted on the workers when the objective is built (their chunks
stay where they are computed; lost ones are recomputed from their lineage), unless ``persist=False``. Without
one, Dask's default scheduler (threads) reads the chunks from their source at every evaluation.
"""

import concurrent.futures
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np

from ufldl._lib.types import (ActivationName, ArrayLike, DaskArray, DTypeName, Float64Array, FloatArray, LossName,
                              RowsLike)
from ufldl.scale.pinning import pin_this_worker, single_threaded_core
from ufldl.scale.weights import chunk_activation_sums, chunk_one_pass_sums, chunk_partial_sums, dask_weights

if TYPE_CHECKING:
    from ufldl.layers import KLSparsity
    from ufldl.network import Network
    from ufldl.network.sums import ActivationSums, OnePassSums, PartialSums

# A network's architecture as a task carries it (network_spec).
_Spec: TypeAlias = tuple[tuple[int, ...], tuple[ActivationName, ...], LossName, "KLSparsity | None", DTypeName]
# fn(network, rows, theta) -> float, summed over the rows' chunks.
_RowSum: TypeAlias = Callable[["Network", Any, FloatArray], float]

__all__ = ["DaskObjective", "DataLostError", "INLINE_THETA_BYTES", "FAN_IN", "CLIENT_REDUCE_BYTES", "CACHED_NETWORKS",
           "network_spec", "dask_forward", "dask_mean_activations", "dask_network_sum", "aligned_targets", "rows_of",
           "active_client"]

#: theta up to this size (256 KiB, 32768 float64 parameters) travels inside the graph; a larger one is scattered.
INLINE_THETA_BYTES = 256 << 10
#: Partial sums are added in groups of this many consecutive chunks (a tree of fixed shape).
FAN_IN = 8
#: The chunks' sums of an evaluation are added on the client while they total at most this size (16 MiB: the
#: 64-25-64 autoencoder's 3,369 parameters over 600 chunks), else by tasks on the workers. Measured on a
#: LocalCluster of 2 processes at 1M rows in chunks of 100,000: 2-4% off each evaluation.
CLIENT_REDUCE_BYTES = 16 << 20
#: Networks a worker thread keeps (one per architecture).
CACHED_NETWORKS = 4

_LOCAL = threading.local()


class DataLostError(RuntimeError):
    """Part of a Dask array was lost with a worker and cannot be recomputed (it was scattered, without lineage).

    Raised by an evaluation of :class:`DaskObjective` instead of Dask's bare ``FutureCancelledError``; the
    training that called it stops with ``net.theta`` at the last completed iterate.
    """


_LOST_ADVICE = ("a chunk of X (or Y) was lost with a Dask worker and cannot be recomputed: it was scattered to the "
                "workers (client.scatter), which keeps no lineage. Build the Dask array from a source the workers "
                "can read again (dask.array.from_zarr, from_array of a file or of an array on the client, a "
                "computation), so that Dask recomputes lost chunks; net.theta holds the last completed iterate, "
                "and a fit given checkpoint= resumes from its last checkpoint")


def _dask() -> Any:
    import dask  # noqa: PLC0415  (an optional dependency: imported only when a Dask array is given)
    import dask.array  # noqa: F401, PLC0415
    return dask


def network_spec(net: "Network") -> _Spec:
    """What a worker needs to build the network of a chunk: its architecture (hashable, a few numbers)."""
    return (tuple(net.layer_sizes), tuple(net.activations), net.loss, net.sparsity, cast(DTypeName, str(net.dtype)))


def _network(spec: _Spec) -> "Network":
    """The worker thread's network for ``spec``, built on first use (the weight decay is irrelevant: chunks are
    evaluated without it, ``Network.combine`` adds it)."""
    from ufldl.network import Network  # noqa: PLC0415  (kept light for pickling by reference)
    cache = getattr(_LOCAL, "networks", None)
    if cache is None:
        cache = _LOCAL.networks = OrderedDict()
    net = cache.get(spec)
    if net is None:
        sizes, activations, loss, sparsity, dtype = spec
        net = Network(sizes, activations, loss, 0.0, sparsity, dtype, random_state=0)
        cache[spec] = net
        while len(cache) > CACHED_NETWORKS:
            cache.popitem(last=False)
    else:
        cache.move_to_end(spec)
    return net


# ------------------------------------------------------------------ the tasks (run on the workers)


def _activation_sums(spec: _Spec, client_pid: int, theta: FloatArray, X: RowsLike,
                     w: Float64Array | None = None) -> "ActivationSums":
    pin_this_worker(client_pid)
    return chunk_activation_sums(_network(spec), X, theta, w)


def _partial_sums(spec: _Spec, client_pid: int, theta: FloatArray, X: RowsLike, Y: RowsLike,
                  activations: "ActivationSums | None", w: Float64Array | None = None) -> "PartialSums":
    pin_this_worker(client_pid)
    rho_hat = None if activations is None else activations.rho_hat
    return chunk_partial_sums(_network(spec), X, X if Y is None else Y, theta, rho_hat, w)


def _one_pass_sums(spec: _Spec, client_pid: int, theta: FloatArray, X: RowsLike, Y: RowsLike,
                   w: Float64Array | None = None) -> "OnePassSums":
    pin_this_worker(client_pid)
    return chunk_one_pass_sums(_network(spec), X, X if Y is None else Y, theta, w)


def _add(*parts: Any) -> Any:
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _forward(X: RowsLike, spec: _Spec, theta: FloatArray, start: int, stop: int) -> FloatArray:
    return _network(spec).forward(X, theta, start=start, stop=stop)


def _network_sum(X: RowsLike, spec: _Spec, theta: FloatArray, fn: _RowSum) -> Float64Array:
    value = float(fn(_network(spec), X, theta)) if X.shape[0] else 0.0
    return np.array([[value]])


# ------------------------------------------------------------------ the client's side


def active_client() -> Any:
    """The ``distributed.Client`` that Dask's default scheduler is, or None (threads, processes, sync)."""
    dask = _dask()
    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    distributed = __import__("sys").modules.get("distributed")
    if distributed is not None and isinstance(client, distributed.Client):
        return client
    return None


def rows_of(X: DaskArray, n_columns: int | None, name: str = "X") -> DaskArray:
    """The Dask array ``X`` checked (2-D, ``n_columns`` columns when given, known chunk sizes, at least one row)
    and rechunked to whole rows (one chunk across the columns)."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D Dask array; got shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has chunks of unknown size: call {name}.compute_chunk_sizes() first")
    if n_columns is not None and X.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, shape (m, {n_columns}); got shape {X.shape}")
    if X.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one example (row); got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; got dtype {X.dtype}")
    return X if len(X.chunks[1]) == 1 else X.rechunk({1: -1})


def aligned_targets(Y: RowsLike, X: DaskArray) -> DaskArray:
    """``Y`` (a Dask or NumPy array, (m,) or (m, k)) as a Dask array with the row chunks of ``X``."""
    da = _dask().array
    if not hasattr(Y, "chunks"):
        Y = np.asarray(Y)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have one row per row of X ({X.shape[0]}); got shape {tuple(Y.shape)}")
    chunks = (X.chunks[0],) + tuple((n,) for n in Y.shape[1:])
    if hasattr(Y, "chunks"):
        return Y if Y.chunks == chunks else Y.rechunk(chunks)
    return da.from_array(Y, chunks=chunks)


def _chunks(X: DaskArray) -> list[tuple[Any, int]]:
    """The chunks of ``X`` as Delayed objects in row order, with their row counts (empty chunks left out)."""
    blocks = X.to_delayed().ravel()
    return [(block, n) for block, n in zip(blocks, X.chunks[0]) if n > 0]


def _tree(parts: list[Any], add: Callable[..., Any] | None = None) -> Any:
    """parts added in groups of FAN_IN consecutive ones, level by level: by tasks (``add`` None: the Delayed
    additions of a graph) or by ``add`` itself on values (the same shape and order, so the same numbers)."""
    if add is None:
        add = _dask().delayed(_add, pure=False)
    while len(parts) > 1:
        parts = [parts[i] if len(parts[i:i + FAN_IN]) == 1 else add(*parts[i:i + FAN_IN])
                 for i in range(0, len(parts), FAN_IN)]
    return parts[0]


class DaskObjective:
    """``fun(theta) -> (cost, grad)`` over the rows of a Dask array (see the module's docstring).

    Parameters
    ----------
    net : ufldl.Network
        Its architecture and weight decay; its own parameters are not used.
    X : dask.array.Array, shape (m, n_0)
        The inputs, one example per row.
    Y : dask.array.Array or ndarray, shape (m, n_L) or (m,), or ``X`` itself
        The targets; for an autoencoder ``X`` itself, each chunk then used as its own targets, sent once.
    persist : bool or None, default None
        Persist X and Y (and the weights) on the workers first; None: when Dask's scheduler is a ``distributed``
        client.
    sample_weight : ndarray, dask.array.Array or None, shape (m,)
        The rows' weights (``docs/math.md#sample-weights``); a Dask array is rechunked to X's row chunks. None:
        every row weighs 1.
    one_pass : bool or None, default None
        One task per chunk with ``Network.one_pass_sums``: None when it applies (a KL penalty on the first
        hidden layer only), True to insist (ValueError if it does not apply), False for ``activation_sums``
        and then ``partial_sums``.

    Attributes
    ----------
    X, Y : dask.array.Array
        As evaluated (Y None when it is X).
    sample_weight : dask.array.Array or None
        The weights as evaluated: float64, X's row chunks.
    n_chunks : int
    n_evals : int
    one_pass : bool
        Whether an evaluation uses ``one_pass_sums``.
    """

    def __init__(self, net: "Network", X: DaskArray, Y: RowsLike, persist: bool | None = None, *,
                 sample_weight: RowsLike = None, one_pass: bool | None = None) -> None:
        dask = _dask()
        self.net = net
        self.spec = network_spec(net)
        X = rows_of(X, net.layer_sizes[0])
        Y = None if Y is X else aligned_targets(Y, X)
        w = dask_weights(sample_weight, X)
        self.client = active_client()
        if self.client is not None if persist is None else persist:
            X, Y, w = dask.persist(X, Y, w)  # (None persists as None)
        self.X, self.Y, self.sample_weight = X, Y, w
        self.m = int(X.shape[0])
        self.sparse = net.sparsity is not None and net.sparsity.beta > 0
        self.one_pass = net.use_one_pass(one_pass)
        self.n_chunks = len(_chunks(X))
        self.n_evals = 0

    def _theta_argument(self, theta: Float64Array) -> Any:
        """theta as the tasks receive it: a shared key of the graph, or a future scattered for this evaluation."""
        if self.client is not None and theta.nbytes > INLINE_THETA_BYTES:
            return self.client.scatter(theta, hash=False)  # (no broadcast: workers fetch it from each other)
        return _dask().delayed(theta, pure=False)

    def sums(self, theta: ArrayLike) -> "PartialSums | OnePassSums":
        """The added :class:`ufldl.network.sums.PartialSums` (with ``one_pass``, ``OnePassSums``) of every chunk
        at ``theta``.

        Parameters
        ----------
        theta : ndarray, shape (n_params,)
            The parameters to evaluate at.

        Returns
        -------
        ufldl.network.PartialSums or ufldl.network.OnePassSums
            The sums of all the chunks, added in a tree of fixed shape.
        """
        dask = _dask()
        theta = np.array(theta, dtype=np.float64)  # a copy: the solver's view is only valid during the call
        argument = self._theta_argument(theta)
        pid = os.getpid()
        xs = _chunks(self.X)
        ys = [None] * len(xs) if self.Y is None else [block for block, _ in _chunks(self.Y)]
        ws = [None] * len(xs) if self.sample_weight is None else [block for block, _ in _chunks(self.sample_weight)]
        acts = None
        if self.sparse and not self.one_pass:
            acts = _tree([dask.delayed(_activation_sums, pure=False)(self.spec, pid, argument, x, w)
                          for (x, _), w in zip(xs, ws)])
        if self.one_pass:  # (no tree of activation sums: one round trip)
            parts = [dask.delayed(_one_pass_sums, pure=False)(self.spec, pid, argument, x, y, w)
                     for (x, _), y, w in zip(xs, ys, ws)]
        else:
            parts = [dask.delayed(_partial_sums, pure=False)(self.spec, pid, argument, x, y, acts, w)
                     for (x, _), y, w in zip(xs, ys, ws)]
        total: PartialSums | OnePassSums
        sizes = self.net.layer_sizes
        part_bytes = 8 * (self.net.n_params + (sizes[1] * (sizes[0] + 2) if self.one_pass else 0))
        try:
            with single_threaded_core():
                if part_bytes * len(parts) <= CLIENT_REDUCE_BYTES:
                    total = _tree(list(dask.compute(*parts)), _add)
                else:
                    (total,) = dask.compute(_tree(parts))
        except concurrent.futures.CancelledError as exc:  # (distributed's FutureCancelledError)
            raise DataLostError(f"{_LOST_ADVICE} (Dask: {exc})") from exc
        finally:
            if hasattr(argument, "release"):
                argument.release()
        return total

    def __call__(self, theta: ArrayLike) -> tuple[float, FloatArray]:
        self.n_evals += 1
        return self.net.combine(self.sums(theta), theta)


# ------------------------------------------------------------------ the fitted model on a Dask array


def dask_forward(net: "Network", X: DaskArray, *, start: int = 1, stop: int | None = None) -> DaskArray:
    """The lazy Dask array of ``net.forward(X, start=start, stop=stop)``, chunk by chunk (``map_blocks``), at
    the network's parameters now (copied: a later fit does not change it)."""
    dask = _dask()
    stop = net.n_layers if stop is None else stop
    X = rows_of(X, net.layer_sizes[start - 1])
    theta = dask.delayed(net.theta.copy(), pure=False)
    return X.map_blocks(_forward, network_spec(net), theta, start, stop, dtype=net.dtype,
                        chunks=(X.chunks[0], (net.layer_sizes[stop],)))


def dask_mean_activations(net: "Network", X: DaskArray) -> list[Float64Array]:
    """``net.mean_activations(X)`` of a Dask array, computed (float64 arrays, one per hidden layer)."""
    dask = _dask()
    if net.n_layers == 1:
        return []
    X = rows_of(X, net.layer_sizes[0])
    theta = dask.delayed(net.theta.copy(), pure=False)
    spec, pid = network_spec(net), os.getpid()
    acts = _tree([dask.delayed(_activation_sums, pure=False)(spec, pid, theta, x) for x, _ in _chunks(X)])
    total: ActivationSums
    with single_threaded_core():
        (total,) = dask.compute(acts)
    means: list[Float64Array] = []
    rho_hat, offset = total.rho_hat, 0
    for n in net.layer_sizes[1:-1]:
        means.append(rho_hat[offset:offset + n])
        offset += n
    return means


def dask_network_sum(net: "Network", X: DaskArray, fn: _RowSum) -> float:
    """``sum over the chunks of fn(network, chunk, theta)`` (floats) at the network's parameters now, computed
    and added in chunk order on the client."""
    dask = _dask()
    X = rows_of(X, net.layer_sizes[0])
    theta = dask.delayed(net.theta.copy(), pure=False)
    per_chunk = X.map_blocks(_network_sum, network_spec(net), theta, fn, dtype=np.float64,
                             chunks=(tuple(1 for _ in X.chunks[0]), (1,)))
    return float(sum(per_chunk.compute().ravel().tolist()))
