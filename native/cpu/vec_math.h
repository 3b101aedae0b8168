// AVX2+FMA (8-lane) pieces for the row and elementwise kernels (softmax, GELU, LayerNorm), written
// with intrinsics: GCC does not vectorise a double sum over floats (the loop-carried add is not
// reassociated), and its vectorisation of fast_math.h's exp_f keeps every special-case blend.
// Callers check cortado_isa() >= 1 first; an AVX-512 machine runs these 8-lane bodies too (one
// code path, the one the suite tests on AVX2 machines).
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cmath>
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

// Softmax over R rows at once, their steps interleaved (one row's chain of reductions, its
// exponentials, sum and logarithm leaves the core idle: a short row is latency, not throughput).
// Row r: n[r] floats at in + r·ldi, scaled by `scale`; out + r·ldo (may be in) gets e^(s - m) / Σ,
// s = scale·x, m the row's maximum with NaN left out (a NaN reaches the row through its e^x),
// e^(s - m) 0 below -88, the sum in double over 8 lanes (so a row's bits do not depend on R);
// lse[r], when lse is not null, = m + log Σ (-inf for an empty row). Padded: the rows' whole
// vectors may be read and written (lanes past n[r] are written 0); otherwise a row's last, partial
// vector is read and written lane by lane.
template <int R, bool Padded>
CORTADO_AVX2 void softmax_rows(const float* in, long ldi, float* out, long ldo, const int (&n)[R], float scale, float* lse) {
    int n_max = 0;
    for (int r = 0; r < R; r++) n_max = std::max(n_max, n[r]);
    const __m256 s = splat(scale), minus_inf = splat(-INFINITY);
    auto scaled = [&](int r, int j) __attribute__((always_inline)) {  // scale·x of row r's vector j, -inf past its end
        const float* p = in + r * ldi + j;
        if (j + 8 <= n[r]) return _mm256_mul_ps(s, _mm256_loadu_ps(p));
        if (Padded) return _mm256_blendv_ps(minus_inf, _mm256_mul_ps(s, _mm256_loadu_ps(p)), first_lanes(n[r] - j));
        return _mm256_mul_ps(s, load_part(p, n[r] - j, -INFINITY));
    };
    auto store = [&](int r, int j, __m256 v) __attribute__((always_inline)) {
        if (Padded || j + 8 <= n[r]) _mm256_storeu_ps(out + r * ldo + j, v);
        else store_part(out + r * ldo + j, n[r] - j, v);
    };
    __m256 m8[R];
    for (int r = 0; r < R; r++) m8[r] = minus_inf;
    for (int j = 0; j < n_max; j += 8)
        for (int r = 0; r < R; r++)
            if (j < n[r]) m8[r] = _mm256_max_ps(scaled(r, j), m8[r]);  // (a NaN lane keeps m8's)
    float mf[R];
    __m256 m[R];
    __m256d lo[R], hi[R];
    for (int r = 0; r < R; r++) {
        m[r] = splat(mf[r] = max8(m8[r]));
        lo[r] = hi[r] = _mm256_setzero_pd();
    }
    for (int j = 0; j < n_max; j += 8)
        for (int r = 0; r < R; r++)
            if (j < n[r]) {
                __m256 ej = exp_shifted8(_mm256_sub_ps(scaled(r, j), m[r]));
                if (j + 8 > n[r]) ej = _mm256_and_ps(first_lanes(n[r] - j), ej);
                store(r, j, ej);
                add_wide(ej, lo[r], hi[r]);
            }
    __m256 by[R];
    for (int r = 0; r < R; r++) {
        const double sum = sum4(_mm256_add_pd(lo[r], hi[r]));
        by[r] = splat(static_cast<float>(1.0 / sum));
        if (lse) lse[r] = n[r] == 0 ? -INFINITY : static_cast<float>(static_cast<double>(mf[r]) + std::log(sum));
    }
    for (int j = 0; j < n_max; j += 8)
        for (int r = 0; r < R; r++) {
            if (j >= n[r]) continue;
            float* p = out + r * ldo + j;
            store(r, j, _mm256_mul_ps(Padded || j + 8 <= n[r] ? _mm256_loadu_ps(p) : load_part(p, n[r] - j, 0.0f), by[r]));
        }
}

}  // namespace cortado::avx2
