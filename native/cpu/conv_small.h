// The direct filter gradient for small filter banks (conv_small.cpp). It returns false, having
// written nothing, when the shapes are not its case or its scratch memory cannot be had; the
// caller then takes the other paths.
#pragma once
#include "window.h"

namespace cortado {

bool conv_filter_small(const Window& w, int batch, int filters, const float* x, const float* dy, float* dweight);

}  // namespace cortado
