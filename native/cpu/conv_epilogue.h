// The fused tail of a convolution's forward, as cuDNN's: y = min(max(v + z, lo), hi) for the
// computed v, with z (a residual branch in y's layout) optional. lo = -inf and hi = inf clamp
// nothing; a NaN fails both comparisons and stays NaN.
#pragma once
#include <immintrin.h>

#include <cmath>

#include "tile_tail.h"

namespace cortado {

struct Epilogue {
    const float* z = nullptr;  // aligned with the y being written, or null
    float lo = -INFINITY, hi = INFINITY;

    bool none() const { return z == nullptr && lo == -INFINITY && hi == INFINITY; }
    // the same tail for the y `offset` floats further on
    Epilogue at(long offset) const { return {z ? z + offset : nullptr, lo, hi}; }
    // y[i] = tail(v[i] + add) for i < n (v may be y itself; add: a filter's bias, or 0). SSE's max
    // and min return their second operand when either is NaN, so max(lo, s) and min(hi, t) keep a
    // NaN s, as the comparisons of the last floats do (lo <= hi: the kernel's checks).
    void store(const float* v, long n, float* y, float add = 0.0f) const {
        const float l = lo, h = hi;
        const __m128 l4 = _mm_set1_ps(l), h4 = _mm_set1_ps(h), a4 = _mm_set1_ps(add);
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            __m128 s = _mm_add_ps(_mm_loadu_ps(v + i), a4);
            if (z) s = _mm_add_ps(s, _mm_loadu_ps(z + i));
            _mm_storeu_ps(y + i, _mm_min_ps(h4, _mm_max_ps(l4, s)));
        }
        for (; i < n; i++) {
            const float s = z ? v[i] + add + z[i] : v[i] + add;
            y[i] = clamp_keep_nan(s, l, h);
        }
    }
};

}  // namespace cortado
