// A dense feedforward network's cost and gradient (docs/math.md#cost, docs/math.md#gradient-by-backpropagation),
// computed in one call. NumPy twins: ufldl.reference.cost_and_grad (the whole cost and gradient) and
// ufldl.reference.forward (the forward pass); the fused passes each evaluation is made of are in elementwise.hpp,
// the KL penalty in sparsity.hpp, with their own twins.
//
// Flat parameter layout (theta and its gradient; docs/math.md#parameter-layout), for layer sizes n_0, ..., n_L:
//
//   [ W_1 | W_2 | ... | W_L | b_1 | b_2 | ... | b_L ]
//     W_l: n_l x n_{l-1}, row-major (row i = incoming weights of unit i, UFLDL's orientation)
//     b_l: n_l
//
// Weights first, as in the tutorial's theta = [W1(:); W2(:); b1(:); b2(:)], so weight decay touches one
// contiguous prefix. Data are row-major with one example per row (docs/math.md#data-layout).
#pragma once
#include <cstdint>
#include <vector>

#include "ufldl/example_blocks.hpp"
#include "ufldl/optim.hpp"
#include "ufldl/sparse_input.hpp"
#include "ufldl/types.hpp"

namespace ufldl {

class Barrier;  // ufldl/parallel.hpp

// Hyperparameters of the cost, passed with every call so the caller may change them freely.
struct CostParams {
    // lambda_l of each weight layer l = 1..L at index l; empty: no decay (docs/math.md#weight-decay).
    std::vector<double> weight_decay;
    double decay(int l) const {
        return static_cast<std::size_t>(l) < weight_decay.size() ? weight_decay[static_cast<std::size_t>(l)] : 0.0;
    }
    // Size L + 1; sparse_layer[l] != 0 puts the KL penalty (rho, beta) on hidden layer l
    // (docs/math.md#sparse-layers, docs/math.md#sparsity-penalty).
    std::vector<char> sparse_layer;
    double rho = 0.01;
    double beta = 3.0;
    // Mini-batch option (docs/math.md#moving-average-rho-hat): a running estimate of rho_hat across batches
    // (an exponential moving average). When non-null, each evaluation first sets
    // r_j <- decay * r_j + (1 - decay) * rho_hat_j(batch) for the units of the sparse layers (indexed like
    // Workspace::rho_hat: layer l starts at n_1 + ... + n_{l-1}), and the KL cost and its gradient term s_j use
    // r_j in place of the batch's own rho_hat_j. r is an estimate of the whole training set's rho_hat, so the
    // gradient is the full-batch KL gradient at that estimate.
    double* running_rho_hat = nullptr;
    double rho_hat_decay = 0.0;
    // docs/math.md#sample-weights: one weight w_i >= 0 per row of the call's X (with a positive sum; for
    // minibatch_epoch, per row of the whole X), float64 whatever T is (W and the column sums are float64). Null:
    // every row weighs 1, and the unweighted path runs untouched. Every mean over rows becomes a weighted mean.
    const double* sample_weight = nullptr;
};

// Whether the evaluation's rho_hat is given rather than measured: a running estimate that this batch does not
// move (decay 1), as Network.partial_sums passes the global rho_hat of a chunked sum (docs/math.md#chunks-and-shards).
inline bool rho_hat_given(const CostParams& params) {
    return params.running_rho_hat != nullptr && params.rho_hat_decay == 1.0;
}

// The extra outputs of a one-pass chunk (docs/math.md#one-pass-kl-sums), float64 buffers of the caller's. With
// F = f_1'(Z_1) (from A_1), row i scaled by its sample weight w_i (1 without weights), over the call's rows:
//   activation_sum (n_1)          sum_i w_i A_1[i, :], the KL penalty's column sums (rho_hat's numerator);
//   derivative_sum (n_1)          colsum F;
//   derivative_input (n_1 x n_0)  F^T X, row-major (X dense or CSR).
// The KL term of layer 1 enters the gradient only through k_j (F^T X)[j, :] and k_j colsum F_j, with k from the
// global rho_hat: a chunked evaluation adds these over the chunks and applies k after the reduction.
struct FirstLayerSums {
    double* activation_sum = nullptr;
    double* derivative_sum = nullptr;
    double* derivative_input = nullptr;
};

// The cost's three terms; the cost is their sum.
struct CostTerms {
    double data = 0.0;
    double decay = 0.0;
    double sparsity = 0.0;
    double total() const { return data + decay + sparsity; }
};

// The examples of one evaluation: X dense (m x n_0, row-major) or in CSR (docs/math.md#sparse-input); the targets
// dense (m x n_L), in CSR (densified a block of rows at a time where the output layer needs them), or, for
// cross-entropy, labels (length m, each in [0, n_L)).
template <class T>
struct Batch {
    const T* X = nullptr;  // dense X, when !X_sparse
    CsrRows<T> X_csr;      // X, when X_sparse
    bool X_sparse = false;
    const T* Y = nullptr;  // dense targets, when neither Y_sparse nor labels
    CsrRows<T> Y_csr;      // the targets, when Y_sparse
    bool Y_sparse = false;
    const std::int64_t* labels = nullptr;
    index_t m = 0;
};

// One shard's own buffers (a shard is a range of rows evaluated on one thread; see Network::cost_and_grad).
template <class T>
struct ShardBuffers {
    std::vector<T> output_block;    // Z_L then D_L for one block of the shard's rows
    std::vector<double> act_sum;    // column sums of the sparse layers' activations (for rho_hat); n_1 + ... + n_L
    std::vector<double> delta_sum;  // column sums of the deltas (the bias gradients); n_1 + ... + n_L
    std::vector<double> total_sum;  // the whole batch's activation sums
    std::vector<T> sparse_term;     // s_l / m of each sparse layer; n_1 + ... + n_L
    std::vector<T> grad;            // the shard's weight gradients (shard 0 writes the caller's buffer instead)
    std::vector<T> first_grad_t;    // sparse X: gW_1^T (n_0 x n_1) of the shard's rows, before its transpose-add
    std::vector<T> target_block;    // sparse targets: one block of rows of Y, densified
    std::vector<double> first_layer_sums;  // one-pass: the shard's activation_sum then derivative_sum (2 n_1)
    std::vector<T> first_layer_product;    // one-pass: the shard's F^T X (n_1 x n_0), in T as the gradients are
    double data = 0.0, decay = 0.0, sparsity = 0.0;  // the shard's cost terms (data not yet divided by m)
};

// Buffers for one batch size, kept and reused so that repeated evaluations allocate nothing.
template <class T>
struct Workspace {
    std::vector<T> activations;     // hidden A_1..A_{L-1} back to back (their deltas overwrite them on the way back)
    std::vector<T> product;         // D_{l+1} W_{l+1}, m x max hidden width
    std::vector<double> rho_hat;    // mean activation of each unit of the sparse layers; n_1 + ... + n_L
    std::vector<double> part_sums;  // per-part column sums when a pass runs on several threads
    std::vector<ShardBuffers<T>> shards;
    std::vector<T> first_weights_t;  // sparse X: W_1^T (n_0 x n_1), shared by the shards
    // Mini-batch training: the gathered batch and its gradient (sparse X or Y: gathered CSR rows).
    std::vector<T> batch_X, batch_Y, batch_grad;
    std::vector<std::int64_t> batch_labels;
    std::vector<std::int64_t> batch_X_indptr, batch_X_indices, batch_Y_indptr, batch_Y_indices;
    std::vector<T> batch_X_data, batch_Y_data;
    std::vector<double> batch_weight;  // the batch's sample weights
    std::vector<double> row_scale;     // r_i = w_i m / W of the evaluation's rows (docs/math.md#sample-weights)
};

// How the hidden layers' intermediates (Z_l, A_l, D_l and D_{l+1} W_{l+1}, l = 1..L-1) are stored during an
// evaluation; X, the targets, the output layer and every result keep the public layout (one example per row).
//   Rows         m x n_l, one example per row.
//   HiddenMajor  n_l x m, one unit per row (the tutorial's MATLAB orientation, without transposing X).
// The layout of a product's m x n_l output is what sets its speed (benchmarks/product_orientation.py): on the
// Intel Xeon and AMD EPYC machines measured, OpenBLAS's float64 products writing n_l x m outputs run 8-20%
// faster, and in float32 the two are equal. So float64 defaults to HiddenMajor and float32 to Rows, a fixed rule
// (never a run-time measurement, which would make repeated fits differ in their last bits). The environment
// variable UFLDL_HIDDEN_LAYOUT ("rows" or "hidden-major"), read by each constructor, overrides the rule (fixed for
// the network's life: concurrent calls read it). A batch with X in CSR keeps Rows (its first-layer kernels write
// rows), and so does a network without hidden layers.
enum class HiddenLayout { Rows, HiddenMajor };

template <class T>
class Network {
public:
    // Throws std::invalid_argument for an invalid architecture (sizes < 1, softmax not last or without
    // cross-entropy, cross-entropy without softmax).
    Network(std::vector<std::int64_t> sizes, std::vector<Activation> activations, Loss loss);

    int n_layers() const { return static_cast<int>(activations_.size()); }  // L, the number of weight layers
    index_t n_params() const { return n_params_; }
    const std::vector<std::int64_t>& sizes() const { return sizes_; }
    const std::vector<Activation>& activations() const { return activations_; }
    Loss loss() const { return loss_; }
    index_t weight_offset(int l) const { return w_offset_[l]; }  // l = 1..L
    index_t bias_offset(int l) const { return b_offset_[l]; }
    HiddenLayout hidden_layout() const { return hidden_layout_; }

    // Cost and the whole gradient at theta for the m examples X (m x n_0); NumPy twin:
    // ufldl.reference.cost_and_grad. Targets are Y (m x n_L) or, for cross-entropy, labels (length m, each in
    // [0, n_L)); exactly one is non-null. grad has n_params entries. With several threads the rows are
    // evaluated as shards (docs/math.md#chunks-and-shards). After the call ws.rho_hat holds the (unclipped)
    // rho_hat of every sparse layer that the cost used: the batch's own, or the updated running estimate (which
    // is also written back to params.running_rho_hat).
    CostTerms cost_and_grad(const T* theta, const T* X, const T* Y, const std::int64_t* labels, index_t m,
                            const CostParams& params, T* grad, Workspace<T>& ws) const {
        Batch<T> batch;
        batch.X = X;
        batch.Y = Y;
        batch.labels = labels;
        batch.m = m;
        return cost_and_grad(theta, batch, params, grad, ws);
    }
    // The same for a batch whose X or targets may be sparse (docs/math.md#sparse-input): only the first layer's
    // two products change (ufldl/sparse_input.hpp); sparse targets are densified one block of rows at a time.
    // With first_layer (L >= 2), also writes the first hidden layer's one-pass sums (FirstLayerSums) of the rows.
    CostTerms cost_and_grad(const T* theta, const Batch<T>& batch, const CostParams& params, T* grad,
                            Workspace<T>& ws, const FirstLayerSums* first_layer = nullptr) const;

    // Mini-batch training (docs/math.md#mini-batch-gradient-descent) over the rows order[0 .. n_order) of X
    // (m rows; an epoch, or a run of batches of one). Batch k is the rows order[k*b : (k+1)*b] (the last may be
    // smaller): they are gathered, evaluated (rho_hat from the batch, or the running estimate of params) and
    // followed by one update of theta and the optimiser's state (see optim.hpp: state1 is the velocity for sgd,
    // m1 for adam; state2 is m2 for adam). batch_costs[k] receives batch k's cost. On a batch whose cost
    // or gradient is not finite the run stops before updating, so theta keeps its last value. Returns the
    // number of updates made (the number of batches unless it stopped). With params.sample_weight (one per row of
    // X), each batch is the weighted mean over its rows; every batch must have a positive total weight.
    index_t minibatch_epoch(T* theta, const T* X, const T* Y, const std::int64_t* labels, index_t m,
                            const std::int64_t* order, index_t n_order, index_t batch_size, const CostParams& params,
                            const UpdateParams& update, T* state1, T* state2, std::int64_t& step,
                            double* batch_costs, Workspace<T>& ws) const {
        Batch<T> batch;
        batch.X = X;
        batch.Y = Y;
        batch.labels = labels;
        batch.m = m;
        return minibatch_epoch(theta, batch, order, n_order, batch_size, params, update, state1, state2, step,
                               batch_costs, ws);
    }
    // The same for a batch whose X or targets may be sparse: a sparse batch's rows are gathered as CSR rows.
    index_t minibatch_epoch(T* theta, const Batch<T>& data, const std::int64_t* order, index_t n_order,
                            index_t batch_size, const CostParams& params, const UpdateParams& update, T* state1,
                            T* state2, std::int64_t& step, double* batch_costs, Workspace<T>& ws) const;

    // Activations of layers first..last (1 <= first <= last <= L) for X, the m x n_{first-1} input of layer
    // first (the network's input when first = 1): outputs[l - first] receives A_l (m x n_l)
    // (docs/math.md#forward-pass; NumPy twin: ufldl.reference.forward).
    void forward(const T* theta, const T* X, index_t m, int first, int last, const std::vector<T*>& outputs) const;
    // The same from the network's input in CSR (X.rows x n_0): layers 1..last.
    void forward(const T* theta, const CsrRows<T>& X, int last, const std::vector<T*>& outputs) const;

private:
    struct Problem {
        const T* theta;
        const T* X;
        const T* Y;
        const std::int64_t* labels;
        index_t m;
        const CsrRows<T>* X_csr;  // X in CSR (X is then null), or null
        const CsrRows<T>* Y_csr;  // the targets in CSR (Y is then null), or null
        const CostParams* params;
        T* grad;
        T inv_m;
        const double* row_scale;  // r_i = w_i m / W, or null without weights
        const FirstLayerSums* first_layer;  // the one-pass outputs, or null
        bool by_unit;  // the hidden layers' intermediates are stored hidden-major (HiddenLayout) in this call
    };
    const double* row_scales(const CostParams& params, index_t m, Workspace<T>& ws) const;
    void resize(Workspace<T>& ws, index_t m, int shards, bool sparse_X, bool sparse_Y, bool first_layer) const;
    index_t block_rows(index_t m) const;
    int shard_count(index_t m) const;
    // One shard's evaluation: rows [r0, r1) of the problem, and the buffers it reads and writes.
    struct Shard {
        const Problem& pb;
        Workspace<T>& ws;
        ShardBuffers<T>& buf;  // ws.shards[index]
        int index, count;      // this shard, of count
        index_t r0, r1;
        int rows;              // r1 - r0
        Barrier* barrier;      // null when the shard is the only one
        T* grad;               // the caller's gradient for shard 0, the shard's own weight gradients otherwise
        T first_beta;          // beta of the first product into each gW_l: 1 onto shard 0's decay term, else 0
    };
    // One shard's part of cost_and_grad, made of the five steps below, in order (docs/math.md cites them as
    // evaluate_shard's steps 1 to 5).
    void evaluate_shard(const Problem& pb, Workspace<T>& ws, int shard, int shards, Barrier* barrier) const;
    void forward_hidden(const Shard& sh) const;   // 1. A_1 .. A_{L-1}, and the sparse layers' column sums
    void sparsity_terms(const Shard& sh) const;   // 2. rho_hat over the whole batch, the KL cost and s_l / m
    void decay_term(const Shard& sh) const;       // 3. shard 0: J_decay, and gW_l = lambda_l W_l
    void output_layer(const Shard& sh) const;     // 4. Z_L, D_L, gW_L and D_{L-1}, in blocks of rows
    void backward_hidden(const Shard& sh) const;  // 5. gW_l and D_{l-1} for l = L-1 .. 1
    int width(int l) const { return static_cast<int>(sizes_[l]); }  // n_l
    bool is_sparse(const Problem& pb, int l) const;
    T* hidden(const Shard& sh, int l) const;              // A_l (later D_l) of the whole batch, l = 1..L-1
    // A_l (later D_l) of the shard's rows, l = 1..L-1, in the call's layout; with l = 0, X (dense, rows).
    ExampleBlock<T> hidden_block(const Shard& sh, int l) const;
    ExampleBlock<const T> input_block(const Shard& sh, int l) const;
    // The shard's rows of the product buffer (D_{l+1} W_{l+1}, or the one-pass F) for a layer of width n.
    ExampleBlock<T> product_block(const Shard& sh, index_t n) const;
    // Step 1's and step 5's elementwise passes on hidden layer l, rows rows of the block, in either layout.
    void activate_hidden(const Shard& sh, ExampleBlock<T> Z, index_t rows, int l, double* colsum,
                         const double* row_scale) const;
    const T* sparse_term(const Shard& sh, int l) const;   // s_l / m, or null on a layer without the penalty
    // The first layer's products with a sparse X (docs/math.md#sparse-input): Z = X[r0:r1] W_1^T, and
    // gW_1 = beta gW_1 + D^T X[r0:r1] through the shard's transposed buffer.
    void sparse_first_product(const Shard& sh, index_t r0, index_t r1, T* Z) const;
    void sparse_first_gradient(const Shard& sh, index_t r0, index_t r1, const T* D, bool first, bool last) const;
    // One-pass sums (network_one_pass.cpp): a shard's from its A_1 (step 1), then every shard's added in shard order.
    void first_layer_sums(const Shard& sh, ExampleBlock<const T> A) const;
    void first_layer_forward_with_sums(const Shard& sh, ExampleBlock<T> A) const;
    void reduce_first_layer_sums(const Problem& pb, const Workspace<T>& ws, int shards) const;
    void hidden_delta_in_parts(Workspace<T>& ws, ExampleBlock<T> A, ExampleBlock<const T> P, index_t rows,
                               int layer, const T* s, double* colsum, const double* row_scale) const;

    std::vector<std::int64_t> sizes_;
    std::vector<Activation> activations_;
    Loss loss_;
    std::vector<index_t> w_offset_, b_offset_, unit_offset_;  // unit_offset_[l]: start of layer l in colsum
    index_t n_params_ = 0;
    index_t n_units_ = 0;
    index_t max_hidden_ = 0;
    const HiddenLayout hidden_layout_;
};

}  // namespace ufldl
