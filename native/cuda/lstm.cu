// The fused LSTM cell, forward and backward (KernelSet.lstmCellForward / lstmCellBackward): one
// hidden unit of one batch row per thread over a grid-stride loop; the gates' four blocks i, f, g,
// o sit hidden floats apart in a row of 4·hidden. As the java reference, each element is computed
// in double from the float inputs (σ(x) = 1 / (1 + e^-x), tanh) and rounded once when stored, so
// infinities and NaN come out where the reference's do (σ(±inf) = 1 or 0, tanh(±inf) = ±1,
// 0·inf = NaN) and 1 - tanh²(c) keeps its accuracy as tanh(c) nears ±1 as far as double's does.
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::quotient;

namespace {

__device__ __forceinline__ double sigmoid(double x) {
    return 1.0 / (1.0 + exp(-x));
}

// k runs over batch·hidden: row r = k / hidden, unit j = k % hidden.
__global__ void lstm_forward_kernel(int64_t n, int hidden, const float* gates, const float* c_prev, float* act, float* c,
                                    float* h) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
        const int64_t r = quotient(k, hidden), j = k - r * hidden;
        const int64_t g = 4 * r * hidden + j;
        const double i = sigmoid(gates[g]), f = sigmoid(gates[g + hidden]);
        const double gg = tanh(static_cast<double>(gates[g + 2 * hidden])), o = sigmoid(gates[g + 3 * hidden]);
        const double c_new = f * static_cast<double>(c_prev[k]) + i * gg;
        act[g] = static_cast<float>(i);
        act[g + hidden] = static_cast<float>(f);
        act[g + 2 * hidden] = static_cast<float>(gg);
        act[g + 3 * hidden] = static_cast<float>(o);
        c[k] = static_cast<float>(c_new);
        h[k] = static_cast<float>(o * tanh(c_new));
    }
}

// t = tanh(c); dcTotal = dc + dh·σo·(1 - t²); di = dcTotal·tanh(g)·σi(1-σi); df = dcTotal·cPrev·σf(1-σf);
// dg = dcTotal·σi·(1 - tanh(g)²); do = dh·t·σo(1-σo); dcPrev = dcTotal·σf.
__global__ void lstm_backward_kernel(int64_t n, int hidden, const float* act, const float* c_prev, const float* c,
                                     const float* dh, const float* dc, float* d_gates, float* dc_prev) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
        const int64_t r = quotient(k, hidden), j = k - r * hidden;
        const int64_t g = 4 * r * hidden + j;
        const double i = act[g], f = act[g + hidden], gg = act[g + 2 * hidden], o = act[g + 3 * hidden];
        const double t = tanh(static_cast<double>(c[k])), dhk = dh[k];
        const double dc_total = static_cast<double>(dc[k]) + dhk * o * (1.0 - t * t);
        d_gates[g] = static_cast<float>(dc_total * gg * i * (1.0 - i));
        d_gates[g + hidden] = static_cast<float>(dc_total * static_cast<double>(c_prev[k]) * f * (1.0 - f));
        d_gates[g + 2 * hidden] = static_cast<float>(dc_total * i * (1.0 - gg * gg));
        d_gates[g + 3 * hidden] = static_cast<float>(dhk * t * o * (1.0 - o));
        dc_prev[k] = static_cast<float>(dc_total * f);
    }
}

}  // namespace

CORTADO_KERNEL(lstm_cell_forward) {
    const int64_t n = static_cast<int64_t>(batch) * hidden;
    if (batch <= 0 || hidden <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, lstm_forward_kernel, grid_for(n), kThreads, 0, n, hidden, gates, c_prev, act, c, h);
}

CORTADO_KERNEL(lstm_cell_backward) {
    const int64_t n = static_cast<int64_t>(batch) * hidden;
    if (batch <= 0 || hidden <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, lstm_backward_kernel, grid_for(n), kThreads, 0, n, hidden, act, c_prev, c, dh, dc, d_gates,
                          dc_prev);
}
