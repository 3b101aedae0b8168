// Few-rows SGEMM kernels, portable: SSE2 (the x86-64 baseline), 4 floats per vector.
#define VW 4
#define FEW_ROWS_DOT cortado_few_rows_dot_generic
#define FEW_ROWS_SUMS cortado_few_rows_sums_generic
#include "gemm_few_rows.inc"
