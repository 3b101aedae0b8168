// Direct convolution kernels for small filter banks (conv_small.cpp). Each returns false, having
// written nothing, when the shapes are not its case or its scratch memory cannot be had; the
// caller then takes the implicit-GEMM path.
#pragma once
#include "conv_epilogue.h"
#include "window.h"

namespace cortado {

bool conv_forward_small(const Window& w, int batch, int filters, const float* x, const float* weight, const float* bias,
                        const Epilogue& ep, float* y);
bool conv_filter_small(const Window& w, int batch, int filters, const float* x, const float* dy, float* dweight);

}  // namespace cortado
