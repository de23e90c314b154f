"""The compiled core's BLAS thread pool, as threadpoolctl sees it.

The core uses the OpenBLAS of the ``scipy-openblas32`` package, a pool of its own beside NumPy's and SciPy's
(each ships its own OpenBLAS). threadpoolctl finds all three; these helpers pick ours by its file path.
"""

import os

import numpy as np

from threadpoolctl import ThreadpoolController

from ufldl import _core
from ufldl._blas import load_openblas


def _our_pool(controller):
    path = os.path.realpath(load_openblas())
    selected = [lib for lib in controller.lib_controllers if os.path.realpath(lib.filepath) == path]
    if not selected:
        raise RuntimeError(f"threadpoolctl does not see ufldl's OpenBLAS at {path}")
    return controller.select(filepath=selected[0].filepath)


def blas_info():
    """What the compiled core runs on.

    Returns
    -------
    info : dict
        ``filepath``, ``version``, ``num_threads`` and ``architecture`` of the core's OpenBLAS (as reported by
        threadpoolctl), and ``elementwise_isa``, the instruction set of the fused elementwise kernels.
    """
    pool = _our_pool(ThreadpoolController()).info()[0]
    keys = ("filepath", "version", "num_threads", "architecture")
    return {**{k: pool.get(k) for k in keys}, "elementwise_isa": _core.elementwise_isa()}


def blas_threads(n):
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
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an integer >= 1; got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n}")
    return _our_pool(ThreadpoolController()).limit(limits=int(n))
