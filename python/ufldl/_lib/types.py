"""The names of the types in ufldl's signatures (annotations only: nothing here runs at training time)."""

import os
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["ActivationName", "ArrayLike", "DTypeName", "FloatArray", "IntArray", "LossName", "PathLike",
           "RandomStateLike", "Float64Array", "DTypeLike", "Activations",
           "WeightDecay", "Targets", "ThetaLike", "CostAndGrad", "Terms", "MethodName",
           "SolverName", "ScheduleName", "BatchSize", "DaskArray", "RowsResult", "DecoderName", "Labels",
           "SampleWeights", "StateMeta", "StateArrays"]

ArrayLike: TypeAlias = npt.ArrayLike
#: Rows of examples: anything ``numpy.asarray`` takes, or a ``scipy.sparse`` matrix or array (typed as Any: SciPy's
#: sparse classes have no common protocol with NumPy's array-likes).
RowsLike: TypeAlias = Any
# Outputs: an array of the network's (or the input's) floating dtype, float64 or float32.
FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]
Float64Array: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
PathLike: TypeAlias = str | os.PathLike[str]
# What ``ufldl._lib.validation.random_generator`` accepts.
RandomStateLike: TypeAlias = int | np.integer[Any] | np.random.Generator | np.random.RandomState | None
ActivationName: TypeAlias = Literal["sigmoid", "tanh", "relu", "identity", "softmax"]
LossName: TypeAlias = Literal["squared", "cross_entropy", "binary_cross_entropy"]
DTypeName: TypeAlias = Literal["float64", "float32"]
# What ``ufldl.layers.parse_dtype`` accepts: "float64", "float32", or those numpy dtypes and types.
DTypeLike: TypeAlias = DTypeName | np.dtype[np.float64] | np.dtype[np.float32] | type[np.float64] | type[np.float32]
# One activation for every weight layer, or one per weight layer.
Activations: TypeAlias = ActivationName | Sequence[ActivationName]
# lambda for every weight layer, or one lambda_l per weight layer.
WeightDecay: TypeAlias = float | Sequence[float]
# Targets as the core takes them: the network's float dtype, or int64 class labels.
Targets: TypeAlias = npt.NDArray[np.floating[Any]] | npt.NDArray[np.int64]
# A parameter vector (shape (n_params,)), or None for the network's own ``theta``.
ThetaLike: TypeAlias = npt.ArrayLike | None
CostAndGrad: TypeAlias = tuple[float, FloatArray]
# The cost's terms by name ("data", "decay", "sparsity").
Terms: TypeAlias = dict[str, float]
# Full-batch methods (ufldl.optimize.METHODS) and every solver of train() (ufldl.optimize.SOLVERS).
MethodName: TypeAlias = Literal["lbfgs", "lbfgsb", "cg", "gd"]
SolverName: TypeAlias = Literal["lbfgs", "lbfgsb", "cg", "gd", "sgd", "adam"]
ScheduleName: TypeAlias = Literal["constant", "invscaling", "adaptive"]
BatchSize: TypeAlias = int | Literal["auto"]
# A ``dask.array.Array`` (its API is unannotated, and Dask an optional extra: Any).
DaskArray: TypeAlias = Any
# What a pass over rows returns (ufldl.scale.forward, apply_rows, per_row): an ndarray, or a lazy
# ``dask.array.Array`` for a Dask input (Any, as DaskArray).
RowsResult: TypeAlias = Any
# ``sample_weight`` as an estimator's fit checked it: None (unweighted), a float64 ndarray of shape (n_samples,), or,
# for X read in pieces, the weights as given (a memmap, an h5py or zarr dataset) or a float64 Dask array (Any, as
# DaskArray: no common type).
SampleWeights: TypeAlias = Any
# An autoencoder's output layer (SparseAutoencoder, StackedAutoencoder): "linear" is the identity.
DecoderName: TypeAlias = Literal["sigmoid", "linear"]
# Class labels as a classifier keeps them (``classes_``): any dtype (ints, floats, bools, strings, objects).
Labels: TypeAlias = npt.NDArray[Any]
# An object's state as ``ufldl.io`` stores it: JSON-able metadata, and the arrays beside it by name.
StateMeta: TypeAlias = dict[str, Any]
StateArrays: TypeAlias = dict[str, npt.NDArray[Any]]
