// The L-BFGS state machine as Python holds it (_core.Lbfgs; register_lbfgs.cpp), shared with the networks'
// lbfgs_evaluations (register_network.cpp), which run its evaluations in C++.
#pragma once
#include <pybind11/pybind11.h>

#include <mutex>
#include <stdexcept>

#include "ufldl/lbfgs.hpp"
#include "ufldl/lbfgs_network.hpp"

namespace ufldl::bindings {

struct LbfgsState {
    LbfgsState(index_t n, const LbfgsOptions& options) : solver(n, options) {}
    Lbfgs solver;
    LbfgsNetworkBuffers<float> f32;  // a float32 network's trial point and gradient
    std::mutex busy;                 // one call at a time: the GIL is released while the solver works
};

// Holds state.busy for one call, or refuses a second thread's concurrent call.
class LbfgsUse {
public:
    explicit LbfgsUse(LbfgsState& state) : lock_(state.busy, std::try_to_lock) {
        if (!lock_.owns_lock())
            throw pybind11::value_error("this Lbfgs is in use by another thread (one call at a time)");
    }

private:
    std::unique_lock<std::mutex> lock_;
};

}  // namespace ufldl::bindings
