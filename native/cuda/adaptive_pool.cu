// Adaptive average pooling (PyTorch's adaptive_avg_pool2d) over `planes` planes, as JavaKernels
// defines it: one thread per output sums its window in double; the backward, one thread per input
// pixel, gathers dy / area over the windows that hold it in scan order — no atomics, the same
// bits on every run.
#include "adaptive_window.h"
#include "cortado_cuda.h"
#include "grid.h"

using cortado::adaptive_covering;
using cortado::adaptive_end;
using cortado::adaptive_start;
using cortado::cuda::first_index;
using cortado::cuda::grid_for;
using cortado::cuda::grid_stride;
using cortado::cuda::kThreads;

namespace {

__global__ void adaptive_avg_pool_forward_kernel(int64_t total, int height, int width, int out_h, int out_w,
                                                 const float* __restrict__ x, float* __restrict__ y) {
    const int64_t out_plane = static_cast<int64_t>(out_h) * out_w, in_plane = static_cast<int64_t>(height) * width;
    for (int64_t o = first_index(); o < total; o += grid_stride()) {
        const int64_t p = o / out_plane;
        const int at = static_cast<int>(o - p * out_plane), i = at / out_w, j = at % out_w;
        const int r0 = adaptive_start(i, height, out_h), r1 = adaptive_end(i, height, out_h);
        const int c0 = adaptive_start(j, width, out_w), c1 = adaptive_end(j, width, out_w);
        const float* plane = x + p * in_plane;
        double s = 0.0;
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++) s += static_cast<double>(__ldg(plane + static_cast<int64_t>(r) * width + c));
        y[o] = static_cast<float>(s / (static_cast<double>(r1 - r0) * (c1 - c0)));
    }
}

__global__ void adaptive_avg_pool_backward_kernel(int64_t total, int height, int width, int out_h, int out_w,
                                                  const float* __restrict__ dy, float* __restrict__ dx) {
    const int64_t out_plane = static_cast<int64_t>(out_h) * out_w, in_plane = static_cast<int64_t>(height) * width;
    for (int64_t k = first_index(); k < total; k += grid_stride()) {
        const int64_t p = k / in_plane;
        const int at = static_cast<int>(k - p * in_plane), r = at / width, c = at % width;
        int ilo, ihi, jlo, jhi;
        adaptive_covering(r, height, out_h, ilo, ihi);
        adaptive_covering(c, width, out_w, jlo, jhi);
        const float* g = dy + p * out_plane;
        double acc = 0.0;
        for (int i = ilo; i <= ihi; i++) {
            const double rows = adaptive_end(i, height, out_h) - adaptive_start(i, height, out_h);
            for (int j = jlo; j <= jhi; j++) {
                const double area = rows * (adaptive_end(j, width, out_w) - adaptive_start(j, width, out_w));
                acc += static_cast<double>(__ldg(g + static_cast<int64_t>(i) * out_w + j)) / area;
            }
        }
        dx[k] = static_cast<float>(acc);
    }
}

}  // namespace

CORTADO_KERNEL(adaptive_avg_pool_forward) {
    const int64_t total = static_cast<int64_t>(planes) * out_h * out_w;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, adaptive_avg_pool_forward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, total, height, width, out_h,
                          out_w, x, y);
}

CORTADO_KERNEL(adaptive_avg_pool_backward) {
    const int64_t total = static_cast<int64_t>(planes) * height * width;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, adaptive_avg_pool_backward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, total, height, width, out_h,
                          out_w, dy, dx);
}
