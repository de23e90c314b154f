// The elementwise kernels for any x86-64 (or other) CPU: compiled with the portable baseline flags.
#define UFLDL_ISA baseline
#include "elementwise_impl.hpp"

namespace ufldl::baseline {
template ElementwiseKernels<float> kernels<float>();
template ElementwiseKernels<double> kernels<double>();
}  // namespace ufldl::baseline
