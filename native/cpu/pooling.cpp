// Max and average pooling over `channels` planes; windows clipped to the input (padding is
// never a max candidate; it counts as zeros in the average, divisor kh * kw).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"
#include "window.h"

using cortado::Window;

namespace {

// Calls body(output index, input index of the window's first maximum) for every output of a
// plane; the first NaN of a window wins. The hot loop only compares; a window that holds a NaN
// is rescanned for it (rare), which keeps the common case fast.
template <class F>
inline void each_window_max(const Window& w, const float* plane, F body) {
    const int oh = w.out_h(), ow = w.out_w();
    for (int oy = 0; oy < oh; oy++) {
        int y0, y1, xa, xb;
        w.bounds(oy, 0, y0, y1, xa, xb);
        for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * w.sw - w.pw;
            const int x1 = std::min(x0 + w.kw, w.width);
            x0 = std::max(x0, 0);
            long best = static_cast<long>(y0) * w.width + x0;
            float m = plane[best];
            bool nan = false;
            if (y1 - y0 == 2 && x1 - x0 == 2) {  // the common 2x2 window, unrolled
                const float* r = plane + best;
                const float v1 = r[1], v2 = r[w.width], v3 = r[w.width + 1];
                nan = (m != m) | (v1 != v1) | (v2 != v2) | (v3 != v3);
                // selects, not branches: on real data the comparisons are unpredictable
                bool c = v1 > m;
                long at = c ? 1 : 0;
                m = c ? v1 : m;
                c = v2 > m;
                at = c ? w.width : at;
                m = c ? v2 : m;
                c = v3 > m;
                at = c ? w.width + 1 : at;
                best += at;
            } else for (int y = y0; y < y1; y++) {
                const float* row = plane + static_cast<long>(y) * w.width;
                for (int x = x0; x < x1; x++) {
                    const float v = row[x];
                    if (v > m) {
                        m = v;
                        best = static_cast<long>(y) * w.width + x;
                    }
                    nan |= v != v;
                }
            }
            if (nan) {
                for (int y = y1 - 1; y >= y0; y--)
                    for (int x = x1 - 1; x >= x0; x--)
                        if (std::isnan(plane[static_cast<long>(y) * w.width + x])) best = static_cast<long>(y) * w.width + x;
            }
            body(oy * ow + ox, best);
        }
    }
}

template <class F>
void for_planes(const Window& w, F body) {
    cortado::parallel_range(w.channels, 1, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) body(p);
    });
}

}  // namespace

// max that lets NaN through (a NaN anywhere in the window makes the output NaN, as in the reference)
inline float nanmax(float m, float v) { return (v > m) | (v != v) ? v : m; }

// nanmax 8 lanes at a time: a NaN wins in any lane (max_ps gives v if either is NaN).
__attribute__((target("avx2,fma"), always_inline)) inline __m256 nanmax8(__m256 m, __m256 v) {
    return _mm256_blendv_ps(_mm256_max_ps(m, v), m, _mm256_cmp_ps(m, m, _CMP_UNORD_Q));
}

// h[i] = nanmax(s[2i], s[2i + 1], s[2i + 2]) for i < n, 8 at a time with the even and odd floats
// split in registers (the compiler's loop for a column stride of 2 gathers them one by one). The
// third tap is the first shifted down a lane, s[2i + 16] put in last. A row of n >= 8 ends with one
// more vector over its last 8 outputs (recomputing some): the scalar tail, its comparisons
// unpredictable, took 40 % of the time for 55 outputs (ResNet's 3x3/2 max pooling: 0.28 -> 0.12 ms).
__attribute__((target("avx2,fma"), always_inline)) inline void max3_stride2_eight(const float* s, int i, float* h) {
    const __m256i next = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    const float* p = s + 2 * i;
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m256 even = cortado::evens(a, b), odd = cortado::odds(a, b);
    const __m256 third = _mm256_blend_ps(_mm256_permutevar8x32_ps(even, next), _mm256_broadcast_ss(p + 16), 0x80);
    _mm256_storeu_ps(h + i, nanmax8(nanmax8(even, odd), third));
}

__attribute__((target("avx2,fma"))) void max3_stride2_avx2(const float* s, int n, float* h) {
    int i = 0;
    for (; i + 8 <= n; i += 8) max3_stride2_eight(s, i, h);
    if (i < n && n >= 8) max3_stride2_eight(s, n - 8, h);
    else
        for (; i < n; i++) h[i] = nanmax(nanmax(s[2 * i], s[2 * i + 1]), s[2 * i + 2]);
}

// o[i] = nanmax(a[i], b[i], c[i]) for i < n: three rows' maxima across, down (3x3 windows); the
// last 8 again rather than a scalar tail, as above.
__attribute__((target("avx2,fma"), always_inline)) inline void max3_rows_eight(const float* a, const float* b, const float* c, int i,
                                                                              float* o) {
    _mm256_storeu_ps(o + i, nanmax8(nanmax8(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)), _mm256_loadu_ps(c + i)));
}

__attribute__((target("avx2,fma"))) void max3_rows_avx2(const float* a, const float* b, const float* c, int n, float* o) {
    int i = 0;
    for (; i + 8 <= n; i += 8) max3_rows_eight(a, b, c, i, o);
    if (i < n && n >= 8) max3_rows_eight(a, b, c, n - 8, o);
    else
        for (; i < n; i++) o[i] = nanmax(nanmax(a[i], b[i]), c[i]);
}

// One plane's window maxima, values only (the forward: the backward finds the positions again),
// with selects rather than branches (on real data the comparisons are unpredictable). Windows
// clipped by the padding are done one by one; the rest of a row, whose windows are whole across,
// a tap at a time over all its outputs, a loop that vectorises.
CORTADO_CLONES void max_pool_plane(const Window& w, const float* __restrict in, float* __restrict out) {
    const int oh = w.out_h(), ow = w.out_w();
    const int oxa = std::min(ow, (w.pw + w.sw - 1) / w.sw);                            // the first whole window across
    const int oxb = std::max(oxa, std::min(ow, (w.width - w.kw + w.pw) / w.sw + 1));   // past the last
    // 3 wide at stride 2 (ResNet's stem): each input row's maxima across its whole windows once
    // (max3_stride2_avx2), kept for the next output row, which shares a row; then down.
    const int across = oxb - oxa;
    std::vector<float> rows(w.kw == 3 && w.sw == 2 && cortado_isa() >= 1 ? 3 * across : 0);
    int held[3] = {-1, -1, -1};
    auto row_max = [&](int y) {
        float* h = rows.data() + y % 3 * across;
        if (held[y % 3] != y) max3_stride2_avx2(in + static_cast<long>(y) * w.width + 2 * oxa - w.pw, across, h);
        held[y % 3] = y;
        return h;
    };
    for (int oy = 0; oy < oh; oy++) {
        float* o = out + static_cast<long>(oy) * ow;
        int y0, y1, x0, x1;
        for (int ox = 0; ox < ow; ox++) {
            if (ox == oxa) ox = oxb;  // (the whole windows: below)
            if (ox >= ow) break;
            w.bounds(oy, ox, y0, y1, x0, x1);
            float m = in[static_cast<long>(y0) * w.width + x0];
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) m = nanmax(m, in[static_cast<long>(y) * w.width + x]);
            o[ox] = m;
        }
        if (oxa == oxb) continue;
        w.bounds(oy, oxa, y0, y1, x0, x1);
        if (!rows.empty() && y1 - y0 == 3) {
            const float* h0 = row_max(y0);
            const float* h1 = row_max(y0 + 1);
            max3_rows_avx2(h0, h1, row_max(y0 + 2), across, o + oxa);
            continue;
        }
        if (!rows.empty()) {
            std::copy_n(row_max(y0), across, o + oxa);
            for (int y = y0 + 1; y < y1; y++) {
                const float* h = row_max(y);
                for (int i = 0; i < across; i++) o[oxa + i] = nanmax(o[oxa + i], h[i]);
            }
            continue;
        }
        for (int y = y0; y < y1; y++) {
            const float* row = in + static_cast<long>(y) * w.width;
            for (int kx = 0; kx < w.kw; kx++) {
                const long shift = kx - w.pw;  // tap kx of output ox at ox sw + shift, inside for ox >= oxa
                if (y == y0 && kx == 0) {
                    for (int ox = oxa; ox < oxb; ox++) o[ox] = row[static_cast<long>(ox) * w.sw + shift];
                } else {
                    for (int ox = oxa; ox < oxb; ox++) o[ox] = nanmax(o[ox], row[static_cast<long>(ox) * w.sw + shift]);
                }
            }
        }
    }
}

// The 2x2/stride-2 backward with AVX-512, 16 outputs at a time: LeNet's pooled rows are 12 and 4
// outputs long, too short for the vectorised loop above, which then runs scalar (1.4-1.8x slower
// per call; the forward, a few selects per output, gained nothing this way). Two input rows are
// loaded under masks and split into the windows' four corners v[0..3].
namespace {
struct Corners {
    __m512 v[4];
    __mmask16 in[2], out;  // the step's input floats (two vectors per row) and outputs
};

__attribute__((target("avx512f"))) inline Corners load_corners(const float* r0, const float* r1, int n) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    Corners c;
    c.in[0] = lanes(0, 2 * n);
    c.in[1] = lanes(0, 2 * n - 16);
    c.out = lanes(0, n);
    const __m512 a0 = _mm512_maskz_loadu_ps(c.in[0], r0), a1 = _mm512_maskz_loadu_ps(c.in[1], r0 + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(c.in[0], r1), b1 = _mm512_maskz_loadu_ps(c.in[1], r1 + 16);
    c.v[0] = _mm512_permutex2var_ps(a0, even, a1);
    c.v[1] = _mm512_permutex2var_ps(a0, odd, a1);
    c.v[2] = _mm512_permutex2var_ps(b0, even, b1);
    c.v[3] = _mm512_permutex2var_ps(b0, odd, b1);
    return c;
}

__attribute__((target("avx512f"))) void max_pool_2x2_backward_row_avx512(const float* r0, const float* r1, const float* g,
                                                                          float* d0, float* d1, int ow) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    for (int ox = 0; ox < ow; ox += 16) {
        const int n = std::min(16, ow - ox);
        const Corners c = load_corners(r0 + 2 * ox, r1 + 2 * ox, n);
        const __m512 m01 = _mm512_maskz_max_ps(0xFFFF, c.v[0], c.v[1]), m23 = _mm512_maskz_max_ps(0xFFFF, c.v[2], c.v[3]);
        const __m512 m = _mm512_maskz_max_ps(0xFFFF, m01, m23);  // (maskz: _mm512_max_ps warns with GCC 12)
        __mmask16 nan[4], any = 0;
        for (int i = 0; i < 4; i++) any |= nan[i] = _mm512_cmp_ps_mask(c.v[i], c.v[i], _CMP_UNORD_Q);
        // the first maximum (the first NaN in a window that holds one) takes the gradient
        __mmask16 taken = 0, e[4];
        for (int i = 0; i < 3; i++) {
            const __mmask16 q = (nan[i] & any) | (_mm512_cmp_ps_mask(c.v[i], m, _CMP_EQ_OQ) & ~any);
            e[i] = q & ~taken;
            taken |= e[i];
        }
        e[3] = ~taken;
        const __m512 gv = _mm512_maskz_loadu_ps(c.out, g + ox);
        __m512 b[4];
        for (int i = 0; i < 4; i++) b[i] = _mm512_maskz_mov_ps(e[i], gv);
        _mm512_mask_storeu_ps(d0 + 2 * ox, c.in[0], _mm512_permutex2var_ps(b[0], lo, b[1]));
        _mm512_mask_storeu_ps(d0 + 2 * ox + 16, c.in[1], _mm512_permutex2var_ps(b[0], hi, b[1]));
        _mm512_mask_storeu_ps(d1 + 2 * ox, c.in[0], _mm512_permutex2var_ps(b[2], lo, b[3]));
        _mm512_mask_storeu_ps(d1 + 2 * ox + 16, c.in[1], _mm512_permutex2var_ps(b[2], hi, b[3]));
    }
}
}  // namespace

CORTADO_KERNEL(max_pool_forward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    // The forward needs the maximum only (the backward finds its position again), so the common
    // 2x2/stride-2 interior is four loads and three selects per output.
    const bool two = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        float* out = y + p * w.out_plane();
        if (two) {
            for (int oy = 0; oy < oh; oy++) {
                const float* r0 = in + static_cast<long>(2 * oy) * width;
                const float* r1 = r0 + width;
                float* o = out + oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    o[ox] = nanmax(nanmax(nanmax(r0[2 * ox], r0[2 * ox + 1]), r1[2 * ox]), r1[2 * ox + 1]);
                }
            }
            return;
        }
        max_pool_plane(w, in, out);
    });
    return CORTADO_STATUS_OK;
}

// One output row of the 2x2/stride-2 max-pool backward: the gradient goes to the window's first
// maximum in row-major order (its first NaN if it holds one), zeros elsewhere. Branch-free (real
// activations make the comparisons unpredictable) and vectorisable.
static CORTADO_CLONES void max_pool_2x2_backward_row(const float* __restrict r0, const float* __restrict r1, const float* __restrict g,
                                              float* __restrict d0, float* __restrict d1, int ow) {
    for (int ox = 0; ox < ow; ox++) {
        const float v0 = r0[2 * ox], v1 = r0[2 * ox + 1], v2 = r1[2 * ox], v3 = r1[2 * ox + 1];
        const float m = std::max(std::max(v0, v1), std::max(v2, v3));
        const bool nan = (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);
        // with a NaN, "equal to the maximum" becomes "is NaN"
        const unsigned q0 = nan ? v0 != v0 : v0 == m, q1 = nan ? v1 != v1 : v1 == m, q2 = nan ? v2 != v2 : v2 == m;
        const unsigned e0 = q0, e1 = q1 & ~e0, e2 = q2 & ~(e0 | e1), e3 = ~(e0 | e1 | e2) & 1u;
        uint32_t gb;
        std::memcpy(&gb, g + ox, 4);
        const uint32_t b0 = gb & (0u - e0), b1 = gb & (0u - e1), b2 = gb & (0u - e2), b3 = gb & (0u - e3);
        std::memcpy(d0 + 2 * ox, &b0, 4);
        std::memcpy(d0 + 2 * ox + 1, &b1, 4);
        std::memcpy(d1 + 2 * ox, &b2, 4);
        std::memcpy(d1 + 2 * ox + 1, &b3, 4);
    }
}

CORTADO_KERNEL(max_pool_backward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const bool two = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        const float* g = dy + p * w.out_plane();
        float* d = dx + p * w.plane();
        if (two) {  // disjoint 2x2 windows: write each window's four gradients at once, no zeroing pass
            for (int oy = 0; oy < oh; oy++) {
                const float* r0 = in + static_cast<long>(2 * oy) * width;
                float* d0 = d + static_cast<long>(2 * oy) * width;
                (cortado_isa() >= 2 ? max_pool_2x2_backward_row_avx512 : max_pool_2x2_backward_row)(r0, r0 + width, g + oy * ow, d0, d0 + width, ow);
                for (int xx = 2 * ow; xx < width; xx++) d0[xx] = d0[width + xx] = 0.0f;  // an odd last column
            }
            for (long i = static_cast<long>(2 * oh) * width; i < w.plane(); i++) d[i] = 0.0f;  // an odd last row
            return;
        }
        std::memset(d, 0, sizeof(float) * w.plane());
        each_window_max(w, in, [&](int o, long at) { d[at] += g[o]; });
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(avg_pool_forward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const float inv = 1.0f / (kh * kw);
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        float* out = y + p * w.out_plane();
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int y0, y1, x0, x1;
                w.bounds(oy, ox, y0, y1, x0, x1);
                float s = 0;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) s += in[static_cast<long>(yy) * width + xx];
                out[oy * ow + ox] = s * inv;
            }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(avg_pool_backward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const float inv = 1.0f / (kh * kw);
    for_planes(w, [&](long p) {
        const float* g = dy + p * w.out_plane();
        float* d = dx + p * w.plane();
        std::memset(d, 0, sizeof(float) * w.plane());
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int y0, y1, x0, x1;
                w.bounds(oy, ox, y0, y1, x0, x1);
                const float v = g[oy * ow + ox] * inv;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) d[static_cast<long>(yy) * width + xx] += v;
            }
    });
    return CORTADO_STATUS_OK;
}
