// AVX2 + FMA direct convolution: 4 filters x 3 vectors (forward) and 4 filters x 3 taps (filter
// gradient) in 12 of the 16 ymm registers.
#pragma GCC target("avx2,fma")
#define VW 8
#define FB 4
#define PB 3
#define TB 3
#define NAME cortado::direct_avx2
#include "conv_direct_kernel.inc"
