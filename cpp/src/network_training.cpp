// Mini-batch training epochs: gather, evaluate, update, all in C++ (the caller releases the GIL around it).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ufldl/checks.hpp"
#include "ufldl/network.hpp"
#include "ufldl/parallel.hpp"

namespace ufldl {
template <class T>
index_t Network<T>::minibatch_epoch(T* theta, const T* X, const T* Y, const std::int64_t* labels, index_t m,
                                    const std::int64_t* order, index_t n_order, index_t batch_size,
                                    const CostParams& params, const UpdateParams& update, T* state1, T* state2, std::int64_t& step,
                                    double* batch_costs, Workspace<T>& ws) const {
    const CoreCall call;  // one owner of the pool for the whole run of batches
    const index_t n_in = sizes_.front(), n_out = sizes_.back();
    (void)m;  // the caller checked that every order[i] lies in [0, m)
    const index_t b = std::min(batch_size, n_order);
    const auto grow = [](auto& v, index_t n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    };
    grow(ws.batch_X, b * n_in);
    grow(ws.batch_grad, n_params_);
    if (labels) grow(ws.batch_labels, b); else grow(ws.batch_Y, b * n_out);
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
        // Gather the batch's rows (in parts on the pool: a batch of 256 MNIST rows is 800 KB).
        parallel_ranges(rows, n_in + (labels ? 1 : n_out), [&](index_t i0, index_t i1) {
            for (index_t i = i0; i < i1; ++i) {
                const index_t r = static_cast<index_t>(order[start + i]);
                if (weights) ws.batch_weight[i] = weights[r];
                std::memcpy(ws.batch_X.data() + i * n_in, X + r * n_in, sizeof(T) * n_in);
                if (labels)
                    ws.batch_labels[i] = labels[r];
                else
                    std::memcpy(ws.batch_Y.data() + i * n_out, Y + r * n_out, sizeof(T) * n_out);
            }
        });
        T* grad = ws.batch_grad.data();
        const CostTerms terms = cost_and_grad(theta, ws.batch_X.data(), labels ? nullptr : ws.batch_Y.data(),
                                              labels ? ws.batch_labels.data() : nullptr, rows, batch_params, grad, ws);
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

template index_t Network<float>::minibatch_epoch(float*, const float*, const float*, const std::int64_t*, index_t,
                                                 const std::int64_t*, index_t, index_t, const CostParams&,
                                                 const UpdateParams&, float*, float*, std::int64_t&, double*,
                                                 Workspace<float>&) const;
template index_t Network<double>::minibatch_epoch(double*, const double*, const double*, const std::int64_t*,
                                                  index_t, const std::int64_t*, index_t, index_t,
                                                  const CostParams&,
                                                  const UpdateParams&, double*, double*, std::int64_t&, double*,
                                                  Workspace<double>&) const;

}  // namespace ufldl
