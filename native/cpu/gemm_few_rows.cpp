// SGEMM for a C of at most 8 rows (a layer at batch 1..8: one request to a served model). The
// blocked driver would pack all of B to use it for at most 8 rows; here B is read once, straight
// from memory, and only op(A) (m x k, small) is copied, with alpha folded in. The kernels
// (gemm_few_rows.inc, one build per instruction set) take C's columns in runs, which the pool
// splits; each C(i, j) is summed in the same order whatever the run, so the bits do not depend on
// the thread count.
#include <algorithm>

#include "gemm_driver.h"

using FewRowsKernel = void (*)(int m, long k, const float* ar, const float* b, long ldb, long j0, long j1, float beta,
                               float* c, long ldc);
void cortado_few_rows_dot_generic(int, long, const float*, const float*, long, long, long, float, float*, long);
void cortado_few_rows_sums_generic(int, long, const float*, const float*, long, long, long, float, float*, long);
void cortado_few_rows_dot_avx2(int, long, const float*, const float*, long, long, long, float, float*, long);
void cortado_few_rows_sums_avx2(int, long, const float*, const float*, long, long, long, float, float*, long);
void cortado_few_rows_dot_avx512(int, long, const float*, const float*, long, long, long, float, float*, long);
void cortado_few_rows_sums_avx512(int, long, const float*, const float*, long, long, long, float, float*, long);

namespace {
// [isa][op(B) = B^T ? dot : sums], isa as in gemm.cpp: 0 generic, 1 AVX2, 2 AVX-512
constexpr FewRowsKernel kKernels[3][2] = {
    {cortado_few_rows_sums_generic, cortado_few_rows_dot_generic},
    {cortado_few_rows_sums_avx2, cortado_few_rows_dot_avx2},
    {cortado_few_rows_sums_avx512, cortado_few_rows_dot_avx512},
};
}  // namespace

bool cortado::gemm_few_rows(int isa, bool transA, bool transB, int m, int n, int k, float alpha, const float* a, long lda,
                            const float* b, long ldb, float beta, float* c, long ldc) {
    if (m < 1 || m > 8 || n < 1 || k < 1 || isa < 0 || isa > 2) return false;
    float* ar = gemm_scratch(0, static_cast<size_t>(m) * k);
    if (!ar) return false;
    for (int i = 0; i < m; i++)
        for (long p = 0; p < k; p++) ar[i * static_cast<long>(k) + p] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
    const FewRowsKernel kernel = kKernels[isa][transB ? 1 : 0];
    // runs of 32 columns (whole vectors on every ISA), split over the pool when each thread gets
    // about 64K multiply-adds or more
    constexpr long kRun = 32;
    const long runs = ceil_div(n, kRun), grain = ceil_div(std::max(1L, 65536L / (static_cast<long>(m) * k)), kRun);
    parallel_range(runs, grain, [&](long r0, long r1) {
        kernel(m, k, ar, b, ldb, r0 * kRun, std::min<long>(n, r1 * kRun), beta, c, ldc);
    });
    return true;
}
