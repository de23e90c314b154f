// The elementwise kernels compiled for AVX2 + FMA (CMakeLists.txt adds -mavx2 -mfma to this file only).
// Called only after the dispatcher has checked that the CPU has both.
#define UFLDL_ISA avx2
#include "elementwise_impl.hpp"

namespace ufldl::avx2 {
template ElementwiseKernels<float> kernels<float>();
template ElementwiseKernels<double> kernels<double>();
}  // namespace ufldl::avx2
