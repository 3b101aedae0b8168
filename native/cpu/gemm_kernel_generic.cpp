// Portable micro-kernel: SSE2 (the x86-64 baseline), 4 x 8.
#define VW 4
#define MR 4
#define NV 2
#define KERNEL_NAME cortado_micro_kernel_generic
#include "gemm_kernel.inc"
