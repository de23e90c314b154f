// Implementation of the fused elementwise passes (see ufldl/elementwise.hpp). Included by one source file per
// instruction set, each defining UFLDL_ISA to the namespace it compiles into; nothing here may depend on the ISA.
//
// Loops run row by row and vectorise along the row (j); per-column sums are kept in double. Activation
// derivatives are written in terms of the output a = f(z), as docs/math.md#activations-and-their-derivatives
// does.
#pragma once
#include <cmath>
#include <cstdint>

#include "fast_math.hpp"
#include "ufldl/elementwise.hpp"

#ifndef UFLDL_ISA
#error "define UFLDL_ISA before including elementwise_impl.hpp"
#endif

namespace ufldl::UFLDL_ISA {

using detail::exp_nonpos;

template <class T>
inline T sigmoid(T z) {
    // exp(-|z|) never overflows; the two branches are both computed and selected, so the loop vectorises.
    const T e = exp_nonpos(-std::fabs(z));
    const T inv = T(1) / (T(1) + e);
    return z >= T(0) ? inv : e * inv;
}

template <class T, Activation A>
inline T activate(T z) {
    if constexpr (A == Activation::Sigmoid) return sigmoid(z);
    if constexpr (A == Activation::Tanh) return std::tanh(z);
    if constexpr (A == Activation::Relu) return z < T(0) ? T(0) : z;  // NaN passes through, as np.maximum
    if constexpr (A == Activation::Identity) return z;
    return z;  // softmax is handled row-wise by its callers
}

template <class T, Activation A>
inline T derivative_from_output(T a) {
    if constexpr (A == Activation::Sigmoid) return a * (T(1) - a);
    if constexpr (A == Activation::Tanh) return T(1) - a * a;
    if constexpr (A == Activation::Relu) return a > T(0) ? T(1) : T(0);
    return T(1);  // identity
}

// Row-wise softmax of z = Z + b, in place. Returns log(sum_j exp(z_j - max)) and writes max to *row_max.
template <class T>
inline T softmax_row(T* __restrict__ z, const T* __restrict__ b, index_t n, T* row_max) {
    T mx = z[0] + b[0];
    for (index_t j = 0; j < n; ++j) {
        const T v = z[j] + b[j];
        z[j] = v;
        mx = v > mx ? v : mx;
    }
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (index_t j = 0; j < n; ++j) sum += exp_nonpos(z[j] - mx);
    *row_max = mx;
    return static_cast<T>(std::log(sum));
}

template <class T, Activation A>
void bias_activate_rows(T* __restrict__ Z, index_t m, index_t n, const T* __restrict__ b,
                        double* __restrict__ colsum, const double* __restrict__ row_scale) {
    for (index_t i = 0; i < m; ++i) {
        T* __restrict__ z = Z + i * n;
        if constexpr (A == Activation::Softmax) {
            T mx;
            const T logsum = softmax_row(z, b, n, &mx);
            for (index_t j = 0; j < n; ++j) z[j] = exp_nonpos(z[j] - mx - logsum);
        } else {
#pragma omp simd
            for (index_t j = 0; j < n; ++j) z[j] = activate<T, A>(z[j] + b[j]);
        }
        if (colsum && row_scale) {  // weighted column sums (docs/math.md#sample-weights)
            const double r = row_scale[i];
#pragma omp simd
            for (index_t j = 0; j < n; ++j) colsum[j] += r * static_cast<double>(z[j]);
        } else if (colsum) {
#pragma omp simd
            for (index_t j = 0; j < n; ++j) colsum[j] += static_cast<double>(z[j]);
        }
    }
}

template <class T>
void bias_activate(T* Z, index_t m, index_t n, const T* b, Activation act, double* colsum, const double* row_scale) {
    switch (act) {
        case Activation::Sigmoid: return bias_activate_rows<T, Activation::Sigmoid>(Z, m, n, b, colsum, row_scale);
        case Activation::Tanh: return bias_activate_rows<T, Activation::Tanh>(Z, m, n, b, colsum, row_scale);
        case Activation::Relu: return bias_activate_rows<T, Activation::Relu>(Z, m, n, b, colsum, row_scale);
        case Activation::Identity: return bias_activate_rows<T, Activation::Identity>(Z, m, n, b, colsum, row_scale);
        case Activation::Softmax: return bias_activate_rows<T, Activation::Softmax>(Z, m, n, b, colsum, row_scale);
    }
}

template <class T, Activation A>
double output_squared_rows(T* __restrict__ Z, const T* __restrict__ Y, index_t m, index_t n,
                           const T* __restrict__ b, T inv_m, double* __restrict__ dsum,
                           const double* __restrict__ row_scale) {
    double total = 0.0;
    for (index_t i = 0; i < m; ++i) {
        T* __restrict__ z = Z + i * n;
        // Row i's share of the mean: r_i / m (docs/math.md#sample-weights); exactly inv_m without weights.
        const T scale = row_scale ? static_cast<T>(row_scale[i]) * inv_m : inv_m;
        const T* __restrict__ y = Y + i * n;
        double row = 0.0;
#pragma omp simd reduction(+ : row)
        for (index_t j = 0; j < n; ++j) {
            const T a = activate<T, A>(z[j] + b[j]);
            const T diff = a - y[j];
            row += static_cast<double>(diff) * static_cast<double>(diff);
            const T d = diff * derivative_from_output<T, A>(a) * scale;
            z[j] = d;
            dsum[j] += static_cast<double>(d);
        }
        total += row_scale ? row_scale[i] * row : row;
    }
    return 0.5 * total;
}

template <class T>
double output_squared(T* Z, const T* Y, index_t m, index_t n, const T* b, Activation act, T inv_m, double* dsum,
                      const double* row_scale) {
    switch (act) {
        case Activation::Sigmoid: return output_squared_rows<T, Activation::Sigmoid>(Z, Y, m, n, b, inv_m, dsum, row_scale);
        case Activation::Tanh: return output_squared_rows<T, Activation::Tanh>(Z, Y, m, n, b, inv_m, dsum, row_scale);
        case Activation::Relu: return output_squared_rows<T, Activation::Relu>(Z, Y, m, n, b, inv_m, dsum, row_scale);
        case Activation::Identity: return output_squared_rows<T, Activation::Identity>(Z, Y, m, n, b, inv_m, dsum, row_scale);
        case Activation::Softmax: break;  // refused by the network's constructor
    }
    return NAN;
}

template <class T>
double output_softmax_ce(T* __restrict__ Z, const T* __restrict__ Y, const std::int64_t* __restrict__ labels,
                         index_t m, index_t n, const T* __restrict__ b, T inv_m, double* __restrict__ dsum,
                         const double* __restrict__ row_scale) {
    double total = 0.0;
    for (index_t i = 0; i < m; ++i) {
        T* __restrict__ z = Z + i * n;
        const T scale = row_scale ? static_cast<T>(row_scale[i]) * inv_m : inv_m;  // r_i / m
        const double r = row_scale ? row_scale[i] : 1.0;
        T mx;
        const T logsum = softmax_row(z, b, n, &mx);
        // log a_k = (z_k - max) - logsum, in that order: folding max + logsum first would round logsum to the
        // precision of a large max.
        if (labels) {
            const index_t k = static_cast<index_t>(labels[i]);
            const double loss = static_cast<double>((z[k] - mx) - logsum);
            total -= row_scale ? r * loss : loss;
#pragma omp simd
            for (index_t j = 0; j < n; ++j) z[j] = exp_nonpos((z[j] - mx) - logsum) * scale;
            z[k] -= scale;
#pragma omp simd
            for (index_t j = 0; j < n; ++j) dsum[j] += static_cast<double>(z[j]);
        } else {
            const T* __restrict__ y = Y + i * n;
            double row = 0.0;
#pragma omp simd reduction(+ : row)
            for (index_t j = 0; j < n; ++j) {
                const T logp = (z[j] - mx) - logsum;
                // 0 * log(0) counts as 0: a target of zero contributes nothing even where a_k underflows.
                row += y[j] != T(0) ? static_cast<double>(y[j]) * static_cast<double>(logp) : 0.0;
                const T d = (exp_nonpos(logp) - y[j]) * scale;
                z[j] = d;
                dsum[j] += static_cast<double>(d);
            }
            total -= row_scale ? r * row : row;
        }
    }
    return total;
}

template <class T>
double output_sigmoid_bce(T* __restrict__ Z, const T* __restrict__ Y, index_t m, index_t n, const T* __restrict__ b,
                          T inv_m, double* __restrict__ dsum, const double* __restrict__ row_scale) {
    double total = 0.0;
    for (index_t i = 0; i < m; ++i) {
        T* __restrict__ z = Z + i * n;
        const T scale = row_scale ? static_cast<T>(row_scale[i]) * inv_m : inv_m;  // r_i / m
        const T* __restrict__ y = Y + i * n;
        double row = 0.0;
#pragma omp simd reduction(+ : row)
        for (index_t j = 0; j < n; ++j) {
            const T x = z[j] + b[j];
            const T e = exp_nonpos(-std::abs(x));  // exp(-|x|) in (0, 1]: no overflow for any x
            // softplus(x) - y x = max(x, 0) + log(1 + exp(-|x|)) - y x, each term in double.
            row += static_cast<double>(x > T(0) ? x : T(0)) + std::log1p(static_cast<double>(e)) -
                   static_cast<double>(y[j]) * static_cast<double>(x);
            const T a = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
            const T d = (a - y[j]) * scale;
            z[j] = d;
            dsum[j] += static_cast<double>(d);
        }
        total += row_scale ? row_scale[i] * row : row;
    }
    return total;
}

template <class T, Activation A>
void hidden_delta_rows(T* __restrict__ Act, const T* __restrict__ P, index_t m, index_t n, const T* __restrict__ s,
                       double* __restrict__ dsum, const double* __restrict__ row_scale) {
    for (index_t i = 0; i < m; ++i) {
        T* __restrict__ a = Act + i * n;
        const T* __restrict__ p = P + i * n;
        if (s && row_scale) {  // the KL term's share of row i: r_i s / m (docs/math.md#sample-weights)
            const T r = static_cast<T>(row_scale[i]);
#pragma omp simd
            for (index_t j = 0; j < n; ++j) {
                const T d = (p[j] + r * s[j]) * derivative_from_output<T, A>(a[j]);
                a[j] = d;
                dsum[j] += static_cast<double>(d);
            }
        } else if (s) {
#pragma omp simd
            for (index_t j = 0; j < n; ++j) {
                const T d = (p[j] + s[j]) * derivative_from_output<T, A>(a[j]);
                a[j] = d;
                dsum[j] += static_cast<double>(d);
            }
        } else {
#pragma omp simd
            for (index_t j = 0; j < n; ++j) {
                const T d = p[j] * derivative_from_output<T, A>(a[j]);
                a[j] = d;
                dsum[j] += static_cast<double>(d);
            }
        }
    }
}

template <class T>
void hidden_delta(T* A, const T* P, index_t m, index_t n, const T* s, Activation act, double* dsum,
                  const double* row_scale) {
    switch (act) {
        case Activation::Sigmoid: return hidden_delta_rows<T, Activation::Sigmoid>(A, P, m, n, s, dsum, row_scale);
        case Activation::Tanh: return hidden_delta_rows<T, Activation::Tanh>(A, P, m, n, s, dsum, row_scale);
        case Activation::Relu: return hidden_delta_rows<T, Activation::Relu>(A, P, m, n, s, dsum, row_scale);
        case Activation::Identity: return hidden_delta_rows<T, Activation::Identity>(A, P, m, n, s, dsum, row_scale);
        case Activation::Softmax: break;  // refused by the network's constructor
    }
}

template <class T, Activation A>
void derivative_sums_rows(const T* __restrict__ Act, T* __restrict__ F, index_t m, index_t n,
                          double* __restrict__ asum, double* __restrict__ fsum, const double* __restrict__ weight) {
    for (index_t i = 0; i < m; ++i) {
        const T* __restrict__ a = Act + i * n;
        T* __restrict__ f = F + i * n;
        if (weight) {  // the weighted sums of docs/math.md#sample-weights, w_i in double
            const double w = weight[i];
            const T wt = static_cast<T>(w);
#pragma omp simd
            for (index_t j = 0; j < n; ++j) {
                const T d = wt * derivative_from_output<T, A>(a[j]);
                f[j] = d;
                asum[j] += w * static_cast<double>(a[j]);
                fsum[j] += static_cast<double>(d);
            }
        } else {
#pragma omp simd
            for (index_t j = 0; j < n; ++j) {
                const T d = derivative_from_output<T, A>(a[j]);
                f[j] = d;
                asum[j] += static_cast<double>(a[j]);
                fsum[j] += static_cast<double>(d);
            }
        }
    }
}

template <class T>
void derivative_sums(const T* A, T* F, index_t m, index_t n, Activation act, double* asum, double* fsum,
                     const double* weight) {
    switch (act) {
        case Activation::Sigmoid: return derivative_sums_rows<T, Activation::Sigmoid>(A, F, m, n, asum, fsum, weight);
        case Activation::Tanh: return derivative_sums_rows<T, Activation::Tanh>(A, F, m, n, asum, fsum, weight);
        case Activation::Relu: return derivative_sums_rows<T, Activation::Relu>(A, F, m, n, asum, fsum, weight);
        case Activation::Identity:
            return derivative_sums_rows<T, Activation::Identity>(A, F, m, n, asum, fsum, weight);
        case Activation::Softmax: break;  // refused on hidden layers by the network's constructor
    }
}

}  // namespace ufldl::UFLDL_ISA

#include "elementwise_by_unit_impl.hpp"

namespace ufldl::UFLDL_ISA {

template <class T>
ElementwiseKernels<T> kernels() {
    return {&bias_activate<T>,         &output_squared<T>,       &output_softmax_ce<T>,
            &output_sigmoid_bce<T>,    &hidden_delta<T>,         &derivative_sums<T>,
            &bias_activate_by_unit<T>, &hidden_delta_by_unit<T>, &derivative_sums_by_unit<T>};
}

}  // namespace ufldl::UFLDL_ISA
