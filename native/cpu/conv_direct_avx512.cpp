// AVX-512 direct convolution: 8 filters x 3 vectors (forward) and 8 filters x 3 taps (filter
// gradient) in 24 of the 32 zmm registers. conv_direct_generic.cpp compiles the same blocking
// without a target, so that these constants are exercised on every machine.
#pragma GCC target("avx512f")
#define VW 16
#define FB 8
#define PB 3
#define TB 3
#define NAME cortado::direct_avx512
// The filter gradient's dY vector held in a register for its TB FMAs (GCC folded it into each as a
// memory operand: 27 loads for 24 FMAs), its sums by reduce_add (a lane at a time took a fifth of
// the kernel): ResNet-20's 32 x 14x14 at batch 128, 1 thread, 9.1 -> 7.0 ms.
#define IN_REGISTER(v) asm("" : "+v"(v))
#include <immintrin.h>
#define HSUM(v) _mm512_reduce_add_ps((__m512)(v))
#include "conv_direct_kernel.inc"
