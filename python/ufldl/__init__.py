"""ufldl: the UFLDL tutorial's neural networks and sparse autoencoder, exact and fast.

A C++ core computes the cost and gradient of dense networks (fused elementwise passes around OpenBLAS
matrix products); this package is the thin, documented Python layer over it.
"""

__version__ = "0.1.0"

import sys as _sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names _load binds at run time, for type checkers (the same imports)
    from ufldl import datasets, diagnostics, estimators, io, optimize, preprocessing, reference, scale, viz
    from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
    from ufldl._lib.threads import blas_info, blas_threads
    from ufldl.estimators import (AutoencoderCollapseWarning, NeuralNetClassifier, NeuralNetRegressor,
                                  SoftmaxRegression, SparseAutoencoder, StackedAutoencoder)
    from ufldl.gradcheck import check_gradient, numerical_gradient, relative_difference
    from ufldl.io import load, save
    from ufldl.network import ACTIVATIONS, LOSSES, KLSparsity, Network
    from ufldl.optimize import SGD, Adam, MinibatchResult, OptimizeResult, minimize, train, train_minibatch
    from ufldl.preprocessing import PCA, PatchNormalizer, ZCAWhitening


def _load() -> None:
    """Import every layer and bind the package's names: what ``import ufldl`` does (see the end of this file)."""
    import ufldl._lib  # noqa: F401  (loads OpenBLAS, then the compiled core)
    from ufldl import _core, datasets, reference, viz  # noqa: F401
    from ufldl._lib.threads import blas_info, blas_threads
    from ufldl.gradcheck import check_gradient, numerical_gradient, relative_difference
    from ufldl.network import ACTIVATIONS, LOSSES, KLSparsity, Network
    from ufldl import network_state  # noqa: F401  (registers ufldl.io's kind "ufldl.Network")
    from ufldl import diagnostics, io, optimize, preprocessing, scale
    from ufldl.preprocessing import PCA, PatchNormalizer, ZCAWhitening
    from ufldl.io import load, save
    from ufldl._lib.errors import NonFiniteError, TrainingInterrupted
    from ufldl.optimize import OptimizeResult, minimize
    from ufldl.optimize import SGD, Adam, MinibatchResult, train, train_minibatch
    from ufldl import estimators
    from ufldl.estimators import (AutoencoderCollapseWarning, NeuralNetClassifier, NeuralNetRegressor,
                                  SoftmaxRegression, SparseAutoencoder, StackedAutoencoder)

    names = dict(locals())
    del names["ufldl"]
    globals().update(names)


__all__ = [
    "ACTIVATIONS",
    "Adam",
    "AutoencoderCollapseWarning",
    "MinibatchResult",
    "SGD",
    "SoftmaxRegression",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "train",
    "train_minibatch",
    "LOSSES",
    "KLSparsity",
    "NonFiniteError",
    "OptimizeResult",
    "TrainingInterrupted",
    "Network",
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "PCA",
    "PatchNormalizer",
    "ZCAWhitening",
    "blas_info",
    "blas_threads",
    "check_gradient",
    "datasets",
    "diagnostics",
    "estimators",
    "io",
    "load",
    "minimize",
    "optimize",
    "preprocessing",
    "numerical_gradient",
    "reference",
    "relative_difference",
    "save",
    "scale",
    "viz",
]


def _lazy_getattr(name: str) -> Any:
    """The package's ``__getattr__`` (PEP 562) when the ``ufldl`` command started it (see below)."""
    if name.startswith("__"):
        raise AttributeError(f"module 'ufldl' has no attribute {name!r}")
    import importlib
    import importlib.util

    if importlib.util.find_spec(f"ufldl.{name}") is not None:  # a submodule: import it alone
        return importlib.import_module(f"ufldl.{name}")
    _load()  # any other name: the whole package, as an eager import gives
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module 'ufldl' has no attribute {name!r}") from None


# ``import ufldl`` loads the whole package (NumPy, SciPy, scikit-learn, the compiled core: a second or more),
# except under the ``ufldl`` command: its entry point (_ufldl_cli, outside the package) sets LAZY first, so that
# ``ufldl --help`` imports nothing heavy; the names then load on first use, the same objects either way.
if not TYPE_CHECKING and getattr(_sys.modules.get("_ufldl_cli"), "LAZY", False):
    __getattr__ = _lazy_getattr
else:
    _load()
