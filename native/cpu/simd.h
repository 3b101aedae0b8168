// Loops that the compiler vectorises get a clone per instruction set, picked at load time. The
// AVX2 clone is x86-64-v3 (AVX2 with FMA): without FMA the std::fma of fast_math.h is a libm call
// per float and its loops do not vectorise at all (GELU ran 25x slower on an AVX2-only CPU). The
// AVX-512 clone is x86-64-v4, which has FMA and AVX512VL: a bare "avx512f" clone has neither for
// 8-float vectors, so their a * b + c stayed a multiply and an add (attention's products on Zen 4).
#pragma once
#define CORTADO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
// Elementwise work is split over the pool only past this many floats per thread.
#define CORTADO_GRAIN (1L << 15)

#include <immintrin.h>

#include <algorithm>

// The AVX-512 mask of lanes [lo, hi) of a 16-float vector (clamped to it): the tails of masked
// loads and stores.
inline __mmask16 lanes(long lo, long hi) {
    lo = std::max(0L, lo);
    hi = std::min(16L, hi);
    return hi > lo ? static_cast<__mmask16>(((1u << (hi - lo)) - 1) << lo) : static_cast<__mmask16>(0);
}

namespace cortado {

__attribute__((target("avx512f"))) inline __m512 unpack_pairs(__m512 a, __m512 b, bool high) {  // 64-bit interleave
    const __m512d x = _mm512_castps_pd(a), y = _mm512_castps_pd(b);
    return _mm512_castpd_ps(high ? _mm512_unpackhi_pd(x, y) : _mm512_unpacklo_pd(x, y));
}

// out[p] = (r[0][p], ..., r[15][p]) for the 16 vectors r: unpack 32- then 64-bit pairs, then
// gather 128-bit lanes in two rounds. (GCC 12's -Wall may warn -Wmaybe-uninitialized from inside
// its own AVX-512 intrinsics where this is inlined: files that use it turn that warning off.)
__attribute__((target("avx512f"))) inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {  // rows g..g+3: u[g + j] holds their element j of every 4
        u[g] = unpack_pairs(t[g], t[g + 2], false);
        u[g + 1] = unpack_pairs(t[g], t[g + 2], true);
        u[g + 2] = unpack_pairs(t[g + 1], t[g + 3], false);
        u[g + 3] = unpack_pairs(t[g + 1], t[g + 3], true);
    }
    for (int j = 0; j < 4; j++) {
        const __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);
        const __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
        r[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
        r[j + 8] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
        r[j + 4] = _mm512_shuffle_f32x4(v1, w1, 0x88);
        r[j + 12] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
    }
}

// r[p] = (r[0][p], ..., r[7][p]) for the 8 vectors r: unpack 32- then 64-bit pairs, then swap
// 128-bit halves.
__attribute__((target("avx2"))) inline void transpose8(__m256 r[8]) {
    const __m256 a0 = _mm256_unpacklo_ps(r[0], r[1]), a1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 a2 = _mm256_unpacklo_ps(r[2], r[3]), a3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 a4 = _mm256_unpacklo_ps(r[4], r[5]), a5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 a6 = _mm256_unpacklo_ps(r[6], r[7]), a7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xee);
    const __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xee);
    const __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xee);
    const __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xee);
    r[0] = _mm256_permute2f128_ps(b0, b4, 0x20);
    r[1] = _mm256_permute2f128_ps(b1, b5, 0x20);
    r[2] = _mm256_permute2f128_ps(b2, b6, 0x20);
    r[3] = _mm256_permute2f128_ps(b3, b7, 0x20);
    r[4] = _mm256_permute2f128_ps(b0, b4, 0x31);
    r[5] = _mm256_permute2f128_ps(b1, b5, 0x31);
    r[6] = _mm256_permute2f128_ps(b2, b6, 0x31);
    r[7] = _mm256_permute2f128_ps(b3, b7, 0x31);
}

// dst[i * ldd + t] = src[t * lds + i] for i, t < 8: one 8 x 8 block transposed through registers.
__attribute__((target("avx2"))) inline void transpose8_block(const float* src, long lds, float* dst, long ldd) {
    __m256 r[8];
    for (int t = 0; t < 8; t++) r[t] = _mm256_loadu_ps(src + t * lds);
    transpose8(r);
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ldd, r[i]);
}

// The even floats of the 16 in a then b (a0 a2 a4 a6 b0 b2 b4 b6), and the odd ones: a column
// stride of 2 split in registers.
__attribute__((target("avx2"))) inline __m256 evens(__m256 a, __m256 b) {
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));  // a0 a2 b0 b2 | a4 a6 b4 b6
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
}
__attribute__((target("avx2"))) inline __m256 odds(__m256 a, __m256 b) {
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

// A double sum of x[0..n) over 16 interleaved partial sums (vectorisable; one chain of dependent
// adds is 4 cycles a float), added in a fixed order so the bits depend on n only (elementwise.cpp).
double sum_span(const float* x, long n);

}  // namespace cortado
