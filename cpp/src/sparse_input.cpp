// The first layer's products with a CSR input (ufldl/sparse_input.hpp, docs/math.md#sparse-input).
#include "ufldl/sparse_input.hpp"

#include <algorithm>
#include <cstring>

#include "ufldl/parallel.hpp"

namespace ufldl {
namespace {

// Calls f(indptr, indices) with the arrays of X cast to their integer types: the loops are compiled for each.
template <class T, class F>
void with_index_types(const CsrRows<T>& X, F&& f) {
    const auto* p32 = static_cast<const std::int32_t*>(X.indptr);
    const auto* p64 = static_cast<const std::int64_t*>(X.indptr);
    const auto* i32 = static_cast<const std::int32_t*>(X.indices);
    const auto* i64 = static_cast<const std::int64_t*>(X.indices);
    if (X.indptr64) {
        if (X.indices64) f(p64, i64); else f(p64, i32);
    } else {
        if (X.indices64) f(p32, i64); else f(p32, i32);
    }
}

// Entries in rows [r0, r1): the work of a pass over them is this times the dense width.
template <class T>
index_t entries(const CsrRows<T>& X, index_t r0, index_t r1) {
    index_t count = 0;
    with_index_types(X, [&](const auto* indptr, const auto*) {
        count = static_cast<index_t>(indptr[r1]) - static_cast<index_t>(indptr[r0]);
    });
    return count;
}

}  // namespace

template <class T>
void csr_times_dense(T* Z, const CsrRows<T>& X, index_t r0, index_t r1, const T* Wt, index_t n) {
    const index_t rows = r1 - r0;
    if (rows <= 0) return;
    // Cost per row for the split: the row's share of the entries times n, plus the zeroing of the row.
    const long long per_row = (entries(X, r0, r1) / rows + 1) * n;
    with_index_types(X, [&](const auto* indptr, const auto* indices) {
        parallel_ranges(rows, per_row, [&](long long i0, long long i1) {
            for (index_t i = i0; i < i1; ++i) {
                T* z = Z + i * n;
                std::fill(z, z + n, T(0));
                const index_t k1 = static_cast<index_t>(indptr[r0 + i + 1]);
                for (index_t k = static_cast<index_t>(indptr[r0 + i]); k < k1; ++k) {
                    const T v = X.data[k];
                    const T* w = Wt + static_cast<index_t>(indices[k]) * n;
#pragma omp simd
                    for (index_t j = 0; j < n; ++j) z[j] += v * w[j];
                }
            }
        });
    });
}

template <class T>
void csr_transpose_times_dense(T* Gt, const CsrRows<T>& X, index_t r0, index_t r1, const T* D, index_t n) {
    if (r1 <= r0) return;
    const index_t count = entries(X, r0, r1);
    with_index_types(X, [&](const auto* indptr, const auto* indices) {
        // Columns [c0, c1) of every entry's update: a part's writes never meet another's.
        parallel_ranges(n, count + 1, [&](long long c0, long long c1) {
            for (index_t i = r0; i < r1; ++i) {
                const T* d = D + (i - r0) * n;
                const index_t k1 = static_cast<index_t>(indptr[i + 1]);
                for (index_t k = static_cast<index_t>(indptr[i]); k < k1; ++k) {
                    const T v = X.data[k];
                    T* g = Gt + static_cast<index_t>(indices[k]) * n;
#pragma omp simd
                    for (index_t j = c0; j < c1; ++j) g[j] += v * d[j];
                }
            }
        });
    });
}

template <class T>
void csr_rows_to_dense(T* out, const CsrRows<T>& X, index_t r0, index_t r1) {
    const index_t cols = X.cols;
    std::fill(out, out + (r1 - r0) * cols, T(0));
    with_index_types(X, [&](const auto* indptr, const auto* indices) {
        for (index_t i = r0; i < r1; ++i) {
            T* row = out + (i - r0) * cols;
            const index_t k1 = static_cast<index_t>(indptr[i + 1]);
            for (index_t k = static_cast<index_t>(indptr[i]); k < k1; ++k)
                row[static_cast<index_t>(indices[k])] += X.data[k];
        }
    });
}

template <class T>
void transpose_into(T* out, const T* A, index_t rows, index_t cols, bool accumulate) {
    // Tiles of 32 x 32 keep both the rows read and the rows written in cache.
    constexpr index_t tile = 32;
    parallel_ranges(cols, rows, [&](long long c0, long long c1) {
        for (index_t jb = c0; jb < c1; jb += tile) {
            const index_t je = std::min<index_t>(jb + tile, c1);
            for (index_t ib = 0; ib < rows; ib += tile) {
                const index_t ie = std::min(ib + tile, rows);
                for (index_t j = jb; j < je; ++j) {
                    T* o = out + j * rows;
                    if (accumulate)
                        for (index_t i = ib; i < ie; ++i) o[i] += A[i * cols + j];
                    else
                        for (index_t i = ib; i < ie; ++i) o[i] = A[i * cols + j];
                }
            }
        }
    });
}

template <class T>
CsrRows<T> csr_gather_rows(const CsrRows<T>& X, const std::int64_t* order, index_t n, std::vector<std::int64_t>& indptr,
                           std::vector<std::int64_t>& indices, std::vector<T>& data) {
    if (indptr.size() < static_cast<std::size_t>(n + 1)) indptr.resize(static_cast<std::size_t>(n + 1));
    with_index_types(X, [&](const auto* src_ptr, const auto* src_idx) {
        indptr[0] = 0;
        for (index_t i = 0; i < n; ++i) {
            const index_t r = static_cast<index_t>(order[i]);
            indptr[i + 1] = indptr[i] + (static_cast<index_t>(src_ptr[r + 1]) - static_cast<index_t>(src_ptr[r]));
        }
        const auto nnz = static_cast<std::size_t>(indptr[n]);
        if (indices.size() < nnz) indices.resize(nnz);
        if (data.size() < nnz) data.resize(nnz);
        parallel_ranges(n, nnz / static_cast<std::size_t>(n) + 1, [&](long long i0, long long i1) {
            for (index_t i = i0; i < i1; ++i) {
                const index_t r = static_cast<index_t>(order[i]);
                const index_t k0 = static_cast<index_t>(src_ptr[r]), len = static_cast<index_t>(src_ptr[r + 1]) - k0;
                std::memcpy(data.data() + indptr[i], X.data + k0, sizeof(T) * static_cast<std::size_t>(len));
                for (index_t k = 0; k < len; ++k) indices[indptr[i] + k] = static_cast<std::int64_t>(src_idx[k0 + k]);
            }
        });
    });
    CsrRows<T> out;
    out.data = data.data();
    out.indptr = indptr.data();
    out.indices = indices.data();
    out.indptr64 = out.indices64 = true;
    out.rows = n;
    out.cols = X.cols;
    return out;
}

#define UFLDL_SPARSE_INPUT(T)                                                                                      \
    template void csr_times_dense<T>(T*, const CsrRows<T>&, index_t, index_t, const T*, index_t);                  \
    template void csr_transpose_times_dense<T>(T*, const CsrRows<T>&, index_t, index_t, const T*, index_t);        \
    template void csr_rows_to_dense<T>(T*, const CsrRows<T>&, index_t, index_t);                                   \
    template void transpose_into<T>(T*, const T*, index_t, index_t, bool);                                         \
    template CsrRows<T> csr_gather_rows<T>(const CsrRows<T>&, const std::int64_t*, index_t,                        \
                                           std::vector<std::int64_t>&, std::vector<std::int64_t>&, std::vector<T>&);
UFLDL_SPARSE_INPUT(float)
UFLDL_SPARSE_INPUT(double)
#undef UFLDL_SPARSE_INPUT

}  // namespace ufldl
