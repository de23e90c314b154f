// Build and run-time facts (which BLAS, which elementwise instruction set), and whole-array checks.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "ufldl/blas.hpp"
#include "ufldl/checks.hpp"
#include "ufldl/elementwise.hpp"

namespace py = pybind11;

namespace ufldl::bindings {

void register_info(py::module_& m) {
    m.def("elementwise_isa", &ufldl::elementwise_isa,
          "Instruction set of the elementwise kernels in use ('avx512', 'avx2' or 'baseline').");
    m.def("blas_corename", &ufldl::blas::corename, "OpenBLAS's name for the kernels it chose for this CPU.");
    m.def("blas_num_threads", &ufldl::blas::num_threads, "Threads in the OpenBLAS pool the core uses.");
    m.def(
        "all_finite",
        [](const py::array& a) -> py::object {
            // None: not a C-contiguous float32/float64 array in native byte order (the caller checks otherwise).
            if (!(a.flags() & py::array::c_style)) return py::none();
            const index_t n = static_cast<index_t>(a.size());
            bool ok;
            if (has_dtype<double>(a)) {
                const auto* p = static_cast<const double*>(a.data());
                py::gil_scoped_release release;  // reads only; the caller's array is kept alive by this frame
                ok = all_finite(p, n);
            } else if (has_dtype<float>(a)) {
                const auto* p = static_cast<const float*>(a.data());
                py::gil_scoped_release release;
                ok = all_finite(p, n);
            } else {
                return py::none();
            }
            return py::bool_(ok);
        },
        py::arg("a"), "Whether every value of a C-contiguous float array is finite; None for other arrays.");
}

}  // namespace ufldl::bindings
