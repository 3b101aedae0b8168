// What every CUDA kernel source of native/cuda includes. The same sources build twice: with nvcc
// for a GPU (libcortado_cuda), and with g++ against our emulation (emu/cuda_emu.h: blocks on OS
// threads, CUDA threads as fibers) so that every kernel runs, and is tested, on machines without
// a GPU (libcortado_cuda_emu). Kernel code therefore keeps to what both understand:
//   - no <<<>>>: launch with CORTADO_LAUNCH(ctx, kernel, grid, block, shared_bytes, args...);
//   - static shared memory as `__shared__ T name[N];` inside the kernel; dynamic shared memory
//     with CORTADO_DYNAMIC_SHARED(T, name) (never `extern __shared__`);
//   - the intrinsics listed in emu/cuda_emu.h (thread indices, __syncthreads, __syncwarp, the
//     *_sync shuffles and votes, atomics, __ldg, float bit casts, <cmath> functions);
//   - inline PTX only behind a wrapper with a plain C++ fallback (#if CORTADO_EMULATED).
#pragma once

#include <cstddef>
#include <cstdint>

#include "cortado_kernels.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define CORTADO_EMULATED 0
#define CORTADO_DYNAMIC_SHARED(T, name) \
    extern __shared__ __align__(16) unsigned char cortado_dynamic_shared_[]; \
    T* name = reinterpret_cast<T*>(cortado_dynamic_shared_)
#else
#include "emu/cuda_emu.h"
#define CORTADO_EMULATED 1
#define CORTADO_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(cortado::emu::dynamic_shared())
#endif

// Every kernel of the table, cortado_<slot> (defined with CORTADO_KERNEL in its family's file):
// declared here so that kernels and the runtime can call one another (e.g. cortado_fill).
#define CORTADO_CUDA_DECLARE(slot) cortado_##slot##_fn cortado_##slot;
CORTADO_KERNEL_LIST(CORTADO_CUDA_DECLARE)
#undef CORTADO_CUDA_DECLARE

namespace cortado::cuda {

// Records the message of a failed call for the table's last_error (per host thread) and returns
// CORTADO_STATUS_DEVICE_ERROR.
int fail(const char* what, const char* message);

// The last message fail() recorded on this thread ("" if none).
const char* last_error();

// Runs `kernel` over grid x block threads with `shared` bytes of dynamic shared memory on the
// context's stream; returns a status (an empty grid launches nothing).
template <typename... P, typename... A>
int launch(const cortado_context* ctx, const char* name, dim3 grid, dim3 block, size_t shared, void (*kernel)(P...),
           A... args) {
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0) return CORTADO_STATUS_OK;
#if CORTADO_EMULATED
    (void)ctx;
    if (cortado::emu::launch(name, grid, block, shared, kernel, static_cast<P>(args)...) != 0) {
        return fail(name, cortado::emu::last_error());
    }
    return CORTADO_STATUS_OK;
#else
    kernel<<<grid, block, shared, static_cast<cudaStream_t>(ctx->stream)>>>(static_cast<P>(args)...);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? CORTADO_STATUS_OK : fail(name, cudaGetErrorString(e));
#endif
}

// The fused tails' clamp (cortado_kernels.h): min(max(v, lo), hi); a NaN fails both comparisons
// and stays.
__device__ __forceinline__ float clamp_keep_nan(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

// Blocks of `threads` covering n items.
inline unsigned blocks_for(int64_t n, unsigned threads) {
    int64_t b = (n + threads - 1) / threads;
    return static_cast<unsigned>(b < 1 ? 1 : (b > 2147483647 ? 2147483647 : b));
}

}  // namespace cortado::cuda

#define CORTADO_LAUNCH(ctx, kernel, grid, block, shared, ...) \
    cortado::cuda::launch(ctx, #kernel, grid, block, shared, kernel, __VA_ARGS__)
