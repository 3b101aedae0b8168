// Geometry of a conv/pool window (the C++ twin of dev.cortado.kernels.Window).
#pragma once
#include <algorithm>

namespace cortado {

struct Window {
    int channels, height, width, kh, kw, sh, sw, ph, pw;
    int out_h() const { return (height + 2 * ph - kh) / sh + 1; }
    int out_w() const { return (width + 2 * pw - kw) / sw + 1; }
    long plane() const { return static_cast<long>(height) * width; }
    long out_plane() const { return static_cast<long>(out_h()) * out_w(); }
    // Clipped input rows [y0, y1) and columns [x0, x1) of output position (oy, ox).
    void bounds(int oy, int ox, int& y0, int& y1, int& x0, int& x1) const {
        y0 = oy * sh - ph;
        x0 = ox * sw - pw;
        y1 = std::min(y0 + kh, height);
        x1 = std::min(x0 + kw, width);
        y0 = std::max(y0, 0);
        x0 = std::max(x0, 0);
    }
};

// Output pixels (oy, ox0 .. ox0 + len) of kernel tap (ki, kj) read from one input plane, the
// heart of im2col: d[t * ds] = plane[iy][ix] with iy = oy * sh - ph + ki and
// ix = (ox0 + t) * sw - pw + kj, zero where that falls in the padding.
inline void lower_run(const Window& w, const float* plane, int ki, int kj, int oy, int ox0, int len, float* d, long ds) {
    const int iy = oy * w.sh - w.ph + ki;
    if (iy < 0 || iy >= w.height) {
        for (int t = 0; t < len; t++) d[t * ds] = 0.0f;
        return;
    }
    const float* s = plane + static_cast<long>(iy) * w.width;
    const int x0 = ox0 * w.sw - w.pw + kj;  // input column of t = 0
    if (w.sw == 1) {  // a contiguous run: zero the padded ends, copy the middle
        const int lo = std::min(len, std::max(0, -x0));            // outputs left of the image
        const int hi = std::max(lo, std::min(len, w.width - x0));  // outputs up to its right edge
        for (int t = 0; t < lo; t++) d[t * ds] = 0.0f;
        for (int t = lo; t < hi; t++) d[t * ds] = s[x0 + t];
        for (int t = hi; t < len; t++) d[t * ds] = 0.0f;
    } else {
        for (int t = 0; t < len; t++) {
            const int ix = x0 + t * w.sw;
            d[t * ds] = ix >= 0 && ix < w.width ? s[ix] : 0.0f;
        }
    }
}

}  // namespace cortado

#define CORTADO_WINDOW_ARGS channels, height, width, kh, kw, sh, sw, ph, pw
