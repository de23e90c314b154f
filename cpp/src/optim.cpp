#include "ufldl/optim.hpp"

#include <cmath>

namespace ufldl {

template <class T>
void sgd_update(T* __restrict__ theta, const T* __restrict__ grad, T* __restrict__ velocity, index_t n,
                double learning_rate, double momentum, bool nesterov) {
    const T lr = static_cast<T>(learning_rate);
    const T mu = static_cast<T>(momentum);
    if (momentum == 0.0 || velocity == nullptr) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) theta[i] -= lr * grad[i];
        return;
    }
    if (nesterov) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            const T v = mu * velocity[i] - lr * grad[i];
            velocity[i] = v;
            theta[i] += mu * v - lr * grad[i];
        }
    } else {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            const T v = mu * velocity[i] - lr * grad[i];
            velocity[i] = v;
            theta[i] += v;
        }
    }
}

template <class T>
void adam_update(T* __restrict__ theta, const T* __restrict__ grad, T* __restrict__ m1, T* __restrict__ m2, index_t n,
                 std::int64_t t, double learning_rate, double beta1, double beta2, double epsilon) {
    const double step = learning_rate * std::sqrt(1.0 - std::pow(beta2, static_cast<double>(t))) /
                        (1.0 - std::pow(beta1, static_cast<double>(t)));
    const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
    const T c1 = static_cast<T>(1.0 - beta1), c2 = static_cast<T>(1.0 - beta2);
    const T s = static_cast<T>(step), eps = static_cast<T>(epsilon);
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        const T g = grad[i];
        const T a = b1 * m1[i] + c1 * g;
        const T b = b2 * m2[i] + c2 * g * g;
        m1[i] = a;
        m2[i] = b;
        theta[i] -= s * a / (std::sqrt(b) + eps);
    }
}

template <class T>
void apply_update_range(const UpdateParams& p, T* theta, const T* grad, T* state1, T* state2, index_t n,
                        std::int64_t step) {
    if (p.rule == UpdateRule::Adam)
        adam_update(theta, grad, state1, state2, n, step, p.learning_rate, p.beta1, p.beta2, p.epsilon);
    else
        sgd_update(theta, grad, state1, n, p.learning_rate, p.momentum, p.nesterov);
}

template <class T>
void apply_update(const UpdateParams& p, T* theta, const T* grad, T* state1, T* state2, index_t n, std::int64_t& step) {
    ++step;
    apply_update_range(p, theta, grad, state1, state2, n, step);
}

template void sgd_update<float>(float*, const float*, float*, index_t, double, double, bool);
template void sgd_update<double>(double*, const double*, double*, index_t, double, double, bool);
template void adam_update<float>(float*, const float*, float*, float*, index_t, std::int64_t, double, double, double,
                                 double);
template void adam_update<double>(double*, const double*, double*, double*, index_t, std::int64_t, double, double,
                                  double, double);
template void apply_update_range<float>(const UpdateParams&, float*, const float*, float*, float*, index_t,
                                       std::int64_t);
template void apply_update_range<double>(const UpdateParams&, double*, const double*, double*, double*, index_t,
                                        std::int64_t);
template void apply_update<float>(const UpdateParams&, float*, const float*, float*, float*, index_t, std::int64_t&);
template void apply_update<double>(const UpdateParams&, double*, const double*, double*, double*, index_t,
                                   std::int64_t&);

}  // namespace ufldl
