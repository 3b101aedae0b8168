// e^x and ln x for the unary kernels and LOGSUMEXP, written without branches or calls so that the
// loops around them vectorise (libm's expf/logf are one call per float: 20-50x slower than
// memory). Every comparison and every arithmetic operation is evaluated unconditionally and only
// values are selected, and files that use these compile with
// #pragma GCC optimize("no-trapping-math"): under trapping math (GCC's default) a select between
// doubles, or an operation only one side of a condition needs, is not if-converted, and the loop
// is then not vectorised. (No value changes: only floating-point exception flags, which nothing
// here reads.) Their FMAs are written out (std::fma) so that every code path of a loop (the
// vectorised body and its epilogues) computes the same: the files also turn contraction off. Cephes' polynomials (about 1 ulp in float), with the special cases the java reference
// gets from Math.exp/Math.log in double: NaN stays NaN, e^x is +inf past double's range and 0
// below it (never a subnormal stand-in), ln of a negative is NaN, ln 0 is -inf.
#pragma once
#include <cmath>
#include <cstdint>

#include "math_ops.h"

namespace cortado {

// e^r for |r| <= ln2 / 2, minus 1: r + r^2 P(r).
inline float expm1_reduced(float r) {
    float p = 1.9875691500e-4f;
    p = std::fma(p, r, 1.3981999507e-3f);
    p = std::fma(p, r, 8.3334519073e-3f);
    p = std::fma(p, r, 4.1665795894e-2f);
    p = std::fma(p, r, 1.6666665459e-1f);
    p = std::fma(p, r, 5.0000001201e-1f);
    return std::fma(r * r, p, r);
}

// e^x in double for a float x (a float's e^x can exceed float's range while dy·e^x does not):
// x = n ln2 + r, e^x = 2 (1 + expm1(r)) 2^(n-1). NaN for NaN, +inf from 709.78 on (where double
// overflows), 0 below -745.13 (where it underflows); between -745.13 and -700 a positive number
// of about e^-700 (a float times it is 0 for any finite float, as it is with the exact value).
inline double exp_d(float x) {
    const bool below = x < -700.0f, above = x > 709.78f, overflow = x >= 709.78271484375f, underflow = x < -745.1332f;
    float xc = below ? -700.0f : x;  // (NaN passes, replaced below)
    xc = above ? 709.78f : xc;
    const float n = std::fma(xc, 1.44269504088896341f, 12582912.0f) - 12582912.0f;  // round to nearest
    float r = std::fma(n, -0.693359375f, xc);  // n ln2 in two parts (Cody and Waite)
    r = std::fma(n, 2.12194440e-4f, r);
    const int64_t ni = static_cast<int64_t>(static_cast<int32_t>(n));
    const double scale = bits_double(static_cast<uint64_t>(ni - 1 + 1023) << 52);  // 2^(n-1)
    double e = 2.0 * (1.0 + static_cast<double>(expm1_reduced(r))) * scale;
    e = overflow ? __builtin_inf() : e;
    e = underflow ? 0.0 : e;
    return x != x ? static_cast<double>(x) : e;
}

// e^x for a float x, in float: the same reduction, 2^n applied as two halves (so that subnormal
// results round once, at the end). +inf above ln FLT_MAX, 0 below ln 2^-150, NaN for NaN. Only
// 32-bit lanes: GCC vectorises it next to log_f, which it does not do with exp_d's 64-bit ones.
inline float exp_f(float x) {
    const bool overflow = x > 88.72283935546875f, underflow = x < -103.972084f;
    const bool below = x < -104.0f, above = x > 88.75f;
    float xc = below ? -104.0f : x;  // (NaN passes, replaced below)
    xc = above ? 88.75f : xc;
    const float n = std::fma(xc, 1.44269504088896341f, 12582912.0f) - 12582912.0f;
    float r = std::fma(n, -0.693359375f, xc);
    r = std::fma(n, 2.12194440e-4f, r);
    const int32_t ni = static_cast<int32_t>(n), n1 = ni >> 1, n2 = ni - n1;
    const uint32_t b1 = static_cast<uint32_t>(n1 + 127) << 23, b2 = static_cast<uint32_t>(n2 + 127) << 23;
    float e = (1.0f + expm1_reduced(r)) * bits_float(b1) * bits_float(b2);
    e = overflow ? __builtin_inff() : e;
    e = underflow ? 0.0f : e;
    return x != x ? x : e;
}

// 2^k for an integral double k in [-1022, 1023], from its bits: k + 1.5·2^52 holds k in its low
// bits, so no double-to-int64 conversion (which AVX2 lacks) is needed and the loop vectorises.
inline double pow2_integral(double k) {
    const uint64_t b = double_bits(k + 6755399441055744.0) - 0x4338000000000000ULL;  // k, two's complement
    return bits_double((b + 1023) << 52);
}

// e^x for a double x, about 1 ulp (the softmax family, whose reference computes e^x in double):
// x = n ln2 + r with |r| <= ln2/2 (ln2 in two parts, fdlibm's), e^r by its Taylor series to
// degree 13 (truncation error below 2^-57 relative), 2^n applied as two halves so that a
// subnormal result rounds once. +inf from 709.79 on, 0 below -745.14, NaN for NaN.
inline double exp_dd(double x) {
    const bool overflow = x > 709.782712893384, underflow = x < -745.1332191019412;
    double xc = x < -746.0 ? -746.0 : x;  // (NaN passes, replaced below)
    xc = x > 710.0 ? 710.0 : xc;
    const double n = std::fma(xc, 1.4426950408889634, 6755399441055744.0) - 6755399441055744.0;  // round to nearest
    double r = std::fma(n, -6.93147180369123816490e-01, xc);
    r = std::fma(n, -1.90821492927058770002e-10, r);
    double p = 1.0 / 6227020800.0;  // 1/13!
    p = std::fma(p, r, 1.0 / 479001600.0);
    p = std::fma(p, r, 1.0 / 39916800.0);
    p = std::fma(p, r, 1.0 / 3628800.0);
    p = std::fma(p, r, 1.0 / 362880.0);
    p = std::fma(p, r, 1.0 / 40320.0);
    p = std::fma(p, r, 1.0 / 5040.0);
    p = std::fma(p, r, 1.0 / 720.0);
    p = std::fma(p, r, 1.0 / 120.0);
    p = std::fma(p, r, 1.0 / 24.0);
    p = std::fma(p, r, 1.0 / 6.0);
    p = std::fma(p, r, 0.5);
    p = std::fma(p, r, 1.0);
    p = std::fma(p, r, 1.0);
    const double h = std::floor(n * 0.5);
    double e = p * pow2_integral(h) * pow2_integral(n - h);
    e = overflow ? __builtin_inf() : e;
    e = underflow ? 0.0 : e;
    return x != x ? x : e;
}

// e^x - 1 for x <= 0, accurate near 0 (no cancellation): the reduced polynomial there, e^x - 1
// in double elsewhere.
inline double expm1_nonpositive(float x) {
    const double reduced = expm1_reduced(x), whole = exp_d(x) - 1.0;
    const bool zero = x == 0.0f, near = x > -0.34657359f;
    const double small = zero ? static_cast<double>(x) : reduced;  // (keeps -0)
    return near ? small : whole;
}

// ln x for a float x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m by Cephes' logf polynomial in
// m - 1. Subnormals are scaled up first; NaN below 0 (and for NaN), -inf at 0, +inf at +inf.
inline float log_f(float x) {
    const bool sub = x < 1.17549435e-38f;
    const float xs = sub ? x * 8388608.0f : x;  // 2^23
    const uint32_t u = float_bits(xs);
    int32_t e = static_cast<int32_t>((u >> 23) & 0xff) - 126;  // xs = m 2^e, m in [0.5, 1)
    const uint32_t mu = (u & 0x007fffffu) | 0x3f000000u;
    const float m = bits_float(mu);
    const bool low = m < 0.707106781186547524f;
    e = low ? e - 1 : e;
    const float f = low ? m + m - 1.0f : m - 1.0f;
    const float z = f * f;
    float p = 7.0376836292e-2f;
    p = std::fma(p, f, -1.1514610310e-1f);
    p = std::fma(p, f, 1.1676998740e-1f);
    p = std::fma(p, f, -1.2420140846e-1f);
    p = std::fma(p, f, 1.4249322787e-1f);
    p = std::fma(p, f, -1.6668057665e-1f);
    p = std::fma(p, f, 2.0000714765e-1f);
    p = std::fma(p, f, -2.4999993993e-1f);
    p = std::fma(p, f, 3.3333331174e-1f);
    const float fe = static_cast<float>(e - (sub ? 23 : 0));
    float y = f * z * p;
    y = std::fma(fe, -2.12194440e-4f, y);
    y = std::fma(-0.5f, z, y);
    float r = std::fma(fe, 0.693359375f, f + y);
    const bool inf = x == __builtin_inff(), zero = x == 0.0f, nan = !(x >= 0.0f);  // (below 0, or NaN)
    r = inf ? x : r;
    r = zero ? -__builtin_inff() : r;
    return nan ? __builtin_nanf("") : r;
}

// ln(1 + u) for u >= 0, accurate for small u: ln w - ((w - 1) - u) / w with w = 1 + u rounded.
inline float log1p_nonnegative(float u) {
    const float w = 1.0f + u;
    const float d = w - 1.0f;
    const float v = log_f(w) - (d - u) / w;
    return d == 0.0f ? u : v;
}

}  // namespace cortado
