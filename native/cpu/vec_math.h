// AVX2+FMA (8-lane) pieces for the row and elementwise kernels (softmax, GELU, LayerNorm), written
// with intrinsics: GCC does not vectorise a double sum over floats (the loop-carried add is not
// reassociated), and its vectorisation of fast_math.h's exp_f keeps every special-case blend.
// Callers check cortado_isa() >= 1 first; an AVX-512 machine runs these 8-lane bodies too (one
// code path, the one the suite tests on AVX2 machines).
#pragma once
#include <immintrin.h>

#include <cstring>

#define CORTADO_AVX2 __attribute__((target("avx2,fma"), always_inline)) inline

namespace cortado::avx2 {

CORTADO_AVX2 __m256 splat(float v) { return _mm256_set1_ps(v); }

// e^x lane by lane for x in [-88, 88] (the caller clamps), or NaN for NaN: exp_f's reduction and
// polynomial (its bits there), 2^n applied at once: at the bottom of the range, where exp_f's
// result is subnormal, this gives 0 or a value rounded twice. No subnormal is ever an operand or
// a rounded product on the way (those take microcode assists: softmax's rows of -inf ran 3x slower).
CORTADO_AVX2 __m256 exp8_in_range(__m256 x) {
    const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, splat(1.44269504088896341f), splat(12582912.0f)), splat(12582912.0f));
    __m256 r = _mm256_fmadd_ps(n, splat(-0.693359375f), x);
    r = _mm256_fmadd_ps(n, splat(2.12194440e-4f), r);
    __m256 p = splat(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, splat(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, splat(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, splat(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, splat(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, splat(5.0000001201e-1f));
    const __m256 e = _mm256_add_ps(splat(1.0f), _mm256_fmadd_ps(_mm256_mul_ps(r, r), p, r));
    const __m256i b = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(e, _mm256_castsi256_ps(b));
}

// e^z for z = x - m <= 0 or NaN (a softmax row shifted by its maximum): 0 below -88 (where exp_f
// gives a subnormal or 0: the row's sum is at least 1, so the probability differs by less than
// 2^-126, and no subnormal is computed, which took microcode assists), NaN for NaN.
CORTADO_AVX2 __m256 exp_shifted8(__m256 z) {
    const __m256 low = _mm256_cmp_ps(z, splat(-88.0f), _CMP_LT_OQ);
    return _mm256_andnot_ps(low, exp8_in_range(_mm256_max_ps(splat(-88.0f), z)));
}

// The 8 lanes' largest value, NaN lanes left out (fmax).
CORTADO_AVX2 float max8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    m = _mm_max_ps(_mm_movehl_ps(m, m), m);
    m = _mm_max_ss(_mm_movehdup_ps(m), m);
    return _mm_cvtss_f32(m);
}

// The 4 lanes' sum, (a0 + a2) + (a1 + a3).
CORTADO_AVX2 double sum4(__m256d v) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Adds the 8 floats of v, in double, to the two 4-lane accumulators lo and hi.
CORTADO_AVX2 void add_wide(__m256 v, __m256d& lo, __m256d& hi) {
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// All ones in lanes [0, n) (0 <= n <= 8), zeros above: a row's tail, its missing lanes masked out of sums.
CORTADO_AVX2 __m256 first_lanes(long n) {
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

// The first n (< 8) floats of p, the other lanes `fill`.
CORTADO_AVX2 __m256 load_part(const float* p, long n, float fill) {
    alignas(32) float b[8];
    for (int i = 0; i < 8; i++) b[i] = fill;
    std::memcpy(b, p, static_cast<size_t>(n) * sizeof(float));
    return _mm256_load_ps(b);
}

// Stores the first n (< 8) lanes of v at p.
CORTADO_AVX2 void store_part(float* p, long n, __m256 v) {
    alignas(32) float b[8];
    _mm256_store_ps(b, v);
    std::memcpy(p, b, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace cortado::avx2
