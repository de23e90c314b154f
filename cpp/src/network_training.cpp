// Mini-batch training epochs: gather, evaluate, update, all in C++ (the caller releases the GIL around it).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ufldl/checks.hpp"
#include "ufldl/network.hpp"
#include "ufldl/parallel.hpp"

namespace ufldl {
template <class T>
index_t Network<T>::minibatch_epoch(T* theta, const Batch<T>& data, const std::int64_t* order, index_t n_order,
                                    index_t batch_size, const CostParams& params, const UpdateParams& update,
                                    T* state1, T* state2, std::int64_t& step, double* batch_costs,
                                    Workspace<T>& ws) const {
    const CoreCall call;  // one owner of the pool for the whole run of batches
    const index_t n_in = sizes_.front(), n_out = sizes_.back();
    const std::int64_t* labels = data.labels;
    const bool sparse_Y = data.Y_sparse && !labels;
    // An autoencoder's sparse targets are its inputs: gathered once, for both.
    const bool Y_is_X = sparse_Y && data.X_sparse && data.Y_csr.data == data.X_csr.data &&
                        data.Y_csr.indptr == data.X_csr.indptr && data.Y_csr.indices == data.X_csr.indices;
    // (the caller checked that every order[i] lies in [0, m))
    const index_t b = std::min(batch_size, n_order);
    const auto grow = [](auto& v, index_t n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    };
    if (!data.X_sparse) grow(ws.batch_X, b * n_in);
    grow(ws.batch_grad, n_params_);
    if (labels) grow(ws.batch_labels, b); else if (!sparse_Y) grow(ws.batch_Y, b * n_out);
    // With weights, each batch is evaluated with its own rows' weights (docs/math.md#sample-weights).
    const double* weights = params.sample_weight;
    CostParams weighted;
    if (weights) {
        grow(ws.batch_weight, b);
        weighted = params;
        weighted.sample_weight = ws.batch_weight.data();
    }
    const CostParams& batch_params = weights ? weighted : params;
    index_t updates = 0;
    for (index_t start = 0, k = 0; start < n_order; start += b, ++k) {
        const index_t rows = std::min(b, n_order - start);
        const std::int64_t* batch_rows = order + start;
        Batch<T> batch;
        batch.m = rows;
        // Gather the batch's rows (in parts on the pool: a batch of 256 MNIST rows is 800 KB); CSR rows stay CSR.
        const bool dense_X = !data.X_sparse, dense_Y = !labels && !sparse_Y;
        parallel_ranges(rows, (dense_X ? n_in : 0) + (labels ? 1 : dense_Y ? n_out : 0) + 1,
                        [&](index_t i0, index_t i1) {
            for (index_t i = i0; i < i1; ++i) {
                const index_t r = static_cast<index_t>(batch_rows[i]);
                if (weights) ws.batch_weight[i] = weights[r];
                if (dense_X) std::memcpy(ws.batch_X.data() + i * n_in, data.X + r * n_in, sizeof(T) * n_in);
                if (labels)
                    ws.batch_labels[i] = labels[r];
                else if (dense_Y)
                    std::memcpy(ws.batch_Y.data() + i * n_out, data.Y + r * n_out, sizeof(T) * n_out);
            }
        });
        if (data.X_sparse) {
            batch.X_sparse = true;
            batch.X_csr = csr_gather_rows(data.X_csr, batch_rows, rows, ws.batch_X_indptr, ws.batch_X_indices,
                                          ws.batch_X_data);
        } else {
            batch.X = ws.batch_X.data();
        }
        if (labels) {
            batch.labels = ws.batch_labels.data();
        } else if (sparse_Y) {
            batch.Y_sparse = true;
            batch.Y_csr = Y_is_X ? batch.X_csr
                                 : csr_gather_rows(data.Y_csr, batch_rows, rows, ws.batch_Y_indptr,
                                                   ws.batch_Y_indices, ws.batch_Y_data);
        } else {
            batch.Y = ws.batch_Y.data();
        }
        T* grad = ws.batch_grad.data();
        const CostTerms terms = cost_and_grad(theta, batch, batch_params, grad, ws);
        const double cost = terms.total();
        batch_costs[k] = cost;
        if (!std::isfinite(cost) || !all_finite(grad, n_params_)) break;
        // The update, one fused pass over theta and the state, in parts on the pool.
        ++step;
        parallel_ranges(n_params_, 1, [&](index_t i0, index_t i1) {
            apply_update_range(update, theta + i0, grad + i0, state1 + i0, state2 + i0, i1 - i0, step);
        });
        ++updates;
    }
    return updates;
}

template index_t Network<float>::minibatch_epoch(float*, const Batch<float>&, const std::int64_t*, index_t, index_t,
                                                 const CostParams&, const UpdateParams&, float*, float*,
                                                 std::int64_t&, double*, Workspace<float>&) const;
template index_t Network<double>::minibatch_epoch(double*, const Batch<double>&, const std::int64_t*, index_t,
                                                  index_t, const CostParams&, const UpdateParams&, double*, double*,
                                                  std::int64_t&, double*, Workspace<double>&) const;

}  // namespace ufldl
