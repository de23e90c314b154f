"""The compiled core's BLAS thread pool, as threadpoolctl sees it.

The core uses the OpenBLAS of the ``scipy-openblas32`` package, a pool of its own beside NumPy's and SciPy's
(each ships its own OpenBLAS). threadpoolctl finds all three; these helpers pick ours by its file path.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


from threadpoolctl import ThreadpoolController

from ufldl import _core
from ufldl._lib.openblas import load_openblas
from ufldl._lib.validation import integer


def _our_pool(controller: Any) -> Any:
    path = os.path.realpath(load_openblas())
    selected = [lib for lib in controller.lib_controllers if os.path.realpath(lib.filepath) == path]
    if not selected:
        raise RuntimeError(f"threadpoolctl does not see ufldl's OpenBLAS at {path}")
    return controller.select(filepath=selected[0].filepath)


def blas_info() -> dict[str, Any]:
    """What the compiled core runs on.

    Returns
    -------
    info : dict
        ``filepath``, ``version``, ``num_threads`` and ``architecture`` of the core's OpenBLAS (as reported by
        threadpoolctl), ``elementwise_isa``, the instruction set of the fused elementwise kernels, and
        ``hidden_layout``, a dict from ``"float64"`` and ``"float32"`` to how a network built now stores its
        hidden layers' intermediates during an evaluation: ``"hidden-major"`` (one unit per row, the
        tutorial's MATLAB orientation; float64's default, whose products run 8-20% faster on the CPUs
        measured) or ``"rows"`` (one example per row; float32's default). The environment variable
        ``UFLDL_HIDDEN_LAYOUT`` (``"rows"`` or ``"hidden-major"``) overrides both when a network is built.
        Inputs, outputs and results always have one example per row.
    """
    pool = _our_pool(ThreadpoolController()).info()[0]
    keys = ("filepath", "version", "num_threads", "architecture")
    # A one-unit network of each dtype reports the layout its constructor chose (a fixed rule, or the variable).
    layouts = {name: engine([1, 1, 1], [0, 0], 0).hidden_layout
               for name, engine in (("float64", _core.NetworkF64), ("float32", _core.NetworkF32))}
    return {**{k: pool.get(k) for k in keys}, "elementwise_isa": _core.elementwise_isa(), "hidden_layout": layouts}


def blas_threads(n: int) -> Any:
    """Limit the compiled core's BLAS pool to ``n`` threads inside a ``with`` block (NumPy's and SciPy's
    pools are left alone).

    Parameters
    ----------
    n : int
        Number of threads, >= 1.

    Returns
    -------
    limiter : context manager
        Restores the previous number of threads on exit. The fused elementwise passes of the core follow
        the same limit.
    """
    n = integer(n, "n", 1)
    return _our_pool(ThreadpoolController()).limit(limits=n)


# len(sys.modules) -> the other pools' controller, found when that many modules were loaded
_POOLS_CACHE: dict[int, Any] = {}


def _other_pools() -> Any:
    """threadpoolctl's controller of every BLAS/OpenMP pool except ufldl's own OpenBLAS.

    Finding the pools walks every loaded shared library (about 2 ms with PyTorch loaded), so the result is kept
    until the set of imported modules changes (a new import is what loads a new library)."""
    key = len(sys.modules)
    if key not in _POOLS_CACHE:
        controller = ThreadpoolController()
        ours = os.path.realpath(load_openblas())
        others = [lib.filepath for lib in controller.lib_controllers if os.path.realpath(lib.filepath) != ours]
        _POOLS_CACHE.clear()
        _POOLS_CACHE[key] = controller.select(filepath=others)
    return _POOLS_CACHE[key]


@contextlib.contextmanager
def isolated_blas() -> Iterator[None]:
    """Limit every BLAS/OpenMP pool of the process but ufldl's own OpenBLAS to 1 thread inside the block, and
    restore each pool's previous limit on the way out (also on an exception or Ctrl-C). The pools are told
    apart by file path."""
    selected = _other_pools()
    original = [info["num_threads"] for info in selected.info()]
    # Not ``with selected.limit(...)``: a Ctrl-C while the limiter is being built would leave the pools it had
    # already limited unrestored. Here every pool is restored, even if a second Ctrl-C comes during restoring.
    try:
        selected.limit(limits=1)
        yield
    finally:
        pending = None
        for lib, n_threads in zip(selected.lib_controllers, original):
            while True:
                try:
                    lib.set_num_threads(n_threads)
                    break
                except KeyboardInterrupt as exc:
                    pending = exc
        if pending is not None:
            raise pending
