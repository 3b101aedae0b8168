// Grid-stride loops: the launch shape and indices that the one-element-per-thread kernels share.
#pragma once

#include "cortado_cuda.h"

namespace cortado::cuda {

constexpr unsigned kThreads = 256;
// At most this many blocks: each thread then loops over its share (enough to fill any GPU; fewer
// on the emulation, whose threads are fibers, so each loops longer).
#if CORTADO_EMULATED
constexpr unsigned kMaxBlocks = 64;
#else
constexpr unsigned kMaxBlocks = 4096;
#endif

// Blocks of kThreads for n elements, at most kMaxBlocks.
inline unsigned grid_for(int64_t n) {
    const unsigned b = blocks_for(n, kThreads);
    return b > kMaxBlocks ? kMaxBlocks : b;
}

__device__ __forceinline__ int64_t first_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// f(offset) for each element of a rows x cols matrix whose rows lie ld apart, in a grid-stride loop.
template <class F>
__device__ __forceinline__ void for_each_in_matrix(int64_t rows, int64_t cols, int64_t ld, F f) {
    const int64_t n = rows * cols;
    for (int64_t i = first_index(); i < n; i += grid_stride()) f(i / cols * ld + i % cols);
}

// k / d for k >= 0, d > 0: in 32 bits where k fits (a GPU's 64-bit division is a long routine).
__device__ __forceinline__ int64_t quotient(int64_t k, int d) {
    return k <= 0xffffffffLL ? static_cast<int64_t>(static_cast<uint32_t>(k) / static_cast<uint32_t>(d)) : k / d;
}

}  // namespace cortado::cuda
