// AVX-512F micro-kernel, 12 x 32: 24 zmm accumulators, 2 B loads and 12 broadcasts per step.
#pragma GCC target("avx512f")
#define VW 16
#define MR 12
#define NV 2
#define KERNEL_NAME cortado_micro_kernel_avx512
#include "gemm_kernel.inc"
