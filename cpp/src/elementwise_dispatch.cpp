// Chooses, once, the elementwise kernels for the CPU we run on: AVX2+FMA where present, else the baseline.
#include "ufldl/elementwise.hpp"

namespace ufldl {
namespace baseline {
template <class T>
ElementwiseKernels<T> kernels();
}
#if UFLDL_HAVE_AVX2
namespace avx2 {
template <class T>
ElementwiseKernels<T> kernels();
}
#endif

namespace {
bool cpu_has_avx2() {
#if UFLDL_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

template <class T>
ElementwiseKernels<T> choose() {
#if UFLDL_HAVE_AVX2
    if (cpu_has_avx2()) return avx2::kernels<T>();
#endif
    return baseline::kernels<T>();
}
}  // namespace

template <class T>
const ElementwiseKernels<T>& elementwise() {
    static const ElementwiseKernels<T> chosen = choose<T>();  // thread-safe initialisation (C++11)
    return chosen;
}

template const ElementwiseKernels<float>& elementwise<float>();
template const ElementwiseKernels<double>& elementwise<double>();

const char* elementwise_isa() { return cpu_has_avx2() ? "avx2" : "baseline"; }

}  // namespace ufldl
