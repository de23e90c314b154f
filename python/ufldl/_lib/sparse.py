"""Sparse inputs (``scipy.sparse``) as the compiled core takes them (``docs/math.md#sparse-input``).

A network's X (and an autoencoder's targets, which are X) may be a SciPy sparse matrix or array: bag-of-words
counts, tf-idf, one-hot features. The core multiplies the first layer by its CSR form directly, never densifying
it. Any other format (CSC in particular) is converted to CSR once here, with ``tocsr()``: O(nnz), not dense. The
CSR arrays themselves are checked by the core's binding (indices in range, indptr non-decreasing, lengths
consistent), which refuses a malformed matrix with a ValueError before anything reads it.
"""

from typing import Any, TypeGuard

import numpy as np
import scipy.sparse

from ufldl import _core
from ufldl._lib.validation import aligned, as_matrix, convert, require_finite

__all__ = ["is_sparse", "as_csr", "as_rows", "contiguous_rows", "core_rows", "require_finite_rows"]


def is_sparse(value: object) -> TypeGuard[Any]:
    """Whether ``value`` is a SciPy sparse matrix or array."""
    return bool(scipy.sparse.issparse(value))


def as_csr(value: Any, name: str, n_columns: int, dtype: Any) -> Any:
    """``value`` (SciPy sparse, any format) as CSR with data of ``dtype``, shape (m, n_columns), m >= 1.

    CSR input of the right dtype is returned as it is (no copy); another format is converted once by
    ``tocsr()`` (after SciPy's full check of its structure, so that a malformed CSC matrix is refused instead of
    being read out of bounds by the conversion); another dtype copies the data only. Duplicate entries are kept
    (the core adds them up, as SciPy does) and unsorted indices are fine.
    """
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (m, {n_columns}); got a sparse {value.ndim}-D array")
    m, n = value.shape
    if n != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, shape (m, {n_columns}); got shape {value.shape}")
    if m == 0:
        raise ValueError(f"{name} must hold at least one example (row); got shape {value.shape}")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric sparse matrix; got dtype {value.dtype}")
    if value.format != "csr":
        if hasattr(value, "check_format"):
            value.check_format(full_check=True)
        value = value.tocsr()
    if value.dtype == dtype and value.data.flags.c_contiguous:
        return value
    data = convert(np.asarray(value.data), f"{name}.data", dtype)
    return type(value)((data, value.indices, value.indptr), shape=value.shape, copy=False)


def as_rows(value: Any, name: str, n_columns: int, dtype: Any) -> Any:
    """A dense ``(m, n_columns)`` array of ``dtype`` (``as_matrix``), or for sparse input its CSR form
    (``as_csr``)."""
    if is_sparse(value):
        return as_csr(value, name, n_columns, dtype)
    return as_matrix(value, name, n_columns, dtype)


def contiguous_rows(A: Any) -> Any:
    """A dense array in C order (copied only if it is not); a sparse matrix (CSR rows) as it is."""
    return A if is_sparse(A) else np.ascontiguousarray(A)


def core_rows(X: Any) -> Any:
    """What the core takes for X (or Y): the array itself, or a ``_core.CsrMatrix`` of a CSR matrix's arrays."""
    if not is_sparse(X):
        return X
    return _core.CsrMatrix(aligned(X.data), aligned(X.indices), aligned(X.indptr), X.shape)


def require_finite_rows(X: Any, name: str) -> None:
    """``require_finite`` of a dense array, or of a sparse matrix's stored values."""
    require_finite(X.data if is_sparse(X) else X, f"{name}.data" if is_sparse(X) else name)
