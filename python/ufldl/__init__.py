"""ufldl: the UFLDL tutorial's neural networks and sparse autoencoder, exact and fast.

A C++ core computes the cost and gradient of dense networks (fused elementwise passes around OpenBLAS
matrix products); this package is the thin, documented Python layer over it.
"""

__version__ = "0.1.0"

import ufldl._lib  # noqa: F401  (loads OpenBLAS, then the compiled core)
from ufldl import _core, datasets, reference, viz  # noqa: E402
from ufldl._lib.threads import blas_info, blas_threads  # noqa: E402
from ufldl.gradcheck import check_gradient, numerical_gradient, relative_difference  # noqa: E402
from ufldl.network import ACTIVATIONS, LOSSES, KLSparsity, Network  # noqa: E402
from ufldl import network_state  # noqa: E402, F401  (registers ufldl.io's kind "ufldl.Network")
from ufldl import diagnostics, io, optimize, preprocessing  # noqa: E402
from ufldl.preprocessing import PCA, PatchNormalizer, ZCAWhitening  # noqa: E402
from ufldl.io import load, save  # noqa: E402
from ufldl._lib.errors import NonFiniteError, TrainingInterrupted  # noqa: E402
from ufldl.optimize import OptimizeResult, minimize  # noqa: E402
from ufldl.optimize import SGD, Adam, MinibatchResult, train, train_minibatch  # noqa: E402
from ufldl import estimators  # noqa: E402
from ufldl.estimators import (AutoencoderCollapseWarning, NeuralNetClassifier, NeuralNetRegressor,  # noqa: E402
                              SoftmaxRegression, SparseAutoencoder, StackedAutoencoder)

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
    "viz",
]
