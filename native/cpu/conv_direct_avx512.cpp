// AVX-512 direct convolution: 8 filters x 3 vectors (forward) and 8 filters x 3 taps (filter
// gradient) in 24 of the 32 zmm registers. conv_direct_generic.cpp compiles the same blocking
// without a target, so that these constants are exercised on every machine.
#pragma GCC target("avx512f")
#define VW 16
#define FB 8
#define PB 3
#define TB 3
#define NAME cortado::direct_avx512
#include "conv_direct_kernel.inc"
