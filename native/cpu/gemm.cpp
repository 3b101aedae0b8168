// SGEMM: C (row-major) = alpha op(A) op(B) + beta C, through the blocked driver in gemm_driver.h
// (or, for a C of at most 8 rows, gemm_few_rows.cpp), and the per-ISA blocking and scratch memory
// that driver uses.
#include <immintrin.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cortado_cpu.h"
#include "gemm_driver.h"
#include "simd.h"

void cortado_micro_kernel_generic(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx2(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx512(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx512_10x32(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx512_8x32(int, const float*, const float*, float*, long, float, int, int);

namespace {

using cortado::Blocking;

// Blocking per ISA: the B micro-panel (kc x nr floats) stays in L1 across the ir loop, the A
// block (mc x kc) in L2, the B block (kc x nc) in L3; gemm_blocking doubles kc for a C larger
// than L2 (see there). Chosen for 48 KiB L1d / 2 MiB L2 (the
// Xeon this was measured on) and safe for 32 KiB / 1 MiB (Zen 4); timings on the shared 2-core
// machine vary by +-20% run to run, more than the blocking choices between sane values.
// The first entry of an ISA is its main kernel; the others serve C with few rows (a
// convolution's filters, a batch) that they tile with fewer empty rows.
constexpr int kVariants = 3;
Blocking kBlocking[][kVariants] = {
    {{cortado_micro_kernel_generic, 4, 8, 128, 256, 4096}},
    {{cortado_micro_kernel_avx2, 6, 16, 144, 256, 4096}},
    {{cortado_micro_kernel_avx512, 12, 32, 192, 256, 4096},
     {cortado_micro_kernel_avx512_10x32, 10, 32, 190, 256, 4096},
     {cortado_micro_kernel_avx512_8x32, 8, 32, 192, 256, 4096}},
};

int detect_best_isa() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

const int kBestIsa = detect_best_isa();
int g_isa = kBestIsa;

// CORTADO_GEMM_BLOCKING="mc,kc,nc" overrides the cache blocks of every ISA (for tuning on a new
// machine); mc and nc are rounded up to multiples of the register tile.
const bool kBlockingFromEnv = [] {
    const char* env = std::getenv("CORTADO_GEMM_BLOCKING");
    int mc, kc, nc;
    if (!env || std::sscanf(env, "%d,%d,%d", &mc, &kc, &nc) != 3 || mc < 1 || kc < 1 || nc < 1) return false;
    for (auto& isa : kBlocking)
        for (Blocking& b : isa) {
            if (!b.kernel) continue;
            b.mc = (mc + b.mr - 1) / b.mr * b.mr;
            b.kc = kc;
            b.nc = (nc + b.nr - 1) / b.nr * b.nr;
        }
    return true;
}();

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

// The main kernel, unless it would leave more than 5% of C's padded rows empty and a variant
// leaves fewer. A C larger than L2 gets kc doubled (mc cut by a quarter): each pass over k reads
// and writes all of C in L3, and halving the passes beat keeping the B micro-panel in L1
// (square SGEMM n = 1024/2048: +5-10%; the convolutions' and LeNet's C, all under 2 MiB, lost
// 3-5% with it).
cortado::Blocking cortado::gemm_blocking(long m, long n) {
    const Blocking* best = &kBlocking[g_isa][0];
    auto padded = [m](const Blocking& b) { return cortado::ceil_div(m, b.mr) * b.mr; };
    if (padded(*best) * 20 > m * 21)
        for (const Blocking& b : kBlocking[g_isa])
            if (b.kernel && padded(b) < padded(*best)) best = &b;
    Blocking bl = *best;
    constexpr long kL2Floats = 512 * 1024;
    if (!kBlockingFromEnv && m * n > kL2Floats) {
        bl.kc *= 2;
        bl.mc = std::max(bl.mr, bl.mc * 3 / 4 / bl.mr * bl.mr);
    }
    return bl;
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

__attribute__((target("avx512f"))) void pack_rows(const float* src, long ld, int w, int kc, float s, float* d) {
    const __m512 scale = _mm512_set1_ps(s);
    for (int c0 = 0; c0 < w; c0 += 16) {
        const __mmask16 m = lanes(0, w - c0);
        for (int p = 0; p < kc; p++)
            _mm512_mask_storeu_ps(d + p * w + c0, m, _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(m, src + p * ld + c0)));
    }
}
}  // namespace

bool cortado::pack_transposed_avx512(const float* const* row, int w, int kc, float s, float* d) {
    if (g_isa < 2) return false;
    pack_transposed(row, w, kc, s, d);
    return true;
}

bool cortado::pack_transposed_narrow_avx512(const float* const* row, int n, int w, int kc, float s, float* d) {
    if (g_isa < 2 || w > 16 || kc < 16) return false;
    pack_transposed_narrow(row, n, w, kc, s, d);
    return true;
}

bool cortado::pack_rows_avx512(const float* src, long ld, int w, int kc, float s, float* d) {
    if (g_isa < 2 || w > 64) return false;
    pack_rows(src, ld, w, kc, s, d);
    return true;
}

int cortado_best_isa() { return kBestIsa; }
int cortado_isa() { return g_isa; }
int cortado_set_isa(int isa) {
    g_isa = std::max(0, std::min(isa, kBestIsa));
    return g_isa;
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
