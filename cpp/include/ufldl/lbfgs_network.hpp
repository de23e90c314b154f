// minFunc's L-BFGS (lbfgs.hpp) on a network's full-batch cost, evaluated in C++: the evaluations of one
// iteration, line search included, without returning to the caller (docs/math.md#l-bfgs-line-search). The
// Python layer (ufldl.optimize.lbfgs) calls it once per iteration with the GIL released and does its
// bookkeeping (callbacks, progress, Ctrl-C, non-finite values) between calls.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "ufldl/lbfgs.hpp"
#include "ufldl/network.hpp"
#include "ufldl/parallel.hpp"

namespace ufldl {

// Scratch for a float32 network: the trial point and its gradient in the network's precision (the solver's
// iterate, gradients and memory stay float64: each trial point is rounded to float32 for the evaluation, and
// the float32 gradient is widened back).
template <class T>
struct LbfgsNetworkBuffers {
    std::vector<T> theta, grad;
};

// While solver.status() is Evaluate: the network's cost and gradient at solver.point() (batch and params as for
// Network::cost_and_grad: X and the targets dense or sparse), told to the solver. Returns the first other status
// (Started, Iteration, Stopped or NonFinite). keep_going() is asked between two evaluations, at most every
// check_seconds (for Ctrl-C; a negative check_seconds never asks); when it returns false the evaluations stop
// there and Evaluate is returned (the caller abandons the run).
template <class T, class KeepGoing>
LbfgsStatus lbfgs_network_evaluations(Lbfgs& solver, const Network<T>& net, const Batch<T>& batch,
                                      const CostParams& params, Workspace<T>& ws, LbfgsNetworkBuffers<T>& buffers,
                                      KeepGoing&& keep_going, double check_seconds) {
    const CoreCall call;  // one owner of the pool for the whole run of evaluations
    const index_t n = solver.size();
    using clock = std::chrono::steady_clock;
    auto last_check = clock::now();
    LbfgsStatus status = solver.status();
    while (status == LbfgsStatus::Evaluate) {
        const double* x = solver.point();
        double* g = solver.gradient_out();
        CostTerms terms;
        if constexpr (std::is_same_v<T, double>) {
            terms = net.cost_and_grad(x, batch, params, g, ws);
        } else {
            buffers.theta.resize(static_cast<std::size_t>(n));
            buffers.grad.resize(static_cast<std::size_t>(n));
            T* theta = buffers.theta.data();
            T* grad = buffers.grad.data();
            parallel_ranges(n, 2, [&](long long i0, long long i1) {
                for (long long i = i0; i < i1; ++i) theta[i] = static_cast<T>(x[i]);
            });
            terms = net.cost_and_grad(theta, batch, params, grad, ws);
            parallel_ranges(n, 2, [&](long long i0, long long i1) {
                for (long long i = i0; i < i1; ++i) g[i] = static_cast<double>(grad[i]);
            });
        }
        status = solver.tell(terms.total());
        if (status == LbfgsStatus::Evaluate && check_seconds >= 0.0) {
            const auto now = clock::now();
            if (std::chrono::duration<double>(now - last_check).count() >= check_seconds) {
                last_check = now;
                if (!keep_going()) break;
            }
        }
    }
    return status;
}

}  // namespace ufldl
