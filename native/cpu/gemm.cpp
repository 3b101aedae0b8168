// SGEMM, Goto/BLIS style: C (row-major) = alpha op(A) op(B) + beta C.
//
//   for jc in n by NC:            B block  (KC x NC) packed once, shared by the threads
//     for pc in k by KC:
//       pack B[pc, jc]            NR-wide micro-panels, zero-padded
//       for ic in m by MC:        A block  (MC x KC) packed, alpha folded in; stays in L2
//         pack A[ic, pc]          MR-tall micro-panels, zero-padded
//         for jr in NC by NR:     B micro-panel (KC x NR) stays in L1 across ir
//           for ir in MC by MR:   micro-kernel: MR x NR of C in registers
//
// Threads split the packing of each block, then the jr panels (or the ir panels when there are
// fewer jr panels than threads); barriers separate packing from use.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "cortado_cpu.h"
#include "thread_pool.h"

void cortado_micro_kernel_generic(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx2(int, const float*, const float*, float*, long, float, int, int);
void cortado_micro_kernel_avx512(int, const float*, const float*, float*, long, float, int, int);

namespace {

using MicroKernel = void (*)(int, const float*, const float*, float*, long, float, int, int);

struct Blocking {
    MicroKernel kernel;
    int mr, nr;  // register tile
    int mc, kc, nc;  // cache blocks (mc a multiple of mr, nc of nr)
};

// Blocking per ISA: the B micro-panel (kc x nr floats) stays in L1 across the ir loop, the A
// block (mc x kc) in L2, the B block (kc x nc) in L3. Chosen for 48 KiB L1d / 2 MiB L2 (the
// Xeon this was measured on) and safe for 32 KiB / 1 MiB (Zen 4); timings on the shared 2-core
// machine vary by +-20% run to run, more than the blocking choices between sane values.
Blocking kBlocking[] = {
    {cortado_micro_kernel_generic, 4, 8, 128, 256, 4096},
    {cortado_micro_kernel_avx2, 6, 16, 144, 256, 4096},
    {cortado_micro_kernel_avx512, 12, 32, 192, 256, 4096},
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
    for (Blocking& b : kBlocking) {
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

thread_local Scratch a_scratch, b_scratch;

// Packs rows [i0, i0 + mc) x cols [p0, p0 + kc) of op(A), times alpha, into MR-tall micro-panels:
// panel q holds rows i0 + q*mr .. for each p, mr consecutive floats (zero past m).
void pack_a(bool trans, const float* a, long lda, int i0, int mc, int p0, int kc, int mr, float alpha,
            float* dst, long q_begin, long q_end) {
    for (long q = q_begin; q < q_end; q++) {
        float* d = dst + q * mr * kc;
        int rows = std::min(mr, mc - static_cast<int>(q) * mr);
        int i = i0 + static_cast<int>(q) * mr;
        if (trans) {  // op(A)(i, p) = a[p * lda + i]: mr contiguous floats per p
            for (int p = 0; p < kc; p++) {
                const float* s = a + (p0 + p) * lda + i;
                int r = 0;
                for (; r < rows; r++) d[p * mr + r] = alpha * s[r];
                for (; r < mr; r++) d[p * mr + r] = 0.0f;
            }
        } else {  // op(A)(i, p) = a[i * lda + p]: read each row once, write strided by mr (the panel stays in L1)
            for (int r = 0; r < rows; r++) {
                const float* s = a + (i + r) * lda + p0;
                for (int p = 0; p < kc; p++) d[p * mr + r] = alpha * s[p];
            }
            for (int r = rows; r < mr; r++)
                for (int p = 0; p < kc; p++) d[p * mr + r] = 0.0f;
        }
    }
}

// Packs rows [p0, p0 + kc) x cols [j0, j0 + nc) of op(B) into NR-wide micro-panels:
// panel q holds cols j0 + q*nr .. for each p, nr consecutive floats (zero past n).
void pack_b(bool trans, const float* b, long ldb, int p0, int kc, int j0, int nc, int nr,
            float* dst, long q_begin, long q_end) {
    for (long q = q_begin; q < q_end; q++) {
        float* d = dst + q * nr * kc;
        int cols = std::min(nr, nc - static_cast<int>(q) * nr);
        int j = j0 + static_cast<int>(q) * nr;
        if (!trans) {  // op(B)(p, j) = b[p * ldb + j]: nr contiguous floats per p
            for (int p = 0; p < kc; p++) {
                const float* s = b + (p0 + p) * ldb + j;
                int c = 0;
                for (; c < cols; c++) d[p * nr + c] = s[c];
                for (; c < nr; c++) d[p * nr + c] = 0.0f;
            }
        } else {  // op(B)(p, j) = b[j * ldb + p]
            for (int c = 0; c < cols; c++) {
                const float* s = b + (j + c) * ldb + p0;
                for (int p = 0; p < kc; p++) d[p * nr + c] = s[p];
            }
            for (int c = cols; c < nr; c++)
                for (int p = 0; p < kc; p++) d[p * nr + c] = 0.0f;
        }
    }
}

void scale_c(int m, int n, float beta, float* c, long ldc) {
    for (int i = 0; i < m; i++) {
        float* row = c + i * ldc;
        if (beta == 0.0f) std::memset(row, 0, sizeof(float) * n);
        else for (int j = 0; j < n; j++) row[j] *= beta;
    }
}

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }

// Rows [i0, i1) of C computed without packing: the fallback when no scratch memory can be had.
void unblocked_rows(bool transA, bool transB, int i0, int i1, int n, int k, float alpha, const float* a, long lda,
                    const float* b, long ldb, float beta, float* c, long ldc) {
    for (int i = i0; i < i1; i++)
        for (int j = 0; j < n; j++) {
            float acc = 0;
            for (int p = 0; p < k; p++) acc += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
            float* cij = c + i * ldc + j;
            *cij = alpha * acc + (beta == 0.0f ? 0.0f : beta * *cij);
        }
}

}  // namespace

int cortado_best_isa() { return kBestIsa; }
int cortado_isa() { return g_isa; }
int cortado_set_isa(int isa) {
    g_isa = std::max(0, std::min(isa, kBestIsa));
    return g_isa;
}

void cortado_sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
                   const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    const Blocking& bl = kBlocking[g_isa];
    const int mr = bl.mr, nr = bl.nr;
    const int kcMax = std::min(bl.kc, k);
    const int ncMax = static_cast<int>(std::min<long>(bl.nc, ceil_div(n, nr) * nr));
    const int mcMax = static_cast<int>(std::min<long>(bl.mc, ceil_div(m, mr) * mr));
    float* apack = a_scratch.get(static_cast<size_t>(mcMax) * kcMax);
    float* bpack = b_scratch.get(static_cast<size_t>(ncMax) * kcMax);
    if (!apack || !bpack) {  // no scratch: fall back to the unblocked product (never crash)
        unblocked_rows(transA, transB, 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    // A small C over a long k (a weight gradient summed over a batch): split k into fixed chunks
    // computed in parallel and summed in chunk order, so the bits do not depend on the threads.
    constexpr long kSplitChunk = 2048;
    if (static_cast<long>(m) * n <= 4096 && k >= 4 * kSplitChunk) {
        const long chunks = ceil_div(k, kSplitChunk);
        const long mn = static_cast<long>(m) * n;
        std::unique_ptr<float[]> partial(new (std::nothrow) float[chunks * mn]);
        if (partial) {
            cortado::parallel_range(chunks, 1, [&](long c0, long c1) {
                for (long q = c0; q < c1; q++) {
                    const long p0 = q * kSplitChunk;
                    const int kq = static_cast<int>(std::min<long>(kSplitChunk, k - p0));
                    cortado_sgemm(transA, transB, m, n, kq, 1.0f, transA ? a + p0 * lda : a + p0, lda,
                                  transB ? b + p0 : b + p0 * ldb, ldb, 0.0f, partial.get() + q * mn, n);
                }
            });
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float sum = 0.0f;
                    for (long q = 0; q < chunks; q++) sum += partial[q * mn + i * n + j];
                    float* cij = c + i * long(ldc) + j;
                    *cij = alpha * sum + (beta == 0.0f ? 0.0f : beta * *cij);
                }
            return;
        }
    }
    double flops = 2.0 * m * n * k;
    int want = flops < 2.0e5 ? 1 : cortado::threads();
    const long mPanelsAll = ceil_div(m, mr);

    cortado::parallel(want, [&](int tid, int nt, cortado::Barrier& barrier) {
        // Tall C: each thread owns a run of rows and packs its own A blocks (no barrier per A block);
        // otherwise the threads share each A block and split its NR panels.
        const bool ownRows = mPanelsAll >= 4L * nt;
        long rowPanel0 = 0, rowPanel1 = mPanelsAll;
        if (ownRows) cortado::split(mPanelsAll, nt, tid, rowPanel0, rowPanel1);
        const int rowBegin = static_cast<int>(rowPanel0 * mr), rowEnd = static_cast<int>(std::min<long>(m, rowPanel1 * mr));
        float* myA = ownRows && tid > 0 ? a_scratch.get(static_cast<size_t>(mcMax) * kcMax) : apack;
        bool ok = myA != nullptr;
        for (int jc = 0; jc < n; jc += ncMax) {
            const int nc = std::min(ncMax, n - jc);
            const long nPanels = ceil_div(nc, nr);
            for (int pc = 0; pc < k; pc += kcMax) {
                const int kc = std::min(kcMax, k - pc);
                const float betaNow = pc == 0 ? beta : 1.0f;
                long b0, b1;
                cortado::split(nPanels, nt, tid, b0, b1);
                pack_b(transB, b, ldb, pc, kc, jc, nc, nr, bpack, b0, b1);
                barrier.wait();
                for (int ic = rowBegin; ic < rowEnd; ic += mcMax) {
                    const int mc = std::min(mcMax, rowEnd - ic);
                    const long mPanels = ceil_div(mc, mr);
                    long a0 = 0, a1 = mPanels, jr0 = 0, jr1 = nPanels, ir0 = 0, ir1 = mPanels;
                    if (!ownRows) {
                        cortado::split(mPanels, nt, tid, a0, a1);
                        if (nPanels >= nt) cortado::split(nPanels, nt, tid, jr0, jr1);
                        else cortado::split(mPanels, nt, tid, ir0, ir1);
                    }
                    if (ok) pack_a(transA, a, lda, ic, mc, pc, kc, mr, alpha, myA, a0, a1);
                    if (!ownRows) barrier.wait();
                    for (long jr = jr0; ok && jr < jr1; jr++) {
                        const float* bp = bpack + jr * nr * kc;
                        const int nrNow = std::min<long>(nr, nc - jr * nr);
                        for (long ir = ir0; ir < ir1; ir++) {
                            bl.kernel(kc, myA + ir * mr * kc, bp, c + (ic + ir * mr) * long(ldc) + jc + jr * nr, ldc,
                                      betaNow, std::min<long>(mr, mc - ir * mr), nrNow);
                        }
                    }
                    if (!ownRows) barrier.wait();  // the shared A block is repacked next
                }
                barrier.wait();  // the B block is repacked next
            }
        }
        if (!ok) {  // a worker could not get scratch: it computes its rows unblocked (never crash)
            unblocked_rows(transA, transB, rowBegin, rowEnd, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    });
}
