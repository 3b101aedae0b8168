// The portable direct convolution: AVX-512's blocking (conv_direct_avx512.cpp) with its vectors
// split by the compiler into SSE2 ones. Slow (it spills), but it runs the AVX-512 geometry, tails
// included, on every machine the conformance tests run on.
#define VW 16
#define FB 8
#define PB 3
#define TB 3
#define NAME cortado::direct_generic
#include "conv_direct_kernel.inc"
