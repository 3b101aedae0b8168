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

// k / d for k >= 0, d > 0: in 32 bits where k fits (a GPU's 64-bit division is a long routine).
__device__ __forceinline__ int64_t quotient(int64_t k, int d) {
    return k <= 0xffffffffLL ? static_cast<int64_t>(static_cast<uint32_t>(k) / static_cast<uint32_t>(d)) : k / d;
}

}  // namespace cortado::cuda
