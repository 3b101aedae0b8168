// AVX-512F micro-kernel, 10 x 32, for C with few rows where 12 would leave a panel part empty
// (10 divides the row counts that 12 does not: see kTiles in gemm.cpp).
#pragma GCC target("avx512f")
#define VW 16
#define MR 10
#define NV 2
#define KERNEL_NAME cortado_micro_kernel_avx512_10x32
#include "gemm_kernel.inc"
