// im2col / col2im in Caffe's layout: col row (c, ki, kj), column (oy, ox).
#include <cstring>

#include "cortado_cpu.h"
#include "thread_pool.h"
#include "window.h"

using cortado::Window;

void cortado_im2col(CORTADO_WINDOW, const float* image, float* col) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const long rows = static_cast<long>(channels) * kh * kw;
    cortado::parallel_range(rows, 64, [&](long r0, long r1) {
        for (long row = r0; row < r1; row++) {
            const int kj = row % kw, ki = (row / kw) % kh, c = static_cast<int>(row / (static_cast<long>(kw) * kh));
            const float* src = image + c * w.plane();
            float* dst = col + row * oh * ow;
            for (int y = 0; y < oh; y++) {
                const int iy = y * sh - ph + ki;
                float* d = dst + y * ow;
                if (iy < 0 || iy >= height) {
                    std::memset(d, 0, sizeof(float) * ow);
                    continue;
                }
                const float* s = src + static_cast<long>(iy) * width;
                if (sw == 1) {  // contiguous run: zero the padded ends, copy the middle
                    const int x0 = kj - pw;  // input column of output 0
                    const int lo = std::min(ow, std::max(0, -x0));          // outputs left of the image
                    const int hi = std::max(lo, std::min(ow, width - x0));  // outputs up to its right edge
                    std::memset(d, 0, sizeof(float) * lo);
                    std::memcpy(d + lo, s + x0 + lo, sizeof(float) * (hi - lo));
                    std::memset(d + hi, 0, sizeof(float) * (ow - hi));
                } else {
                    for (int x = 0; x < ow; x++) {
                        const int ix = x * sw - pw + kj;
                        d[x] = ix >= 0 && ix < width ? s[ix] : 0.0f;
                    }
                }
            }
        }
    });
}

void cortado_col2im(CORTADO_WINDOW, const float* col, float* image) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    cortado::parallel_range(channels, 1, [&](long c0, long c1) {  // channels own disjoint image planes
        for (long c = c0; c < c1; c++) {
            float* dst = image + c * w.plane();
            std::memset(dst, 0, sizeof(float) * w.plane());
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++) {
                    const float* src = col + ((c * kh + ki) * kw + kj) * static_cast<long>(oh) * ow;
                    for (int y = 0; y < oh; y++) {
                        const int iy = y * sh - ph + ki;
                        if (iy < 0 || iy >= height) continue;
                        float* d = dst + static_cast<long>(iy) * width;
                        const float* s = src + y * ow;
                        for (int x = 0; x < ow; x++) {
                            const int ix = x * sw - pw + kj;
                            if (ix >= 0 && ix < width) d[ix] += s[x];
                        }
                    }
                }
        }
    });
}
