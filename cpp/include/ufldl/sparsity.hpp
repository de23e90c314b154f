// The KL-divergence sparsity penalty on one hidden layer (docs/math.md#sparsity-penalty).
#pragma once
#include "ufldl/types.hpp"

namespace ufldl {

// From the column sums of a layer's activations over m examples: writes rho_hat_j = colsum_j / m, and
// s_j = beta * (-rho / r_j + (1 - rho) / (1 - r_j)) / m, the term back-propagation adds to every row of the
// layer's delta. Returns beta * sum_j KL(rho || r_j). NumPy twin: ufldl.reference.kl_sparsity.
//
// Guard (docs/math.md#rho-hat-clipping): r_j is rho_hat_j clipped into [eps, 1 - eps], eps = machine epsilon
// of T. A saturated sigmoid unit (all outputs rounding to exactly 0 or 1, as unscaled inputs near 100 produce)
// has a true KL of +inf; the clip keeps the cost and gradient finite (about beta * 36 per such unit in float64)
// and is used in both the cost and s, so they stay consistent. ufldl.reference applies the same clip
// (ufldl.reference.clip_rho_hat).
template <class T>
double kl_sparsity(const double* colsum, index_t n, index_t m, double rho, double beta, double* rho_hat, T* s);

}  // namespace ufldl
