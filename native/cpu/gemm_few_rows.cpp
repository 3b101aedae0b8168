// SGEMM for a C of at most 8 rows (a layer at batch 1..8: one request to a served model), with
// AVX-512. The blocked driver would pack all of B to use it for at most 8 rows; here B is read once,
// straight from memory, and only op(A) (m x k, small) is copied, with alpha folded in.
//   op(B) = B^T (B n x k, a layer's [out, in] weights): each C(i, j) is a dot product of A's row i
//     with B's row j, two columns at a time (A's vectors loaded once for both);
//   op(B) = B   (B k x n): each C row is a sum of B's rows scaled by A(i, p), 32 columns at a time.
// Every C(i, j) is summed in the same order whatever the columns around it and the thread that
// computes it, so the bits do not depend on the thread count.
#include <immintrin.h>

#include <algorithm>

#include "gemm_driver.h"
#include "simd.h"

namespace {

// GCC 12 -Wall warns from inside its own _mm512_reduce_add_ps
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// C(i, j0..j0+J) for rows i < M: A's rows are `ar` (row i at ar + i * k), B's rows j at b + j * ldb.
template <int M, int J>
__attribute__((target("avx512f"))) void dot_columns(const float* ar, long k, const float* b, long ldb, long j0,
                                                     float beta, float* c, long ldc) {
    __m512 acc[M][J];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < J; j++) acc[i][j] = _mm512_setzero_ps();
    for (long p = 0; p < k; p += 16) {
        const __mmask16 keep = lanes(0, k - p);
        __m512 bv[J];
        for (int j = 0; j < J; j++) bv[j] = _mm512_maskz_loadu_ps(keep, b + (j0 + j) * ldb + p);
        for (int i = 0; i < M; i++) {
            const __m512 av = _mm512_maskz_loadu_ps(keep, ar + i * k + p);
            for (int j = 0; j < J; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < J; j++) {
            float* cij = c + i * ldc + j0 + j;
            const float sum = _mm512_reduce_add_ps(acc[i][j]);
            *cij = beta == 0.0f ? sum : sum + beta * *cij;  // beta = 0 never reads C
        }
}

template <int M>
__attribute__((target("avx512f"))) void dot_range(const float* ar, long k, const float* b, long ldb, long j0, long j1,
                                                   float beta, float* c, long ldc) {
    long j = j0;
    for (; j + 2 <= j1; j += 2) dot_columns<M, 2>(ar, k, b, ldb, j, beta, c, ldc);
    if (j < j1) dot_columns<M, 1>(ar, k, b, ldb, j, beta, c, ldc);
}

// C(i, j0..j0+32) for rows i < M, summing A(i, p) B(p, :) over p in order.
template <int M>
__attribute__((target("avx512f"))) void axpy_block(const float* ar, long k, const float* b, long ldb, long j0, long n,
                                                    float beta, float* c, long ldc) {
    const __mmask16 keep0 = lanes(0, n - j0), keep1 = lanes(0, n - j0 - 16);
    __m512 acc[M][2];
    for (int i = 0; i < M; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (long p = 0; p < k; p++) {
        const float* row = b + p * ldb;
        const __m512 b0 = _mm512_maskz_loadu_ps(keep0, row + j0), b1 = _mm512_maskz_loadu_ps(keep1, row + j0 + 16);
        for (int i = 0; i < M; i++) {
            const __m512 a = _mm512_set1_ps(ar[i * k + p]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < M; i++) {
        float* row = c + i * ldc + j0;
        if (beta != 0.0f) {  // beta = 0 never reads C
            const __m512 bt = _mm512_set1_ps(beta);
            acc[i][0] = _mm512_fmadd_ps(bt, _mm512_maskz_loadu_ps(keep0, row), acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(bt, _mm512_maskz_loadu_ps(keep1, row + 16), acc[i][1]);
        }
        _mm512_mask_storeu_ps(row, keep0, acc[i][0]);
        _mm512_mask_storeu_ps(row + 16, keep1, acc[i][1]);
    }
}

template <int M>
void few_rows(bool transB, long n, long k, const float* ar, const float* b, long ldb, float beta, float* c, long ldc) {
    // Splits the columns over the pool when each thread gets about 64K multiply-adds or more.
    const long grain = std::max(1L, 65536 / (M * k));
    if (transB) {
        cortado::parallel_range(n, grain, [&](long j0, long j1) { dot_range<M>(ar, k, b, ldb, j0, j1, beta, c, ldc); });
    } else {
        cortado::parallel_range(cortado::ceil_div(n, 32), cortado::ceil_div(grain, 32), [&](long q0, long q1) {
            for (long q = q0; q < q1; q++) axpy_block<M>(ar, k, b, ldb, q * 32, n, beta, c, ldc);
        });
    }
}

}  // namespace

bool cortado::gemm_few_rows_avx512(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, long lda,
                                   const float* b, long ldb, float beta, float* c, long ldc) {
    if (m < 1 || m > 8 || n < 1 || k < 1) return false;
    float* ar = gemm_scratch(0, static_cast<size_t>(m) * k);
    if (!ar) return false;
    for (int i = 0; i < m; i++)
        for (long p = 0; p < k; p++) ar[i * k + p] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
    switch (m) {
        case 1: few_rows<1>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 2: few_rows<2>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 3: few_rows<3>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 4: few_rows<4>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 5: few_rows<5>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 6: few_rows<6>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        case 7: few_rows<7>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
        default: few_rows<8>(transB, n, k, ar, b, ldb, beta, c, ldc); break;
    }
    return true;
}
