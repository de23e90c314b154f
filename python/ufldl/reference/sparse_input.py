"""The first layer's two products with a sparse X (``docs/math.md#sparse-input``), written with SciPy's own sparse
products: the twins of ``csr_times_dense`` and ``csr_transpose_times_dense`` (``cpp/include/ufldl/sparse_input.hpp``).
The formulas are the dense ones; only the storage of X differs.
"""

import numpy as np
import scipy.sparse

from ufldl._lib.types import FloatArray, RowsLike

__all__ = ["sparse_input_product", "sparse_input_gradient", "layer_product", "layer_gradient"]


def sparse_input_product(X: RowsLike, W: FloatArray) -> FloatArray:
    """``X W^T`` for a SciPy sparse X: ``Z_1`` without its bias.

    Parameters
    ----------
    X : scipy.sparse matrix or array, shape (m, n_0)
        The inputs, one example per row.
    W : ndarray, shape (n_1, n_0)
        The first layer's weights.

    Returns
    -------
    ndarray, shape (m, n_1)
        The product, dense.
    """
    return np.asarray(X @ W.T)


def sparse_input_gradient(X: RowsLike, D: FloatArray) -> FloatArray:
    """``D^T X`` for a SciPy sparse X: the data part of ``gW_1``.

    Parameters
    ----------
    X : scipy.sparse matrix or array, shape (m, n_0)
        The inputs, one example per row.
    D : ndarray, shape (m, n_1)
        The first layer's deltas.

    Returns
    -------
    ndarray, shape (n_1, n_0)
        The product, dense.
    """
    return np.asarray((X.T @ D).T)


def layer_product(A: RowsLike, W: FloatArray) -> FloatArray:
    """``A W^T`` for a layer input A, dense or sparse (the sparse one through :func:`sparse_input_product`)."""
    return sparse_input_product(A, W) if scipy.sparse.issparse(A) else A @ W.T


def layer_gradient(A: RowsLike, D: FloatArray) -> FloatArray:
    """``D^T A`` for a layer input A, dense or sparse (the sparse one through :func:`sparse_input_gradient`)."""
    return sparse_input_gradient(A, D) if scipy.sparse.issparse(A) else D.T @ A
