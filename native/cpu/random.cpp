// Uniform floats from the counter-based SplitMix64 stream (dev.cortado.kernels.SplitMix64):
// element i depends on (state, i) only, so any split over threads gives the same bits.
#include <cstdint>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

// y[0..n) = floats first .. first + n of the stream whose state is `state`.
CORTADO_CLONES void rand_span(uint64_t state, uint64_t first, float* y, long n) {
    for (long i = 0; i < n; i++) {
        uint64_t z = state + (first + static_cast<uint64_t>(i) + 1) * kGamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        y[i] = static_cast<float>(z >> 40) * 0x1.0p-24f;  // 24 random bits, exact in float
    }
}

}  // namespace

CORTADO_KERNEL(rand) {
    cortado::parallel_range(n, CORTADO_GRAIN / 8, [&](long s, long e) {
        rand_span(static_cast<uint64_t>(state), static_cast<uint64_t>(s), y + s, e - s);
    });
    return CORTADO_STATUS_OK;
}
