// The GEMM launcher of gemm.cu, which the convolutions (conv.cu) reuse: `batch` products
// C_b = tail(alpha op(A_b) op(B_b) + beta C_b) at strides stride_a/b/c (0 repeats a matrix); a status.
#pragma once

#include <cmath>

#include "cortado_cuda.h"

namespace cortado::cuda {

// What the GEMM does to each C_b[i][j] after alpha and beta: adds row_bias[i] (a convolution's
// filters) and col_bias[j] (a linear layer's outputs), each unless null, then min(max(v, lo), hi).
struct GemmTail {
    const float* row_bias = nullptr;
    const float* col_bias = nullptr;
    float lo = -INFINITY, hi = INFINITY;
};

// C = min(max(C + z, lo), hi) over rows x cols, C's rows ld apart and z laid out as C (or null): the
// fused tails the GEMM's epilogue does not hold (a residual; a convolution's z). Nothing to do: no launch.
int add_clamp_launch(const cortado_context* ctx, int64_t rows, int64_t cols, int64_t ld, const float* z, float lo, float hi, float* c);

int gemm_launch(const cortado_context* ctx, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                const float* a, int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta,
                float* c, int ldc, int64_t stride_c, int batch, GemmTail tail);

}  // namespace cortado::cuda
