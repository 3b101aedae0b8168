// SGEMM: C (row-major) = alpha op(A) op(B) + beta C, through the blocked driver in gemm_driver.h
// (or, for a C of at most 8 rows, gemm_few_rows.cpp), and the per-ISA blocking and scratch memory
// that driver uses.
#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cache_sizes.h"
#include "cortado_cpu.h"
#include "gemm_driver.h"
#include "simd.h"
#include "unary_rows.h"
#include "vec_math.h"

void cortado_micro_kernel_generic(int, const float*, long, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
void cortado_micro_kernel_avx2(int, const float*, long, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
void cortado_micro_kernel_avx512(int, const float*, long, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
void cortado_micro_kernel_avx512_10x32(int, const float*, long, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
void cortado_micro_kernel_avx512_8x32(int, const float*, long, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
#define CORTADO_DECLARE_WINDOW(name) \
    void name##_window(int, const float*, const int*, int, const float*, long, float*, long, float, int, int, const cortado::TileTail*);
CORTADO_DECLARE_WINDOW(cortado_micro_kernel_generic)
CORTADO_DECLARE_WINDOW(cortado_micro_kernel_avx2)
CORTADO_DECLARE_WINDOW(cortado_micro_kernel_avx512)
CORTADO_DECLARE_WINDOW(cortado_micro_kernel_avx512_10x32)
CORTADO_DECLARE_WINDOW(cortado_micro_kernel_avx512_8x32)

namespace {

using cortado::Blocking;
using cortado::CacheBlocks;
using cortado::CacheLevel;
using cortado::CacheSizes;
using cortado::MicroKernel;
using cortado::WindowKernel;

// The micro-kernels per ISA. The first entry of an ISA is its main kernel; the others serve C
// with few rows (a convolution's filters, a batch) that they tile with fewer empty rows.
constexpr int kVariants = 3;
struct Tile {
    MicroKernel kernel;
    WindowKernel window;
    int mr, nr;
};
#define CORTADO_TILE(name, mr, nr) {name, name##_window, mr, nr}
constexpr Tile kTiles[][kVariants] = {
    {CORTADO_TILE(cortado_micro_kernel_generic, 4, 8)},
    {CORTADO_TILE(cortado_micro_kernel_avx2, 6, 16)},
    {CORTADO_TILE(cortado_micro_kernel_avx512, 12, 32), CORTADO_TILE(cortado_micro_kernel_avx512_10x32, 10, 32),
     CORTADO_TILE(cortado_micro_kernel_avx512_8x32, 8, 32)},
};
constexpr int kIsas = sizeof kTiles / sizeof kTiles[0];

int detect_best_isa() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

const int kBestIsa = detect_best_isa();

// AMD's Zen 4 (family 0x19 with AVX-512) runs a 512-bit FMA as two 256-bit halves: its AVX-512
// tiles get derive_blocks' streamB.
bool detect_half_rate_512() {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d) || b != 0x68747541 || d != 0x69746e65 || c != 0x444d4163) return false;  // "AuthenticAMD"
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const unsigned family = ((a >> 8) & 0xf) + ((a >> 8 & 0xf) == 0xf ? (a >> 20) & 0xff : 0);
    return family == 0x19 && __builtin_cpu_supports("avx512f");
}

const bool kHalfRate512 = detect_half_rate_512();
int g_isa = kBestIsa;

// CORTADO_GEMM_BLOCKING="mc,kc,nc": cache blocks for every kernel instead of those derived from
// the caches (for experiments on a new machine); mc and nc are rounded up to multiples of the
// register tile. Unset (or not three positive numbers): {0, 0, 0}.
const CacheBlocks kBlocksFromEnv = [] {
    const char* env = std::getenv("CORTADO_GEMM_BLOCKING");
    int mc, kc, nc;
    if (!env || std::sscanf(env, "%d,%d,%d", &mc, &kc, &nc) != 3 || mc < 1 || kc < 1 || nc < 1) return CacheBlocks{0, 0, 0};
    return CacheBlocks{mc, kc, nc};
}();

// The blocking of every kernel for a C that fits in L2 ([0]) and one that does not ([1]), from
// the caches in `caches` (the machine's, or those a test sets).
struct BlockingTable {
    CacheSizes caches;
    Blocking of[kIsas][kVariants][2];
};

BlockingTable blocking_table(const CacheSizes& caches) {
    BlockingTable t{caches, {}};
    for (int isa = 0; isa < kIsas; isa++)
        for (int v = 0; v < kVariants; v++) {
            const Tile& tile = kTiles[isa][v];
            if (!tile.kernel) continue;
            for (int large = 0; large < 2; large++) {
                CacheBlocks b = kBlocksFromEnv.kc > 0 ? kBlocksFromEnv : cortado::derive_blocks(caches, tile.mr, tile.nr, large == 1, kHalfRate512 && tile.nr >= 32);
                b.mc = static_cast<int>(cortado::ceil_div(b.mc, tile.mr)) * tile.mr;
                b.nc = static_cast<int>(cortado::ceil_div(b.nc, tile.nr)) * tile.nr;
                t.of[isa][v][large] = {tile.kernel, tile.window, tile.mr, tile.nr, b.mc, b.kc, b.nc};
            }
        }
    return t;
}

// The table in use: the machine's caches, unless cortado_gemm_set_caches gave others (tests).
BlockingTable g_blocking = blocking_table(cortado::cache_sizes());

// 64-byte aligned scratch owned by the calling thread, grown on demand and reused across calls.
struct Scratch {
    float* data = nullptr;
    size_t capacity = 0;
    ~Scratch() { std::free(data); }
    float* get(size_t floats) {
        if (floats > capacity) {
            std::free(data);
            capacity = (floats + 1023) & ~size_t(1023);
            data = static_cast<float*>(std::aligned_alloc(64, capacity * sizeof(float)));
            if (!data) capacity = 0;
        }
        return data;
    }
};

thread_local Scratch scratch[2];

void scale_c(int m, int n, float beta, float* c, long ldc) {
    for (int i = 0; i < m; i++) {
        float* row = c + i * ldc;
        if (beta == 0.0f) std::memset(row, 0, sizeof(float) * n);
        else for (int j = 0; j < n; j++) row[j] *= beta;
    }
}

}  // namespace

// Low et al., "Analytical modeling is enough for high-performance BLIS" (TOMS 2016), section 4,
// with the A block at half of L2 (as in BLIS's configurations) and the B block at half of this
// thread's L3 share:
// - kc: the B micro-panel (kc x nr) stays in L1 while A micro-panels (mr x kc) stream past it,
//   each in ways of its own: of L1's W ways, one is left to C's tile, a to the A micro-panel and
//   W - 1 - a to the B micro-panel; kc is the largest that fits both for the best a. (The paper's
//   closed form fills the A ways exactly, a = floor((W - 1) / (1 + nr / mr)): 6 x 16 on 8 ways
//   gets a = 1, kc = 170 and leaves 3 of 7 ways empty; here a = 2 gives kc = 320.)
// - mc: the packed A block (mc x kc) fills half of L2, where it is reused for every B micro-panel.
// - nc: the packed B block (kc x nc) fills half of the L3 this thread can count on
//   (l3_per_thread), where it is reused for every A block (without an L3: as large as L2).
// `largeC` (a C larger than L2): kc doubled, as far as the B micro-panel alone fits in the W - 1
// ways (the A micro-panels then come from L2), mc and nc derived for it. Each pass over k reads
// and writes all of C, from L3 or memory once C leaves L2: fewer passes paid (square SGEMM
// n = 1024/2048: +5-10% on a Xeon); a B micro-panel past L1 did not (a convolution's C of 50 x
// 4096, k = 501, in one pass of 501 on Zen 3: 5% slower than in two).
// `streamB` (AVX-512's 12/10/8 x 32 tiles where 512-bit FMAs run at half rate, kHalfRate512): a step
// of k loads two vectors of B and runs 2 mr FMAs of 16 lanes, long enough for B's micro-panel to
// stream from L2 unhurt; kc is sized for the A micro-panel, the broadcast operand, in all but two
// of L1's ways instead (12 x 32 on 32 KiB, 8 ways: 512 rather than 160; on a Zen 4, SGEMM 1024^3
// on one thread 90 -> 103 GFLOPS, ResNet-18's 512 x 7x7 3x3 convolution at batch 32 on two
// threads 50 -> 42 ms; untried where those FMAs run at full rate, as on Intel's Xeons).
cortado::CacheBlocks cortado::derive_blocks(const CacheSizes& caches, int mr, int nr, bool largeC, bool streamB) {
    const CacheLevel& l1 = caches.l1d;
    const int ways = std::max(2, l1.ways), line = std::max(16, l1.line);
    const long wayBytes = std::max(1L, l1.bytes / (static_cast<long>(ways) * line)) * line;
    long kc = 0;
    for (int a = 1; a < ways - 1; a++) kc = std::max(kc, std::min(a * wayBytes / (4L * mr), (ways - 1 - a) * wayBytes / (4L * nr)));
    if (ways == 2) kc = wayBytes / (4L * (mr + nr));  // (or direct-mapped) the micro-panels share the one way left
    if (streamB) kc = std::max(kc, (ways - 2) * wayBytes / (4L * mr));
    kc = std::max(16L, std::min(4096L, kc));
    if (largeC) kc = std::max(kc, std::min(2 * kc, (ways - 1) * wayBytes / (4L * nr)));
    const long mc = std::max<long>(mr, caches.l2.bytes / 2 / (4 * kc) / mr * mr);
    const long l3 = caches.l3.bytes > 0 ? l3_per_thread(caches.l3) : caches.l2.bytes;  // no L3: B from memory
    const long nc = std::max<long>(nr, l3 / 2 / (4 * kc) / nr * nr);
    return {static_cast<int>(std::min(mc, 1L << 16)), static_cast<int>(kc), static_cast<int>(std::min(nc, 1L << 16))};
}

// The main kernel, unless it would leave more than 5% of C's padded rows empty and a variant
// leaves fewer; its blocks for a C larger than L2 when C is (unless CORTADO_GEMM_BLOCKING is set).
cortado::Blocking cortado::gemm_blocking(long m, long n) {
    const Blocking(&all)[kVariants][2] = g_blocking.of[g_isa];
    int best = 0;
    auto padded = [m](const Blocking& b) { return cortado::ceil_div(m, b.mr) * b.mr; };
    if (padded(all[0][0]) * 20 > m * 21)
        for (int v = 1; v < kVariants; v++)
            if (all[v][0].kernel && padded(all[v][0]) < padded(all[best][0])) best = v;
    const bool largeC = m * n * static_cast<long>(sizeof(float)) > g_blocking.caches.l2.bytes;
    return all[best][largeC ? 1 : 0];
}
float* cortado::gemm_scratch(int which, size_t floats) { return scratch[which].get(floats); }

namespace {
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 -Wall: inside its own AVX-512 intrinsics
__attribute__((target("avx512f"))) void pack_transposed(const float* const* row, int w, int kc, float s, float* d) {
    const __m512 scale = _mm512_set1_ps(s);
    for (int c0 = 0; c0 < w; c0 += 16) {
        int p = 0;
        for (; p + 16 <= kc; p += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++) r[i] = _mm512_mul_ps(scale, _mm512_loadu_ps(row[c0 + i] + p));
            cortado::transpose16(r);
            for (int i = 0; i < 16; i++) _mm512_storeu_ps(d + (p + i) * w + c0, r[i]);
        }
        for (; p < kc; p++)
            for (int c = c0; c < c0 + 16; c++) d[p * w + c] = s * row[c][p];
    }
}

// The same for a panel narrower than a vector (w <= 16, the 12-, 10- and 8-row A panels): rows
// n..15 read as zeros, each transposed column stored as its first w lanes.
__attribute__((target("avx512f"))) void pack_transposed_narrow(const float* const* row, int n, int w, int kc, float s, float* d) {
    const __m512 scale = _mm512_set1_ps(s);
    const __mmask16 keep = lanes(0, w);
    int p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = i < n ? _mm512_mul_ps(scale, _mm512_loadu_ps(row[i] + p)) : _mm512_setzero_ps();
        cortado::transpose16(r);
        for (int i = 0; i < 16; i++) _mm512_mask_storeu_ps(d + (p + i) * w, keep, r[i]);
    }
    for (; p < kc; p++)
        for (int c = 0; c < w; c++) d[p * w + c] = c < n ? s * row[c][p] : 0.0f;
}

// Panels q < panels of width w <= 64: d[q * w * kc + p * w + c] = s * src[p * ld + q * w + c],
// row p of src read once, left to right, for all panels (a panel at a time reads one short run of
// each row: with ld a multiple of 512 floats every row falls in the same few L1 sets).
__attribute__((target("avx512f"))) void pack_rows(const float* src, long ld, int w, int panels, int kc, float s, float* d) {
    const __m512 scale = _mm512_set1_ps(s);
    for (int p = 0; p < kc; p++, src += ld)
        for (int q = 0; q < panels; q++)
            for (int c0 = 0; c0 < w; c0 += 16) {
                const __mmask16 m = lanes(0, w - c0);
                _mm512_mask_storeu_ps(d + q * w * kc + p * w + c0, m, _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(m, src + q * w + c0)));
            }
}

// ---- AVX2 packers: the same three layouts with 8-float vectors ----
// The first `count` lanes of an AVX2 vector (0..8), as maskload/maskstore want them.
__attribute__((target("avx2,fma"))) __m256i lanes8(int count) { return _mm256_castps_si256(cortado::avx2::first_lanes(count)); }

// pack_rows with 8-float vectors. A row's partial last vector is stored whole (its extra floats
// land on the panel's next row, written on the next pass) except on the last row.
__attribute__((target("avx2"))) void pack_rows_avx2(const float* src, long ld, int w, int panels, int kc, float s, float* d) {
    const __m256 scale = _mm256_set1_ps(s);
    const int full = w / 8 * 8;
    const __m256i tail = lanes8(w - full);
    for (int p = 0; p < kc; p++, src += ld)
        for (int q = 0; q < panels; q++) {
            const float* in = src + q * w;
            float* out = d + q * w * kc + p * w;
            for (int c = 0; c < full; c += 8) _mm256_storeu_ps(out + c, _mm256_mul_ps(scale, _mm256_loadu_ps(in + c)));
            if (full == w) continue;
            const __m256 v = _mm256_mul_ps(scale, _mm256_maskload_ps(in + full, tail));
            if (p + 1 < kc) _mm256_storeu_ps(out + full, v);
            else _mm256_maskstore_ps(out + full, tail, v);
        }
}

// d[p * w + c] = s * row[c][p] for c < n, 0 for n <= c < w <= 64: 8 x 8 transposes, rows past n
// read as zeros. A partial group (w <= 8) is stored whole, its extra floats landing on the next
// row, written next, except on the panel's last row.
__attribute__((target("avx2"))) void pack_transposed_avx2(const float* const* row, int n, int w, int kc, float s, float* d) {
    const __m256 scale = _mm256_set1_ps(s);
    int p = 0;
    for (; p + 8 <= kc; p += 8)
        for (int c0 = 0; c0 < w; c0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = c0 + i < n ? _mm256_mul_ps(scale, _mm256_loadu_ps(row[c0 + i] + p)) : _mm256_setzero_ps();
            cortado::transpose8(r);
            const int width = std::min(8, w - c0);
            for (int i = 0; i < 8; i++) {
                float* out = d + (p + i) * w + c0;
                if (width == 8 || (w <= 8 && p + i + 1 < kc)) _mm256_storeu_ps(out, r[i]);
                else _mm256_maskstore_ps(out, lanes8(width), r[i]);
            }
        }
    for (; p < kc; p++)
        for (int c = 0; c < w; c++) d[p * w + c] = c < n ? s * row[c][p] : 0.0f;
}
}  // namespace

// The packers above for the instruction set in use; false (nothing written) where none applies.
bool cortado::pack_rows_simd(const float* src, long ld, int w, int panels, int kc, float s, float* d) {
    if (w > 64) return false;
    if (g_isa == 2) pack_rows(src, ld, w, panels, kc, s, d);
    else if (g_isa == 1) pack_rows_avx2(src, ld, w, panels, kc, s, d);
    else return false;
    return true;
}

bool cortado::pack_transposed_simd(const float* const* row, int n, int w, int kc, float s, float* d) {
    if (w > 64) return false;
    if (g_isa == 1) pack_transposed_avx2(row, n, w, kc, s, d);
    else if (g_isa == 2 && w <= 16 && kc >= 16) pack_transposed_narrow(row, n, w, kc, s, d);
    else if (g_isa == 2 && n == w && w % 16 == 0) pack_transposed(row, w, kc, s, d);
    else return false;
    return true;
}

int cortado_best_isa() { return kBestIsa; }
int cortado_isa() { return g_isa; }
int cortado_set_isa(int isa) {
    g_isa = std::max(0, std::min(isa, kBestIsa));
    return g_isa;
}

// ---- the blocking, for users, benchmarks and tests (cortado_cpu.h) ----
namespace {
CacheSizes caches_from(const long* in) {
    auto level = [in](int i) { return CacheLevel{in[i], static_cast<int>(in[i + 1]), static_cast<int>(in[i + 2]), static_cast<int>(in[i + 3])}; };
    return {level(0), level(4), level(8)};
}
}  // namespace

void cortado_cache_sizes(long* out) {
    const CacheSizes& c = g_blocking.caches;
    const CacheLevel* levels[] = {&c.l1d, &c.l2, &c.l3};
    for (int i = 0; i < 3; i++) {
        out[4 * i] = levels[i]->bytes;
        out[4 * i + 1] = levels[i]->ways;
        out[4 * i + 2] = levels[i]->line;
        out[4 * i + 3] = levels[i]->sharing;
    }
    out[12] = cortado::l3_per_thread(c.l3);
}

void cortado_gemm_set_caches(const long* in) {
    g_blocking = blocking_table(in ? caches_from(in) : cortado::cache_sizes());
}

bool cortado::half_rate_avx512() { return kHalfRate512; }

int cortado_gemm_streams_b() { return kHalfRate512 ? 1 : 0; }

void cortado_gemm_derive_blocks(const long* caches, int mr, int nr, int large_c, int stream_b, int* out) {
    const CacheBlocks b = cortado::derive_blocks(caches_from(caches), mr, nr, large_c != 0, stream_b != 0);
    out[0] = b.mc;
    out[1] = b.kc;
    out[2] = b.nc;
}

void cortado_gemm_blocking(long m, long n, int* out) {
    const Blocking b = cortado::gemm_blocking(m, n);
    const int values[] = {b.mr, b.nr, b.mc, b.kc, b.nc};
    std::copy(values, values + 5, out);
}

CORTADO_KERNEL(gemm) {
    if (m == 0 || n == 0) return CORTADO_STATUS_OK;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return CORTADO_STATUS_OK;
    }
    if (cortado::gemm_few_rows(g_isa, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return CORTADO_STATUS_OK;
    using cortado::Matrix;
    cortado::gemm(m, n, k, cortado::PackMatrix{Matrix::rows(a, lda), trans_a, alpha},
                  cortado::PackMatrix{Matrix::rows(b, ldb), !trans_b, 1.0f}, beta, Matrix::rows(c, ldc));
    return CORTADO_STATUS_OK;
}

namespace {
// A linear layer's tail (gemm_bias): C[i, j] = act(C[i, j] + bias[j] + z[i, j]). The bias, the
// residual z and act when it is a clamp in the micro-kernel's registers where it can (TileTail),
// any other op over the tile just stored (after_tile, while it is in L1) by the unary kernel's own
// code (unary_rows.h); else over a finished row block.
struct BiasTail {
    const float* bias;  // [n], or null
    const float* z;     // laid out as C, or null
    long ldc;
    int act;            // a CORTADO_UNARY_* code
    float p1, p2;

    bool clamps() const { return act == CORTADO_UNARY_CLAMP; }
    bool tile(const float*, long i, long j, cortado::TileTail& t) const {
        t = {nullptr, bias ? bias + j : nullptr, z ? z + i * ldc + j : nullptr, clamps() ? p1 : -INFINITY, clamps() ? p2 : INFINITY};
        return true;
    }
    void after_tile(float* cij, long ld, int mr, int nr) const {
        if (!clamps()) cortado::unary_rows(act, p1, p2, cij, ld, mr, nr);
    }
    void operator()(const cortado::Matrix& c, long i, long j, int mr, int nr) const {
        cortado::TileTail t;  // what the registers would have done, done here
        tile(nullptr, i, j, t);
        for (int r = 0; r < mr; r++) {
            float* p = c.at(i + r, j);
            const float* zr = t.z ? t.z + r * ldc : nullptr;
            for (int u = 0; u < nr; u++) {
                float v = t.col_add ? p[u] + t.col_add[u] : p[u];
                if (zr) v += zr[u];
                p[u] = cortado::clamp_keep_nan(v, t.lo, t.hi);
            }
        }
        after_tile(c.at(i, j), c.ld, mr, nr);
    }
};
}  // namespace

CORTADO_KERNEL(gemm_bias) {
    if (m == 0 || n == 0) return CORTADO_STATUS_OK;
    using cortado::Matrix;
    const BiasTail tail{bias, z, ldc, act, p1, p2};
    const Matrix cm = Matrix::rows(c, ldc);
    if (k == 0 || cortado::gemm_few_rows(g_isa, trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc)) {
        if (k == 0) scale_c(m, n, 0.0f, c, ldc);
        tail(cm, 0, 0, m, n);
        return CORTADO_STATUS_OK;
    }
    cortado::gemm(m, n, k, cortado::PackMatrix{Matrix::rows(a, lda), trans_a, 1.0f},
                  cortado::PackMatrix{Matrix::rows(b, ldb), !trans_b, 1.0f}, 0.0f, cm, tail);
    return CORTADO_STATUS_OK;
}

// Many products of the same shape: with items enough for every thread (or items too small to split
// well), the threads take whole products one at a time, each computed on its own thread (the GEMM
// inside a pool thread runs single-threaded, and packs into that thread's scratch); otherwise the
// products go one after another, each on every thread. Either way each product is the one
// cortado_gemm computes, whose bits do not depend on the threads.
CORTADO_KERNEL(gemm_batched) {
    if (m == 0 || n == 0 || batch == 0) return CORTADO_STATUS_OK;
    auto item = [&](long i) {
        cortado_gemm(ctx, trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
    };
    const double flops = 2.0 * m * n * k;
    const int threads = cortado::threads();
    if (threads > 1 && (batch >= 2L * threads || flops < 4.0e6)) {
        cortado::parallel_items(threads, batch, [&](int, long i) { item(i); });
        return CORTADO_STATUS_OK;
    }
    for (long i = 0; i < batch; i++) item(i);
    return CORTADO_STATUS_OK;
}
