#include "ufldl/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "example_products.hpp"
#include "ufldl/blas.hpp"
#include "ufldl/elementwise.hpp"
#include "ufldl/parallel.hpp"
#include "ufldl/sparse_input.hpp"
#include "ufldl/sparsity.hpp"

namespace ufldl {
namespace {

// Runs a row-wise elementwise pass pass(r0, r1, colsum_part) -> double over rows [0, m) in parts on the
// pool. Each part sums its columns into a buffer of its own; the parts' sums and return values are then added
// in part order, so results do not depend on timing (only, to rounding, on the part count).
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

// Runs pass(j0, j1) over the units [0, n) of a hidden-major pass over count examples, in parts on the pool. Each
// part owns whole units, so every unit's sums are the same whatever the part count.
template <class Pass>
void units_in_parts(index_t count, index_t n, Pass pass) {
    const int parts = static_cast<int>(std::min<long long>(parts_for(static_cast<long long>(count) * n), n));
    if (parts <= 1) return pass(0, n);
    auto task = [&](int p) { pass(n * p / parts, n * (p + 1) / parts); };
    parallel_parts(parts, task);
}

// The rule of ufldl/network.hpp HiddenLayout, unless UFLDL_HIDDEN_LAYOUT names a layout (any other value is ignored).
template <class T>
HiddenLayout default_hidden_layout() {
    if (const char* asked = std::getenv("UFLDL_HIDDEN_LAYOUT")) {
        if (std::strcmp(asked, "rows") == 0) return HiddenLayout::Rows;
        if (std::strcmp(asked, "hidden-major") == 0) return HiddenLayout::HiddenMajor;
    }
    return std::is_same_v<T, double> ? HiddenLayout::HiddenMajor : HiddenLayout::Rows;
}

// Rows per shard below which splitting the batch costs more than it saves (measured: a 784-256-256-10 batch of
// 256 rows runs 20% faster as two shards of 128 than as one shard with two-threaded products).
constexpr index_t min_shard_rows = 64;

}  // namespace

template <class T>
Network<T>::Network(std::vector<std::int64_t> sizes, std::vector<Activation> activations, Loss loss)
    : sizes_(std::move(sizes)),
      activations_(std::move(activations)),
      loss_(loss),
      hidden_layout_(default_hidden_layout<T>()) {
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
    if (loss_ == Loss::BinaryCrossEntropy && activations_[L - 1] != Activation::Sigmoid)
        throw std::invalid_argument("binary cross-entropy needs a sigmoid output layer");

    // Offsets of the flat layout drawn in network.hpp: all weights, then all biases.
    w_offset_.assign(L + 1, 0);
    b_offset_.assign(L + 1, 0);
    unit_offset_.assign(L + 1, 0);
    // Each size may be valid while their products and sums overflow 64 bits: add up with checks.
    const auto add = [&](index_t total, index_t a, index_t b) {
        index_t product = 0, sum = 0;
        if (__builtin_mul_overflow(a, b, &product) || __builtin_add_overflow(total, product, &sum))
            throw std::length_error("the layer sizes give more parameters (weights n_l * n_{l-1} plus biases) "
                                    "than a 64-bit count holds");
        return sum;
    };
    index_t pos = 0;
    for (int l = 1; l <= L; ++l) {
        w_offset_[l] = pos;
        pos = add(pos, sizes_[l], sizes_[l - 1]);
    }
    for (int l = 1; l <= L; ++l) {
        b_offset_[l] = pos;
        pos = add(pos, sizes_[l], 1);
        unit_offset_[l] = n_units_;
        n_units_ = add(n_units_, sizes_[l], 1);
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
int Network<T>::shard_count(index_t m) const {
    const long long elements = static_cast<long long>(m) * n_units_;
    const int by_rows = static_cast<int>(std::min<index_t>(m / min_shard_rows, max_parts));
    return std::max(1, std::min(parts_for(elements), by_rows));
}

template <class T>
void Network<T>::resize(Workspace<T>& ws, index_t m, int shards, bool sparse_X, bool sparse_Y,
                        bool first_layer) const {
    // Grow only: a later, smaller batch reuses the buffers without allocating.
    const auto grow = [](auto& v, index_t n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    };
    grow(ws.activations, m * (n_units_ - sizes_.back()));
    grow(ws.product, m * max_hidden_);
    grow(ws.rho_hat, n_units_);
    const index_t first_weights = sizes_[0] * sizes_[1];
    if (sparse_X) grow(ws.first_weights_t, first_weights);
    if (ws.shards.size() < static_cast<std::size_t>(shards)) ws.shards.resize(static_cast<std::size_t>(shards));
    for (int s = 0; s < shards; ++s) {
        auto& sh = ws.shards[s];
        const index_t block = block_rows((m + shards - 1) / shards) * sizes_.back();
        grow(sh.output_block, block);
        if (sparse_X) grow(sh.first_grad_t, first_weights);
        if (sparse_Y) grow(sh.target_block, block);
        if (first_layer) {
            grow(sh.first_layer_sums, 2 * sizes_[1]);
            grow(sh.first_layer_product, first_weights);
        }
        grow(sh.act_sum, n_units_);
        grow(sh.delta_sum, n_units_);
        grow(sh.sparse_term, n_units_);
        grow(sh.total_sum, n_units_);
        if (s > 0) grow(sh.grad, n_params_);
    }
}

template <class T>
bool Network<T>::is_sparse(const Problem& pb, int l) const {
    return l < n_layers() && static_cast<std::size_t>(l) < pb.params->sparse_layer.size() &&
           pb.params->sparse_layer[l];
}

// Hidden A_l (later D_l) of row i, unit j lives at hidden(l) + i * n_l + j (rows) or hidden(l) + j * m + i
// (hidden-major). Shards own disjoint rows: disjoint ranges of i, whatever the layout.
template <class T>
T* Network<T>::hidden(const Shard& sh, int l) const {
    return sh.ws.activations.data() + sh.pb.m * unit_offset_[l];
}

template <class T>
ExampleBlock<T> Network<T>::hidden_block(const Shard& sh, int l) const {
    if (sh.pb.by_unit) return {hidden(sh, l) + sh.r0, static_cast<int>(sh.pb.m), true};
    return {hidden(sh, l) + sh.r0 * sizes_[l], width(l), false};
}

template <class T>
ExampleBlock<const T> Network<T>::input_block(const Shard& sh, int l) const {
    if (l == 0) return {sh.pb.X + sh.r0 * sizes_[0], width(0), false};
    return as_const(hidden_block(sh, l));
}

// The product buffer has m x max_hidden_ entries: a shard's rows start at r0 * max_hidden_ (rows) or at column
// r0 of max_hidden_ rows of m (hidden-major), so shards in different phases (different widths) never overlap.
template <class T>
ExampleBlock<T> Network<T>::product_block(const Shard& sh, index_t n) const {
    T* product = sh.ws.product.data();
    if (sh.pb.by_unit) return {product + sh.r0, static_cast<int>(sh.pb.m), true};
    return {product + sh.r0 * max_hidden_, static_cast<int>(n), false};
}

template <class T>
void Network<T>::activate_hidden(const Shard& sh, ExampleBlock<T> Z, index_t rows, int l, double* colsum,
                                 const double* row_scale) const {
    const auto& ew = elementwise<T>();
    const index_t nl = sizes_[l];
    const T* b = sh.pb.theta + b_offset_[l];
    const Activation f = activations_[l - 1];
    if (Z.by_unit) {
        units_in_parts(rows, nl, [&](index_t j0, index_t j1) {
            ew.bias_activate_by_unit(Z.data + j0 * Z.ld, Z.ld, j1 - j0, rows, b + j0, f, colsum ? colsum + j0 : nullptr,
                                     row_scale);
        });
        return;
    }
    rows_in_parts(sh.ws.part_sums, rows, nl, colsum, [&](index_t q0, index_t q1, double* cs) {
        ew.bias_activate(Z.data + q0 * nl, q1 - q0, nl, b, f, cs, row_scale ? row_scale + q0 : nullptr);
        return 0.0;
    });
}

template <class T>
const T* Network<T>::sparse_term(const Shard& sh, int l) const {
    return is_sparse(sh.pb, l) ? sh.buf.sparse_term.data() + unit_offset_[l] : nullptr;
}

// One shard's part of cost_and_grad: the steps below, in order. Every shard runs steps 1, 2, 4 and 5 on its
// own rows; step 2 waits for every shard's step 1 (when a layer is sparse), and step 3 is shard 0's alone.
template <class T>
void Network<T>::evaluate_shard(const Problem& pb, Workspace<T>& ws, int shard, int shards, Barrier* barrier) const {
    const index_t m = pb.m;
    const index_t r0 = m * shard / shards, r1 = m * (shard + 1) / shards;
    ShardBuffers<T>& buf = ws.shards[shard];
    std::fill(buf.act_sum.begin(), buf.act_sum.begin() + n_units_, 0.0);
    std::fill(buf.delta_sum.begin(), buf.delta_sum.begin() + n_units_, 0.0);
    buf.data = buf.decay = buf.sparsity = 0.0;
    // The shard's gradient buffer: shard 0 writes the caller's, starting from the decay term lambda_l W_l
    // (step 3); the others start from zero. Every product of steps 4 and 5 accumulates onto it. (The other
    // shards' first product into each of their gW_l overwrites it, beta = 0: no zeroing pass.)
    const Shard sh{pb, ws, buf, shard, shards, r0, r1, static_cast<int>(r1 - r0), barrier,
                   shard == 0 ? pb.grad : buf.grad.data(), shard == 0 ? T(1) : T(0)};
    forward_hidden(sh);
    sparsity_terms(sh);
    if (shard == 0) decay_term(sh);
    output_layer(sh);
    backward_hidden(sh);
}

// Step 1 (docs/math.md#forward-pass). Forward through the hidden layers: Z_l = A_{l-1} W_l^T, then one fused
// pass adds b_l, applies f_l and, on sparse layers, sums each column for rho_hat.
template <class T>
void Network<T>::forward_hidden(const Shard& sh) const {
    const int L = n_layers();
    const T* theta = sh.pb.theta;
    for (int l = 1; l < L; ++l) {
        const int nl = width(l), n_prev = width(l - 1);
        const ExampleBlock<T> A = hidden_block(sh, l);
        // (a given rho_hat, docs/math.md#chunks-and-shards, needs no column sums of this batch)
        const bool sums = is_sparse(sh.pb, l) && !rho_hat_given(*sh.pb.params);
        if (l == 1 && sh.pb.first_layer && !sh.pb.X_csr && !sums) {
            first_layer_forward_with_sums(sh, A);  // Z_1, A_1 and the one-pass sums, a block of rows at a time
            continue;
        }
        if (l == 1 && sh.pb.X_csr)
            sparse_first_product(sh, sh.r0, sh.r1, A.data);  // (a CSR X keeps the rows layout)
        else
            examples_times(sh.rows, nl, n_prev, input_block(sh, l - 1), theta + w_offset_[l], true, n_prev, A);
        double* colsum = sums ? sh.buf.act_sum.data() + unit_offset_[l] : nullptr;
        activate_hidden(sh, A, sh.rows, l, colsum, sh.pb.row_scale ? sh.pb.row_scale + sh.r0 : nullptr);
        if (l == 1 && sh.pb.first_layer) first_layer_sums(sh, as_const(A));
    }
}

// Step 2 (docs/math.md#sparsity-penalty, docs/math.md#moving-average-rho-hat, docs/math.md#chunks-and-shards).
// The KL terms need rho_hat over the whole batch: wait for every shard's column sums, add them in shard order
// (so every shard computes the same s_l), then each shard keeps its own copy of s_l / m.
template <class T>
void Network<T>::sparsity_terms(const Shard& sh) const {
    const int L = n_layers();
    const CostParams& params = *sh.pb.params;
    bool any_sparse = false;
    for (int l = 1; l < L; ++l) any_sparse = any_sparse || is_sparse(sh.pb, l);
    if (!any_sparse) return;
    // A given rho_hat (a chunk of a larger sum) does not depend on the other shards' rows: no wait.
    const bool given = rho_hat_given(params);
    if (sh.barrier && !given) sh.barrier->arrive_and_wait();
    const index_t m = sh.pb.m;
    std::vector<double>& total = sh.buf.total_sum;
    for (int l = 1; l < L; ++l) {
        if (!is_sparse(sh.pb, l)) continue;
        const int nl = width(l);
        double* t = total.data() + unit_offset_[l];
        std::fill(t, t + nl, 0.0);
        if (!given)
            for (int s = 0; s < sh.count; ++s)
                for (int j = 0; j < nl; ++j) t[j] += sh.ws.shards[s].act_sum[unit_offset_[l] + j];
        if (const double* running = params.running_rho_hat) {
            // The running estimate, mixed with this batch, as column sums of m rows (what kl_sparsity
            // takes). It is written back after every shard has read it (see cost_and_grad).
            const double decay = params.rho_hat_decay, md = static_cast<double>(m);
            for (int j = 0; j < nl; ++j)
                t[j] = md * (decay * running[unit_offset_[l] + j] + (1.0 - decay) * (t[j] / md));
        }
        // rho_hat is written by shard 0 only; the others compute the same numbers into a scratch copy.
        double* rho_hat = sh.index == 0 ? sh.ws.rho_hat.data() + unit_offset_[l] : t;
        sh.buf.sparsity += kl_sparsity<T>(t, nl, m, params.rho, params.beta, rho_hat,
                                          sh.buf.sparse_term.data() + unit_offset_[l]);
    }
}

// Step 3 (docs/math.md#weight-decay), shard 0 only: J_decay = sum_l lambda_l / 2 ||W_l||^2 (in double), and the
// gradient buffer starts from lambda_l W_l.
template <class T>
void Network<T>::decay_term(const Shard& sh) const {
    const int L = n_layers();
    const T* theta = sh.pb.theta;
    for (int l = 1; l <= L; ++l) {
        const T* W = theta + w_offset_[l];
        T* gW = sh.grad + w_offset_[l];
        const index_t count = static_cast<index_t>(width(l)) * width(l - 1);
        const double lambda = sh.pb.params->decay(l);
        const T lam = static_cast<T>(lambda);
        double sq = 0.0;
#pragma omp simd reduction(+ : sq)
        for (index_t k = 0; k < count; ++k) {
            sq += static_cast<double>(W[k]) * static_cast<double>(W[k]);
            gW[k] = lam * W[k];
        }
        sh.buf.decay += 0.5 * lambda * sq;
    }
}

// Step 4 (docs/math.md#squared-error, docs/math.md#softmax-and-cross-entropy,
// docs/math.md#gradient-by-backpropagation). The output layer, forward and back, one block of rows at a time
// so that Z_L / D_L stays in cache from its product through its fused loss pass to the two products that
// consume it:
//   Z = A_{L-1}[rows] W_L^T;  D_L = loss pass (cost, b_L gradient sums);  gW_L += D_L^T A_{L-1}[rows];
//   and for L > 1, D_{L-1}[rows] = (D_L W_L + s_{L-1}/m) * f'(A_{L-1}[rows]), over A_{L-1}[rows].
template <class T>
void Network<T>::output_layer(const Shard& sh) const {
    const auto& ew = elementwise<T>();
    const int L = n_layers();
    const Problem& pb = sh.pb;
    const int n_out = width(L), n_in = width(L - 1);
    const T* W = pb.theta + w_offset_[L];
    const T* b = pb.theta + b_offset_[L];
    T* gW = sh.grad + w_offset_[L];
    double* delta_sum = sh.buf.delta_sum.data() + unit_offset_[L];
    const index_t r0 = sh.r0, r1 = sh.r1;
    const index_t block = block_rows(r1 - r0);
    const bool sparse_in = L == 1 && pb.X_csr;  // the output layer reads X itself, in CSR
    const ExampleBlock<const T> inputs = sparse_in ? ExampleBlock<const T>{nullptr, 0, false} : input_block(sh, L - 1);
    for (index_t q = r0; q < r1; q += block) {
        const index_t mb = std::min(block, r1 - q);
        const int mbi = static_cast<int>(mb);
        T* Z = sh.buf.output_block.data();
        const ExampleBlock<T> Zq{Z, n_out, false};  // the output layer's block is always in rows
        const ExampleBlock<const T> A_in = inputs.from(q - r0);
        if (sparse_in)
            sparse_first_product(sh, q, q + mb, Z);
        else
            examples_times(mbi, n_out, n_in, A_in, W, true, n_in, Zq);
        // The block's targets: rows q.. of a dense Y, or of a sparse Y densified into the shard's block buffer.
        const T* Yq = nullptr;
        if (pb.Y_csr) {
            Yq = sh.buf.target_block.data();
            csr_rows_to_dense(sh.buf.target_block.data(), *pb.Y_csr, q, q + mb);
        } else if (pb.Y) {
            Yq = pb.Y + q * n_out;
        }
        sh.buf.data += rows_in_parts(sh.ws.part_sums, mb, n_out, delta_sum, [&](index_t q0, index_t q1, double* cs) {
            const T* Yrows = Yq ? Yq + q0 * n_out : nullptr;
            const double* scale = pb.row_scale ? pb.row_scale + q + q0 : nullptr;
            if (loss_ == Loss::Squared)
                return ew.output_squared(Z + q0 * n_out, Yrows, q1 - q0, n_out, b, activations_[L - 1], pb.inv_m, cs,
                                         scale);
            if (loss_ == Loss::BinaryCrossEntropy)
                return ew.output_sigmoid_bce(Z + q0 * n_out, Yrows, q1 - q0, n_out, b, pb.inv_m, cs, scale);
            return ew.output_softmax_ce(Z + q0 * n_out, Yrows, pb.labels ? pb.labels + q + q0 : nullptr, q1 - q0,
                                        n_out, b, pb.inv_m, cs, scale);
        });
        if (sparse_in)
            sparse_first_gradient(sh, q, q + mb, Z, q == r0, q + mb == r1);
        else
            gradient_product(n_out, n_in, mbi, as_const(Zq), A_in, q == r0 ? sh.first_beta : T(1), gW);
        if (L > 1) {
            const ExampleBlock<T> P = product_block(sh, n_in).from(q - r0);
            examples_times(mbi, n_in, n_out, as_const(Zq), W, false, n_in, P);
            hidden_delta_in_parts(sh.ws, hidden_block(sh, L - 1).from(q - r0), as_const(P), mb, L - 1,
                                  sparse_term(sh, L - 1), sh.buf.delta_sum.data() + unit_offset_[L - 1],
                                  pb.row_scale ? pb.row_scale + q : nullptr);
        }
    }
}

// Step 5 (docs/math.md#gradient-by-backpropagation). The remaining layers: gW_l += D_l^T A_{l-1};
// D_{l-1} = (D_l W_l + s_{l-1}/m) * f'(A_{l-1}).
template <class T>
void Network<T>::backward_hidden(const Shard& sh) const {
    for (int l = n_layers() - 1; l >= 1; --l) {
        const int nl = width(l), n_prev = width(l - 1);
        const ExampleBlock<T> D = hidden_block(sh, l);
        if (l == 1 && sh.pb.X_csr)
            sparse_first_gradient(sh, sh.r0, sh.r1, D.data, true, true);
        else
            gradient_product(nl, n_prev, sh.rows, as_const(D), input_block(sh, l - 1), sh.first_beta,
                             sh.grad + w_offset_[l]);
        if (l == 1) break;
        const int h = l - 1;
        const ExampleBlock<T> P = product_block(sh, n_prev);
        examples_times(sh.rows, n_prev, nl, as_const(D), sh.pb.theta + w_offset_[l], false, n_prev, P);
        hidden_delta_in_parts(sh.ws, hidden_block(sh, h), as_const(P), sh.rows, h, sparse_term(sh, h),
                              sh.buf.delta_sum.data() + unit_offset_[h],
                              sh.pb.row_scale ? sh.pb.row_scale + sh.r0 : nullptr);
    }
}

template <class T>
void Network<T>::sparse_first_product(const Shard& sh, index_t r0, index_t r1, T* Z) const {
    csr_times_dense(Z, *sh.pb.X_csr, r0, r1, sh.ws.first_weights_t.data(), sizes_[1]);
}

// gW_1^T accumulates in the shard's (n_0 x n_1) buffer, where each entry of X updates one contiguous row, from
// the call with `first` (which zeroes it) to the one with `last` (which adds its transpose onto gW_1, or writes
// it when the shard's gradient starts from zero).
template <class T>
void Network<T>::sparse_first_gradient(const Shard& sh, index_t r0, index_t r1, const T* D, bool first,
                                       bool last) const {
    const index_t n_in = sizes_[0], n1 = sizes_[1];
    T* Gt = sh.buf.first_grad_t.data();
    if (first) std::fill(Gt, Gt + n_in * n1, T(0));
    csr_transpose_times_dense(Gt, *sh.pb.X_csr, r0, r1, D, n1);
    if (last) transpose_into(sh.grad + w_offset_[1], Gt, n_in, n1, sh.first_beta != T(0));
}

template <class T>
void Network<T>::hidden_delta_in_parts(Workspace<T>& ws, ExampleBlock<T> A, ExampleBlock<const T> P, index_t rows,
                                       int layer, const T* s, double* colsum, const double* row_scale) const {
    const auto& ew = elementwise<T>();
    const index_t nl = sizes_[layer];
    const Activation f = activations_[layer - 1];
    if (A.by_unit) {  // (A and P are both hidden-major with the batch's m as leading dimension)
        units_in_parts(rows, nl, [&](index_t j0, index_t j1) {
            ew.hidden_delta_by_unit(A.data + j0 * A.ld, P.data + j0 * P.ld, A.ld, j1 - j0, rows, s ? s + j0 : nullptr,
                                    f, colsum + j0, row_scale);
        });
        return;
    }
    rows_in_parts(ws.part_sums, rows, nl, colsum, [&](index_t r0, index_t r1, double* cs) {
        ew.hidden_delta(A.data + r0 * nl, P.data + r0 * nl, r1 - r0, nl, s, f, cs,
                        row_scale ? row_scale + r0 : nullptr);
        return 0.0;
    });
}

template <class T>
CostTerms Network<T>::cost_and_grad(const T* theta, const Batch<T>& batch, const CostParams& params, T* grad,
                                    Workspace<T>& ws, const FirstLayerSums* first_layer) const {
    const CoreCall call;  // takes the pool for the whole evaluation if no other core call is running
    const index_t m = batch.m;
    const Problem pb{theta,
                     batch.X_sparse ? nullptr : batch.X,
                     batch.Y_sparse || batch.labels ? nullptr : batch.Y,
                     batch.labels,
                     m,
                     batch.X_sparse ? &batch.X_csr : nullptr,
                     batch.Y_sparse && !batch.labels ? &batch.Y_csr : nullptr,
                     &params,
                     grad,
                     T(1) / static_cast<T>(m),
                     row_scales(params, m, ws),
                     n_layers() > 1 ? first_layer : nullptr,
                     hidden_layout_ == HiddenLayout::HiddenMajor && !batch.X_sparse && n_layers() > 1};
    const bool sparse_X = pb.X_csr != nullptr, sparse_Y = pb.Y_csr != nullptr;
    // The cost and gradient are sums over examples: with several threads, the batch is split into shards of
    // rows, each evaluated on a thread of its own with single-threaded BLAS (no hand-off per product, every
    // pass in parallel); the shards' sums are then added in shard order. With one thread, or if the pool is
    // busy, one shard runs here and BLAS and the passes use the pool themselves.
    int shards = shard_count(m);
    resize(ws, m, shards, sparse_X, sparse_Y, pb.first_layer != nullptr);
    // Sparse X: W_1^T once for every shard, so that each row of Z_1 is a sum of contiguous rows.
    if (sparse_X) transpose_into(ws.first_weights_t.data(), theta + w_offset_[1], sizes_[1], sizes_[0], false);
    bool done = false;
    if (shards > 1) {
        Barrier barrier(shards);
        auto task = [&](int s) { evaluate_shard(pb, ws, s, shards, &barrier); };
        done = run_concurrently(shards, task);
    }
    if (!done) {
        shards = 1;
        // One shard takes larger blocks of rows than a shard of several.
        resize(ws, m, 1, sparse_X, sparse_Y, pb.first_layer != nullptr);
        evaluate_shard(pb, ws, 0, 1, nullptr);
    }

    // Reduce, in shard order: weight gradients onto the caller's buffer (shard 0's), bias gradients from the
    // per-shard column sums of the deltas, and the cost terms.
    CostTerms terms;
    const int L = n_layers();
    for (int s = 0; s < shards; ++s) {
        const ShardBuffers<T>& sh = ws.shards[s];
        terms.data += sh.data;
        if (s == 0) {
            terms.decay = sh.decay;
            terms.sparsity = sh.sparsity;
            continue;
        }
        const T* g = sh.grad.data();
        parallel_ranges(b_offset_[1], 1, [&](index_t k0, index_t k1) {
#pragma omp simd
            for (index_t k = k0; k < k1; ++k) grad[k] += g[k];
        });
    }
    terms.data /= static_cast<double>(m);
    if (double* running = params.running_rho_hat) {
        for (int l = 1; l < L; ++l)
            if (static_cast<std::size_t>(l) < params.sparse_layer.size() && params.sparse_layer[l])
                std::copy_n(ws.rho_hat.data() + unit_offset_[l], sizes_[l], running + unit_offset_[l]);
    }
    for (int l = 1; l <= L; ++l) {
        T* gb = grad + b_offset_[l];
        for (index_t j = 0; j < sizes_[l]; ++j) {
            double sum = 0.0;
            for (int s = 0; s < shards; ++s) sum += ws.shards[s].delta_sum[unit_offset_[l] + j];
            gb[j] = static_cast<T>(sum);
        }
    }
    if (pb.first_layer) reduce_first_layer_sums(pb, ws, shards);
    return terms;
}

// docs/math.md#sample-weights: r_i = w_i m / W, so that every per-row mean keeps its 1/m (null: no weights). Weights
// of ones give r_i = 1 exactly (m / W = 1), hence the unweighted results bit for bit.
template <class T>
const double* Network<T>::row_scales(const CostParams& params, index_t m, Workspace<T>& ws) const {
    const double* w = params.sample_weight;
    if (!w) return nullptr;
    double total = 0.0;
    for (index_t i = 0; i < m; ++i) total += w[i];
    if (!(total > 0.0) || !std::isfinite(total))
        throw std::invalid_argument("sample_weight must sum to a positive finite number, got " + std::to_string(total));
    if (ws.row_scale.size() < static_cast<std::size_t>(m)) ws.row_scale.resize(static_cast<std::size_t>(m));
    const double scale = static_cast<double>(m) / total;
    for (index_t i = 0; i < m; ++i) ws.row_scale[i] = w[i] * scale;
    return ws.row_scale.data();
}

template <class T>
void Network<T>::forward(const T* theta, const T* X, index_t m, int first, int last,
                         const std::vector<T*>& outputs) const {
    const CoreCall call;
    const auto& ew = elementwise<T>();
    const int mi = static_cast<int>(m);
    for (int l = first; l <= last; ++l) {
        const int n_in = static_cast<int>(sizes_[l - 1]);
        const int n_out = static_cast<int>(sizes_[l]);
        const T* in = l == first ? X : outputs[l - first - 1];
        T* out = outputs[l - first];
        gemm(false, true, mi, n_out, n_in, T(1), in, n_in, theta + w_offset_[l], n_in, T(0), out, n_out);
        ew.bias_activate(out, m, n_out, theta + b_offset_[l], activations_[l - 1], nullptr, nullptr);
    }
}

template <class T>
void Network<T>::forward(const T* theta, const CsrRows<T>& X, int last, const std::vector<T*>& outputs) const {
    const CoreCall call;
    const index_t n_in = sizes_[0], n1 = sizes_[1];
    std::vector<T> Wt(static_cast<std::size_t>(n_in * n1));
    transpose_into(Wt.data(), theta + w_offset_[1], n1, n_in, false);
    csr_times_dense(outputs[0], X, 0, X.rows, Wt.data(), n1);
    elementwise<T>().bias_activate(outputs[0], X.rows, static_cast<int>(n1), theta + b_offset_[1], activations_[0],
                                   nullptr, nullptr);
    if (last > 1) forward(theta, outputs[0], X.rows, 2, last, std::vector<T*>(outputs.begin() + 1, outputs.end()));
}

template class Network<float>;
template class Network<double>;

}  // namespace ufldl
