// Loops that the compiler vectorises get a clone per instruction set, picked at load time.
#pragma once
#define CORTADO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
// Elementwise work is split over the pool only past this many floats per thread.
#define CORTADO_GRAIN (1L << 15)

#include <immintrin.h>

#include <algorithm>

// The AVX-512 mask of lanes [lo, hi) of a 16-float vector (clamped to it): the tails of masked
// loads and stores.
inline __mmask16 lanes(long lo, long hi) {
    lo = std::max(0L, lo);
    hi = std::min(16L, hi);
    return hi > lo ? static_cast<__mmask16>(((1u << (hi - lo)) - 1) << lo) : static_cast<__mmask16>(0);
}
