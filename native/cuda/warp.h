// Warp-level pieces the row kernels share (softmax family, argmax, the deterministic sums).
#pragma once

#include "cortado_cuda.h"

namespace cortado::cuda {

constexpr unsigned kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Butterfly sum over the warp: every lane ends with the same bits (a + b == b + a at every step).
__device__ __forceinline__ double warp_sum(double v) {
    for (unsigned off = kWarp / 2; off > 0; off >>= 1) v += __shfl_xor_sync(kFullMask, v, off);
    return v;
}

// The threads that work on one row: a warp (kBlock false: blockDim.x / kWarp rows per block) or
// the whole block (a row per block).
template <bool kBlock>
struct RowThreads {
    int64_t row;     // the row index (may be >= rows in warp mode: the warp has nothing to do)
    unsigned lane;   // this thread's place among the row's threads
    unsigned width;  // how many threads work on the row

    __device__ __forceinline__ RowThreads() {
        if (kBlock) {
            row = blockIdx.x;
            lane = threadIdx.x;
            width = blockDim.x;
        } else {
            row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
            lane = threadIdx.x % kWarp;
            width = kWarp;
        }
    }

    // The sum over the row's threads of v: the same bits in every thread. `shared` holds a double
    // per warp of the block (block mode).
    __device__ __forceinline__ double sum(double v, double* shared) const {
        v = warp_sum(v);
        if (!kBlock) return v;
        const unsigned warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
        __syncthreads();  // the previous reduction's readers are done with shared
        if (threadIdx.x % kWarp == 0) shared[warp] = v;
        __syncthreads();
        const unsigned l = threadIdx.x % kWarp;
        return warp_sum(l < warps ? shared[l] : 0.0);
    }
};

}  // namespace cortado::cuda
