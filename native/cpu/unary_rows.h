// The unary kernel's op applied in place to a block of rows on the calling thread (unary.cpp): a
// GEMM's tail (gemm_bias) runs it on each finished tile while the tile is in L1, with the bits the
// unary kernel gives.
#pragma once

namespace cortado {

// c[r * ld + j] = op(c[r * ld + j]) for r < rows, j < cols; op a CORTADO_UNARY_* code with its settings.
void unary_rows(int op, float p1, float p2, float* c, long ld, int rows, int cols);

}  // namespace cortado
