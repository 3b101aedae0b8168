// The GEMM launcher of gemm.cu, which the convolutions (conv.cu) reuse: `batch` products
// C_b = alpha op(A_b) op(B_b) + beta C_b at strides stride_a/b/c (0 repeats a matrix), plus
// bias[row] added to every element of a row of C when bias is not null; a status.
#pragma once

#include "cortado_cuda.h"

namespace cortado::cuda {

int gemm_launch(const cortado_context* ctx, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                const float* a, int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta,
                float* c, int ldc, int64_t stride_c, int batch, const float* bias);

}  // namespace cortado::cuda
