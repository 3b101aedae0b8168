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

}  // namespace cortado

#define CORTADO_WINDOW_ARGS channels, height, width, kh, kw, sh, sw, ph, pw
