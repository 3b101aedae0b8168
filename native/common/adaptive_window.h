// Adaptive pooling's windows, as PyTorch's adaptive_avg_pool2d defines them, shared by the cpu and
// cuda kernels (and mirrored by JavaKernels): output row i of `outs` over `in` rows averages rows
// start(i) = floor(i·in/outs) to end(i) = ceil((i+1)·in/outs), exclusive; windows may overlap.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CORTADO_HOST_DEVICE __host__ __device__
#else
#define CORTADO_HOST_DEVICE
#endif

namespace cortado {

CORTADO_HOST_DEVICE inline int adaptive_start(int i, int in, int outs) {
    return static_cast<int>(static_cast<int64_t>(i) * in / outs);
}

CORTADO_HOST_DEVICE inline int adaptive_end(int i, int in, int outs) {
    return static_cast<int>((static_cast<int64_t>(i + 1) * in + outs - 1) / outs);
}

// The outputs [lo, hi] whose windows hold input row r: start(o) <= r < end(o).
CORTADO_HOST_DEVICE inline void adaptive_covering(int r, int in, int outs, int& lo, int& hi) {
    lo = static_cast<int>(static_cast<int64_t>(r) * outs / in);
    hi = static_cast<int>(((static_cast<int64_t>(r) + 1) * outs - 1) / in);
    if (hi > outs - 1) hi = outs - 1;
}

}  // namespace cortado
