"""The private base of the package: loading the compiled core, its thread pools, the one vocabulary of input
checks, the errors and warnings every layer raises, and the FutureWarning of a renamed argument. Every other
module may import from here; nothing here imports from the rest of the package.

Importing this package loads the OpenBLAS that the compiled core links to, then the core itself.
"""

from ufldl._lib.openblas import load_openblas

load_openblas()  # before _core, which links to it

from ufldl import _core  # noqa: E402,F401  (the compiled module; ufldl/_core.*.so)
