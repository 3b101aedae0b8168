// Direct convolution for unit strides (conv_direct.cpp), over images padded once into a plane
// whose rows are Wp = width + 2 pw floats long. Output pixels are numbered p = oy Wp + ox over
// that row length, so kernel tap (ki, kj) of output p reads padded input p + ki Wp + kj: every
// tap is one unaligned vector load, for any kernel size and padding. The kw - 1 columns per row
// with ox >= out_w are computed and dropped (forward), or met by zeros in dY (filter gradient).
// Each function returns false, having written nothing, when the shapes are not its case or its
// scratch memory cannot be had; the caller then takes the implicit-GEMM path.
#pragma once
#include "cortado_cpu.h"
#include "window.h"

namespace cortado {

// Register blocking of one instruction set's kernels (conv_direct_kernel.inc):
//   forward          FB filters x PB vectors of VW output pixels in registers
//   filter gradient  FB filters x TB taps in registers, summed along the pixels
struct DirectKernels {
    int vw, fb, pb, tb;
    // out[i pr + p] = (accumulate ? out[i pr + p] : bias[i] or 0)
    //                 + sum over c < channels, t < taps of w[(c taps + t) FB + i] x[c ps + toff[t] + p]
    // for i < FB, p < blocks PB VW
    void (*forward)(const float* x, long ps, int channels, const int* toff, int taps, const float* w, const float* bias,
                    bool accumulate, int blocks, long pr, float* out);
    // out[i TB + j] = sum over images n, p < vectors VW of g[n][i gs + p] x[n][toff[j] + p], for i < FB, j < TB
    void (*filter)(int images, const float* const* x, const float* const* g, long gs, int vectors, const int* toff,
                   float* out);
};
extern const DirectKernels direct_avx512, direct_avx2, direct_generic;

bool conv_forward_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                         const float* weight, const float* bias, float* y);
bool conv_data_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* weight,
                      const float* dy, float* dx);
bool conv_filter_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                        const float* dy, float* dweight);

}  // namespace cortado
