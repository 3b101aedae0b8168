// The filter gradient of small convolutions (a first layer: few input channels, few filters,
// many pixels) computed directly, without GEMM packing, which is what the im2col GEMM spends its
// time on when the filter bank is small. Vectors run along output rows (16 pixels each), over
// input rows padded once per image so that every tap is a plain unaligned load:
//   dW[f, c, ki, kj] = sum over images and output rows of dY's row . the input row shifted by kj;
//   4 filters x 5 taps of one kernel row in registers. Images go in fixed chunks whose partial
//   sums are added in chunk order, so the bits do not depend on the thread count.
// AVX-512 only: the register block takes 20 accumulators + 5 inputs of 32 vector registers; in
// AVX2's 16 it spilled. (A forward of the same kind, 8-10 filters x 2 vectors of an output row,
// lost to the direct and GEMM paths on every shape measured on a Zen 4 — 1x1 windows 3x, LeNet's
// first layer 1.4x — and was removed.)
#include <algorithm>
#include <memory>
#include <new>

// Rows here are short: keep the copy loops as loops (not memcpy/memset calls costlier than them).
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#include "conv_small.h"
#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"
#include "window.h"

namespace {

using cortado::Window;

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
constexpr int VW = 16;
constexpr int FB = 4, KB = 5;  // filter gradient: 4 filters x 5 taps in registers

// (only ever inlined into the per-ISA clones below, so the vector-return ABI note does not apply)
#pragma GCC diagnostic ignored "-Wpsabi"
inline v16 load(const float* p) { return *reinterpret_cast<const v16u*>(p); }

// What one chunk of images needs: padded input rows and dY row tails (ow % 16 pixels plus zeros).
struct Layout {
    int full, tail, row, kwPad;  // full vectors per output row, pixels in the tail vector, padded input row length
    long xp, tails;              // floats of each scratch area per chunk
};

Layout layout(const Window& w, int filters, int chunk) {
    Layout l;
    const int ow = w.out_w();
    l.full = ow / VW;
    l.tail = ow % VW;
    l.kwPad = (w.kw + KB - 1) / KB * KB;
    const int vectors = l.full + (l.tail ? 1 : 0);
    // padded row index of (output ox, tap kj) is ox + kj: the row starts pw columns left of the
    // image and reaches past every load
    l.row = std::max(w.pw + w.width, vectors * VW + l.kwPad);
    l.xp = static_cast<long>(chunk) * w.channels * w.height * l.row;
    l.tails = l.tail ? static_cast<long>(chunk) * filters * w.out_h() * VW : 0;
    return l;
}

// Sums over `rows` (image, output row) pairs of dY rows times shifted input rows, for 4 filters
// (gs[i] floats apart in dy, ts[i] in tails) and 5 taps (input rows at xp + xoff[r], shifted by
// 0..4); full vectors come from dy + goff[r], the tail vector from tails + toff[r].
CORTADO_CLONES void dot_block(int rows, const long* xoff, const long* goff, const long* toff, const float* xp,
                              const float* dy, const float* tails, const long gs[FB], const long ts[FB], int full, bool tail,
                              float out[FB][KB]) {
    v16 acc[FB][KB];
    for (int i = 0; i < FB; i++)
        for (int j = 0; j < KB; j++) acc[i][j] = v16{};
    for (int r = 0; r < rows; r++) {
        const float* xr = xp + xoff[r];
        const float* g = dy + goff[r];
        for (int v = 0; v < full; v++) {
            v16 gv[FB];
            for (int i = 0; i < FB; i++) gv[i] = load(g + gs[i] + v * VW);
            for (int j = 0; j < KB; j++) {
                const v16 xv = load(xr + v * VW + j);
                for (int i = 0; i < FB; i++) acc[i][j] += gv[i] * xv;
            }
        }
        if (tail) {
            const float* t = tails + toff[r];
            v16 gv[FB];
            for (int i = 0; i < FB; i++) gv[i] = load(t + ts[i]);
            for (int j = 0; j < KB; j++) {
                const v16 xv = load(xr + full * VW + j);
                for (int i = 0; i < FB; i++) acc[i][j] += gv[i] * xv;
            }
        }
    }
    for (int i = 0; i < FB; i++)
        for (int j = 0; j < KB; j++) {
            float s = 0.0f;
            for (int t = 0; t < VW; t++) s += acc[i][j][t];
            out[i][j] = s;
        }
}

// Input rows of `count` images, each `row` floats: pw zeros, the image row, zeros.
void pad_rows(const Window& w, int row, const float* images, int count, float* xp) {
    for (long r = 0; r < static_cast<long>(count) * w.channels * w.height; r++) {
        const float* src = images + r * w.width;
        float* d = xp + r * row;
        for (int t = 0; t < w.pw; t++) d[t] = 0.0f;
        for (int t = 0; t < w.width; t++) d[w.pw + t] = src[t];
        for (int t = w.pw + w.width; t < row; t++) d[t] = 0.0f;
    }
}

// One chunk of images [n0, n0 + count): padded rows, tails, then every block into part[F x taps].
void chunk_gradient(const Window& w, const Layout& l, int filters, int n0, int count, const float* x, const float* dy,
                    float* xp, float* tails, long* offsets, float* part) {
    const int oh = w.out_h(), ow = w.out_w();
    pad_rows(w, l.row, x + n0 * static_cast<long>(w.channels) * w.plane(), count, xp);
    const float* dyc = dy + static_cast<long>(n0) * filters * oh * ow;
    for (long r = 0; l.tail && r < static_cast<long>(count) * filters * oh; r++) {
        for (int t = 0; t < l.tail; t++) tails[r * VW + t] = dyc[r * ow + l.full * VW + t];
        for (int t = l.tail; t < VW; t++) tails[r * VW + t] = 0.0f;
    }
    long* xoff = offsets;
    long* goff = xoff + static_cast<long>(count) * oh;
    long* toff = goff + static_cast<long>(count) * oh;
    const int taps = w.channels * w.kh * w.kw;
    for (int c = 0; c < w.channels; c++)
        for (int ki = 0; ki < w.kh; ki++) {
            int rows = 0;  // (image, output row) pairs whose input row lies inside the image
            for (int n = 0; n < count; n++)
                for (int oy = 0; oy < oh; oy++) {
                    const int iy = oy * w.sh - w.ph + ki;
                    if (iy < 0 || iy >= w.height) continue;
                    xoff[rows] = ((static_cast<long>(n) * w.channels + c) * w.height + iy) * l.row;
                    goff[rows] = (static_cast<long>(n) * filters * oh + oy) * ow;
                    toff[rows] = (static_cast<long>(n) * filters * oh + oy) * VW;
                    rows++;
                }
            for (int f0 = 0; f0 < filters; f0 += FB) {
                long gs[FB], ts[FB];
                for (int i = 0; i < FB; i++) {  // past the last filter: repeat it, and drop its sums
                    const long f = std::min(f0 + i, filters - 1);
                    gs[i] = f * oh * ow;
                    ts[i] = f * oh * VW;
                }
                for (int kj0 = 0; kj0 < w.kw; kj0 += KB) {
                    float out[FB][KB];
                    dot_block(rows, xoff, goff, toff, xp + kj0, dyc, tails, gs, ts, l.full, l.tail != 0, out);
                    for (int i = 0; i < FB && f0 + i < filters; i++)
                        for (int j = 0; j < KB && kj0 + j < w.kw; j++)
                            part[static_cast<long>(f0 + i) * taps + (c * w.kh + ki) * w.kw + kj0 + j] = out[i][j];
                }
            }
        }
}

}  // namespace

namespace cortado {

// dweight for small filter banks (unit column stride, at most 4096 weights, at most 64 taps per
// filter, at least 8192 pixels in the batch); returns false, having written nothing, when it does not apply or lacks memory.
bool conv_filter_small(const Window& w, int batch, int filters, const float* x, const float* dy, float* dweight) {
    const long pixels = w.out_plane(), taps = static_cast<long>(w.channels) * w.kh * w.kw, weights = filters * taps;
    if (cortado_isa() < 2 || w.sw != 1 || weights > 4096 || taps > 64 || batch * pixels < 8192) return false;
    const int chunk = static_cast<int>(std::max(1L, std::min<long>(batch, 4096 / pixels)));
    const long chunks = (batch + chunk - 1) / chunk;
    const Layout l = layout(w, filters, chunk);
    const int workers = static_cast<int>(std::min<long>(chunks, threads()));
    const long perWorker = l.xp + l.tails, offsets = 3L * chunk * w.out_h();
    std::unique_ptr<float[]> scratch(new (std::nothrow) float[workers * perWorker + chunks * weights]);
    std::unique_ptr<long[]> rows(new (std::nothrow) long[workers * offsets]);
    if (!scratch || !rows) return false;
    float* partials = scratch.get() + workers * perWorker;
    parallel_items(workers, chunks, [&](int tid, long q) {
        float* xp = scratch.get() + tid * perWorker;
        const int n0 = static_cast<int>(q * chunk), count = std::min(chunk, batch - n0);
        chunk_gradient(w, l, filters, n0, count, x, dy, xp, xp + l.xp, rows.get() + tid * offsets, partials + q * weights);
    });
    for (long i = 0; i < weights; i++) {
        float s = 0.0f;
        for (long q = 0; q < chunks; q++) s += partials[q * weights + i];
        dweight[i] = s;
    }
    return true;
}

}  // namespace cortado
