// The fused elementwise passes that surround the matrix products of a dense network.
// Every pass works on row-major (m x n) blocks (the hidden-major twins at the end: n x m), visits each element
// once, and accumulates per-column sums in double (for rho_hat and the bias gradients) on the way. row_scale (may
// be null: every row 1) is the row scale r_i = w_i m / W of docs/math.md#sample-weights, one per row of the block,
// in float64. The implementation is compiled once per instruction set and the best one for this CPU is chosen at
// run time (see elementwise_dispatch.cpp). The activations and their derivatives are those of
// docs/math.md#activations-and-their-derivatives; each pass's NumPy twin, which computes the same formula on
// whole arrays, is named in its comment.
#pragma once
#include <cstdint>

#include "ufldl/types.hpp"

namespace ufldl {

template <class T>
struct ElementwiseKernels {
    // Z <- f(Z + b) in place (softmax row-wise; docs/math.md#forward-pass). If colsum is not null:
    // colsum[j] += r_i A[i, j] over all rows. NumPy twin: ufldl.reference.bias_activate.
    void (*bias_activate)(T* Z, index_t m, index_t n, const T* b, Activation act, double* colsum,
                          const double* row_scale);

    // Output layer with squared error (docs/math.md#squared-error): A = f(Z + b), D = (A - Y) * f'(A) * r_i inv_m
    // written over Z, dsum[j] += D[i, j]. Returns sum_ij r_i 0.5 * (A - Y)^2 (not divided by m).
    // NumPy twin: ufldl.reference.output_squared.
    double (*output_squared)(T* Z, const T* Y, index_t m, index_t n, const T* b, Activation act, T inv_m,
                             double* dsum, const double* row_scale);

    // Output layer, softmax + cross-entropy (docs/math.md#softmax-and-cross-entropy): A = softmax(Z + b),
    // D = (A - Y) * r_i inv_m written over Z, dsum[j] += D[i, j]. Targets are either dense Y (labels == nullptr)
    // or class indices labels[i] in [0, n). Returns -sum_i r_i sum_k y_ik log a_ik (not divided by m), with log a
    // taken from the log-softmax of Z. NumPy twin: ufldl.reference.output_softmax_ce.
    double (*output_softmax_ce)(T* Z, const T* Y, const std::int64_t* labels, index_t m, index_t n, const T* b,
                                T inv_m, double* dsum, const double* row_scale);

    // Output layer, sigmoid + binary cross-entropy per unit (docs/math.md#sigmoid-outputs-with-binary-cross-entropy):
    // with z = Z + b, D = (sigmoid(z) - Y) * r_i inv_m written over Z, dsum[j] += D[i, j]. Returns
    // sum_ij r_i (softplus(z) - y z) = -sum_ij r_i (y log a + (1 - y) log(1 - a)) (not divided by m), computed
    // from z so that it stays finite where a rounds to 0 or 1. NumPy twin: ufldl.reference.output_sigmoid_bce.
    double (*output_sigmoid_bce)(T* Z, const T* Y, index_t m, index_t n, const T* b, T inv_m, double* dsum,
                                 const double* row_scale);

    // Hidden layer delta (docs/math.md#gradient-by-backpropagation): D = (P + r_i s) * f'(A) written over A, where
    // P = D_{l+1} W_{l+1} and s (length n, may be null: s_l / m of a sparse layer) is added to every row i, scaled
    // by r_i; dsum[j] += D[i, j]. NumPy twin: ufldl.reference.hidden_delta.
    void (*hidden_delta)(T* A, const T* P, index_t m, index_t n, const T* s, Activation act, double* dsum,
                         const double* row_scale);

    // The first hidden layer's one-pass KL sums (docs/math.md#one-pass-kl-sums): F = w_i f'(A) written to F (A is
    // left as it is), asum[j] += w_i A[i, j] and fsum[j] += F[i, j], in double. weight (may be null: every row 1)
    // is the rows' sample weights w_i themselves, not the row scales. NumPy twin: ufldl.reference.derivative_sums.
    void (*derivative_sums)(const T* A, T* F, index_t m, index_t n, Activation act, double* asum, double* fsum,
                            const double* weight);

    // The hidden-major twins of bias_activate (hidden layers: no softmax), hidden_delta and derivative_sums, for
    // a layer stored unit by unit (ufldl/network.hpp HiddenLayout): n units x count examples, unit j's examples
    // contiguous at Z + j * ld (F and P alike). The same formulas element by element (each the NumPy twin above
    // applied to the transposed block); the per-unit sums (unitsum, dsum, asum, fsum) are each one float64
    // reduction along the unit's examples, and row_scale / weight are indexed by example.
    void (*bias_activate_by_unit)(T* Z, index_t ld, index_t n, index_t count, const T* b, Activation act,
                                  double* unitsum, const double* row_scale);
    void (*hidden_delta_by_unit)(T* A, const T* P, index_t ld, index_t n, index_t count, const T* s, Activation act,
                                 double* dsum, const double* row_scale);
    void (*derivative_sums_by_unit)(const T* A, T* F, index_t ld, index_t n, index_t count, Activation act,
                                    double* asum, double* fsum, const double* weight);
};

// The kernels best suited to this CPU, chosen once.
template <class T>
const ElementwiseKernels<T>& elementwise();

// Name of the instruction set the chosen kernels were compiled for ("avx512", "avx2" or "baseline").
const char* elementwise_isa();

}  // namespace ufldl
