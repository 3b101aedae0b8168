// Uniform floats from the counter-based SplitMix64 stream (dev.cortado.kernels.SplitMix64,
// native/cpu/random.cpp): y[i] = ((mix(state + (i + 1)·GAMMA)) >> 40)·2^-24, a pure function of
// (state, i) in wrapping 64-bit integer arithmetic, so every element is the reference's bits
// whatever thread computes it.
#include "cortado_cuda.h"

namespace {

constexpr unsigned kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;
constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

__device__ __forceinline__ float float_at(uint64_t state, uint64_t i) {
    uint64_t z = state + (i + 1) * kGamma;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(static_cast<uint32_t>(z >> 40)) * 0x1.0p-24f;  // 24 random bits, exact in float
}

__global__ void rand_kernel(int64_t n, uint64_t state, float* y) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = float_at(state, static_cast<uint64_t>(i));
    }
}

}  // namespace

CORTADO_KERNEL(rand) {
    if (n <= 0) return CORTADO_STATUS_OK;
    unsigned blocks = cortado::cuda::blocks_for(n, kThreads);
    if (blocks > kMaxBlocks) blocks = static_cast<unsigned>(kMaxBlocks);
    return CORTADO_LAUNCH(ctx, rand_kernel, blocks, kThreads, 0, n, static_cast<uint64_t>(state), y);
}
