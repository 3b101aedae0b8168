// Index spaces of the strided kernels (copy_strided, binary) of every engine: up to
// CORTADO_MAX_RANK axes, each operand with its own element strides, simplified to the fewest axes
// before a kernel walks them. Host code (a CUDA engine passes a Space to its kernels by value).
#pragma once
#include <cstdint>
#include <utility>

#include "cortado_kernels.h"

namespace cortado {

constexpr int kMaxRank = CORTADO_MAX_RANK;

// `rank` axes of extent shape[d]; operand k steps stride[k][d] elements along axis d.
template <int N>
struct Space {
    int rank = 0;
    long shape[kMaxRank];
    long stride[N][kMaxRank];

    // Elements of the first `axes` axes.
    long count(int axes) const {
        long n = 1;
        for (int d = 0; d < axes; d++) n *= shape[d];
        return n;
    }

    // Drops axes of extent 1 and merges each axis into the one after it wherever every operand
    // steps over it as over a whole run of the next (stride[d] == stride[d + 1] * shape[d + 1]).
    // Returns the number of elements (0: nothing to do; rank is then 0 too). A space of one element
    // keeps one axis of extent 1, so that kernels always have an innermost axis.
    long simplify() {
        int r = 0;
        long n = 1;
        for (int d = 0; d < rank; d++) {
            n *= shape[d];
            if (shape[d] == 1) continue;
            bool merge = r > 0;
            for (int k = 0; k < N && merge; k++) merge = stride[k][r - 1] == stride[k][d] * shape[d];
            if (merge) {
                shape[r - 1] *= shape[d];
                for (int k = 0; k < N; k++) stride[k][r - 1] = stride[k][d];
            } else {
                shape[r] = shape[d];
                for (int k = 0; k < N; k++) stride[k][r] = stride[k][d];
                r++;
            }
        }
        if (n == 0) {
            rank = 0;
            return 0;
        }
        if (r == 0) {
            shape[0] = 1;
            for (int k = 0; k < N; k++) stride[k][0] = 0;
            r = 1;
        }
        rank = r;
        return n;
    }

    // Moves axis `from` to position `to`, shifting the axes between.
    void move_axis(int from, int to) {
        while (from != to) {
            const int next = from < to ? from + 1 : from - 1;
            std::swap(shape[from], shape[next]);
            for (int k = 0; k < N; k++) std::swap(stride[k][from], stride[k][next]);
            from = next;
        }
    }
};

// The axes of a copy ordered by dst stride, largest first (ties by src stride, largest first), so
// that the innermost axes are the ones dst steps over most densely: order[0..rank).
inline void order_by_dst(int rank, const int64_t* src_strides, const int64_t* dst_strides, int* order) {
    for (int d = 0; d < rank; d++) {  // insertion sort of at most kMaxRank axes
        int at = d;
        while (at > 0 && (dst_strides[order[at - 1]] < dst_strides[d] ||
                          (dst_strides[order[at - 1]] == dst_strides[d] && src_strides[order[at - 1]] < src_strides[d]))) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = d;
    }
}

// The space of two operands over `shape` (operand 0 steps s0, operand 1 s1), its axes in `order`
// (order[d]: the axis that goes d-th; null: as given), not yet simplified.
inline Space<2> space_of(int rank, const int64_t* shape, const int64_t* s0, const int64_t* s1, const int* order = nullptr) {
    Space<2> sp;
    sp.rank = rank;
    for (int d = 0; d < rank; d++) {
        const int a = order ? order[d] : d;
        sp.shape[d] = shape[a];
        sp.stride[0][d] = s0[a];
        sp.stride[1][d] = s1[a];
    }
    return sp;
}

// A copy's space (operand 0 src, 1 dst) with its axes ordered by dst stride (order_by_dst).
inline Space<2> copy_space(int rank, const int64_t* shape, const int64_t* src_strides, const int64_t* dst_strides) {
    int order[kMaxRank];
    order_by_dst(rank, src_strides, dst_strides, order);
    return space_of(rank, shape, src_strides, dst_strides, order);
}

}  // namespace cortado
