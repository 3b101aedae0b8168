// The unary kernel's op on a matrix in place (unary.cu), for the GEMM's activations that its
// epilogue does not hold (gemm_bias): a launch; a status.
#pragma once

#include <cstdint>

#include "cortado_cuda.h"

namespace cortado::cuda {

// c[r * ld + j] = op(c[r * ld + j]) for r < rows, j < cols; op a CORTADO_UNARY_* code with its settings.
int unary_rows_launch(const cortado_context* ctx, int op, float p1, float p2, float* c, int64_t ld, int rows, int cols);

}  // namespace cortado::cuda
