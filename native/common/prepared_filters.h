// conv_prepare_filters' output size, shared by the cpu and cuda kernels (and mirrored by
// KernelSet.preparedFilters, which the Java checks size the buffer by): a header of
// kPreparedHeader floats, then room for `filters` rows of k = channels kh kw floats rounded up to a
// multiple of any panel width up to kPreparedMaxWidth, or, for a 3x3 window of unit strides, for
// Winograd's transforms of the filters (16 numbers a filter and channel, filters rounded up alike)
// if that is more.
#pragma once
#include <algorithm>
#include <cstdint>

namespace cortado {

constexpr int64_t kPreparedHeader = 16;
constexpr int kPreparedMaxWidth = 64;

inline int64_t prepared_filters_floats(int64_t filters, int64_t channels, int kh, int kw, int sh, int sw) {
    const int64_t rows = filters + kPreparedMaxWidth - 1, panels = rows * channels * kh * kw;
    const int64_t winograd = kh == 3 && kw == 3 && sh == 1 && sw == 1 ? 16 * rows * channels : 0;
    return kPreparedHeader + std::max(panels, winograd);
}

}  // namespace cortado
