// The one door to BLAS: row-major GEMM for float and double through OpenBLAS (scipy-openblas32, whose
// symbols carry a scipy_ prefix). Callers check that every dimension fits a 32-bit int before coming here.
#pragma once
#include <cblas.h>

namespace ufldl::blas {

// C(M x N) = alpha * op(A) * op(B) + beta * C, all row-major.
inline void gemm(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A, int lda,
                 const double* B, int ldb, double beta, double* C, int ldc) {
    scipy_cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M,
                      N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

inline void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
                 const float* B, int ldb, float beta, float* C, int ldc) {
    scipy_cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M,
                      N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

inline int num_threads() { return scipy_openblas_get_num_threads(); }
inline void set_num_threads(int n) { scipy_openblas_set_num_threads(n); }
inline const char* corename() { return scipy_openblas_get_corename(); }
// Hands OpenBLAS's parallel jobs to the caller's thread pool (see ufldl/parallel.hpp).
inline void set_threads_callback(openblas_threads_callback callback) {
    scipy_openblas_set_threads_callback_function(callback);
}

}  // namespace ufldl::blas
