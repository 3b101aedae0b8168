// The fused tail of a convolution's forward, as cuDNN's: y = min(max(v + z, lo), hi) for the
// computed v, with z (a residual branch in y's layout) optional. lo = -inf and hi = inf clamp
// nothing; a NaN fails both comparisons and stays NaN.
#pragma once
#include <cmath>

namespace cortado {

struct Epilogue {
    const float* z = nullptr;  // aligned with the y being written, or null
    float lo = -INFINITY, hi = INFINITY;

    bool none() const { return z == nullptr && lo == -INFINITY && hi == INFINITY; }
    // the same tail for the y `offset` floats further on
    Epilogue at(long offset) const { return {z ? z + offset : nullptr, lo, hi}; }
    // y[i] = tail(v[i] + add) for i < n (v may be y itself; add: a filter's bias, or 0)
    void store(const float* v, long n, float* y, float add = 0.0f) const {
        const float l = lo, h = hi;
        if (z) {
            for (long i = 0; i < n; i++) {
                const float s = v[i] + add + z[i];
                y[i] = s < l ? l : s > h ? h : s;
            }
        } else {
            for (long i = 0; i < n; i++) {
                const float s = v[i] + add;
                y[i] = s < l ? l : s > h ? h : s;
            }
        }
    }
};

}  // namespace cortado
