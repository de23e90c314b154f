// Chooses, once, the elementwise kernels for the CPU we run on: AVX-512 (F, DQ, VL) where present, else AVX2 + FMA,
// else the portable baseline.
#include "ufldl/elementwise.hpp"

#include <cstdlib>
#include <cstring>

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
namespace avx512 {
template <class T>
ElementwiseKernels<T> kernels();
}
#endif

namespace {
bool cpu_has_avx512() {
#if UFLDL_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool cpu_has_avx2() {
#if UFLDL_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// The instruction set to use: the widest the CPU has, or a narrower one named by the environment variable
// UFLDL_ELEMENTWISE_ISA ("baseline", "avx2"; the tests use it to check every variant on one machine).
// A name the CPU cannot run, or an unknown one, is ignored.
const char* chosen_isa() {
    static const char* isa = [] {
        const char* best = cpu_has_avx512() ? "avx512" : cpu_has_avx2() ? "avx2" : "baseline";
        const char* asked = std::getenv("UFLDL_ELEMENTWISE_ISA");
        if (!asked) return best;
        if (std::strcmp(asked, "baseline") == 0) return "baseline";
        if (std::strcmp(asked, "avx2") == 0 && cpu_has_avx2()) return "avx2";
        if (std::strcmp(asked, "avx512") == 0 && cpu_has_avx512()) return "avx512";
        return best;
    }();
    return isa;
}

template <class T>
ElementwiseKernels<T> choose() {
#if UFLDL_HAVE_AVX2
    if (std::strcmp(chosen_isa(), "avx512") == 0) return avx512::kernels<T>();
    if (std::strcmp(chosen_isa(), "avx2") == 0) return avx2::kernels<T>();
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

const char* elementwise_isa() { return chosen_isa(); }

}  // namespace ufldl
