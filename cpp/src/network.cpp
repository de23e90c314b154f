#include "ufldl/network.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ufldl/blas.hpp"
#include "ufldl/elementwise.hpp"
#include "ufldl/parallel.hpp"
#include "ufldl/sparsity.hpp"

namespace ufldl {
namespace {

// Runs a row-wise elementwise pass pass(r0, r1, colsum_part) -> double over rows [0, m) in parts on the
// elementwise pool. Each part sums its columns into a buffer of its own; the parts' sums and return values
// are then added in part order, so results do not depend on timing (only, to rounding, on the part count).
template <class Pass>
double rows_in_parts(std::vector<double>& part_sums, index_t m, index_t n, double* colsum, Pass pass) {
    const int parts = parts_for(static_cast<long long>(m) * n);
    if (parts == 1) return pass(0, m, colsum);
    if (part_sums.size() < static_cast<std::size_t>(parts * n)) part_sums.resize(static_cast<std::size_t>(parts * n));
    double results[max_parts];
    auto task = [&](int p) {
        double* sums = colsum ? part_sums.data() + p * n : nullptr;
        if (sums) std::fill(sums, sums + n, 0.0);
        results[p] = pass(m * p / parts, m * (p + 1) / parts, sums);
    };
    parallel_parts(parts, task);
    double total = 0.0;
    for (int p = 0; p < parts; ++p) {
        total += results[p];
        if (colsum)
            for (index_t j = 0; j < n; ++j) colsum[j] += part_sums[p * n + j];
    }
    return total;
}

}  // namespace

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
index_t Network<T>::block_rows(index_t m) const {
    // Rows of the output layer processed together. A wide output layer over a large batch (784 units x
    // 10,000 rows is 63 MB in float64) is streamed through memory by its loss pass and the two products that
    // follow; blocks of about 8 MB keep each block in the last-level cache across the three (measured here:
    // 784-196-784, m = 10,000: 5-10% faster). Smaller outputs run as one block: more, smaller products cost
    // more than they save.
    constexpr index_t block_bytes = index_t(8) << 20;
    const index_t row_bytes = static_cast<index_t>(sizes_.back()) * static_cast<index_t>(sizeof(T));
    if (m * row_bytes <= 2 * block_bytes) return m;
    return std::min(m, std::max<index_t>(64, block_bytes / row_bytes));
}

template <class T>
void Network<T>::resize(Workspace<T>& ws, index_t m) const {
    // Grow only: a later, smaller batch reuses the buffers without allocating.
    const auto grow = [](auto& v, index_t n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    };
    grow(ws.activations, m * (n_units_ - sizes_.back()));
    grow(ws.output_block, block_rows(m) * sizes_.back());
    grow(ws.product, m * max_hidden_);
    grow(ws.colsum, n_units_);
    grow(ws.rho_hat, n_units_);
    grow(ws.sparse_term, n_units_);
}

template <class T>
void Network<T>::hidden_delta_in_parts(Workspace<T>& ws, T* A, const T* P, index_t rows, int layer, const T* s,
                                       double* colsum) const {
    const auto& ew = elementwise<T>();
    const index_t nl = sizes_[layer];
    const Activation f = activations_[layer - 1];
    rows_in_parts(ws.part_sums, rows, nl, colsum, [&](index_t r0, index_t r1, double* cs) {
        ew.hidden_delta(A + r0 * nl, P + r0 * nl, r1 - r0, nl, s, f, cs);
        return 0.0;
    });
}

template <class T>
CostTerms Network<T>::cost_and_grad(const T* theta, const T* X, const T* Y, const std::int64_t* labels, index_t m,
                                    const CostParams& params, T* grad, Workspace<T>& ws) const {
    const auto& ew = elementwise<T>();
    const int L = n_layers();
    const auto n = [this](int l) { return static_cast<int>(sizes_[l]); };
    resize(ws, m);
    const T inv_m = T(1) / static_cast<T>(m);
    const auto sparse = [&](int l) {
        return l < L && static_cast<std::size_t>(l) < params.sparse_layer.size() && params.sparse_layer[l];
    };
    // Hidden A_l (later D_l) lives at act(l); act(0) is the input. The output layer has no full-batch buffer.
    const auto act = [&](int l) -> T* { return ws.activations.data() + m * unit_offset_[l]; };
    const auto input = [&](int l) -> const T* { return l == 0 ? X : act(l); };
    const auto colsum = [&](int l) { return ws.colsum.data() + unit_offset_[l]; };
    std::fill(ws.colsum.begin(), ws.colsum.begin() + n_units_, 0.0);
    CostTerms terms;

    // 1. Forward through the hidden layers: Z_l = A_{l-1} W_l^T, then one fused pass adds b_l, applies f_l
    //    and, on sparse layers, sums each column for rho_hat.
    for (int l = 1; l < L; ++l) {
        blas::gemm(false, true, static_cast<int>(m), n(l), n(l - 1), T(1), input(l - 1), n(l - 1),
                   theta + w_offset_[l], n(l - 1), T(0), act(l), n(l));
        T* A = act(l);
        const T* b = theta + b_offset_[l];
        const int nl = n(l);
        const Activation f = activations_[l - 1];
        rows_in_parts(ws.part_sums, m, nl, sparse(l) ? colsum(l) : nullptr, [&](index_t r0, index_t r1, double* cs) {
            ew.bias_activate(A + r0 * nl, r1 - r0, nl, b, f, cs);
            return 0.0;
        });
    }

    // 2. The KL terms, now that every rho_hat is known: the cost and s_l / m for back-propagation. The column
    //    sums are then reused for the bias gradients.
    for (int l = 1; l < L; ++l) {
        if (!sparse(l)) continue;
        terms.sparsity += kl_sparsity<T>(colsum(l), n(l), m, params.rho, params.beta, ws.rho_hat.data() + unit_offset_[l],
                                         ws.sparse_term.data() + unit_offset_[l]);
        std::fill(colsum(l), colsum(l) + n(l), 0.0);
    }
    const auto sparse_term = [&](int l) -> const T* {
        return sparse(l) ? ws.sparse_term.data() + unit_offset_[l] : nullptr;
    };

    // 3. Weight decay: gW_l starts as lambda W_l, and every product below accumulates onto it.
    const double lambda = params.weight_decay;
    double decay_sum = 0.0;
    for (int l = 1; l <= L; ++l) {
        const T* W = theta + w_offset_[l];
        T* gW = grad + w_offset_[l];
        const index_t count = static_cast<index_t>(n(l)) * n(l - 1);
        const T lam = static_cast<T>(lambda);
        double sq = 0.0;
#pragma omp simd reduction(+ : sq)
        for (index_t k = 0; k < count; ++k) {
            sq += static_cast<double>(W[k]) * static_cast<double>(W[k]);
            gW[k] = lam * W[k];
        }
        decay_sum += sq;
    }
    terms.decay = 0.5 * lambda * decay_sum;

    // 4. The output layer, forward and back, one block of rows at a time so that Z_L / D_L stays in cache
    //    from its product through its fused loss pass to the two products that consume it:
    //      Z = A_{L-1}[rows] W_L^T;  D_L = loss pass (cost, b_L gradient sums);  gW_L += D_L^T A_{L-1}[rows];
    //      and for L > 1, D_{L-1}[rows] = (D_L W_L + s_{L-1}/m) * f'(A_{L-1}[rows]), over A_{L-1}[rows].
    {
        const int n_out = n(L), n_in = n(L - 1);
        const T* W = theta + w_offset_[L];
        T* gW = grad + w_offset_[L];
        const index_t rows = block_rows(m);
        double data = 0.0;
        for (index_t r0 = 0; r0 < m; r0 += rows) {
            const index_t mb = std::min(rows, m - r0);
            const int mbi = static_cast<int>(mb);
            T* Z = ws.output_block.data();
            const T* A_in = input(L - 1) + r0 * n_in;
            blas::gemm(false, true, mbi, n_out, n_in, T(1), A_in, n_in, W, n_in, T(0), Z, n_out);
            const T* b = theta + b_offset_[L];
            data += rows_in_parts(ws.part_sums, mb, n_out, colsum(L), [&](index_t q0, index_t q1, double* cs) {
                const index_t row = r0 + q0;
                if (loss_ == Loss::Squared)
                    return ew.output_squared(Z + q0 * n_out, Y + row * n_out, q1 - q0, n_out, b, activations_[L - 1],
                                             inv_m, cs);
                return ew.output_softmax_ce(Z + q0 * n_out, Y ? Y + row * n_out : nullptr,
                                            labels ? labels + row : nullptr, q1 - q0, n_out, b, inv_m, cs);
            });
            blas::gemm(true, false, n_out, n_in, mbi, T(1), Z, n_out, A_in, n_in, T(1), gW, n_in);
            if (L > 1) {
                T* P = ws.product.data();
                blas::gemm(false, false, mbi, n_in, n_out, T(1), Z, n_out, W, n_in, T(0), P, n_in);
                hidden_delta_in_parts(ws, act(L - 1) + r0 * n_in, P, mb, L - 1, sparse_term(L - 1), colsum(L - 1));
            }
        }
        terms.data = data / static_cast<double>(m);
    }

    // 5. The remaining layers, whole batch: gW_l += D_l^T A_{l-1}; D_{l-1} = (D_l W_l + s_{l-1}/m) * f'(A_{l-1}).
    for (int l = L - 1; l >= 1; --l) {
        blas::gemm(true, false, n(l), n(l - 1), static_cast<int>(m), T(1), act(l), n(l), input(l - 1), n(l - 1), T(1),
                   grad + w_offset_[l], n(l - 1));
        if (l == 1) break;
        const int h = l - 1;
        blas::gemm(false, false, static_cast<int>(m), n(h), n(l), T(1), act(l), n(l), theta + w_offset_[l], n(h), T(0),
                   ws.product.data(), n(h));
        hidden_delta_in_parts(ws, act(h), ws.product.data(), m, h, sparse_term(h), colsum(h));
    }
    for (int l = 1; l <= L; ++l) {
        T* gb = grad + b_offset_[l];
        for (int j = 0; j < n(l); ++j) gb[j] = static_cast<T>(colsum(l)[j]);
    }
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
