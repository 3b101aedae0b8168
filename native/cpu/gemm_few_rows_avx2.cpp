// Few-rows SGEMM kernels with AVX2 + FMA, 8 floats per vector.
#pragma GCC target("avx2,fma")
#define VW 8
#define FEW_ROWS_DOT cortado_few_rows_dot_avx2
#define FEW_ROWS_SUMS cortado_few_rows_sums_avx2
#include "gemm_few_rows.inc"
