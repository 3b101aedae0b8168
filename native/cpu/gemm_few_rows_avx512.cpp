// Few-rows SGEMM kernels with AVX-512F, 16 floats per vector.
#pragma GCC target("avx512f")
#define VW 16
#define FEW_ROWS_DOT cortado_few_rows_dot_avx512
#define FEW_ROWS_SUMS cortado_few_rows_sums_avx512
#include "gemm_few_rows.inc"
