// Build and run-time facts: which BLAS and which elementwise instruction set are in use.
#include <pybind11/pybind11.h>

#include "ufldl/blas.hpp"
#include "ufldl/elementwise.hpp"

namespace py = pybind11;

namespace ufldl::bindings {

void register_info(py::module_& m) {
    m.def("elementwise_isa", &ufldl::elementwise_isa,
          "Instruction set of the elementwise kernels in use ('avx512', 'avx2' or 'baseline').");
    m.def("blas_corename", &ufldl::blas::corename, "OpenBLAS's name for the kernels it chose for this CPU.");
    m.def("blas_num_threads", &ufldl::blas::num_threads, "Threads in the OpenBLAS pool the core uses.");
}

}  // namespace ufldl::bindings
