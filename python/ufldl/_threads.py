"""The compiled core's BLAS thread pool, as threadpoolctl sees it.

The core uses the OpenBLAS of the ``scipy-openblas32`` package, a pool of its own beside NumPy's and SciPy's
(each ships its own OpenBLAS). threadpoolctl finds all three; these helpers pick ours by its file path.
"""

import contextlib
import os

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


@contextlib.contextmanager
def blas_threads(n):
    """Limit the compiled core's BLAS pool to ``n`` threads inside a ``with`` block (NumPy's and SciPy's
    pools are left alone).

    Parameters
    ----------
    n : int
        Number of threads, >= 1.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    with _our_pool(ThreadpoolController()).limit(limits=n):
        yield
