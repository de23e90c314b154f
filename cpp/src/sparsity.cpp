#include "ufldl/sparsity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ufldl {

template <class T>
double kl_sparsity(const double* colsum, index_t n, index_t m, double rho, double beta, double* rho_hat, T* s) {
    const double eps = std::numeric_limits<T>::epsilon();
    const double inv_m = 1.0 / static_cast<double>(m);
    double kl = 0.0;
    for (index_t j = 0; j < n; ++j) {
        rho_hat[j] = colsum[j] * inv_m;
        const double r = std::clamp(rho_hat[j], eps, 1.0 - eps);
        kl += rho * std::log(rho / r) + (1.0 - rho) * std::log((1.0 - rho) / (1.0 - r));
        s[j] = static_cast<T>(beta * (-rho / r + (1.0 - rho) / (1.0 - r)) * inv_m);
    }
    return beta * kl;
}

template double kl_sparsity<float>(const double*, index_t, index_t, double, double, double*, float*);
template double kl_sparsity<double>(const double*, index_t, index_t, double, double, double*, double*);

}  // namespace ufldl
