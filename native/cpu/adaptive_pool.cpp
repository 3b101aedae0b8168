// Adaptive average pooling (PyTorch's adaptive_avg_pool2d) over `planes` planes, as JavaKernels
// defines it: each window summed in double; the backward gathers, for each input pixel, dy / area
// over the windows that hold it in scan order (no scatter, so every thread writes its own pixels).
#include "adaptive_window.h"
#include "cortado_cpu.h"
#include "thread_pool.h"

using cortado::adaptive_covering;
using cortado::adaptive_end;
using cortado::adaptive_start;

CORTADO_KERNEL(adaptive_avg_pool_forward) {
    const long in_plane = static_cast<long>(height) * width, out_plane = static_cast<long>(out_h) * out_w;
    cortado::parallel_range(planes, 1, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            const float* in = x + p * in_plane;
            float* out = y + p * out_plane;
            for (int i = 0; i < out_h; i++) {
                const int r0 = adaptive_start(i, height, out_h), r1 = adaptive_end(i, height, out_h);
                for (int j = 0; j < out_w; j++) {
                    const int c0 = adaptive_start(j, width, out_w), c1 = adaptive_end(j, width, out_w);
                    double s = 0;
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++) s += in[static_cast<long>(r) * width + c];
                    out[static_cast<long>(i) * out_w + j] = static_cast<float>(s / (static_cast<double>(r1 - r0) * (c1 - c0)));
                }
            }
        }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(adaptive_avg_pool_backward) {
    const long in_plane = static_cast<long>(height) * width, out_plane = static_cast<long>(out_h) * out_w;
    cortado::parallel_range(planes, 1, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            const float* g = dy + p * out_plane;
            float* d = dx + p * in_plane;
            for (int r = 0; r < height; r++) {
                int ilo, ihi;
                adaptive_covering(r, height, out_h, ilo, ihi);
                for (int c = 0; c < width; c++) {
                    int jlo, jhi;
                    adaptive_covering(c, width, out_w, jlo, jhi);
                    double acc = 0;
                    for (int i = ilo; i <= ihi; i++) {
                        const double rows = adaptive_end(i, height, out_h) - adaptive_start(i, height, out_h);
                        for (int j = jlo; j <= jhi; j++) {
                            const double area = rows * (adaptive_end(j, width, out_w) - adaptive_start(j, width, out_w));
                            acc += static_cast<double>(g[static_cast<long>(i) * out_w + j]) / area;
                        }
                    }
                    d[static_cast<long>(r) * width + c] = static_cast<float>(acc);
                }
            }
        }
    });
    return CORTADO_STATUS_OK;
}
