// The compiled core of ufldl. This file only registers one area per call; see register_*.cpp.
#include <pybind11/pybind11.h>

#include "ufldl/parallel.hpp"

namespace py = pybind11;

namespace ufldl::bindings {
void register_info(py::module_& m);
void register_lbfgs(py::module_& m);
void register_network(py::module_& m);
void register_optim(py::module_& m);
}  // namespace ufldl::bindings

PYBIND11_MODULE(_core, m) {
    m.doc() = "ufldl's compiled kernels (use the ufldl package, not this module directly).";
    // Before any product: OpenBLAS's jobs and the elementwise passes share one pool.
    ufldl::install_blas_callback();
    ufldl::bindings::register_info(m);
    // Optim first: the networks' minibatch_epoch takes its UpdateParams (registered types name the signatures).
    ufldl::bindings::register_optim(m);
    // L-BFGS before the networks too: their lbfgs_evaluations takes an Lbfgs.
    ufldl::bindings::register_lbfgs(m);
    ufldl::bindings::register_network(m);
}
