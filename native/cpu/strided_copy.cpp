// copy_strided: the one copy that permute, narrow, expand, concat and contiguous lower to.
//
// The axes are put in the order dst steps through them (largest stride first; a copy may visit
// its elements in any order) and merged where both sides allow, so that the innermost axis is the
// one dst writes in place. Then, by the strides of that axis:
//   src 1, dst 1       runs of contiguous floats (memcpy);
//   src 0, dst 1       runs of one repeated float (an expand);
//   dst 1, and src steps by 1 along another axis (a permute): 16 x 16 tiles of those two axes,
//                      transposed in AVX-512 registers, so that reads and writes both go by
//                      whole cache lines; a strip of tiles reads 16 rows of src from start to
//                      end (16 sequential streams) and writes one line to each of as many rows
//                      of dst;
//   anything else      one element at a time.
// Threads split the elements (or the tile strips) into contiguous ranges. A dst too large to stay
// cached is written with streaming stores (stream.h), the permute's lines included: with regular
// stores its scattered lines ran at a quarter of a copy's speed, streamed at 0.9 of it.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cortado_cpu.h"
#include "math_ops.h"
#include "simd.h"
#include "stream.h"
#include "strided.h"
#include "thread_pool.h"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 -Wall: inside its own AVX-512 intrinsics (transpose16)

namespace {

using Space = cortado::Space<2>;  // operand 0: src, 1: dst
constexpr int kSrc = 0, kDst = 1;
constexpr int kTile = 16;

CORTADO_CLONES void fill_run(float v, float* __restrict d, long n) {
    for (long i = 0; i < n; i++) d[i] = v;
}

CORTADO_CLONES void strided_run(const float* __restrict s, long ss, float* __restrict d, long ds, long n) {
    for (long i = 0; i < n; i++) d[i * ds] = s[i * ss];
}

__attribute__((target("avx512f"))) void stream_copy(const float* s, float* d, long n) {
    cortado::stream_run(d, n, [&](long i) __attribute__((always_inline)) { return s[i]; },
                        [&](long i) __attribute__((always_inline)) { return cortado::load16(s + i); });
}

__attribute__((target("avx512f"))) void stream_fill(float v, float* d, long n) {
    const cortado::v16 v16 = cortado::splat<cortado::v16>(v);
    cortado::stream_run(d, n, [&](long) __attribute__((always_inline)) { return v; },
                        [&](long) __attribute__((always_inline)) { return v16; });
}

// Elements [e0, e1) of the space (row-major over its axes), along its innermost axis in runs.
void copy_range(const Space& sp, const float* src, float* dst, long e0, long e1, bool stream) {
    const int r = sp.rank;
    const long n = sp.shape[r - 1], ss = sp.stride[kSrc][r - 1], ds = sp.stride[kDst][r - 1];
    cortado::Walker<2> w(sp, r - 1, e0 / n);
    for (long e = e0, i = e0 % n; e < e1; w.next(), i = 0) {
        const long len = std::min(n - i, e1 - e);
        const float* s = src + w.off[kSrc] + i * ss;
        float* d = dst + w.off[kDst] + i * ds;
        if (ss == 1 && ds == 1) {
            if (stream) stream_copy(s, d, len);
            else std::memcpy(d, s, sizeof(float) * len);
        } else if (ss == 0 && ds == 1) {
            if (stream) stream_fill(*s, d, len);
            else fill_run(*s, d, len);
        } else {
            strided_run(s, ss, d, ds, len);
        }
        e += len;
    }
    if (stream) cortado::stream_fence();
}

// dst[a * dld + b] = src[a + b * sld] for a < na, b < nb <= 16: a strip of 16 x 16 tiles along a,
// reading nb rows of src in order. Stream: whole lines of dst (nb = 16, dst rows 64-byte aligned)
// go by streaming stores. Prefetch (large copies): each tile also prefetches the lines of the
// next 16 rows of src that the next strip will read (with it the permute0231 benchmark went from
// 0.64 to 0.70 of a copy's speed).
__attribute__((target("avx512f"))) void transpose_strip_avx512(const float* src, long sld, float* dst, long dld, long na,
                                                                int nb, bool stream, bool prefetch) {
    const __mmask16 bm = lanes(0, nb);
    for (long a0 = 0; a0 < na; a0 += kTile) {
        const int an = static_cast<int>(std::min<long>(kTile, na - a0));
        const __mmask16 am = lanes(0, an);
        __m512 r[kTile];
        for (int t = 0; t < kTile; t++) r[t] = t < nb ? _mm512_maskz_loadu_ps(am, src + a0 + t * sld) : _mm512_setzero_ps();
        if (prefetch)
            for (int t = 0; t < kTile; t++) _mm_prefetch(reinterpret_cast<const char*>(src + a0 + (t + kTile) * sld), _MM_HINT_T0);
        cortado::transpose16(r);
        if (stream)
            for (int u = 0; u < an; u++) _mm512_stream_ps(dst + (a0 + u) * dld, r[u]);
        else
            for (int u = 0; u < an; u++) _mm512_mask_storeu_ps(dst + (a0 + u) * dld, bm, r[u]);
    }
}

// Two whole strips at once (32 rows of src, dst rows 64-byte aligned, streamed): each dst row
// gets two adjacent lines, stored back to back, and the next 32 rows of src are prefetched.
// Measured on [64, 512, 28, 28] -> (0, 2, 3, 1), 2 threads, against a contiguous copy of it:
// one strip at a time 0.64 of the copy's speed, with prefetch 0.70, two strips 0.86 (storing
// the two tiles one after the other instead, 0.69; four strips, 0.65).
__attribute__((target("avx512f"))) void transpose_strip2_avx512(const float* src, long sld, float* dst, long dld, long na) {
    for (long a0 = 0; a0 < na; a0 += kTile) {
        const int an = static_cast<int>(std::min<long>(kTile, na - a0));
        const __mmask16 am = lanes(0, an);
        __m512 r[kTile], q[kTile];
        for (int t = 0; t < kTile; t++) r[t] = _mm512_maskz_loadu_ps(am, src + a0 + t * sld);
        for (int t = 0; t < kTile; t++) q[t] = _mm512_maskz_loadu_ps(am, src + a0 + (t + kTile) * sld);
        for (int t = 0; t < 2 * kTile; t++)
            _mm_prefetch(reinterpret_cast<const char*>(src + a0 + (t + 2 * kTile) * sld), _MM_HINT_T0);
        cortado::transpose16(r);
        cortado::transpose16(q);
        for (int u = 0; u < an; u++) {
            _mm512_stream_ps(dst + (a0 + u) * dld, r[u]);
            _mm512_stream_ps(dst + (a0 + u) * dld + kTile, q[u]);
        }
    }
}

void transpose_strip_portable(const float* src, long sld, float* dst, long dld, long na, int nb) {
    for (long a0 = 0; a0 < na; a0 += kTile) {
        const long a1 = std::min<long>(na, a0 + kTile);
        for (long a = a0; a < a1; a++)
            for (int b = 0; b < nb; b++) dst[a * dld + b] = src[a + b * sld];
    }
}

// Strips [q0, q1) of a space whose last two axes are transposed: axis r-2 (a) has src stride 1,
// axis r-1 (b) dst stride 1; a strip is all of a times up to 16 values of b. Strip 0 of each
// outer index covers the values of b before dst's first 64-byte boundary (when dst's rows are
// all aligned alike: dld a multiple of 16), the others start on one, so that their lines can be
// streamed (allocators give 16-byte alignment: a tensor's first line is rarely whole).
void transpose_range(const Space& sp, const float* src, float* dst, long q0, long q1, bool avx512, bool stream) {
    const int r = sp.rank;
    const long na = sp.shape[r - 2], nb = sp.shape[r - 1];
    const long sld = sp.stride[kSrc][r - 1], dld = sp.stride[kDst][r - 2];
    const long strips = (nb + kTile - 1) / kTile + 1;
    const bool rows_alike = dld % kTile == 0;
    cortado::Walker<2> w(sp, r - 2, q0 / strips);
    for (long q = q0, s = q0 % strips; q < q1; w.next(), s = 0) {
        const float* from = src + w.off[kSrc];
        float* to = dst + w.off[kDst];
        const long head = rows_alike ? std::min<long>(nb, (64 - reinterpret_cast<uintptr_t>(to) % 64) % 64 / sizeof(float)) : 0;
        for (; s < strips && q < q1; s++, q++) {
            const long b0 = s == 0 ? 0 : head + (s - 1) * kTile, b1 = s == 0 ? head : std::min<long>(nb, b0 + kTile);
            if (b1 <= b0) continue;
            const int b = static_cast<int>(b1 - b0);
            const bool whole = avx512 && stream && s > 0 && b == kTile && rows_alike && cortado::aligned64(to + b0);
            if (whole && q + 1 < q1 && s + 1 < strips && b0 + 2 * kTile <= nb) {  // this strip and the next, both whole
                transpose_strip2_avx512(from + b0 * sld, sld, to + b0, dld, na);
                s++, q++;
            } else if (avx512) {
                transpose_strip_avx512(from + b0 * sld, sld, to + b0, dld, na, b, whole, stream);
            } else {
                transpose_strip_portable(from + b0 * sld, sld, to + b0, dld, na, b);
            }
        }
    }
    if (stream) cortado::stream_fence();
}

}  // namespace

CORTADO_KERNEL(copy_strided) {
    Space sp = cortado::copy_space(rank, shape, src_strides, dst_strides);  // kSrc, kDst
    const long total = sp.simplify();
    if (total == 0) return CORTADO_STATUS_OK;
    const int r = sp.rank;

    // A permute: dst steps by 1 along the last axis, src by 1 along another (the one src steps
    // through fastest), both long enough to fill tiles. That axis goes next to last.
    if (r >= 2 && sp.stride[kDst][r - 1] == 1 && sp.stride[kSrc][r - 1] > 1 && sp.shape[r - 1] >= 8) {
        int j = -1;
        for (int d = 0; d < r - 1; d++)
            if (sp.stride[kSrc][d] == 1 && sp.shape[d] >= 8) j = d;
        if (j >= 0) {
            sp.move_axis(j, r - 2);
            const long strips = sp.count(r - 2) * ((sp.shape[r - 1] + kTile - 1) / kTile + 1);  // (see transpose_range)
            const long per_strip = kTile * sp.shape[r - 2];
            const bool avx512 = cortado_isa() >= 2, stream = cortado::streams(total * static_cast<long>(sizeof(float)));
            cortado::parallel_range(strips, std::max(1L, CORTADO_GRAIN / per_strip),
                                    [&](long q0, long q1) { transpose_range(sp, src, dst, q0, q1, avx512, stream); });
            return CORTADO_STATUS_OK;
        }
    }
    const bool stream = cortado::streams(total * static_cast<long>(sizeof(float)));
    cortado::parallel_range(total, CORTADO_GRAIN, [&](long e0, long e1) { copy_range(sp, src, dst, e0, e1, stream); });
    return CORTADO_STATUS_OK;
}
