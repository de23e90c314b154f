"""Load the OpenBLAS that the compiled core links to before the core itself.

The extension finds ``libscipy_openblas.so`` through its RPATH (``$ORIGIN/../scipy_openblas32/lib``). Loading it
here first, by the path the ``scipy_openblas32`` package reports, also covers layouts where that relative path
does not hold (for example a virtual environment that places the two packages in different directories).
"""

import ctypes
import os

import scipy_openblas32


def load_openblas() -> str:
    """Load ``libscipy_openblas`` globally and return its path."""
    lib_dir = scipy_openblas32.get_lib_dir()
    name = scipy_openblas32.get_library()
    path = os.path.join(lib_dir, f"lib{name}.so")
    if os.path.exists(path):
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    return path
