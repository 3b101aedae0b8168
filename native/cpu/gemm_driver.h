// The blocked SGEMM driver, Goto/BLIS style, shared by cortado_sgemm and the convolutions:
//
//   for jc in n by NC:            B block  (KC x NC) packed once, shared by the threads
//     for pc in k by KC:
//       pack B[pc, jc]            NR-wide micro-panels, zero-padded
//       for ic in m by MC:        A block  (MC x KC) packed, alpha folded in; stays in L2
//         pack A[ic, pc]          MR-tall micro-panels, zero-padded
//         for jr in NC by NR:     B micro-panel (KC x NR) stays in L1 across ir
//           for ir in MC by MR:   micro-kernel: MR x NR of C in registers
//
// MC, KC and NC come from the machine's caches (derive_blocks in gemm.cpp); a dimension a little
// past a block is cut into equal blocks (k = 300 at KC = 256: 2 x 150, not 256 + 44).
//
// The operands are packers: a matrix in memory (PackMatrix below) or one computed while packing
// (the convolutions pack im2col columns straight from the images, so no column matrix is written);
// an operand whose panels lie side by side in the rows of a matrix (a row-major B, or the A^T of
// a 1x1 convolution's transposed product) may instead be read in place by the micro-kernels
// (InPlace), and an operand packed
// ahead over the whole k (Prepacked: a model's filters, an im2col operand shared by the threads)
// is read where it lies, and the im2col A of a convolution's transposed product is read by the
// micro-kernels as windows of the images themselves (WindowRows). C is a Matrix whose
// columns may come in groups (a convolution's [batch, filters, pixels] output is C[filters, batch *
// pixels] in groups of `pixels`), so no axis swap is needed.
//
// Threads: a C wider than tall gives each thread its own columns (its own B and A packing, no
// barriers); otherwise a C with enough rows is handed out in row blocks that threads take one at
// a time (each packs its own A blocks; the B block is shared); otherwise the threads split the
// packing of each block, then its micro-tiles, column by column, with barriers between packing
// and use. A small C over a long k is split over k in fixed chunks summed in order. Results
// never depend on the thread count.
#pragma once
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

#include "cache_sizes.h"
#include "thread_pool.h"
#include "tile_tail.h"

namespace cortado {

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }

using MicroKernel = void (*)(int kc, const float* a, long lda, const float* b, long ldb, float* c, long ldc, float beta, int mr,
                             int nr, const TileTail* tail);
// The same micro-kernel reading its A panel as a window of an image (gemm_kernel.inc's WindowA):
// row r of step q at a[off[q] + r stride], stride 1 or 2.
using WindowKernel = void (*)(int kc, const float* a, const int* off, int stride, const float* b, long ldb, float* c, long ldc,
                              float beta, int mr, int nr, const TileTail* tail);

struct Blocking {
    MicroKernel kernel;
    WindowKernel window;
    int mr, nr;      // register tile
    int mc, kc, nc;  // cache blocks (mc a multiple of mr, nc of nr)
};

struct CacheBlocks {
    int mc, kc, nc;
};
// The cache blocks for an mr x nr micro-kernel from the caches (before rounding mc up to a
// multiple of mr and nc of nr), for a C within L2 or (largeC) larger: see gemm.cpp.
CacheBlocks derive_blocks(const CacheSizes& caches, int mr, int nr, bool largeC, bool streamB);
// Whether this CPU runs 512-bit FMAs as two 256-bit halves (AMD's Zen 4), which moves some choices
// between kernels: derive_blocks' streamB, the direct convolutions' small planes (conv_direct.cpp).
bool half_rate_avx512();
// The blocking for an m x n C with the instruction set in use, derived once from the machine's
// caches (gemm.cpp).
Blocking gemm_blocking(long m, long n);
// 64-byte aligned scratch owned by the calling thread, reused across calls; null when out of memory.
float* gemm_scratch(int which, size_t floats);
// Panels q < panels of width w <= 64, p < kc: d[q * w * kc + p * w + c] = s * src[p * ld + q * w + c],
// with the vectors of the instruction set in use; false (nothing written) where it has none (gemm.cpp).
bool pack_rows_simd(const float* src, long ld, int w, int panels, int kc, float s, float* d);
// d[p * w + c] = s * row[c][p] for c < n, 0 for n <= c < w, p < kc, through vector transposes;
// false (nothing written) where the instruction set in use has none for this panel (gemm.cpp).
bool pack_transposed_simd(const float* const* row, int n, int w, int kc, float s, float* d);
// C = alpha op(A) op(B) + beta C for a plain row-major C of 1..8 rows, without packing B, with the
// kernels of instruction set `isa` (gemm_few_rows.cpp); false (nothing written) for other shapes
// or when out of scratch memory.
bool gemm_few_rows(int isa, bool transA, bool transB, int m, int n, int k, float alpha, const float* a, long lda,
                   const float* b, long ldb, float beta, float* c, long ldc);


// A row-major matrix whose columns come in groups of `group`, group g starting g * group_stride
// floats in: element (i, j) lives at p[(j / group) * group_stride + i * ld + j % group].
// A plain row-major matrix is a single group.
struct Matrix {
    float* p;
    long ld, group, group_stride;

    static Matrix rows(const float* p, long ld) { return {const_cast<float*>(p), ld, LONG_MAX, 0}; }
    // (a plain matrix skips the divisions: they cost more than the packing loops around them)
    float* at(long i, long j) const {
        return group == LONG_MAX ? p + i * ld + j : p + (j / group) * group_stride + i * ld + j % group;
    }
    long run(long j) const { return group == LONG_MAX ? LONG_MAX : group - j % group; }  // contiguous columns from column j on
    // body(t, len, q) for the runs of row i's columns j .. j + n: columns j + t .. j + t + len - 1 at q
    // (one division a run, not one a float)
    template <class F>
    void runs(long i, long j, int n, F body) const {
        for (int t = 0; t < n;) {
            const int len = static_cast<int>(std::min<long>(n - t, run(j + t)));
            body(t, len, at(i, j + t));
            t += len;
        }
    }
};

// A packer writes panels of one operand: panel q holds indices x0 + q * w .. of the panel
// dimension (A's rows, B's columns) as w consecutive floats for each step p of k, zero past the
// end. Every packer is called as pack(w, x0, count, p0, kc, dst, q0, q1) for panels q0..q1.
//
// Panels of a Matrix, scaled (alpha rides on A): element (x, p) is scale * m(x, p), or
// scale * m(p, x) when `across` is set. A = {a, transA, alpha}; B = {b, !transB, 1}.
struct PackMatrix {
    Matrix m;
    bool across;
    float scale;

    void operator()(int w, long x0, int count, long p0, int kc, float* dst, long q0, long q1) const {
        for (long q = q0; q < q1;) {
            if (across) {  // the full panels inside one run of m's rows, all at once
                const long x = x0 + q * w, full = std::min(std::min<long>(q1, count / w) - q, m.run(x) / w);
                if (full > 0 && pack_rows_simd(m.at(p0, x), m.ld, w, full, kc, scale, dst + q * w * kc)) {
                    q += full;
                    continue;
                }
            }
            float* d = dst + q * w * kc;
            const int n = std::min<long>(w, count - q * w);
            const long x = x0 + q * w;
            if (across) {  // m's row p holds the panel's n floats: contiguous copies
                for (int p = 0; p < kc; p++) {
                    copy_runs(m, p0 + p, x, n, d + p * w, 1);
                    for (int c = n; c < w; c++) d[p * w + c] = 0.0f;
                }
            } else {  // the panel's n rows read side by side along m's runs, d written in order
                const float* row[64];  // (2-4x faster than a row at a time into every w-th float)
                for (int p = 0; p < kc;) {
                    const int len = std::min<long>(kc - p, m.run(p0 + p));
                    for (int c = 0; c < n; c++) row[c] = m.at(x + c, p0 + p);
                    pack_side_by_side(row, n, w, len, scale, d + p * w);
                    p += len;
                }
            }
            q++;
        }
    }

private:
    // d[p * w + c] = s * row[c][p] for c < n, 0 for n <= c < w; w is a constant for full panels of
    // the usual widths, so that the compiler unrolls the row loop.
    static void pack_side_by_side(const float* const* row, int n, int w, int kc, float s, float* __restrict d) {
        auto fixed = [&](auto width) {
            for (int p = 0; p < kc; p++, d += width)
                for (int c = 0; c < width; c++) d[c] = s * row[c][p];
        };
        if (pack_transposed_simd(row, n, w, kc, s, d)) return;
        if (n == w && w == 8) return fixed(std::integral_constant<int, 8>());
        if (n == w && w == 10) return fixed(std::integral_constant<int, 10>());
        if (n == w && w == 12) return fixed(std::integral_constant<int, 12>());
        if (n == w && w == 32) return fixed(std::integral_constant<int, 32>());
        for (int p = 0; p < kc; p++, d += w) {
            for (int c = 0; c < n; c++) d[c] = s * row[c][p];
            for (int c = n; c < w; c++) d[c] = 0.0f;
        }
    }

    // d[t * ds] = scale * m(i, j0 + t) for t < len, along m's contiguous runs
    void copy_runs(const Matrix& mat, long i, long j0, int len, float* d, long ds) const {
        mat.runs(i, j0, len, [&](int t0, int run, const float* s) {
            for (int t = 0; t < run; t++) d[(t0 + t) * ds] = scale * s[t];
        });
    }
};

// An operand read in place: a matrix m(p, x) (step p of k, index x of the panel dimension; its
// columns possibly in groups) whose micro-panels the micro-kernel reads straight from memory, ld
// floats per step of k, where a panel's w indices are contiguous there; a panel that is not (the
// last, short one; one across two groups) is packed as PackMatrix packs it. It saves the packing
// (a read and a write of every float) where the panels are read few times: B = an image's pixels
// under few filters, A = the pixels of a 1x1 convolution's transposed product (x^T).
struct InPlace {
    PackMatrix packer;  // {m, true, 1}
    // A's panels: a block's last, short panel is read in place too (the micro-kernels read mr rows
    // of an A panel, never more; of a B panel they may read whole vectors past nr)
    bool short_panels;

    explicit InPlace(const Matrix& m, bool short_panels = false) : packer{m, true, 1.0f}, short_panels(short_panels) {}
    // whether the panel of columns x .. x + w, of a block ending at column `end`, is read in place
    bool direct(int w, long x, long end) const {
        const long n = std::min<long>(w, end - x);
        return (n == w || short_panels) && n > 0 && packer.m.run(x) >= n;
    }
    void operator()(int w, long x0, int count, long p0, int kc, float* dst, long q0, long q1) const {
        packer(w, x0, count, p0, kc, dst, q0, q1);
    }
};

// An operand packed ahead, once for many products (a convolution's filters, prepared at a model's
// load) or for all the threads of one: panel q of width w holding indices q w .. for every step of
// the whole k, at p + q w k, so that a block's panels are read where they lie at any kc. Without
// such panels (p null) or where the blocking wants another width, `packer` packs the operand as usual.
template <class P = PackMatrix>
struct Prepacked {
    const float* p;
    int w;
    long k;
    P packer;

    // the panel of width `width` holding index x0 on, at step p0, where it lies; null where there is none
    const float* panel(int width, long x0, long p0) const { return p && w == width && x0 % w == 0 ? p + x0 * k + p0 * w : nullptr; }
    // (the small-panels path: copies of the panels)
    void operator()(int width, long x0, int count, long p0, int kc, float* dst, long q0, long q1) const {
        if (!panel(width, x0, p0)) return packer(width, x0, count, p0, kc, dst, q0, q1);
        for (long q = q0; q < q1; q++) std::copy_n(panel(w, x0 + q * w, p0), static_cast<long>(kc) * w, dst + q * w * kc);
    }
};

template <class P>
struct is_prepacked : std::false_type {};
template <class P>
struct is_prepacked<Prepacked<P>> : std::true_type {};

// An A operand whose panels are windows of images, never packed (a convolution's transposed
// product, conv.cpp): panel q's w rows are output pixels along one output row, row r of step p at
// base[q][off[p] + r stride]. `packer` packs the same panels (the small-panels path).
template <class P>
struct WindowRows {
    const float* const* base;  // per panel of width w
    const int* off;            // per step of k
    int w, stride;
    P packer;

    void operator()(int width, long x0, int count, long p0, int kc, float* dst, long q0, long q1) const {
        packer(width, x0, count, p0, kc, dst, q0, q1);
    }
};

template <class P>
struct is_window : std::false_type {};
template <class P>
struct is_window<WindowRows<P>> : std::true_type {};

// Where a micro-kernel reads an A panel: ld floats a step (packed: mr), or a window (off set).
struct APanel {
    const float* p;
    long ld;
    const int* off = nullptr;
    int stride = 0;
};

// A block's micro-panels of width w as the micro-kernels read them: packed, panel q at p + q *
// stride, w floats per step of k; with `in_place` set, the panels that InPlace reads from memory;
// with `base` set, the windows of a WindowRows (A only).
struct Panels {
    const float* p;
    long stride;
    int w;
    const InPlace* in_place = nullptr;
    long x0 = 0, end = 0, pc = 0;
    const float* const* base = nullptr;
    const int* off = nullptr;
    int step = 0;  // a window's column stride

    const float* panel(long q, long& ld) const {
        if (in_place && in_place->direct(w, x0 + q * w, end)) {
            ld = in_place->packer.m.ld;
            return in_place->packer.m.at(pc, x0 + q * w);
        }
        ld = w;
        return p + q * stride;
    }
    APanel a_panel(long q) const {
        if (base) return {base[q], 0, off, step};
        long ld;
        const float* a = panel(q, ld);
        return {a, ld};
    }
};

// The block of panels [q0, q1) of width w at x0 (of count indices), steps pc .. pc + kc, packed
// into buf by the packer (InPlace: only the panels it cannot read in place).
template <class P>
Panels pack_block(const P& pack, int w, long x0, int count, long pc, int kc, float* buf, long q0, long q1) {
    if constexpr (is_window<P>::value) {
        return {nullptr, 0, w, nullptr, 0, 0, 0, pack.base + x0 / w, pack.off + pc, pack.stride};
    } else if constexpr (std::is_same_v<P, InPlace>) {
        for (long q = q0; q < q1; q++)
            if (!pack.direct(w, x0 + q * w, x0 + count)) pack(w, x0, count, pc, kc, buf, q, q + 1);
        return {buf, static_cast<long>(w) * kc, w, &pack, x0, x0 + count, pc};
    } else if constexpr (is_prepacked<P>::value) {
        if (const float* p = pack.panel(w, x0, pc)) return {p, w * pack.k, w};
        pack.packer(w, x0, count, pc, kc, buf, q0, q1);
        return {buf, static_cast<long>(w) * kc, w};
    } else {
        pack(w, x0, count, pc, kc, buf, q0, q1);
        return {buf, static_cast<long>(w) * kc, w};
    }
}

// What is done to C's tile at (i, j) once its last pass over k is in: nothing (a plain GEMM), a
// convolution's bias and fused tail (conv.cpp) or a linear layer's (gemm.cpp). `tile` gives the
// micro-kernel the tail of the tile at (i, j) when its columns are contiguous at cij (applied in
// registers), and after_tile finishes that tile once stored (what registers do not hold: an
// activation by the unary kernel's code); the call does a tile that is not contiguous.
struct NoTail {
    bool tile(const float*, long, long, TileTail&) const { return false; }
    void after_tile(float*, long, int, int) const {}
    void operator()(const Matrix&, long, long, int, int) const {}
};

// C's column j at row 0 where the nr columns from j on are contiguous, else null (micro_tile).
inline float* column(const Matrix& c, long j, int nr) { return c.run(j) >= nr ? c.at(0, j) : nullptr; }

// A micro-tile whose columns are not contiguous in C (micro_tile): through a local tile, out of
// line so that micro_tile's usual calls do not get the frame of its 4 KB array (a 1 x 1
// convolution over 16 channels makes calls short enough for that to show).
// C[0:mr, 0:nr] (ldc floats a row) = beta C + A panel . B panel, through the micro-kernel that reads a.
inline void micro_kernel(const Blocking& bl, int kc, const APanel& a, const float* bp, long ldb, float* c, long ldc, float beta,
                         int mr, int nr, const TileTail* tail) {
    if (a.off) bl.window(kc, a.p, a.off, a.stride, bp, ldb, c, ldc, beta, mr, nr, tail);
    else bl.kernel(kc, a.p, a.ld, bp, ldb, c, ldc, beta, mr, nr, tail);
}

template <class Tail>
__attribute__((noinline)) void micro_tile_scattered(const Blocking& bl, int kc, const APanel& a, const float* bp, long ldb,
                                                    const Matrix& c, long i, long j, float beta, int mr, int nr, const Tail& tail,
                                                    bool last) {
    alignas(64) float tile[16 * 64];  // >= MR x NR of every micro-kernel
    micro_kernel(bl, kc, a, bp, ldb, tile, bl.nr, 0.0f, mr, nr, nullptr);
    c.runs(i, j, nr, [&](int t, int len, float* cij) {  // (a division per float took 11-16% of a stride-2 layer at 7 x 7)
        for (int r = 0; r < mr; r++, cij += c.ld) {
            const float* s = tile + r * bl.nr + t;
            if (beta == 0.0f) for (int u = 0; u < len; u++) cij[u] = s[u];
            else for (int u = 0; u < len; u++) cij[u] = s[u] + beta * cij[u];
        }
    });
    if (last) tail(c, i, j, mr, nr);
}

// One micro-tile of C at (i, j): straight into C when its nr columns are contiguous there (cj:
// column(c, j, nr), found once for a column of tiles: the divisions cost as much as a short
// micro-kernel call), else micro_tile_scattered; after the last pass over k (`last`) with its tail.
template <class Tail>
inline void micro_tile(const Blocking& bl, int kc, const APanel& a, const float* bp, long ldb, const Matrix& c, float* cj, long i,
                       long j, float beta, int mr, int nr, const Tail& tail, bool last) {
    if (!cj) return micro_tile_scattered(bl, kc, a, bp, ldb, c, i, j, beta, mr, nr, tail, last);
    float* cij = cj + i * c.ld;
    TileTail t;
    const bool fused = last && tail.tile(cij, i, j, t);
    micro_kernel(bl, kc, a, bp, ldb, cij, c.ld, beta, mr, nr, fused ? &t : nullptr);
    if (fused) tail.after_tile(cij, c.ld, mr, nr);
}

// The micro-tiles [jr0, jr1) x [ir0, ir1) of an A block's panels (C rows ic .. ic + mc) times a B
// block's panels (C columns jc .. jc + nc; packed or read in place), jr outer so that each B
// micro-panel stays in L1.
template <class Tail>
void block_tiles(const Blocking& bl, int kc, const Panels& a, const Panels& b, const Matrix& c, long ic, long jc, int mc,
                 int nc, float beta, long ir0, long ir1, long jr0, long jr1, const Tail& tail, bool last) {
    for (long jr = jr0; jr < jr1; jr++) {
        long ldb;
        const float* bp = b.panel(jr, ldb);
        const long j = jc + jr * bl.nr;
        const int nr = std::min<long>(bl.nr, nc - jr * bl.nr);
        float* cj = column(c, j, nr);
        for (long ir = ir0; ir < ir1; ir++)
            micro_tile(bl, kc, a.a_panel(ir), bp, ldb, c, cj, ic + ir * bl.mr, j, beta, std::min<long>(bl.mr, mc - ir * bl.mr), nr,
                       tail, last);
    }
}

// Rows [i0, i1) x cols [j0, j1) of C over k [k0, k1) with stack-sized panels: the path taken
// when no scratch memory can be had (slow, but never a crash).
template <class PA, class PB, class Tail>
void gemm_small_panels(const Blocking& bl, long i0, long i1, long j0, long j1, long k0, long k1, const PA& pack_a,
                       const PB& pack_b, float beta, const Matrix& c, const Tail& tail) {
    constexpr int kStep = 32;
    alignas(64) float ap[16 * kStep], bp[64 * kStep];
    for (long i = i0; i < i1; i += bl.mr) {
        const int mr = std::min<long>(bl.mr, i1 - i);
        for (long j = j0; j < j1; j += bl.nr) {
            const int nr = std::min<long>(bl.nr, j1 - j);
            for (long p = k0; p < k1; p += kStep) {
                const int kc = std::min<long>(kStep, k1 - p);
                pack_a(bl.mr, i, mr, p, kc, ap, 0, 1);
                pack_b(bl.nr, j, nr, p, kc, bp, 0, 1);
                micro_tile(bl, kc, APanel{ap, bl.mr}, bp, bl.nr, c, column(c, j, nr), i, j, p == k0 ? beta : 1.0f, mr, nr, tail,
                           p + kc == k1);
            }
        }
    }
}

// C = op(A) op(B) + beta C over k [k0, k1), on up to `want` threads, then tail(C).
template <class PA, class PB, class Tail>
void gemm_blocked(const Blocking& bl, int m, int n, long k0, long k1, const PA& pack_a, const PB& pack_b, float beta,
                  const Matrix& c, int want, const Tail& tail) {
    const int mr = bl.mr, nr = bl.nr;
    const long k = k1 - k0;
    // blocks of equal size (within a register tile) rather than full ones and a thin remainder
    const int kcMax = static_cast<int>(ceil_div(k, ceil_div(k, bl.kc)));
    const int ncMax = static_cast<int>(ceil_div(ceil_div(n, ceil_div(n, bl.nc)), nr) * nr);
    const int mcMax = static_cast<int>(ceil_div(ceil_div(m, ceil_div(m, bl.mc)), mr) * mr);
    float* apack = gemm_scratch(0, static_cast<size_t>(mcMax) * kcMax);
    float* bpack = gemm_scratch(1, static_cast<size_t>(ncMax) * kcMax);
    if (!apack || !bpack) {
        gemm_small_panels(bl, 0, m, 0, n, k0, k1, pack_a, pack_b, beta, c, tail);
        return;
    }
    const long mPanelsAll = ceil_div(m, mr), nPanelsAll = ceil_div(n, nr);
    std::atomic<long> next[2] = {{0}, {0}};  // column or row blocks handed out so far (below)
    const int team = std::min<int>(want, threads());
    const long colPanels =
        std::min<long>(ncMax / nr, ceil_div(nPanelsAll, std::max<long>(team, ceil_div(nPanelsAll * nr, 512))));
    const long blockCols = colPanels * nr, colBlocks = ceil_div(n, blockCols);

    // Wide C (a convolution, a small batch times a layer's weights): each thread owns a run of
    // columns and packs its own B and (smaller) A blocks, with no barriers at all. Otherwise a C
    // with rows enough: threads take row blocks and pack their own A blocks (one barrier per
    // shared B block). Otherwise the threads share each A block and split its micro-tiles. Decided
    // for the team asked for (the column way works for any number of threads, so the caller may
    // run the columns of a worker that has not woken up).
    const bool ownCols = nPanelsAll >= 4L * team && (n > m || mPanelsAll < 4L * team);
    const bool ownRows = !ownCols && mPanelsAll >= 4L * team;
    parallel(want, [&](int tid, int nt, Barrier& barrier) {
        if (ownCols) {
            // Column blocks of up to 512 (a B block that stays in L2 while it is used), at least one
            // per thread, handed out one at a time like the row blocks below.
            float* myA = tid == 0 ? apack : gemm_scratch(0, static_cast<size_t>(mcMax) * kcMax);
            float* myB = tid == 0 ? bpack : gemm_scratch(1, static_cast<size_t>(ncMax) * kcMax);
            for (long q; (q = next[0].fetch_add(1)) < colBlocks;) {
                const long jc = q * blockCols;
                const int nc = std::min<long>(blockCols, n - jc);
                if (!myA || !myB) {
                    gemm_small_panels(bl, 0, m, jc, jc + nc, k0, k1, pack_a, pack_b, beta, c, tail);
                    continue;
                }
                const long nPanels = ceil_div(nc, nr);
                for (long pc = k0; pc < k1; pc += kcMax) {
                    const int kc = std::min<long>(kcMax, k1 - pc);
                    const Panels bp = pack_block(pack_b, nr, jc, nc, pc, kc, myB, 0, nPanels);
                    for (long ic = 0; ic < m; ic += mcMax) {
                        const int mc = std::min<long>(mcMax, m - ic);
                        const long mPanels = ceil_div(mc, mr);
                        const Panels ap = pack_block(pack_a, mr, ic, mc, pc, kc, myA, 0, mPanels);
                        block_tiles(bl, kc, ap, bp, c, ic, jc, mc, nc, pc == k0 ? beta : 1.0f, 0, mPanels, 0, nPanels, tail,
                                    pc + kc == k1);
                    }
                }
            }
            return;
        }
        if (ownRows) {
            // Rows go in blocks of up to mcMax handed out one at a time (a counter per pass), so that a
            // thread the machine slows down does less of the pass instead of holding up its barrier.
            // Counters alternate: next[pass % 2] is reset a pass ahead, when no thread can be using it.
            float* myA = tid == 0 ? apack : gemm_scratch(0, static_cast<size_t>(mcMax) * kcMax);  // none: no blocks
            // Blocks of at most mcMax rows, at least 4 per thread when m allows, as many for every thread
            // and of sizes within one panel of each other (342 panels in 11 blocks of 32 left one
            // thread 6 blocks to the other's 5).
            const long fewest = std::max(ceil_div(mPanelsAll, mcMax / mr), std::min<long>(mPanelsAll, 4L * nt));
            const long blocks = std::min<long>(mPanelsAll, ceil_div(fewest, nt) * nt);
            long pass = 0;
            for (long jc = 0; jc < n; jc += ncMax) {
                const int nc = std::min<long>(ncMax, n - jc);
                const long nPanels = ceil_div(nc, nr);
                for (long pc = k0; pc < k1; pc += kcMax, pass++) {
                    const int kc = std::min<long>(kcMax, k1 - pc);
                    if (tid == 0) next[(pass + 1) % 2].store(0);
                    long b0, b1;
                    split(nPanels, nt, tid, b0, b1);
                    const Panels bp = pack_block(pack_b, nr, jc, nc, pc, kc, bpack, b0, b1);
                    barrier.wait();
                    for (long q; myA && (q = next[pass % 2].fetch_add(1)) < blocks;) {
                        const long ic = q * mPanelsAll / blocks * mr;
                        const int mc = std::min<long>((q + 1) * mPanelsAll / blocks * mr, m) - ic;
                        const long mPanels = ceil_div(mc, mr);
                        const Panels ap = pack_block(pack_a, mr, ic, mc, pc, kc, myA, 0, mPanels);
                        block_tiles(bl, kc, ap, bp, c, ic, jc, mc, nc, pc == k0 ? beta : 1.0f, 0, mPanels, 0, nPanels, tail,
                                    pc + kc == k1);
                    }
                    barrier.wait();  // the B block is repacked next
                }
            }
            return;
        }
        // Shared A: the caller's A scratch, packed by all threads, then split by NR (or MR) panels.
        for (long jc = 0; jc < n; jc += ncMax) {
            const int nc = std::min<long>(ncMax, n - jc);
            const long nPanels = ceil_div(nc, nr);
            for (long pc = k0; pc < k1; pc += kcMax) {
                const int kc = std::min<long>(kcMax, k1 - pc);
                const float betaNow = pc == k0 ? beta : 1.0f;
                long b0, b1;
                split(nPanels, nt, tid, b0, b1);
                const Panels bp = pack_block(pack_b, nr, jc, nc, pc, kc, bpack, b0, b1);
                barrier.wait();
                for (long ic = 0; ic < m; ic += mcMax) {
                    const int mc = std::min<long>(mcMax, m - ic);
                    const long mPanels = ceil_div(mc, mr);
                    long a0, a1, t0, t1;
                    split(mPanels, nt, tid, a0, a1);
                    split(mPanels * nPanels, nt, tid, t0, t1);  // tiles, column by column: 5 panels x 5 go 13 / 12, not 15 / 10
                    const Panels ap = pack_block(pack_a, mr, ic, mc, pc, kc, apack, a0, a1);
                    barrier.wait();
                    while (t0 < t1) {  // a column's run of the range at a time
                        const long jr = t0 / mPanels, ir0 = t0 % mPanels, ir1 = std::min(mPanels, ir0 + t1 - t0);
                        block_tiles(bl, kc, ap, bp, c, ic, jc, mc, nc, betaNow, ir0, ir1, jr, jr + 1, tail, pc + kc == k1);
                        t0 += ir1 - ir0;
                    }
                    barrier.wait();  // the shared A block is repacked next
                }
                barrier.wait();  // the B block is repacked next
            }
        }
    }, ownCols);
}

// C[m x n] = op(A) op(B) + beta C with op(A) m x k and op(B) k x n given by their packers, then
// tail(C) tile by tile as each is finished.
template <class PA, class PB, class Tail = NoTail>
void gemm(int m, int n, long k, const PA& pack_a, const PB& pack_b, float beta, const Matrix& c, const Tail& tail = Tail()) {
    if (m == 0 || n == 0 || k == 0) return;  // callers handle k == 0 (C = beta C)
    Blocking bl = gemm_blocking(m, n);
    if constexpr (is_window<PA>::value) {  // its panels' rows, at most the kernel's
        bl.mc = static_cast<int>(ceil_div(bl.mc, pack_a.w)) * pack_a.w;
        bl.mr = pack_a.w;
    }
    // A small C over a long k (a weight gradient summed over a batch): split k into fixed chunks
    // computed in parallel and summed in chunk order, so the bits do not depend on the threads.
    constexpr long kSplitChunk = 2048;
    const long mn = static_cast<long>(m) * n;
    if (mn <= 4096 && k >= 4 * kSplitChunk) {
        const long chunks = ceil_div(k, kSplitChunk);
        std::unique_ptr<float[]> partial(new (std::nothrow) float[chunks * mn]);
        if (partial) {
            parallel_range(chunks, 1, [&](long c0, long c1) {
                for (long q = c0; q < c1; q++)
                    gemm_blocked(bl, m, n, q * kSplitChunk, std::min(k, (q + 1) * kSplitChunk), pack_a, pack_b, 0.0f,
                                 Matrix::rows(partial.get() + q * mn, n), 1, NoTail());
            });
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float sum = 0.0f;
                    for (long q = 0; q < chunks; q++) sum += partial[q * mn + i * n + j];
                    float* cij = c.at(i, j);
                    *cij = sum + (beta == 0.0f ? 0.0f : beta * *cij);
                }
            for (int i = 0; i < m; i++) tail(c, i, 0, 1, n);
            return;
        }
    }
    const double flops = 2.0 * m * n * k;
    gemm_blocked(bl, m, n, 0, k, pack_a, pack_b, beta, c, flops < 2.0e5 ? 1 : threads(), tail);
}

}  // namespace cortado
