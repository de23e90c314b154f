"""One thread per chunk: the compiled core's pool pinned to 1 thread while Dask runs chunks of an evaluation.

The core splits a call's rows into shards by its pool's thread count, and a call that finds the pool busy (another
thread of the process is in the core) runs as one shard (``docs/math.md#chunks-and-shards``). The sums then
differ in rounding with the worker's thread count and with timing. Dask runs chunks concurrently on threads and
processes, so a chunk is evaluated as one shard on one thread: its sums are the same on every worker, whatever
ran beside it, and a fit is bitwise reproducible for a given chunking. The parallelism is Dask's.

In the process that drives the fit, :func:`single_threaded_core` pins the pool for the duration of one Dask
computation and restores it afterwards (reference-counted: nested and concurrent holders share one pin). In a
worker process, :func:`pin_this_worker` pins it once for the process's life (the pool is ufldl's own OpenBLAS,
``scipy-openblas32``; NumPy's and SciPy's pools are not touched).
"""

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

from ufldl._lib.openblas import load_openblas

__all__ = ["single_threaded_core", "pin_this_worker"]

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {"pool": None, "holders": 0, "saved": None, "pinned_pid": None}


def _pool() -> Any:
    """threadpoolctl's controller of the core's OpenBLAS only (found once per process: finding it walks the
    loaded libraries, about 10 ms; limiting it afterwards takes microseconds)."""
    if _STATE["pool"] is None:
        controller = ThreadpoolController()
        ours = os.path.realpath(load_openblas())
        paths = [lib.filepath for lib in controller.lib_controllers if os.path.realpath(lib.filepath) == ours]
        if not paths:
            raise RuntimeError(f"threadpoolctl does not see ufldl's OpenBLAS at {ours}")
        _STATE["pool"] = controller.select(filepath=paths)
    return _STATE["pool"]


@contextlib.contextmanager
def single_threaded_core() -> Iterator[None]:
    """Inside the block the core's pool has 1 thread; the previous count is restored when the last holder
    leaves."""
    with _LOCK:
        if _STATE["holders"] == 0 and _STATE["pinned_pid"] != os.getpid():
            pool = _pool()
            _STATE["saved"] = [lib.num_threads for lib in pool.lib_controllers]
            for lib in pool.lib_controllers:
                lib.set_num_threads(1)
        _STATE["holders"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["holders"] -= 1
            if _STATE["holders"] == 0 and _STATE["saved"] is not None:
                for lib, n in zip(_pool().lib_controllers, _STATE["saved"]):
                    lib.set_num_threads(n)
                _STATE["saved"] = None


def pin_this_worker(client_pid: int) -> None:
    """In a Dask worker process (not the one with pid ``client_pid``, which pins around its computations
    itself), pin the core's pool to 1 thread for the rest of the process's life; once per process."""
    pid = os.getpid()
    if pid == client_pid or _STATE["pinned_pid"] == pid:
        return
    with _LOCK:
        if _STATE["pinned_pid"] != pid:
            for lib in _pool().lib_controllers:
                lib.set_num_threads(1)
            _STATE["pinned_pid"] = pid
