// What a GEMM micro-kernel does to its tile before storing it, when asked (a convolution's bias and
// fused tail, conv.cpp; a linear layer's bias and clamp, gemm.cpp): v = beta C + A B, then
// min(max(v + row_add[r] + col_add[j] + z[r * ldc + j], lo), hi).
#pragma once

namespace cortado {

// min(max(s, lo), hi) by comparisons: a NaN fails both and stays NaN (the convolution tail's rule).
inline float clamp_keep_nan(float s, float lo, float hi) { return s < lo ? lo : s > hi ? hi : s; }

struct TileTail {
    const float* row_add;  // one per tile row, or null
    const float* col_add;  // one per tile column, or null
    const float* z;        // the tile's first float in a matrix laid out as C (same ldc), or null
    float lo, hi;          // lo <= hi; a NaN fails both comparisons and stays NaN

    float apply(float v, int r, int j, long zoff) const {
        float s = row_add ? v + row_add[r] : v + 0.0f;
        if (col_add) s += col_add[j];
        if (z) s += z[zoff];
        return clamp_keep_nan(s, lo, hi);
    }
};

}  // namespace cortado
