// conv_prepare_filters' output size, shared by the cpu and cuda kernels (and mirrored by
// KernelSet.preparedFilters, which the Java checks size the buffer by): a header of
// kPreparedHeader floats, then room for `filters` rows of k floats rounded up to a multiple of any
// panel width up to kPreparedMaxWidth.
#pragma once
#include <cstdint>

namespace cortado {

constexpr int64_t kPreparedHeader = 16;
constexpr int kPreparedMaxWidth = 64;

inline int64_t prepared_filters_floats(int64_t filters, int64_t k) { return kPreparedHeader + (filters + kPreparedMaxWidth - 1) * k; }

}  // namespace cortado
