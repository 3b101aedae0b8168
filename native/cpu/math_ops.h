// Scalar float helpers with Java's (and PyTorch's) semantics where C's differ, written without
// branches so that loops over them vectorise.
#pragma once
#include <cstdint>
#include <cstring>

namespace cortado {

inline uint32_t float_bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
}

inline float bits_float(uint32_t u) {
    float x;
    std::memcpy(&x, &u, 4);
    return x;
}

inline uint64_t double_bits(double x) {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return u;
}

inline double bits_double(uint64_t u) {
    double d;
    std::memcpy(&d, &u, 8);
    return d;
}

// Java's Math.max: NaN if either is NaN, and +0 above -0 (C's fmaxf drops a NaN).
inline float java_max(float a, float b) {
    const float m = a > b ? a : b;
    const float z = bits_float(float_bits(a) & float_bits(b));  // equal: +0 if either is +0
    const float r = a == b ? z : m;
    return a != a || b != b ? a + b : r;
}

// Java's Math.min: NaN if either is NaN, and -0 below +0.
inline float java_min(float a, float b) {
    const float m = a < b ? a : b;
    const float z = bits_float(float_bits(a) | float_bits(b));  // equal: -0 if either is -0
    const float r = a == b ? z : m;
    return a != a || b != b ? a + b : r;
}

// The same lane by lane on GCC vectors (the streaming loops of binary and unary; inlined into
// AVX-512 functions only, so the ABI notes on vector returns do not apply).
#pragma GCC diagnostic ignored "-Wpsabi"
// A vector of x in every lane (V{} + x would turn -0 into +0).
template <class V>
__attribute__((always_inline)) inline V splat(float x) {
    V v;
    for (unsigned i = 0; i < sizeof(V) / sizeof(float); i++) v[i] = x;
    return v;
}

template <class V>
__attribute__((always_inline)) inline V java_max(const V& a, const V& b) {
    using Mask = decltype(a != a);
    return ((a != a) | (b != b)) ? a + b : (a == b ? V(Mask(a) & Mask(b)) : (a > b ? a : b));
}

template <class V>
__attribute__((always_inline)) inline V java_min(const V& a, const V& b) {
    using Mask = decltype(a != a);
    return ((a != a) | (b != b)) ? a + b : (a == b ? V(Mask(a) | Mask(b)) : (a < b ? a : b));
}

}  // namespace cortado
