// Convolution as implicit GEMM: the blocked GEMM driver packs its im2col operand straight from
// the images (no column matrix is written and read back), and writes the output in
// [batch, filters, pixels] order through a grouped C (no axis swap). With K = C kh kw rows
// (c, ki, kj) and N = batch x pixels columns (n, oy, ox):
//   forward          y[F, N]  = [W bias][F, K + 1] . [col; ones][K + 1, N]
//   filter gradient  dW[F, K] = dY[F, N] . col[K, N]^T
//   data gradient    col      = W^T . dY, then col2im, in chunks of images that fit in cache
#include <immintrin.h>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "cortado_cpu.h"
// Runs here are short (one output row, often under 30 floats): keep the copy loops as loops.
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#include "conv_direct.h"
#include "conv_small.h"
#include "simd.h"
#include "vec_math.h"
#include "gemm_driver.h"
#include "prepared_filters.h"
#include "thread_pool.h"
#include "window.h"

using cortado::ceil_div;
using cortado::Matrix;
using cortado::transpose8;
using cortado::Window;


namespace {

// Runs of a B panel at column stride S: for every run r and step p < count,
//   d[p * nr + at[r] + t] = base[off[p] + from[r] + S t]   for t < len[r].
void copy_runs_scalar(const float* base, const int* off, int count, const int* from, const int* at, const int* len,
                      int runs, float* d, int nr, int stride) {
    for (int r = 0; r < runs; r++)
        for (int p = 0; p < count; p++)
            for (int t = 0; t < len[r]; t++) d[p * nr + at[r] + t] = base[off[p] + from[r] + stride * t];
}

// AVX-512, S = 1: run by run down the steps, 16 floats per masked load and store (a forward panel
// packs 15% faster this way than with a vgatherdps per step, the filter gradient's about as fast).
__attribute__((target("avx512f"))) void copy_runs_avx512(const float* base, const int* off, int count, const int* from,
                                                          const int* at, const int* len, int runs, float* d, int nr) {
    for (int r = 0; r < runs; r++)
        for (int t = 0; t < len[r]; t += 16) {
            const __mmask16 m = lanes(0, len[r] - t);
            const float* s = base + from[r] + t;
            float* o = d + at[r] + t;
            for (int p = 0; p < count; p++) _mm512_mask_storeu_ps(o + p * nr, m, _mm512_maskz_loadu_ps(m, s + off[p]));
        }
}

// AVX2: each 8-float vector of a panel row is put together in a register from masked loads of the
// runs that fall in it (masked lanes read nothing and give 0) and stored whole: AMD's masked
// stores are microcoded (they took 60-75% of a 3x3 convolution's packing on Zen 3). Lanes v ..
// v + 8 of every row; past nr (a partial vector) they spill onto the next row's first lanes,
// written after, except on the last row (masked).
__attribute__((target("avx2,fma"))) void copy_vector_avx2(const float* base, const int* off, int count, const int* from,
                                                          const int* at, const int* len, int runs, float* d, int nr, int v) {
    const float* src[8];  // part i: lanes m[i] of the 8 floats at src[i] + off[p]
    __m256i m[8];
    int parts = 0;
    for (int r = 0; r < runs; r++) {
        const int lo = std::max(at[r], v) - v, hi = std::min(at[r] + len[r], v + 8) - v;  // lanes [lo, hi)
        if (lo >= hi) continue;
        m[parts] = _mm256_castps_si256(_mm256_andnot_ps(cortado::avx2::first_lanes(lo), cortado::avx2::first_lanes(hi)));
        src[parts++] = base + from[r] + v - at[r];
    }
    const int stored = v + 8 > nr ? count - 1 : count;  // rows stored whole
    auto row = [&](int p) {
        __m256 sum = _mm256_maskload_ps(src[0] + off[p], m[0]);
        for (int i = 1; i < parts; i++) sum = _mm256_or_ps(sum, _mm256_maskload_ps(src[i] + off[p], m[i]));
        return sum;
    };
    if (parts == 1 && stored == count && _mm256_movemask_ps(_mm256_castsi256_ps(m[0])) == 0xff) {  // (the common case)
        const float* s0 = src[0];
        for (int p = 0; p < count; p++) _mm256_storeu_ps(d + p * nr + v, _mm256_loadu_ps(s0 + off[p]));
        return;
    }
    for (int p = 0; p < stored; p++) _mm256_storeu_ps(d + p * nr + v, row(p));
    if (stored < count) _mm256_maskstore_ps(d + (count - 1) * nr + v, _mm256_castps_si256(cortado::avx2::first_lanes(nr - v)), row(count - 1));
}

// A row's partial last vector (nr = 6: an A panel) goes first: what it spills is written after.
void copy_runs_avx2(const float* base, const int* off, int count, const int* from, const int* at, const int* len, int runs,
                    float* d, int nr) {
    const int full = nr / 8 * 8;
    if (full < nr && count > 0) copy_vector_avx2(base, off, count, from, at, len, runs, d, nr, full);
    for (int v = 0; v < full; v += 8) copy_vector_avx2(base, off, count, from, at, len, runs, d, nr, v);
}

// The same for a column stride of 2, d[p * nr + at[r] + t] = base[off[p] + from[r] + 2 t]: 15
// floats loaded, their even ones kept.
__attribute__((target("avx2"))) void copy_runs_stride2_avx2(const float* base, const int* off, int count, const int* from,
                                                             const int* at, const int* len, int runs, float* d, int nr) {
    const __m256i seven = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
    for (int r = 0; r < runs; r++) {
        int t = 0;
        for (; t + 8 <= len[r]; t += 8) {
            const float* s = base + from[r] + 2 * t;
            float* o = d + at[r] + t;
            for (int p = 0; p < count; p++) {
                _mm256_storeu_ps(o + p * nr, cortado::evens(_mm256_loadu_ps(s + off[p]), _mm256_maskload_ps(s + off[p] + 8, seven)));
            }
        }
        for (int p = 0; p < count; p++)
            for (int u = t; u < len[r]; u++) d[p * nr + at[r] + u] = base[off[p] + from[r] + 2 * u];
    }
}

// AVX-512, column stride 2: 16 outputs from two masked loads of the 2 len - 1 floats they span,
// their even floats picked by one permute (runs of 7 at ResNet's 7 x 7 outputs do not fill the
// AVX2 version's 8: it copied them one float at a time, 14-24% of those layers' time).
__attribute__((target("avx512f"))) void copy_runs_stride2_avx512(const float* base, const int* off, int count, const int* from,
                                                                 const int* at, const int* len, int runs, float* d, int nr) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int r = 0; r < runs; r++)
        for (int t = 0; t < len[r]; t += 16) {
            const int n = std::min(16, len[r] - t), span = 2 * n - 1;
            const __mmask16 lo = lanes(0, span), hi = lanes(0, span - 16), out = lanes(0, n);
            const float* s = base + from[r] + 2 * t;
            float* o = d + at[r] + t;
            for (int p = 0; p < count; p++) {
                const __m512 a = _mm512_maskz_loadu_ps(lo, s + off[p]), b = _mm512_maskz_loadu_ps(hi, s + off[p] + 16);
                _mm512_mask_storeu_ps(o + p * nr, out, _mm512_permutex2var_ps(a, even, b));
            }
        }
}

inline void copy_runs(const float* base, const int* off, int count, const int* from, const int* at, const int* len,
                      int runs, float* d, int nr, int stride) {
    const int isa = cortado_isa();
    if (stride == 1 && isa >= 2) copy_runs_avx512(base, off, count, from, at, len, runs, d, nr);
    else if (stride == 1 && isa == 1) copy_runs_avx2(base, off, count, from, at, len, runs, d, nr);
    else if (stride == 2 && isa >= 2) copy_runs_stride2_avx512(base, off, count, from, at, len, runs, d, nr);
    else if (stride == 2 && isa == 1) copy_runs_stride2_avx2(base, off, count, from, at, len, runs, d, nr);
    else copy_runs_scalar(base, off, count, from, at, len, runs, d, nr, stride);
}

// A padded convolution reads its taps from a zero-padded copy of the images, whose window has
// no padding: every tap is inside, so the packers copy whole runs (their direct path) instead of
// lowering pixel by pixel around the edges. One pass over x.
Window pad_images(const Window& w, int batch, const float* x, float* dst) {
    Window p = w;
    p.height += 2 * w.ph;
    p.width += 2 * w.pw;
    p.ph = p.pw = 0;
    cortado::parallel_range(static_cast<long>(batch) * w.channels, 8, [&](long b, long e) {
        for (long plane = b; plane < e; plane++) {
            const float* s = x + plane * w.plane();
            float* d = dst + plane * p.plane();
            std::fill(d, d + static_cast<long>(w.ph) * p.width, 0.0f);
            for (int y = 0; y < w.height; y++) {
                float* row = d + static_cast<long>(w.ph + y) * p.width;
                std::fill(row, row + w.pw, 0.0f);
                std::copy(s + static_cast<long>(y) * w.width, s + static_cast<long>(y + 1) * w.width, row + w.pw);
                std::fill(row + w.pw + w.width, row + p.width, 0.0f);
            }
            std::fill(d + static_cast<long>(w.ph + w.height) * p.width, d + p.plane(), 0.0f);
        }
    });
    return p;
}

// The images a padded convolution packs from: a padded copy in workspace (released by the
// destructor), or x itself with its padding lowered pixel by pixel (slower, the same values)
// when there is none, or no workspace can be had, or the packer has no direct path for a column
// stride above 1 (`strided`: it has).
struct Source {
    const cortado_context* ctx;
    Window w;
    const float* x;
    float* copy = nullptr;

    Source(const cortado_context* c, const Window& win, int batch, const float* images, bool strided)
        : ctx(c), w(win), x(images) {
        if ((win.ph == 0 && win.pw == 0) || (win.sw != 1 && !strided)) return;
        const long floats = static_cast<long>(batch) * win.channels * (win.height + 2L * win.ph) * (win.width + 2L * win.pw);
        copy = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * floats));
        if (!copy) return;
        w = pad_images(win, batch, images, copy);
        x = copy;
    }
    ~Source() {
        if (copy) ctx->release(ctx, copy);
    }
};

// d[t * nr + c] = base[toff[c] + t] for c < cols, t < len: `cols` runs of input, each becoming a
// column of the panel. AVX2: 8 runs x 8 pixels loaded, transposed in registers and stored as 8
// panel rows; the rest one float at a time.
inline void transpose_runs_scalar(const float* base, const long* toff, int c0, int cols, int t0, int len, float* d, int nr) {
    for (int c = c0; c < cols; c++)
        for (int t = t0; t < len; t++) d[t * nr + c] = base[toff[c] + t];
}

__attribute__((target("avx2"))) void transpose_runs_avx2(const float* base, const long* toff, int cols, int len, float* d, int nr) {
    int c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) {
        int t = 0;
        for (; t + 8 <= len; t += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(base + toff[c0 + i] + t);
            transpose8(r);
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(d + (t + i) * nr + c0, r[i]);
        }
        transpose_runs_scalar(base, toff, c0, c0 + 8, t, len, d, nr);
    }
    transpose_runs_scalar(base, toff, c0, cols, 0, len, d, nr);
}

inline void transpose_runs(const float* base, const long* toff, int cols, int len, float* d, int nr) {
    if (cortado_isa() >= 1) transpose_runs_avx2(base, toff, cols, len, d, nr);
    else transpose_runs_scalar(base, toff, 0, cols, 0, len, d, nr);
}

// Where tap (c, ki, kj) of a window without padding reads, from its output pixel's first tap.
inline long tap_offset(const Window& w, long tap) {
    return tap / (w.kh * w.kw) * w.plane() + tap / w.kw % w.kh * w.width + tap % w.kw;
}

// The im2col matrix of `images` (never stored), walked in its natural order.
struct Columns {
    Window w;
    const float* images;
    long image;    // floats per image
    int oh, ow;

    Columns(const Window& win, const float* im)
        : w(win), images(im), image(static_cast<long>(win.channels) * win.plane()), oh(win.out_h()), ow(win.out_w()) {}

    // column j = (n, oy, ox) as its image and output position
    void position(long j, const float*& img, int& oy, int& ox) const {
        const long pixels = static_cast<long>(oh) * ow, n = j / pixels, r = j % pixels;
        img = images + n * image;
        oy = static_cast<int>(r / ow);
        ox = static_cast<int>(r % ow);
    }
    // next output row after (img, oy)
    void next_row(const float*& img, int& oy) const {
        if (++oy == oh) {
            oy = 0;
            img += image;
        }
    }
};

// op(B) = col (forward): k = (c, ki, kj), n = (image, oy, ox). A panel's nr columns are cut into
// runs along output rows once; each run is then copied down the k steps (one input row per step).
struct PackColumns {
    Columns col;

    void operator()(int nr, long j0, int nc, long p0, int kc, float* dst, long q0, long q1) const {
        const Window& w = col.w;
        const long plane = w.plane();
        // Without padding every tap is inside the image: a run of tap p0 + p starts off[p] =
        // ch plane + ki width + kj floats after the run's first pixel's first tap.
        const bool direct = w.ph == 0 && w.pw == 0;
        std::vector<int> off(direct ? kc : 0);
        for (int p = 0; p < static_cast<int>(off.size()); p++) {
            const long tap = p0 + p;
            off[p] = static_cast<int>(tap_offset(w, tap));
        }
        struct Run {
            const float* image;
            int c, len, oy, ox;
        } runs[64];
        for (long q = q0; q < q1; q++) {
            float* d = dst + q * nr * kc;
            const int cols = std::min<long>(nr, nc - q * nr);
            int nruns = 0;
            const float* img;
            int oy, ox;
            col.position(j0 + q * nr, img, oy, ox);
            for (int c = 0; c < cols; nruns++) {
                const int len = std::min(cols - c, col.ow - ox);
                runs[nruns] = {img, c, len, oy, ox};
                c += len;
                ox = 0;
                col.next_row(img, oy);
            }
            if (direct) {
                int from[64], at[64], len[64];
                for (int r = 0; r < nruns; r++) {
                    from[r] = static_cast<int>(runs[r].image - col.images + static_cast<long>(runs[r].oy) * w.sh * w.width +
                                               static_cast<long>(runs[r].ox) * w.sw);
                    at[r] = runs[r].c;
                    len[r] = runs[r].len;
                }
                copy_runs(col.images, off.data(), kc, from, at, len, nruns, d, nr, w.sw);
            } else {
                int ch = static_cast<int>(p0 / (w.kh * w.kw)), ki = static_cast<int>(p0 / w.kw % w.kh), kj = static_cast<int>(p0 % w.kw);
                for (int p = 0; p < kc; p++) {
                    for (int r = 0; r < nruns; r++)
                        cortado::lower_run(w, runs[r].image + ch * plane, ki, kj, runs[r].oy, runs[r].ox, runs[r].len, d + p * nr + runs[r].c, 1);
                    if (++kj == w.kw) {
                        kj = 0;
                        if (++ki == w.kh) {
                            ki = 0;
                            ch++;
                        }
                    }
                }
            }
            for (int p = 0; p < kc; p++)
                for (int c = cols; c < nr; c++) d[p * nr + c] = 0.0f;
        }
    }
};

// The transposed product's A, pixels x taps, where the micro-kernels can read it from the images
// (cortado::WindowRows): no padding left (a padded copy), a column stride of 1 or 2, and panels of
// wr pixels along one output row, wr dividing the output width, at most the kernel's mr rows and
// at least half of them (ResNet's 7 and 14 wide outputs: 7). 0 where it cannot.
int window_rows(const Columns& col, int mr) {
    const Window& w = col.w;
    if (w.ph != 0 || w.pw != 0 || (w.sw != 1 && w.sw != 2) || col.image * 2 > INT_MAX) return 0;
    for (int wr = std::min(mr, col.ow); 2 * wr >= mr; wr--)
        if (col.ow % wr == 0) return wr;
    return 0;
}

// Its windows for the n pixels: each panel's first pixel's first tap, each tap's offset from there.
struct Windows {
    std::vector<const float*> base;
    std::vector<int> off;

    Windows(const Columns& col, int wr, long n) : base(n / wr) {
        const Window& w = col.w;
        off.resize(static_cast<long>(w.channels) * w.kh * w.kw);
        for (long t = 0; t < static_cast<long>(off.size()); t++) off[t] = static_cast<int>(tap_offset(w, t));
        for (long q = 0; q < static_cast<long>(base.size()); q++) {
            const float* img;
            int oy, ox;
            col.position(q * wr, img, oy, ox);
            base[q] = img + static_cast<long>(oy) * w.sh * w.width + static_cast<long>(ox) * w.sw;
        }
    }
};

// op(B) = col^T (filter gradient): k = (image, oy, ox), n = (c, ki, kj). Each of a panel's nr
// columns is one kernel tap, copied along output rows into every nr-th float.
struct PackColumnsT {
    Columns col;

    void operator()(int nr, long j0, int nc, long p0, int kc, float* dst, long q0, long q1) const {
        const Window& w = col.w;
        // Without padding and with unit column stride every tap is inside: tap c of a panel reads
        // x[toff[c] + pixel], so each stretch of steps along one output row is a transpose of
        // `cols` contiguous input runs (transpose_runs).
        const bool direct = w.ph == 0 && w.pw == 0 && w.sw == 1;
        for (long q = q0; q < q1; q++) {
            float* d = dst + q * nr * kc;
            const int cols = std::min<long>(nr, nc - q * nr);
            if (direct) {
                long toff[64];
                for (int c = 0; c < cols; c++) {
                    const long tap = j0 + q * nr + c;
                    toff[c] = tap_offset(w, tap);
                }
                const float* img;
                int oy, ox;
                col.position(p0, img, oy, ox);
                for (int p = 0; p < kc;) {
                    const int len = std::min(kc - p, col.ow - ox);
                    transpose_runs(img + static_cast<long>(oy) * w.sh * w.width + ox, toff, cols, len, d + p * nr, nr);
                    p += len;
                    ox = 0;
                    col.next_row(img, oy);
                }
                for (int p = 0; p < kc; p++)
                    for (int c = cols; c < nr; c++) d[p * nr + c] = 0.0f;
                continue;
            }
            for (int c = 0; c < cols; c++) {
                const long tap = j0 + q * nr + c;
                const int kj = static_cast<int>(tap % w.kw), ki = static_cast<int>(tap / w.kw % w.kh);
                const long plane = tap / (w.kw * w.kh) * w.plane();
                const float* img;
                int oy, ox;
                col.position(p0, img, oy, ox);
                for (int p = 0; p < kc;) {
                    const int len = std::min(kc - p, col.ow - ox);
                    cortado::lower_run(w, img + plane, ki, kj, oy, ox, len, d + p * nr + c, nr);
                    p += len;
                    ox = 0;
                    col.next_row(img, oy);
                }
            }
            for (int p = 0; p < kc; p++)
                for (int c = cols; c < nr; c++) d[p * nr + c] = 0.0f;
        }
    }
};

// [batch, filters, pixels] seen as the matrix [filters, batch x pixels].
Matrix by_filter(const float* p, int filters, long pixels) {
    return {const_cast<float*>(p), pixels, pixels, filters * pixels};
}

// The forward's bias and fused tail on C = y as by_filter, a tile at a time as the GEMM finishes it:
// in the micro-kernel's registers, or (a tile across two images) from y.
struct ConvTail {
    const float* bias;
    cortado::Epilogue ep;
    const float* y;  // C's first float (z is laid out as y)

    bool tile(const float* cij, long i, long, cortado::TileTail& t) const {
        t = {bias ? bias + i : nullptr, nullptr, ep.z ? ep.z + (cij - y) : nullptr, ep.lo, ep.hi};
        return true;
    }
    void after_tile(float*, long, int, int) const {}
    void operator()(const Matrix& c, long i, long j, int mr, int nr) const {
        c.runs(i, j, nr, [&](int, int len, float* p) {  // along the tile's runs of contiguous columns
            for (int r = 0; r < mr; r++, p += c.ld) ep.at(p - y).store(p, len, p, bias ? bias[i + r] : 0.0f);
        });
    }
};

// Tiles the GEMM C[rows, cols] computes, its register tile's padding included.
long padded_tiles(long rows, long cols) {
    const cortado::Blocking b = cortado::gemm_blocking(rows, cols);
    return cortado::ceil_div(rows, b.mr) * b.mr * cortado::ceil_div(cols, b.nr) * b.nr;
}

// y = tail(t^T + bias) image by image, t holding [batch x pixels, filters] (the forward GEMM's
// transpose): 8 filters at a time gathered into rows (with AVX2 through 8 x 8 transposes: the
// scalar gather took 18% of MobileNetV2's 160 -> 960 1x1 at 7 x 7), each row stored through the epilogue.
void store_transposed(const float* t, int batch, int filters, long pixels, const float* bias, const cortado::Epilogue& ep,
                      float* y) {
    const long blocks = cortado::ceil_div(filters, 8L);
    cortado::parallel_range(batch * blocks, 4, [&](long b0, long b1) {
        std::unique_ptr<float[]> rows(new (std::nothrow) float[8 * pixels]);
        for (long b = b0; b < b1; b++) {
            const long n = b / blocks, f0 = b % blocks * 8, fn = std::min<long>(8, filters - f0);
            const float* src = t + n * pixels * filters + f0;
            long done = 0;  // pixels gathered 8 x 8 (AVX2)
            if (rows && fn == 8 && cortado_isa() >= 1)
                for (; done + 8 <= pixels; done += 8) cortado::transpose8_block(src + done * filters, filters, rows.get() + done, pixels);
            for (long p = done; p < pixels; p++)
                for (long f = 0; f < fn; f++) (rows ? rows[f * pixels + p] : y[(n * filters + f0 + f) * pixels + p]) = src[p * filters + f];
            for (long f = 0; f < fn; f++) {
                const long at = (n * filters + f0 + f) * pixels;
                ep.at(at).store(rows ? rows.get() + f * pixels : y + at, pixels, y + at, bias ? bias[f0 + f] : 0.0f);
            }
        }
    });
}

}  // namespace

namespace {

// How the forward's GEMM runs for a shape (conv_forward and conv_prepare_filters agree on it).
struct ForwardPlan {
    bool one;         // a 1x1 window of unit stride without padding: x is the im2col operand itself
    bool in_place;    // ... read in place by the micro-kernels as B (and, transposed, always as A)
    bool transposed;  // y's transpose computed (the weights are B), stored back after
    int width;        // the weights' panel width: A's mr, or B's nr in the transposed product
};

ForwardPlan plan_forward(const Window& w, int batch, int filters) {
    const long n = batch * w.out_plane();
    ForwardPlan p{};
    p.one = w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 && w.ph == 0 && w.pw == 0;
    // x read in place where few filters share it (MobileNetV2's projections, 32 to 64 filters over
    // 14x14 to 28x28: 0.86-0.95x the time of packing x or of the transposed product; at 96 filters
    // 1.04x, at 160-320 over 7x7 1.3x).
    p.in_place = p.one && filters <= 64;
    // Few pixels (a 7x7 or 14x14 plane at batch 1) pad less as the GEMM's rows than as its columns
    // (49 pixels: 54 rows of 6 against 64 columns of 16).
    p.transposed = !p.in_place && n <= 1024 && 20 * padded_tiles(n, filters) < 19 * padded_tiles(filters, n);
    p.width = p.transposed ? cortado::gemm_blocking(n, filters).nr : cortado::gemm_blocking(filters, n).mr;
    return p;
}

// conv_prepare_filters' output (prepared_filters.h): this header in its first kPreparedHeader
// floats, then, for the instruction set in use, the weights' panels for the plan's width as
// cortado::Prepacked reads them, or (`winograd`: a forward that takes Winograd, conv_direct.cpp)
// the filters' Winograd transforms, their filter groups `width` (FB) wide.
struct PreparedHeader {
    uint32_t magic;
    int32_t isa, width, filters;
    int64_t k;
    int32_t winograd, finite;
};
constexpr uint32_t kPreparedMagic = 0x43505246;  // "CPRF"
using cortado::kPreparedHeader;
using cortado::kPreparedMaxWidth;
static_assert(sizeof(PreparedHeader) <= kPreparedHeader * sizeof(float), "the header fits its floats");

// What follows a header for the instruction set in use and this kind (panels, or Winograd's
// transforms, which must be finite), width and weights' shape, or null.
const float* prepared_part(const float* prepared, bool winograd, int width, int filters, long k) {
    if (!prepared) return nullptr;
    PreparedHeader h;
    std::memcpy(&h, prepared, sizeof h);
    const bool same = h.magic == kPreparedMagic && h.isa == cortado_isa() && (h.winograd != 0) == winograd && (!winograd || h.finite) &&
                      h.width == width && h.filters == filters && h.k == k;
    return same ? prepared + kPreparedHeader : nullptr;
}

// The panels prepared for exactly this plan, instruction set and weights' shape, or null.
const float* prepared_panels(const float* prepared, const ForwardPlan& plan, int filters, long k) {
    return prepared_part(prepared, false, plan.width, filters, k);
}

// The filters' Winograd transforms prepared for this instruction set and weights' shape, when all
// are finite; else null.
const float* prepared_winograd(const float* prepared, int filters, long k) {
    return prepared_part(prepared, true, cortado::direct_kernels().fb, filters, k);
}

}  // namespace

CORTADO_KERNEL(conv_prepare_filters) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long k = static_cast<long>(channels) * kh * kw, size = cortado::prepared_filters_floats(filters, channels, kh, kw, sh, sw);
    std::fill(prepared, prepared + kPreparedHeader, 0.0f);
    long done = kPreparedHeader;
    if (cortado::conv_forward_winograd(w, batch, filters)) {
        const cortado::DirectKernels& dk = cortado::direct_kernels();
        const bool finite = cortado::Winograd::transform_filters(dk, channels, filters, weight, prepared + kPreparedHeader);
        const PreparedHeader h{kPreparedMagic, cortado_isa(), dk.fb, filters, k, 1, finite};
        std::memcpy(prepared, &h, sizeof h);
        done += cortado::Winograd::filters_floats(dk, channels, filters);
        std::fill(prepared + done, prepared + size, 0.0f);
        return CORTADO_STATUS_OK;
    }
    const ForwardPlan plan = plan_forward(w, batch, filters);
    const PreparedHeader h{plan.width <= kPreparedMaxWidth ? kPreparedMagic : 0, cortado_isa(), plan.width, filters, k, 0, 0};
    std::memcpy(prepared, &h, sizeof h);
    if (h.magic) {
        const cortado::PackMatrix weights{Matrix::rows(weight, k), false, 1.0f};
        const long panels = ceil_div(filters, plan.width);
        cortado::parallel_range(panels, 1, [&](long q0, long q1) {
            weights(plan.width, 0, filters, 0, static_cast<int>(k), prepared + kPreparedHeader, q0, q1);
        });
        done += panels * plan.width * k;
    }
    std::fill(prepared + done, prepared + size, 0.0f);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(conv_forward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long pixels = w.out_plane(), k = static_cast<long>(channels) * kh * kw;
    const cortado::Epilogue ep{z, lo, hi};
    if (cortado::conv_forward_direct(ctx, w, batch, filters, x, weight, bias, prepared_winograd(prepared, filters, k), ep, y)) {
        return CORTADO_STATUS_OK;
    }
    // The GEMM y[filters, batch x pixels] = weight[filters, k] im2col(x)[k, batch x pixels], the bias
    // and tail applied to each tile as it is finished; the weights' panels as prepared, if they were
    // for this plan (A here, B in the transposed product).
    const ForwardPlan plan = plan_forward(w, batch, filters);
    const cortado::Prepacked<> weights{prepared_panels(prepared, plan, filters, k), plan.width, k,
                                       {Matrix::rows(weight, k), false, 1.0f}};
    const Matrix c = by_filter(y, filters, pixels);
    const int n = static_cast<int>(batch * pixels);
    auto product = [&](const auto& pack_b) {
        if (bias || !ep.none()) cortado::gemm(filters, n, k, weights, pack_b, 0.0f, c, ConvTail{bias, ep, y});
        else cortado::gemm(filters, n, k, weights, pack_b, 0.0f, c);
    };
    // use(the im2col operand's packer)
    auto with_columns = [&](const auto& use) {
        if (plan.one) {
            // (in the transposed product x^T is A, its micro-panels w pixels of each channel's row)
            if (plan.in_place || plan.transposed) use(cortado::InPlace(by_filter(x, channels, pixels), plan.transposed));
            else use(cortado::PackMatrix{by_filter(x, channels, pixels), true, 1.0f});
        } else {
            const Source src(ctx, w, batch, x, true);
            use(PackColumns{Columns(src.w, src.x)});
        }
    };
    // The transposed product computes y's transpose into workspace, stored back through the tail after.
    if (plan.transposed) {
        float* t = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * n * filters));
        if (t) {
            with_columns([&](const auto& columns) {
                using Columns = std::decay_t<decltype(columns)>;
                if constexpr (std::is_same_v<Columns, cortado::InPlace>) {  // a 1x1 convolution's x^T: no packing at all
                    cortado::gemm(n, filters, k, columns, weights, 0.0f, Matrix::rows(t, filters));
                } else {
                    const int mr = cortado::gemm_blocking(n, filters).mr;
                    if constexpr (std::is_same_v<Columns, PackColumns>) {
                        // The micro-kernels read the operand's panels from the images themselves.
                        if (const int wr = window_rows(columns.col, mr)) {
                            const Windows win(columns.col, wr, n);
                            cortado::gemm(n, filters, k, cortado::WindowRows<Columns>{win.base.data(), win.off.data(), wr, w.sw, columns},
                                          weights, 0.0f, Matrix::rows(t, filters));
                            return;
                        }
                    }
                    // The threads own columns of y's transpose, filters, and would each pack all of the
                    // im2col operand: packed once instead, each thread a share of its panels.
                    const long panels = ceil_div(n, mr);
                    float* a = cortado::threads() > 1 ? static_cast<float*>(ctx->workspace(ctx, sizeof(float) * panels * mr * k)) : nullptr;
                    if (a) cortado::parallel_range(panels, 1, [&](long q0, long q1) { columns(mr, 0, n, 0, static_cast<int>(k), a, q0, q1); });
                    cortado::gemm(n, filters, k, cortado::Prepacked<Columns>{a, mr, k, columns}, weights, 0.0f, Matrix::rows(t, filters));
                    if (a) ctx->release(ctx, a);
                }
            });
            store_transposed(t, batch, filters, pixels, bias, ep, y);
            ctx->release(ctx, t);
            return CORTADO_STATUS_OK;
        }
    }
    with_columns(product);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(conv_backward_filter) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long pixels = w.out_plane(), k = static_cast<long>(channels) * kh * kw;
    if (batch == 0) std::fill(dweight, dweight + filters * k, 0.0f);  // an empty sum
    if (cortado::conv_filter_small(w, batch, filters, x, dy, dweight)) return CORTADO_STATUS_OK;
    if (cortado::conv_filter_direct(ctx, w, batch, filters, x, dy, dweight)) return CORTADO_STATUS_OK;
    const Source src(ctx, w, batch, x, false);
    cortado::gemm(filters, static_cast<int>(k), batch * pixels, cortado::PackMatrix{by_filter(dy, filters, pixels), false, 1.0f},
                  PackColumnsT{Columns(src.w, src.x)}, 0.0f, Matrix::rows(dweight, k));
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(conv_backward_data) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long pixels = w.out_plane(), k = static_cast<long>(channels) * kh * kw, image = channels * w.plane();
    if (filters == 0) {  // an empty sum
        std::fill(dx, dx + batch * image, 0.0f);
        return CORTADO_STATUS_OK;
    }
    if (cortado::conv_data_direct(ctx, w, batch, filters, weight, dy, dx)) return CORTADO_STATUS_OK;
    // Each thread lowers whole chunks of images whose columns fit in its L2 (col = W^T dY, then
    // col2im): no barriers, and an image's result does not depend on the thread count.
    const int threads = cortado::threads();
    const long fit = std::max(1L, (128L * 1024) / (k * pixels));
    const long per = std::max(1L, std::min(fit, cortado::ceil_div(batch, threads)));
    const long chunks = cortado::ceil_div(batch, per);
    const int workers = static_cast<int>(std::min<long>(chunks, threads));
    float* cols = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * workers * k * per * pixels));
    if (!cols) return CORTADO_STATUS_NO_WORKSPACE;
    cortado::parallel_items(workers, chunks, [&](int tid, long c) {
        float* col = cols + tid * k * per * pixels;
        const long n0 = c * per, nb = std::min(per, batch - n0);
        cortado::gemm(static_cast<int>(k), static_cast<int>(nb * pixels), filters,
                      cortado::PackMatrix{Matrix::rows(weight, k), true, 1.0f},
                      cortado::PackMatrix{by_filter(dy + n0 * filters * pixels, filters, pixels), true, 1.0f}, 0.0f,
                      Matrix::rows(col, nb * pixels));
        cortado_col2im(ctx, CORTADO_WINDOW_ARGS, static_cast<int>(nb), col, dx + n0 * image);
    });
    ctx->release(ctx, cols);
    return CORTADO_STATUS_OK;
}
