#include "ufldl/checks.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ufldl/parallel.hpp"

namespace ufldl {

template <class T>
bool all_finite(const T* values, index_t n) {
    // A value is inf or NaN exactly when its exponent bits are all ones. Testing the bits is an integer OR
    // reduction (one cycle of latency per step, so it vectorises to memory speed, where a floating-point sum
    // would wait on the adder's latency). No "omp simd" here: GCC then declines the loop, which it vectorises
    // by itself.
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
    const CoreCall call;
    std::atomic<bool> bad{false};
    parallel_ranges(n, 1, [&](index_t i0, index_t i1) {
        Bits found = 0;
        for (index_t i = i0; i < i1; ++i) {
            Bits b;
            std::memcpy(&b, values + i, sizeof b);
            found |= static_cast<Bits>((b & exponent) == exponent);
        }
        if (found) bad.store(true, std::memory_order_relaxed);
    });
    return !bad.load();
}

template bool all_finite<float>(const float*, index_t);
template bool all_finite<double>(const double*, index_t);

}  // namespace ufldl
