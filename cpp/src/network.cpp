#include "ufldl/network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ufldl/blas.hpp"
#include "ufldl/elementwise.hpp"
#include "ufldl/sparsity.hpp"

namespace ufldl {

template <class T>
Network<T>::Network(std::vector<std::int64_t> sizes, std::vector<Activation> activations, Loss loss)
    : sizes_(std::move(sizes)), activations_(std::move(activations)), loss_(loss) {
    const int L = static_cast<int>(activations_.size());
    if (sizes_.size() < 2 || static_cast<int>(sizes_.size()) != L + 1)
        throw std::invalid_argument("need at least two layer sizes and one activation per weight layer");
    for (auto n : sizes_)
        if (n < 1) throw std::invalid_argument("layer sizes must be >= 1");
    for (int l = 0; l < L - 1; ++l)
        if (activations_[l] == Activation::Softmax)
            throw std::invalid_argument("softmax is allowed on the output layer only");
    const bool softmax_out = activations_[L - 1] == Activation::Softmax;
    if (softmax_out != (loss_ == Loss::CrossEntropy))
        throw std::invalid_argument("softmax output and cross-entropy loss go together");

    // Offsets of the flat layout drawn in network.hpp: all weights, then all biases.
    w_offset_.assign(L + 1, 0);
    b_offset_.assign(L + 1, 0);
    unit_offset_.assign(L + 1, 0);
    index_t pos = 0;
    for (int l = 1; l <= L; ++l) {
        w_offset_[l] = pos;
        pos += sizes_[l] * sizes_[l - 1];
    }
    for (int l = 1; l <= L; ++l) {
        b_offset_[l] = pos;
        pos += sizes_[l];
        unit_offset_[l] = n_units_;
        n_units_ += sizes_[l];
        if (l < L) max_hidden_ = std::max<index_t>(max_hidden_, sizes_[l]);
    }
    n_params_ = pos;
}

template <class T>
void Network<T>::resize(Workspace<T>& ws, index_t m) const {
    // Grow only: a later, smaller batch reuses the buffers without allocating.
    const auto need = static_cast<std::size_t>(m * n_units_);
    if (ws.activations.size() < need) ws.activations.resize(need);
    const auto need_p = static_cast<std::size_t>(m * max_hidden_);
    if (ws.product.size() < need_p) ws.product.resize(need_p);
    if (ws.colsum.size() < static_cast<std::size_t>(n_units_)) ws.colsum.resize(n_units_);
    if (ws.rho_hat.size() < static_cast<std::size_t>(n_units_)) ws.rho_hat.resize(n_units_);
    if (ws.sparse_term.size() < static_cast<std::size_t>(max_hidden_ + 1)) ws.sparse_term.resize(max_hidden_ + 1);
}

template <class T>
CostTerms Network<T>::cost_and_grad(const T* theta, const T* X, const T* Y, const std::int64_t* labels, index_t m,
                                    const CostParams& params, T* grad, Workspace<T>& ws) const {
    const auto& ew = elementwise<T>();
    const int L = n_layers();
    const auto n = [this](int l) { return static_cast<int>(sizes_[l]); };
    resize(ws, m);
    const int mi = static_cast<int>(m);
    const T inv_m = T(1) / static_cast<T>(m);
    std::fill(ws.colsum.begin(), ws.colsum.begin() + n_units_, 0.0);
    const auto sparse = [&](int l) {
        return l < L && static_cast<std::size_t>(l) < params.sparse_layer.size() && params.sparse_layer[l];
    };
    // A_l (then D_l) lives at act(l); act(0) is the input.
    const auto act = [&](int l) -> T* { return ws.activations.data() + m * unit_offset_[l]; };
    const auto input = [&](int l) -> const T* { return l == 0 ? X : act(l); };

    CostTerms terms;
    // Forward: Z_l = A_{l-1} W_l^T, then one fused pass adds b_l, applies f_l and, on sparse layers,
    // accumulates the column sums rho_hat needs. The output layer's pass also forms the loss and D_L.
    for (int l = 1; l <= L; ++l) {
        const T* W = theta + w_offset_[l];
        const T* b = theta + b_offset_[l];
        blas::gemm(false, true, mi, n(l), n(l - 1), T(1), input(l - 1), n(l - 1), W, n(l - 1), T(0), act(l), n(l));
        double* colsum = ws.colsum.data() + unit_offset_[l];
        if (l < L) {
            ew.bias_activate(act(l), m, n(l), b, activations_[l - 1], sparse(l) ? colsum : nullptr);
        } else if (loss_ == Loss::Squared) {
            terms.data = ew.output_squared(act(l), Y, m, n(l), b, activations_[l - 1], inv_m, colsum) / m;
        } else {
            terms.data = ew.output_softmax_ce(act(l), Y, labels, m, n(l), b, inv_m, colsum) / m;
        }
    }

    // Backward: for l = L..1, gW_l = D_l^T A_{l-1} + lambda W_l (the decay term is written first and the
    // product accumulated onto it), gb_l = column sums of D_l (gathered in the pass that made D_l), then
    // D_{l-1} = (D_l W_l + s_{l-1}/m) * f'(A_{l-1}), written over A_{l-1} once gW_{l-1}'s input is no longer it.
    const double lambda = params.weight_decay;
    double decay_sum = 0.0;
    for (int l = L; l >= 1; --l) {
        const T* W = theta + w_offset_[l];
        T* gW = grad + w_offset_[l];
        const index_t count = static_cast<index_t>(n(l)) * n(l - 1);
        if (lambda != 0.0) {
            const T lam = static_cast<T>(lambda);
            double sq = 0.0;
#pragma omp simd reduction(+ : sq)
            for (index_t k = 0; k < count; ++k) {
                sq += static_cast<double>(W[k]) * static_cast<double>(W[k]);
                gW[k] = lam * W[k];
            }
            decay_sum += sq;
        }
        blas::gemm(true, false, n(l), n(l - 1), mi, T(1), act(l), n(l), input(l - 1), n(l - 1),
                   lambda != 0.0 ? T(1) : T(0), gW, n(l - 1));
        const double* dsum = ws.colsum.data() + unit_offset_[l];
        T* gb = grad + b_offset_[l];
        for (int j = 0; j < n(l); ++j) gb[j] = static_cast<T>(dsum[j]);
        if (l == 1) break;

        const int h = l - 1;
        blas::gemm(false, false, mi, n(h), n(l), T(1), act(l), n(l), W, n(h), T(0), ws.product.data(), n(h));
        double* hsum = ws.colsum.data() + unit_offset_[h];
        const T* s = nullptr;
        if (sparse(h)) {
            terms.sparsity += kl_sparsity<T>(hsum, n(h), m, params.rho, params.beta,
                                             ws.rho_hat.data() + unit_offset_[h], ws.sparse_term.data());
            s = ws.sparse_term.data();
        }
        std::fill(hsum, hsum + n(h), 0.0);  // now reused for the bias gradient of layer h
        ew.hidden_delta(act(h), ws.product.data(), m, n(h), s, activations_[h - 1], hsum);
    }
    terms.decay = 0.5 * lambda * decay_sum;
    return terms;
}

template <class T>
void Network<T>::forward(const T* theta, const T* X, index_t m, const std::vector<T*>& outputs) const {
    const auto& ew = elementwise<T>();
    const int mi = static_cast<int>(m);
    for (int l = 1; l <= n_layers(); ++l) {
        const int n_in = static_cast<int>(sizes_[l - 1]);
        const int n_out = static_cast<int>(sizes_[l]);
        const T* in = l == 1 ? X : outputs[l - 2];
        blas::gemm(false, true, mi, n_out, n_in, T(1), in, n_in, theta + w_offset_[l], n_in, T(0), outputs[l - 1],
                   n_out);
        ew.bias_activate(outputs[l - 1], m, n_out, theta + b_offset_[l], activations_[l - 1], nullptr);
    }
}

template class Network<float>;
template class Network<double>;

}  // namespace ufldl
