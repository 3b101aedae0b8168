// Depthwise convolution (groups = channels = filters: every channel its own kh x kw filter), as
// JavaKernels defines it: a tap that falls in the padding adds nothing. The forward is one thread
// per output, its taps in scan order; the data gradient one thread per input pixel, gathering over
// the outputs whose windows hold it (no atomics); the filter gradient a block per (channel, tap),
// its threads' double sums added in a fixed tree — the same bits on every run.
#include "cortado_cuda.h"
#include "grid.h"
#include "warp.h"

using cortado::cuda::clamp_keep_nan;
using cortado::cuda::first_index;
using cortado::cuda::grid_for;
using cortado::cuda::grid_stride;
using cortado::cuda::kThreads;
using cortado::cuda::kWarp;

namespace {

struct Geometry {
    int channels, height, width, kh, kw, sh, sw, ph, pw, oh, ow;
};

Geometry geometry(CORTADO_WINDOW) {
    return Geometry{channels, height, width, kh, kw, sh, sw, ph, pw, (height + 2 * ph - kh) / sh + 1, (width + 2 * pw - kw) / sw + 1};
}

__global__ void depthwise_forward_kernel(Geometry g, int64_t total, const float* __restrict__ x, const float* __restrict__ weight,
                                         const float* __restrict__ bias, float lo, float hi, float* __restrict__ y) {
    const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow, in_plane = static_cast<int64_t>(g.height) * g.width;
    for (int64_t o = first_index(); o < total; o += grid_stride()) {
        const int64_t p = o / out_plane;
        const int c = static_cast<int>(p % g.channels), at = static_cast<int>(o - p * out_plane);
        const int y0 = (at / g.ow) * g.sh - g.ph, x0 = (at % g.ow) * g.sw - g.pw;
        const float* plane = x + p * in_plane;
        const float* wc = weight + static_cast<int64_t>(c) * g.kh * g.kw;
        float s = bias ? __ldg(bias + c) : 0.0f;
        for (int ki = y0 < 0 ? -y0 : 0; ki < g.kh && y0 + ki < g.height; ki++) {
            const float* row = plane + static_cast<int64_t>(y0 + ki) * g.width;
            for (int kj = x0 < 0 ? -x0 : 0; kj < g.kw && x0 + kj < g.width; kj++) s += __ldg(wc + ki * g.kw + kj) * __ldg(row + x0 + kj);
        }
        y[o] = clamp_keep_nan(s, lo, hi);
    }
}

// The outputs [lo, hi] along one axis whose windows hold input position i (none when lo > hi).
__device__ __forceinline__ void covering(int i, int pad, int k, int s, int outs, int& lo, int& hi) {
    const int top = i + pad;
    hi = top / s;
    if (hi > outs - 1) hi = outs - 1;
    const int first = top - k + 1;
    lo = first <= 0 ? 0 : (first + s - 1) / s;
}

__global__ void depthwise_backward_data_kernel(Geometry g, int64_t total, const float* __restrict__ weight, const float* __restrict__ dy,
                                               float* __restrict__ dx) {
    const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow, in_plane = static_cast<int64_t>(g.height) * g.width;
    for (int64_t i = first_index(); i < total; i += grid_stride()) {
        const int64_t p = i / in_plane;
        const int c = static_cast<int>(p % g.channels), at = static_cast<int>(i - p * in_plane);
        const int iy = at / g.width, ix = at % g.width;
        int ylo, yhi, xlo, xhi;
        covering(iy, g.ph, g.kh, g.sh, g.oh, ylo, yhi);
        covering(ix, g.pw, g.kw, g.sw, g.ow, xlo, xhi);
        const float* gp = dy + p * out_plane;
        const float* wc = weight + static_cast<int64_t>(c) * g.kh * g.kw;
        float s = 0.0f;
        for (int oy = ylo; oy <= yhi; oy++) {
            const int ki = iy + g.ph - oy * g.sh;
            for (int ox = xlo; ox <= xhi; ox++) {
                s += __ldg(wc + ki * g.kw + (ix + g.pw - ox * g.sw)) * __ldg(gp + static_cast<int64_t>(oy) * g.ow + ox);
            }
        }
        dx[i] = s;
    }
}

// Block b is channel b / (kh·kw), tap b % (kh·kw): its threads share the batch's outputs.
__global__ void depthwise_backward_filter_kernel(Geometry g, int batch, const float* __restrict__ x, const float* __restrict__ dy,
                                                 float* __restrict__ dweight) {
    __shared__ double partial[kThreads / kWarp];
    const cortado::cuda::RowThreads<true> t;
    const int taps = g.kh * g.kw, c = static_cast<int>(t.row / taps), tap = static_cast<int>(t.row % taps);
    const int ki = tap / g.kw, kj = tap % g.kw;
    const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow, in_plane = static_cast<int64_t>(g.height) * g.width;
    const int64_t count = batch * out_plane;
    double s = 0.0;
    for (int64_t k = t.lane; k < count; k += t.width) {
        const int64_t n = k / out_plane;
        const int at = static_cast<int>(k - n * out_plane);
        const int iy = (at / g.ow) * g.sh - g.ph + ki, ix = (at % g.ow) * g.sw - g.pw + kj;
        if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
        const int64_t p = n * g.channels + c;
        s += static_cast<double>(__ldg(dy + p * out_plane + at)) * __ldg(x + p * in_plane + static_cast<int64_t>(iy) * g.width + ix);
    }
    s = t.sum(s, partial);
    if (t.lane == 0) dweight[t.row] = static_cast<float>(s);
}

}  // namespace

CORTADO_KERNEL(depthwise_forward) {
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int64_t total = static_cast<int64_t>(batch) * channels * g.oh * g.ow;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, depthwise_forward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, total, x, weight, bias, lo, hi, y);
}

CORTADO_KERNEL(depthwise_backward_data) {
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int64_t total = static_cast<int64_t>(batch) * channels * height * width;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, depthwise_backward_data_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, total, weight, dy, dx);
}

CORTADO_KERNEL(depthwise_backward_filter) {
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int64_t blocks = static_cast<int64_t>(channels) * kh * kw;
    if (blocks <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, depthwise_backward_filter_kernel, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), 0, g, batch, x, dy,
                          dweight);
}
