// The one door to BLAS: row-major GEMM for float and double through OpenBLAS (scipy-openblas32, whose
// symbols carry a scipy_ prefix). Callers check that every dimension fits a 32-bit int before coming here.
//
// Two entry points per type, because OpenBLAS's thread count is one process-wide number that other code
// (threadpoolctl, scikit-learn, another Python thread) may change at any moment:
//   gemm_pooled  may split the product over OpenBLAS's thread count; the jobs come to the core's pool through
//                the callback (ufldl/parallel.hpp). A split product holds OpenBLAS's process-wide level-3
//                lock throughout, so only the thread that owns the pool may call it.
//   gemm_serial  never splits and takes no OpenBLAS lock, whatever the thread count: a batch of one product
//                (OpenBLAS parallelises batches over their items and runs each item with its single-threaded
//                driver). For a thread that runs one part of a pool job, or one that could not have the pool.
// Code outside parallel.cpp calls ufldl::gemm (parallel.hpp), which picks between the two.
#pragma once
#include <cblas.h>

namespace ufldl::blas {

inline CBLAS_TRANSPOSE op(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

// C(M x N) = alpha * op(A) * op(B) + beta * C, all row-major.
inline void gemm_pooled(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A, int lda,
                        const double* B, int ldb, double beta, double* C, int ldc) {
    scipy_cblas_dgemm(CblasRowMajor, op(trans_a), op(trans_b), M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

inline void gemm_pooled(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                        const float* B, int ldb, float beta, float* C, int ldc) {
    scipy_cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

inline void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A, int lda,
                        const double* B, int ldb, double beta, double* C, int ldc) {
    scipy_cblas_dgemm_batch_strided(CblasRowMajor, op(trans_a), op(trans_b), M, N, K, alpha, A, lda, 0, B, ldb, 0,
                                    beta, C, ldc, 0, 1);
}

inline void gemm_serial(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                        const float* B, int ldb, float beta, float* C, int ldc) {
    scipy_cblas_sgemm_batch_strided(CblasRowMajor, op(trans_a), op(trans_b), M, N, K, alpha, A, lda, 0, B, ldb, 0,
                                    beta, C, ldc, 0, 1);
}

inline int num_threads() { return scipy_openblas_get_num_threads(); }
inline const char* corename() { return scipy_openblas_get_corename(); }
// Hands OpenBLAS's parallel jobs to the caller's thread pool (see ufldl/parallel.hpp).
inline void set_threads_callback(openblas_threads_callback callback) {
    scipy_openblas_set_threads_callback_function(callback);
}

}  // namespace ufldl::blas
