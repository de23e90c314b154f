// The hidden-major twins of three passes of elementwise_impl.hpp (see ufldl/elementwise.hpp): the same formulas
// on a block stored unit by unit, n units x count examples, unit j's examples contiguous at Z + j * ld. Loops run
// unit by unit and vectorise along the examples (i); each unit's sum is one float64 reduction. Included by
// elementwise_impl.hpp only, inside its ISA namespace, after activate and derivative_from_output.
#pragma once

namespace ufldl::UFLDL_ISA {

template <class T, Activation A>
void bias_activate_units(T* __restrict__ Z, index_t ld, index_t n, index_t count, const T* __restrict__ b,
                         double* __restrict__ unitsum, const double* __restrict__ row_scale) {
    for (index_t j = 0; j < n; ++j) {
        T* __restrict__ z = Z + j * ld;
        const T bj = b[j];
        double sum = 0.0;
        if (unitsum && row_scale) {  // weighted sums (docs/math.md#sample-weights)
#pragma omp simd reduction(+ : sum)
            for (index_t i = 0; i < count; ++i) {
                const T a = activate<T, A>(z[i] + bj);
                z[i] = a;
                sum += row_scale[i] * static_cast<double>(a);
            }
        } else if (unitsum) {
#pragma omp simd reduction(+ : sum)
            for (index_t i = 0; i < count; ++i) {
                const T a = activate<T, A>(z[i] + bj);
                z[i] = a;
                sum += static_cast<double>(a);
            }
        } else {
#pragma omp simd
            for (index_t i = 0; i < count; ++i) z[i] = activate<T, A>(z[i] + bj);
        }
        if (unitsum) unitsum[j] += sum;
    }
}

template <class T>
void bias_activate_by_unit(T* Z, index_t ld, index_t n, index_t count, const T* b, Activation act, double* unitsum,
                           const double* row_scale) {
    switch (act) {
        case Activation::Sigmoid:
            return bias_activate_units<T, Activation::Sigmoid>(Z, ld, n, count, b, unitsum, row_scale);
        case Activation::Tanh: return bias_activate_units<T, Activation::Tanh>(Z, ld, n, count, b, unitsum, row_scale);
        case Activation::Relu: return bias_activate_units<T, Activation::Relu>(Z, ld, n, count, b, unitsum, row_scale);
        case Activation::Identity:
            return bias_activate_units<T, Activation::Identity>(Z, ld, n, count, b, unitsum, row_scale);
        case Activation::Softmax: break;  // hidden layers only: refused there by the network's constructor
    }
}

template <class T, Activation A>
void hidden_delta_units(T* __restrict__ Act, const T* __restrict__ P, index_t ld, index_t n, index_t count,
                        const T* __restrict__ s, double* __restrict__ dsum, const double* __restrict__ row_scale) {
    for (index_t j = 0; j < n; ++j) {
        T* __restrict__ a = Act + j * ld;
        const T* __restrict__ p = P + j * ld;
        double sum = 0.0;
        if (s && row_scale) {  // the KL term's share of example i: r_i s_j / m (docs/math.md#sample-weights)
            const T sj = s[j];
#pragma omp simd reduction(+ : sum)
            for (index_t i = 0; i < count; ++i) {
                const T d = (p[i] + static_cast<T>(row_scale[i]) * sj) * derivative_from_output<T, A>(a[i]);
                a[i] = d;
                sum += static_cast<double>(d);
            }
        } else if (s) {
            const T sj = s[j];
#pragma omp simd reduction(+ : sum)
            for (index_t i = 0; i < count; ++i) {
                const T d = (p[i] + sj) * derivative_from_output<T, A>(a[i]);
                a[i] = d;
                sum += static_cast<double>(d);
            }
        } else {
#pragma omp simd reduction(+ : sum)
            for (index_t i = 0; i < count; ++i) {
                const T d = p[i] * derivative_from_output<T, A>(a[i]);
                a[i] = d;
                sum += static_cast<double>(d);
            }
        }
        dsum[j] += sum;
    }
}

template <class T>
void hidden_delta_by_unit(T* A, const T* P, index_t ld, index_t n, index_t count, const T* s, Activation act,
                          double* dsum, const double* row_scale) {
    switch (act) {
        case Activation::Sigmoid:
            return hidden_delta_units<T, Activation::Sigmoid>(A, P, ld, n, count, s, dsum, row_scale);
        case Activation::Tanh: return hidden_delta_units<T, Activation::Tanh>(A, P, ld, n, count, s, dsum, row_scale);
        case Activation::Relu: return hidden_delta_units<T, Activation::Relu>(A, P, ld, n, count, s, dsum, row_scale);
        case Activation::Identity:
            return hidden_delta_units<T, Activation::Identity>(A, P, ld, n, count, s, dsum, row_scale);
        case Activation::Softmax: break;  // refused on hidden layers by the network's constructor
    }
}

template <class T, Activation A>
void derivative_sums_units(const T* __restrict__ Act, T* __restrict__ F, index_t ld, index_t n, index_t count,
                           double* __restrict__ asum, double* __restrict__ fsum, const double* __restrict__ weight) {
    for (index_t j = 0; j < n; ++j) {
        const T* __restrict__ a = Act + j * ld;
        T* __restrict__ f = F + j * ld;
        double as = 0.0, fs = 0.0;
        if (weight) {  // the weighted sums of docs/math.md#sample-weights, w_i in double
#pragma omp simd reduction(+ : as, fs)
            for (index_t i = 0; i < count; ++i) {
                const T d = static_cast<T>(weight[i]) * derivative_from_output<T, A>(a[i]);
                f[i] = d;
                as += weight[i] * static_cast<double>(a[i]);
                fs += static_cast<double>(d);
            }
        } else {
#pragma omp simd reduction(+ : as, fs)
            for (index_t i = 0; i < count; ++i) {
                const T d = derivative_from_output<T, A>(a[i]);
                f[i] = d;
                as += static_cast<double>(a[i]);
                fs += static_cast<double>(d);
            }
        }
        asum[j] += as;
        fsum[j] += fs;
    }
}

template <class T>
void derivative_sums_by_unit(const T* A, T* F, index_t ld, index_t n, index_t count, Activation act, double* asum,
                             double* fsum, const double* weight) {
    switch (act) {
        case Activation::Sigmoid:
            return derivative_sums_units<T, Activation::Sigmoid>(A, F, ld, n, count, asum, fsum, weight);
        case Activation::Tanh:
            return derivative_sums_units<T, Activation::Tanh>(A, F, ld, n, count, asum, fsum, weight);
        case Activation::Relu:
            return derivative_sums_units<T, Activation::Relu>(A, F, ld, n, count, asum, fsum, weight);
        case Activation::Identity:
            return derivative_sums_units<T, Activation::Identity>(A, F, ld, n, count, asum, fsum, weight);
        case Activation::Softmax: break;  // refused on hidden layers by the network's constructor
    }
}

}  // namespace ufldl::UFLDL_ISA
