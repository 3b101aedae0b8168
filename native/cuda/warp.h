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

constexpr unsigned kRowsPerBlock = 4;  // warp mode: rows (warps) per block
constexpr int kWarpCols = 1024;        // rows up to this long take one warp each

// Runs the row kernel `warp_kernel` (a warp per row) or `block_kernel` (a block per row) by the
// row length.
template <typename... P, typename... A>
int launch_rows(const cortado_context* ctx, const char* name, int rows, int cols, void (*warp_kernel)(P...),
                void (*block_kernel)(P...), A... args) {
    if (rows <= 0 || cols <= 0) return CORTADO_STATUS_OK;
    if (cols <= kWarpCols) {
        return cortado::cuda::launch(ctx, name, dim3(cortado::cuda::blocks_for(rows, kRowsPerBlock)),
                                     dim3(kRowsPerBlock * kWarp), 0, warp_kernel, args...);
    }
    const unsigned threads = cols > 16384 ? 1024 : 256;
    return cortado::cuda::launch(ctx, name, dim3(static_cast<unsigned>(rows)), dim3(threads), 0, block_kernel, args...);
}

}  // namespace cortado::cuda
