// Batched im2col / col2im in Caffe's layout: col row (c, ki, kj), column (n, oy, ox).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "cortado_cpu.h"
#include "simd.h"

// Rows here are short (one output row, often under 30 floats): keep the copy loops as loops
// instead of letting GCC turn them into memcpy/memset calls that cost more than the copy.
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#include "thread_pool.h"
#include "window.h"

using cortado::Window;


CORTADO_KERNEL(im2col) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const long rows = static_cast<long>(channels) * kh * kw, cols = static_cast<long>(batch) * oh * ow;
    const long image = static_cast<long>(channels) * w.plane();
    cortado::parallel_range(rows, std::max(1L, 16384 / std::max(1L, cols)), [&](long r0, long r1) {
        for (long row = r0; row < r1; row++) {
            const int kj = row % kw, ki = (row / kw) % kh;
            const long c = row / (static_cast<long>(kw) * kh);
            for (int n = 0; n < batch; n++) {
                const float* src = images + n * image + c * w.plane();
                float* dst = col + row * cols + static_cast<long>(n) * oh * ow;
                for (int y = 0; y < oh; y++) cortado::lower_run(w, src, ki, kj, y, 0, ow, dst + y * ow, 1);
            }
        }
    });
    return CORTADO_STATUS_OK;
}

namespace {

// d[y][x] += s[y][x] over a rows x len block (row strides ds and ss): one kernel tap of col2im.
CORTADO_CLONES void add_block(float* __restrict d, long ds, const float* __restrict s, long ss, int rows, int len) {
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < len; x++) d[y * ds + x] += s[y * ss + x];
}

// col2im of one (image, channel) plane for unit strides and kernels at most 16 wide, pulled
// instead of pushed: each 16-wide chunk of an input row sums its kh x kw taps in registers
// (masked loads of the col rows), then is stored once. Pushing tap by tap instead adds short
// overlapping runs to dst one after the other.
__attribute__((target("avx512f"))) void col2im_plane_unit_stride(const Window& w, const float* src, long cols,
                                                                  float* dst) {
    const int oh = w.out_h(), ow = w.out_w();
    __mmask16 m[16];
    long off[16];
    for (int x0 = 0; x0 < w.width; x0 += 16) {
        for (int kj = 0; kj < w.kw; kj++) {
            // lane t is output column x0 + t + pw - kj of tap (ki, kj), inside for [0, ow)
            const long shift = static_cast<long>(x0) + w.pw - kj;
            m[kj] = lanes(-shift, ow - shift);
            off[kj] = kj * cols + shift;
        }
        const __mmask16 store = lanes(0, w.width - x0);
        for (int iy = 0; iy < w.height; iy++) {
            __m512 sum = _mm512_setzero_ps();
            for (int ki = 0; ki < w.kh; ki++) {
                const int oy = iy + w.ph - ki;
                if (oy < 0 || oy >= oh) continue;
                const float* row = src + static_cast<long>(ki) * w.kw * cols + static_cast<long>(oy) * ow;
                __m512 part = _mm512_setzero_ps();  // one chain per kernel row
                for (int kj = 0; kj < w.kw; kj++) part = _mm512_add_ps(part, _mm512_maskz_loadu_ps(m[kj], row + off[kj]));
                sum = _mm512_add_ps(sum, part);
            }
            _mm512_mask_storeu_ps(dst + static_cast<long>(iy) * w.width + x0, store, sum);
        }
    }
}

}  // namespace

CORTADO_KERNEL(col2im) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const long cols = static_cast<long>(batch) * oh * ow;
    // each (image, channel) plane is written by one thread only
    cortado::parallel_range(static_cast<long>(batch) * channels, 1, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            const long n = p / channels, c = p % channels;
            float* dst = images + p * w.plane();
            if (sh == 1 && sw == 1 && kw <= 16 && cortado_isa() >= 2) {
                col2im_plane_unit_stride(w, col + c * kh * kw * cols + n * oh * ow, cols, dst);
                continue;
            }
            std::memset(dst, 0, sizeof(float) * w.plane());
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++) {
                    const float* src = col + ((c * kh + ki) * kw + kj) * cols + n * oh * ow;
                    // outputs x whose input column x * sw - pw + kj lies inside the image
                    const int base = kj - pw;  // input column of output x is x * sw + base
                    const int xlo = base >= 0 ? 0 : (-base + sw - 1) / sw;
                    const int xhi = width - 1 - base < 0 ? 0 : std::min(ow, (width - 1 - base) / sw + 1);
                    if (xhi <= xlo) continue;
                    if (sh == 1 && sw == 1) {  // the tap's inside outputs are one block of rows
                        const int ylo = std::max(0, ph - ki), yhi = std::min(oh, height + ph - ki);
                        if (yhi > ylo)
                            add_block(dst + static_cast<long>(ylo - ph + ki) * width + xlo + base, width,
                                      src + static_cast<long>(ylo) * ow + xlo, ow, yhi - ylo, xhi - xlo);
                        continue;
                    }
                    for (int y = 0; y < oh; y++) {
                        const int iy = y * sh - ph + ki;
                        if (iy < 0 || iy >= height) continue;
                        float* __restrict d = dst + static_cast<long>(iy) * width;  // never overlaps col
                        const float* __restrict s = src + y * ow;
                        for (int x = xlo; x < xhi; x++) d[x * sw + base] += s[x];
                    }
                }
        }
    });
    return CORTADO_STATUS_OK;
}

