// AVX2 + FMA micro-kernel, 6 x 16: 12 ymm accumulators, 2 B loads and 6 broadcasts per step.
#pragma GCC target("avx2,fma")
#define VW 8
#define MR 6
#define NV 2
#define KERNEL_NAME cortado_micro_kernel_avx2
#include "gemm_kernel.inc"
