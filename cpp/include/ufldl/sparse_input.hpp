// Sparse inputs (docs/math.md#sparse-input): X in CSR, one example per row, as scipy.sparse stores it. Only the
// first layer touches X, in two products: Z_1 = X W_1^T (forward) and gW_1 += D_1^T X (gradient). They run here as
// sparse x dense kernels, never densifying X; the formulas are those of the dense path. NumPy twins:
// ufldl.reference.sparse_input_product and ufldl.reference.sparse_input_gradient (scipy.sparse's own products).
#pragma once
#include <cstdint>
#include <vector>

#include "ufldl/types.hpp"

namespace ufldl {

// A view of a CSR matrix (rows x cols): row i's entries are data[k] in column indices[k], k in
// [indptr[i], indptr[i + 1]). indptr and indices are each int32 or int64 (the flags say which). Columns need not be
// sorted within a row, and a repeated column counts as the sum of its entries (as in scipy). The caller has
// validated it: indptr[0] = 0, indptr non-decreasing, every index in [0, cols) (the bindings' check_csr).
template <class T>
struct CsrRows {
    const T* data = nullptr;
    const void* indptr = nullptr;   // rows + 1 entries
    const void* indices = nullptr;  // indptr[rows] entries, like data
    bool indptr64 = false;
    bool indices64 = false;
    index_t rows = 0;
    index_t cols = 0;
};

// Z = X[r0:r1] Wt (Z: (r1 - r0) x n, row-major), with Wt = W^T kept as a (cols x n) row-major matrix so that row i
// of Z is a sum of rows of Wt, sum_k data[k] * Wt[indices[k], :]. Rows in parts on the pool when this thread owns
// it. Accumulated in T, as the dense product is. NumPy twin: ufldl.reference.sparse_input_product.
template <class T>
void csr_times_dense(T* Z, const CsrRows<T>& X, index_t r0, index_t r1, const T* Wt, index_t n);

// Gt += X[r0:r1]^T D (Gt: cols x n, D: (r1 - r0) x n, both row-major): each entry (i, j, v) of X adds v * D[i, :]
// to row j of Gt. Parts on the pool split the n columns (each part sees every entry), so no part writes another's
// numbers and the result does not depend on the part count. NumPy twin: ufldl.reference.sparse_input_gradient.
template <class T>
void csr_transpose_times_dense(T* Gt, const CsrRows<T>& X, index_t r0, index_t r1, const T* D, index_t n);

// out ((r1 - r0) x cols, row-major) = X[r0:r1] as a dense block (duplicates added).
template <class T>
void csr_rows_to_dense(T* out, const CsrRows<T>& X, index_t r0, index_t r1);

// out (cols x rows) = A^T, or out += A^T when accumulate, for A (rows x cols), both row-major.
template <class T>
void transpose_into(T* out, const T* A, index_t rows, index_t cols, bool accumulate);

// The rows order[0 .. n) of X gathered, in that order, into a CSR matrix held by the three buffers (grown, never
// shrunk; int64 indptr and indices). Returns the view of it.
template <class T>
CsrRows<T> csr_gather_rows(const CsrRows<T>& X, const std::int64_t* order, index_t n, std::vector<std::int64_t>& indptr,
                           std::vector<std::int64_t>& indices, std::vector<T>& data);

}  // namespace ufldl
