// Direct convolution for unit strides (conv_direct.cpp), over images padded once into a plane
// whose rows are Wp = width + 2 pw floats long. Output pixels are numbered p = oy Wp + ox over
// that row length, so kernel tap (ki, kj) of output p reads padded input p + ki Wp + kj: every
// tap is one unaligned vector load, for any kernel size and padding. The kw - 1 columns per row
// with ox >= out_w are computed and dropped (forward), or met by zeros in dY (filter gradient).
// Each function returns false, having written nothing, when the shapes are not its case or its
// scratch memory cannot be had; the caller then takes the implicit-GEMM path.
#pragma once
#include "conv_epilogue.h"
#include "cortado_cpu.h"
#include "window.h"

#include <memory>
#include <vector>

namespace cortado {

struct Blocking;  // (gemm_driver.h)

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
// Those of the instruction set in use.
const DirectKernels& direct_kernels();
// Whether k are AVX-512's 16-lane kernels on a CPU that runs 512-bit FMAs at half rate (AMD's Zen 4,
// gemm.cpp), where some choices between the convolution's paths move.
bool half_rate_lanes(const DirectKernels& k);

// A unit-stride window as the kernels see it: planes padded to hp x wp, `span` outputs computed
// per plane (oh wp rounded up to the kernel's granule), planes ps floats apart so that the last
// output's last tap is still inside (zeros past the image).
struct Geometry {
    int channels, height, width, kh, kw, ph, pw, hp, wp, oh, ow, taps;
    long span, ps;
    std::vector<int> toff;  // tap (ki, kj) at ki wp + kj

    Geometry(int c, int h, int w, int kernel_h, int kernel_w, int pad_h, int pad_w, long granule);
    long image() const { return static_cast<long>(channels) * height * width; }
    long out_plane() const { return static_cast<long>(oh) * ow; }
};

// dst = the channels' h x w planes with ph rows and pw columns of zeros before them, in planes of
// rows x cols floats `stride` apart, zeros up to the next; with `check`, whether every value is finite.
bool pad_planes(const float* src, int channels, int h, int w, int ph, int pw, int rows, int cols, long stride, float* dst,
                bool check);
inline bool pad(const Geometry& g, const float* src, float* dst, bool check) {
    return pad_planes(src, g.channels, g.height, g.width, g.ph, g.pw, g.hp, g.wp, g.ps, dst, check);
}

// The direct kernels' plan for one correlation: how an image is cut to stay in cache, and, once
// load()ed, `outs` filters ([outs][channels][taps], bias or null) blocked FB at a time.
struct DirectPlan {
    const DirectKernels& k;
    const Geometry& g;
    int outs, groups;
    long blocked, stretch;  // floats per filter group; output blocks per stretch
    int cc;                 // channels per kernel call
    std::vector<float> wb, bias;

    DirectPlan(const DirectKernels& k, const Geometry& g, int outs);
    void load(const float* w, const float* bias);  // (outside a parallel region: it uses the pool)
    long scratch() const;  // floats image() needs
    // y = the tail of one image's outputs of filter groups [g0, g1) (ep aligned with y)
    void image(const float* x, float* y, const Epilogue& ep, int g0, int g1, float* scratch) const;
};

// Winograd's F(2x2, 3x3) for a 3x3 window (conv_winograd.cpp): each 4x4 input tile and each filter
// turned into 16 numbers, 16 products summed over the channels by the direct forward kernel (a
// one-tap window over the tiles), 2x2 outputs from each tile: 2.25x fewer multiplications.
struct Winograd {
    const DirectKernels& k;
    const Geometry& g;
    int outs, groups, th, tw, rows, cols;  // tiles down and across; padded plane rows x cols
    int chunk;                             // tile rows transformed at a time
    long tiles;                            // a chunk's tiles, chunk (tw + 1), rounded up to the kernel's block
    const float* u;                        // the transformed filters, [16][groups][channels][FB]: own's or prepared
    std::unique_ptr<float[]> own;
    std::vector<float> bias;               // [outs] or empty
    bool finite_filters;                   // whether every number of u is finite (else: the direct kernels)

    // With `prepared` (finite filters transformed ahead by transform_filters) or without: the
    // filters are transformed here (outside a parallel region: on the pool).
    Winograd(const DirectKernels& k, const Geometry& g, int outs, const float* w, const float* bias, const float* prepared);
    // whether it beats the direct kernels (and the GEMM): enough products per transformed number,
    // and tiles enough to pay for the transforms (fewer where the filters' were made ahead)
    static bool worth(const DirectKernels& k, const Geometry& g, int outs, int batch, bool prepared);
    // u's floats; u = the transform of outs filters w ([outs][channels][3][3]): whether all are finite
    static long filters_floats(const DirectKernels& k, int channels, int outs) { return 16L * ((outs + k.fb - 1) / k.fb * k.fb) * channels; }
    static bool transform_filters(const DirectKernels& k, int channels, int outs, const float* w, float* u);
    static int chunk_rows(const DirectKernels& k, const Geometry& g, int outs);
    int chunks() const { return (th + chunk - 1) / chunk; }
    long padded() const;         // floats of an image padded (pad's xp)
    long chunk_scratch() const;  // floats tile_rows needs
    long scratch() const;        // floats image needs
    // xp's channels [c0, c1) = x's padded; false when one holds a non-finite value
    bool pad(const float* x, float* xp, int c0, int c1) const;
    // y = the tail of the outputs of filter groups [g0, g1) in the chunk of tile rows from ty0 on,
    // from the padded image xp (ep aligned with y)
    void tile_rows(const float* xp, float* y, const Epilogue& ep, int g0, int g1, int ty0, float* scratch) const;
    // m's rows of filter groups [g0, g1) (ld floats a row, n tiles) = product xi of U and v, by the
    // GEMM's micro-kernels with blocking bl (conv_winograd.cpp's product_blocking), or, where it
    // has none (mr 0), by the direct kernels
    void product(const Blocking& bl, int xi, int g0, int g1, const float* v, long ld, int n, float* m) const;
    // the same for all of one image's tile rows, or false (y untouched) when the image holds a
    // non-finite value
    bool image(const float* x, float* y, const Epilogue& ep, int g0, int g1, float* scratch) const;
    // y = the tail of all outputs of the padded image xp in three passes over up to `workers` threads:
    // every channel's input transform, the 16 products of every filter group, every filter's output
    // transform (for an image alone: chunks of tile rows would split the filter groups between
    // threads, each redoing the chunk's input transforms); scratch: passes_scratch(workers) floats
    void passes(const float* xp, float* y, const Epilogue& ep, int workers, float* scratch) const;
    long passes_scratch(int workers) const;
};

// `winograd`: the filters transformed ahead (Winograd::transform_filters, finite) or null.
bool conv_forward_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                         const float* weight, const float* bias, const float* winograd, const Epilogue& ep, float* y);
// Whether conv_forward_direct takes Winograd for this shape when its filters were transformed
// ahead (conv_prepare_filters then transforms them).
bool conv_forward_winograd(const Window& w, int batch, int filters);
bool conv_data_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* weight,
                      const float* dy, float* dx);
bool conv_filter_direct(const cortado_context* ctx, const Window& w, int batch, int filters, const float* x,
                        const float* dy, float* dweight);

}  // namespace cortado
