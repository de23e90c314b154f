// The first hidden layer's one-pass KL sums (docs/math.md#one-pass-kl-sums, ufldl/network.hpp FirstLayerSums):
// a chunk of a larger sum whose only KL penalty is on layer 1 returns them beside its KL-free cost and gradient,
// and the KL term is applied once the chunks' sums are added, so the chunks need no global rho_hat first.
#include <algorithm>

#include "example_products.hpp"
#include "ufldl/elementwise.hpp"
#include "ufldl/network.hpp"
#include "ufldl/parallel.hpp"
#include "ufldl/sparse_input.hpp"

namespace ufldl {
namespace {

// F = w_i f_1'(A_1) and the float64 sums of A_1 and F (sums[0, n1) and sums[n1, 2 n1)), in A's layout.
template <class T>
void derivative_sums_of(ExampleBlock<const T> A, ExampleBlock<T> F, index_t rows, index_t n1, Activation f,
                        double* sums, const double* weight) {
    const auto& ew = elementwise<T>();
    if (A.by_unit)
        ew.derivative_sums_by_unit(A.data, F.data, A.ld, n1, rows, f, sums, sums + n1, weight);
    else
        ew.derivative_sums(A.data, F.data, rows, n1, f, sums, sums + n1, weight);
}

}  // namespace

// Step 1's addition on layer 1, right after A_1 of the shard's rows is computed: F = w_i f_1'(A_1) (one pass that
// also sums the columns of A_1 and F in double), then F^T X. One pass per shard (the shards already give every
// thread its rows), so the sums do not depend on a part count.
template <class T>
void Network<T>::first_layer_sums(const Shard& sh, ExampleBlock<const T> A) const {
    const index_t n1 = sizes_[1], n0 = sizes_[0];
    // F lives in the shard's rows of the product buffer (m x the widest hidden layer), unused until step 4.
    const ExampleBlock<T> F = product_block(sh, n1);
    double* sums = sh.buf.first_layer_sums.data();
    std::fill(sums, sums + 2 * n1, 0.0);
    const double* weight = sh.pb.params->sample_weight ? sh.pb.params->sample_weight + sh.r0 : nullptr;
    derivative_sums_of(A, F, sh.rows, n1, activations_[0], sums, weight);
    T* product = sh.buf.first_layer_product.data();
    if (sh.pb.X_csr) {
        // X^T F through the shard's transposed buffer, as the gradient's own product (step 5 zeroes it again).
        T* Ft_X = sh.buf.first_grad_t.data();
        std::fill(Ft_X, Ft_X + n0 * n1, T(0));
        csr_transpose_times_dense(Ft_X, *sh.pb.X_csr, sh.r0, sh.r1, F.data, n1);  // (F in rows: X is CSR)
        transpose_into(product, Ft_X, n0, n1, false);
    } else {
        gradient_product(static_cast<int>(n1), static_cast<int>(n0), sh.rows, as_const(F), input_block(sh, 0), T(0),
                         product);
    }
}

// Step 1 on layer 1 with the one-pass sums and a dense X: Z_1 = X W_1^T + b_1, A_1 = f_1(Z_1), F and F^T X, a
// block of rows at a time, small enough (about 512 KB of X) that F^T X reads the block of X from cache right after
// the forward product did. One reading of X from memory instead of two: the extra product costs its flops only
// (docs/math.md#one-pass-kl-sums). F needs one block of the product buffer; F^T X accumulates over the blocks.
template <class T>
void Network<T>::first_layer_forward_with_sums(const Shard& sh, ExampleBlock<T> A) const {
    const index_t n1 = sizes_[1], n0 = sizes_[0];
    const index_t block = std::max<index_t>(64, (index_t(1) << 19) / (n0 * static_cast<index_t>(sizeof(T))));
    const T* theta = sh.pb.theta;
    const ExampleBlock<const T> X = input_block(sh, 0);
    const ExampleBlock<T> F = product_block(sh, n1);  // (the shard's rows: at least `block` x n_1 of them)
    T* product = sh.buf.first_layer_product.data();
    double* sums = sh.buf.first_layer_sums.data();
    std::fill(sums, sums + 2 * n1, 0.0);
    const double* weight = sh.pb.params->sample_weight ? sh.pb.params->sample_weight + sh.r0 : nullptr;
    for (index_t q0 = 0; q0 < sh.rows; q0 += block) {
        const index_t rows = std::min(block, sh.rows - q0);
        const int r = static_cast<int>(rows);
        const ExampleBlock<T> Aq = A.from(q0), Fq = F.from(q0);
        const ExampleBlock<const T> Xq = X.from(q0);
        examples_times(r, static_cast<int>(n1), static_cast<int>(n0), Xq, theta + w_offset_[1], true,
                       static_cast<int>(n0), Aq);
        activate_hidden(sh, Aq, rows, 1, nullptr, nullptr);
        derivative_sums_of(as_const(Aq), Fq, rows, n1, activations_[0], sums, weight ? weight + q0 : nullptr);
        gradient_product(static_cast<int>(n1), static_cast<int>(n0), r, as_const(Fq), Xq, q0 == 0 ? T(0) : T(1),
                         product);
    }
}

// The shards' sums added in shard order, in double, into the caller's float64 buffers.
template <class T>
void Network<T>::reduce_first_layer_sums(const Problem& pb, const Workspace<T>& ws, int shards) const {
    const FirstLayerSums& out = *pb.first_layer;
    const index_t n1 = sizes_[1], n0 = sizes_[0];
    for (index_t j = 0; j < n1; ++j) {
        double activation = 0.0, derivative = 0.0;
        for (int s = 0; s < shards; ++s) {
            activation += ws.shards[s].first_layer_sums[j];
            derivative += ws.shards[s].first_layer_sums[n1 + j];
        }
        out.activation_sum[j] = activation;
        out.derivative_sum[j] = derivative;
    }
    parallel_ranges(n1 * n0, shards, [&](index_t k0, index_t k1) {
        for (index_t k = k0; k < k1; ++k) {
            double total = 0.0;
            for (int s = 0; s < shards; ++s) total += static_cast<double>(ws.shards[s].first_layer_product[k]);
            out.derivative_input[k] = total;
        }
    });
}

template void Network<float>::first_layer_sums(const Shard&, ExampleBlock<const float>) const;
template void Network<double>::first_layer_sums(const Shard&, ExampleBlock<const double>) const;
template void Network<float>::first_layer_forward_with_sums(const Shard&, ExampleBlock<float>) const;
template void Network<double>::first_layer_forward_with_sums(const Shard&, ExampleBlock<double>) const;
template void Network<float>::reduce_first_layer_sums(const Problem&, const Workspace<float>&, int) const;
template void Network<double>::reduce_first_layer_sums(const Problem&, const Workspace<double>&, int) const;

}  // namespace ufldl
