// exp(x) for x <= 0, written so that the compiler vectorises loops that call it (no branches, no libm call).
// Only non-positive arguments are ever needed: sigmoid uses exp(-|z|), softmax exp(z - max), tanh exp(-2|z|),
// so overflow cannot happen. Accuracy: about 1 ulp (degree-13 Taylor polynomial on |r| <= ln2/2 for double,
// degree 7 for float). Results that would be subnormal are returned as 0; NaN propagates.
#pragma once
#include <cstdint>
#include <cstring>

namespace ufldl::detail {
// Internal linkage: each instruction-set build keeps its own copy (no ODR merge across ISA files).
namespace {

inline double exp_nonpos(double x) {
    constexpr double lowest = -708.0;  // exp(-708) ~ 3.3e-308, still a normal double
    constexpr double log2e = 1.4426950408889634;
    constexpr double shifter = 0x1.8p52;  // adding it rounds to an integer kept in the low mantissa bits
    constexpr double ln2_hi = 6.93147180369123816490e-01;  // fdlibm's split of ln 2: n * ln2_hi is exact
    constexpr double ln2_lo = 1.90821492927058770002e-10;
    const double xc = x < lowest ? lowest : x;  // NaN compares false and passes through
    const double t = xc * log2e + shifter;
    const double n = t - shifter;
    const double r = (xc - n * ln2_hi) - n * ln2_lo;
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    std::uint64_t bits;
    std::memcpy(&bits, &t, sizeof bits);
    bits = (bits + 1023u) << 52;  // the low bits of t hold n; this builds the double 2^n
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    const double y = p * scale;
    return x < lowest ? 0.0 : y;
}

inline float exp_nonpos(float x) {
    constexpr float lowest = -87.0f;  // exp(-87) ~ 1.6e-38, still a normal float
    constexpr float log2e = 1.44269504088896341f;
    constexpr float shifter = 0x1.8p23f;
    constexpr float ln2_hi = 0.693359375f;  // Cephes' split of ln 2
    constexpr float ln2_lo = -2.12194440e-4f;
    const float xc = x < lowest ? lowest : x;
    const float t = xc * log2e + shifter;
    const float n = t - shifter;
    const float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    std::uint32_t bits;
    std::memcpy(&bits, &t, sizeof bits);
    bits = (bits + 127u) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    const float y = p * scale;
    return x < lowest ? 0.0f : y;
}

}  // namespace
}  // namespace ufldl::detail
