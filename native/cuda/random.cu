// Uniform floats from the counter-based SplitMix64 stream (dev.cortado.kernels.SplitMix64,
// native/cpu/random.cpp): y[i] = ((mix(state + (i + 1)·GAMMA)) >> 40)·2^-24, a pure function of
// (state, i) in wrapping 64-bit integer arithmetic, so every element is the reference's bits
// whatever thread computes it.
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::first_index;
using cortado::cuda::grid_stride;

namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

__device__ __forceinline__ float float_at(uint64_t state, uint64_t i) {
    uint64_t z = state + (i + 1) * kGamma;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(static_cast<uint32_t>(z >> 40)) * 0x1.0p-24f;  // 24 random bits, exact in float
}

__global__ void rand_kernel(int64_t n, uint64_t state, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        y[i] = float_at(state, static_cast<uint64_t>(i));
    }
}

}  // namespace

CORTADO_KERNEL(rand) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, rand_kernel, grid_for(n), kThreads, 0, n, static_cast<uint64_t>(state), y);
}
