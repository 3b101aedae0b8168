// Max and average pooling over `channels` planes; windows clipped to the input (padding is
// never a max candidate; it counts as zeros in the average, divisor kh * kw).
#include <cmath>
#include <cstring>

#include "cortado_cpu.h"
#include "thread_pool.h"
#include "window.h"

using cortado::Window;

namespace {

// Index (within the plane) of the first maximum of the window at (oy, ox); the first NaN wins.
inline long first_max(const Window& w, const float* plane, int oy, int ox) {
    int y0, y1, x0, x1;
    w.bounds(oy, ox, y0, y1, x0, x1);
    long best = static_cast<long>(y0) * w.width + x0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const long i = static_cast<long>(y) * w.width + x;
            const float v = plane[i], b = plane[best];
            if (v > b || (std::isnan(v) && !std::isnan(b))) best = i;
        }
    return best;
}

template <class F>
void for_planes(const Window& w, F body) {
    cortado::parallel_range(w.channels, 1, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) body(p);
    });
}

}  // namespace

void cortado_max_pool_forward(CORTADO_WINDOW, const float* x, float* y) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        float* out = y + p * w.out_plane();
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) out[oy * ow + ox] = in[first_max(w, in, oy, ox)];
    });
}

void cortado_max_pool_backward(CORTADO_WINDOW, const float* x, const float* dy, float* dx) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        const float* g = dy + p * w.out_plane();
        float* d = dx + p * w.plane();
        std::memset(d, 0, sizeof(float) * w.plane());
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) d[first_max(w, in, oy, ox)] += g[oy * ow + ox];
    });
}

void cortado_avg_pool_forward(CORTADO_WINDOW, const float* x, float* y) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const float inv = 1.0f / (kh * kw);
    for_planes(w, [&](long p) {
        const float* in = x + p * w.plane();
        float* out = y + p * w.out_plane();
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int y0, y1, x0, x1;
                w.bounds(oy, ox, y0, y1, x0, x1);
                float s = 0;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) s += in[static_cast<long>(yy) * width + xx];
                out[oy * ow + ox] = s * inv;
            }
    });
}

void cortado_avg_pool_backward(CORTADO_WINDOW, const float* dy, float* dx) {
    const Window w{CORTADO_WINDOW_ARGS};
    const int oh = w.out_h(), ow = w.out_w();
    const float inv = 1.0f / (kh * kw);
    for_planes(w, [&](long p) {
        const float* g = dy + p * w.out_plane();
        float* d = dx + p * w.plane();
        std::memset(d, 0, sizeof(float) * w.plane());
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int y0, y1, x0, x1;
                w.bounds(oy, ox, y0, y1, x0, x1);
                const float v = g[oy * ow + ox] * inv;
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) d[static_cast<long>(yy) * width + xx] += v;
            }
    });
}
