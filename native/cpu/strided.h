// Walking the index spaces of the strided kernels (common/index_space.h) on the CPU.
#pragma once

#include "index_space.h"

namespace cortado {

// Walks the first `axes` axes of a space in row-major order from item `start` on, keeping every
// operand's element offset.
template <int N>
struct Walker {
    const Space<N>& s;
    const int axes;
    long idx[kMaxRank];
    long off[N];

    Walker(const Space<N>& space, int outer_axes, long start) : s(space), axes(outer_axes) {
        for (int k = 0; k < N; k++) off[k] = 0;
        for (int d = axes - 1; d >= 0; d--) {
            idx[d] = start % s.shape[d];
            start /= s.shape[d];
            for (int k = 0; k < N; k++) off[k] += idx[d] * s.stride[k][d];
        }
    }

    void next() {
        for (int d = axes - 1; d >= 0; d--) {
            for (int k = 0; k < N; k++) off[k] += s.stride[k][d];
            if (++idx[d] < s.shape[d]) return;
            for (int k = 0; k < N; k++) off[k] -= s.shape[d] * s.stride[k][d];
            idx[d] = 0;
        }
    }
};

}  // namespace cortado
