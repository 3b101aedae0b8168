// Depthwise convolution (groups = channels = filters: every channel its own kh x kw filter), as
// JavaKernels defines it: a tap that falls in the padding adds nothing. The forward of finite
// filters copies the padded planes once and then loops without bounds checks (a zero of the
// padding times a finite weight adds nothing): 3 x 3 filters over small planes or at larger
// strides 8 channels at a time, interleaved, each output one vector (forward_lanes); the others
// plane by plane, the plane split into stride phases so that all its outputs are one vectorised
// loop (forward_plane_phased). A filter holding an inf or NaN takes the clipped rows of forward_plane.
// The gradients go row by row: along a row, the columns whose taps all lie in the image (the
// interior) run a loop the compiler vectorises, the few at the edges a clipped scalar loop. Every
// such loop has a clone per ISA (simd.h). Threads take blocks of planes (image, channel); the
// filter gradient sums each channel over fixed chunks of images, then the chunks in order, so its
// bits never depend on the thread count.
#include <algorithm>
#include <vector>

#include "conv_epilogue.h"
#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"
#include "window.h"

using cortado::Window;

namespace {

// Work (multiply-adds) below which a call stays on the calling thread, and the least per item.
constexpr long kInlineWork = 1L << 16;
constexpr long kItemWork = 1L << 15;

// Outputs o in [0, out_len) read in[o * s - p + j] for taps j in [0, k): [lo, hi) are those whose
// taps all lie in [0, in_len) (lo <= hi; outside it, the edges).
inline void interior(int in_len, int out_len, int k, int s, int p, int& lo, int& hi) {
    lo = p > 0 ? std::min(out_len, (p + s - 1) / s) : 0;
    const int last = in_len - k + p;  // o * s <= last
    hi = last < 0 ? 0 : std::min(out_len, last / s + 1);
    hi = std::max(hi, lo);
}

// out[o] += sum over taps j of wr[j] * in[o * s - p + j], for o in [lo, hi) (all taps inside).
// KW and SW: the kernel width and stride when known at compile time, 0 where given at run time.
template <int KW, int SW>
__attribute__((always_inline)) inline void correlate_interior(const float* __restrict in, const float* __restrict wr, int kw, int sw, int p,
                                                              float* __restrict out, int lo, int hi) {
    const int s = SW ? SW : sw;
    if (KW) {
        float wv[KW ? KW : 1];
        for (int j = 0; j < KW; j++) wv[j] = wr[j];
        for (int o = lo; o < hi; o++) {
            const float* r = in + (o * s - p);
            float a = out[o];
            for (int j = 0; j < KW; j++) a += wv[j] * r[j];
            out[o] = a;
        }
    } else {
        for (int j = 0; j < kw; j++) {
            const float wj = wr[j];
            const float* r = in + (j - p);
            for (int o = lo; o < hi; o++) out[o] += wj * r[o * s];
        }
    }
}

// out[o] += sum over the taps j that read inside [0, in_len) of wr[j] * in[o * s - p + j], for
// every o in [0, out_len): one row of a correlation with clipped edges.
__attribute__((always_inline)) inline void correlate_row(const float* in, int in_len, const float* wr, int kw, int sw, int p, float* out,
                                                         int out_len) {
    int lo, hi;
    interior(in_len, out_len, kw, sw, p, lo, hi);
    if (kw == 3 && sw == 1) correlate_interior<3, 1>(in, wr, kw, sw, p, out, lo, hi);
    else if (kw == 3 && sw == 2) correlate_interior<3, 2>(in, wr, kw, sw, p, out, lo, hi);
    else if (kw == 5 && sw == 1) correlate_interior<5, 1>(in, wr, kw, sw, p, out, lo, hi);
    else if (kw == 5 && sw == 2) correlate_interior<5, 2>(in, wr, kw, sw, p, out, lo, hi);
    else if (sw == 1) correlate_interior<0, 1>(in, wr, kw, sw, p, out, lo, hi);
    else correlate_interior<0, 0>(in, wr, kw, sw, p, out, lo, hi);
    const auto edge = [&](int o0, int o1) {
        for (int o = o0; o < o1; o++) {
            const int x0 = o * sw - p;
            float a = out[o];
            for (int j = std::max(0, -x0); j < kw && x0 + j < in_len; j++) a += wr[j] * in[x0 + j];
            out[o] = a;
        }
    };
    edge(0, lo);
    edge(hi, out_len);
}

// Image rows [iy0, iy1) that kernel rows [0, kh) of output row oy read: ki from ki0.
inline void rows_of(const Window& w, int oy, int& ki0, int& ki1) {
    const int y0 = oy * w.sh - w.ph;
    ki0 = std::max(0, -y0);
    ki1 = std::min(w.kh, w.height - y0);
}

// One plane: out = bias + in correlated with the filter wc [kh, kw].
CORTADO_CLONES void forward_plane(const Window& w, const float* in, const float* wc, float b, float* out) {
    const int oh = w.out_h(), ow = w.out_w();
    for (int oy = 0; oy < oh; oy++) {
        float* o = out + static_cast<long>(oy) * ow;
        for (int t = 0; t < ow; t++) o[t] = b;
        int ki0, ki1;
        rows_of(w, oy, ki0, ki1);
        for (int ki = ki0; ki < ki1; ki++) {
            const float* r = in + static_cast<long>(oy * w.sh - w.ph + ki) * w.width;
            correlate_row(r, w.width, wc + ki * w.kw, w.kw, w.sw, w.pw, o, ow);
        }
    }
}

// The forward of a plane whose filter is finite, through the padded plane split into sh x sw
// phases: phase (a, b) holds the padded pixels (py, px) with py % sh = a, px % sw = b at row
// py / sh, column px / sw, each phase `rows` x `pitch`. Then tap (ki, kj) of output (oy, ox)
// reads phase (ki % sh, kj % sw) at flat index (oy + ki / sh)·pitch + ox + kj / sw: with
// i = oy·pitch + ox, every tap is the same stream shifted by a constant, so all outputs of the
// plane are one long vectorised loop over i (the pitch - ow columns past each row's end are
// computed and dropped). A zero of the padding times a finite weight adds nothing, as the
// clipped taps of forward_plane.
struct Phases {
    int rows, pitch;
    long size() const { return static_cast<long>(rows) * pitch; }
};

inline Phases phases_of(const Window& w) {
    const int hp = w.height + 2 * w.ph, wp = w.width + 2 * w.pw;
    return Phases{(hp + w.sh - 1) / w.sh, (wp + w.sw - 1) / w.sw};
}

// d[q] = src[q·S] for q in [lo, hi) (a stride known at compile time vectorises).
template <int S>
__attribute__((always_inline)) inline void gather_every(const float* __restrict src, float* __restrict d, int lo, int hi) {
    for (int q = lo; q < hi; q++) d[q] = src[q * S];
}

// Fills the sh·sw phases of plane `in` (zeros where the padded plane has none).
inline void split_phases(const Window& w, const Phases& f, const float* in, float* phase) {
    for (int a = 0; a < w.sh; a++) {
        for (int b = 0; b < w.sw; b++) {
            float* dst = phase + (static_cast<long>(a) * w.sw + b) * f.size();
            int lo, hi;  // phase columns q whose pixel q·sw + b - pw lies in the row
            interior(w.width, f.pitch, 1, w.sw, w.pw - b, lo, hi);
            for (int r = 0; r < f.rows; r++) {
                float* d = dst + static_cast<long>(r) * f.pitch;
                const int iy = r * w.sh + a - w.ph;
                if (iy < 0 || iy >= w.height) {
                    for (int q = 0; q < f.pitch; q++) d[q] = 0.0f;
                    continue;
                }
                const float* src = in + static_cast<long>(iy) * w.width + (b - w.pw);
                for (int q = 0; q < lo; q++) d[q] = 0.0f;
                if (w.sw == 1) gather_every<1>(src, d, lo, hi);
                else if (w.sw == 2) gather_every<2>(src, d, lo, hi);
                else for (int q = lo; q < hi; q++) d[q] = src[q * w.sw];
                for (int q = hi; q < f.pitch; q++) d[q] = 0.0f;
            }
        }
    }
}

// flat[i] = b + sum over taps of wc[t]·tap t's stream at i, for i in [0, n). KH, KW, SW: the
// kernel and column stride when known at compile time (then tap (ki, kj) is row pointer
// (ki, kj % SW) plus the constant kj / SW: KH·SW pointers, not KH·KW); 0: at run time, one pass
// over flat per tap.
template <int KH, int KW, int SW>
__attribute__((always_inline)) inline void phase_taps(const Window& w, const Phases& f, const float* phase, const float* wc, float b,
                                                      float* __restrict flat, long n) {
    const auto stream = [&](int ki, int kj) {
        return phase + ((ki % w.sh) * w.sw + kj % w.sw) * f.size() + static_cast<long>(ki / w.sh) * f.pitch + kj / w.sw;
    };
    if (KH && KW && SW) {
        const float* row[KH ? KH : 1][SW ? SW : 1];
        float wv[KH * KW ? KH * KW : 1];
        for (int ki = 0; ki < KH; ki++) {
            for (int c = 0; c < SW; c++) row[ki][c] = stream(ki, c);
            for (int kj = 0; kj < KW; kj++) wv[ki * KW + kj] = wc[ki * KW + kj];
        }
        for (long i = 0; i < n; i++) {
            float a = b;
            for (int ki = 0; ki < KH; ki++)
                for (int kj = 0; kj < KW; kj++) a += wv[ki * KW + kj] * row[ki][kj % (SW ? SW : 1)][i + kj / (SW ? SW : 1)];
            flat[i] = a;
        }
        return;
    }
    for (long i = 0; i < n; i++) flat[i] = b;
    for (int ki = 0; ki < w.kh; ki++) {
        for (int kj = 0; kj < w.kw; kj++) {
            const float* __restrict s = stream(ki, kj);
            const float wt = wc[ki * w.kw + kj];
            for (long i = 0; i < n; i++) flat[i] += wt * s[i];
        }
    }
}

// One plane (a finite filter): split into phases, all outputs in one flat loop, rows copied out
// clamped to [lo, hi] (the fused tail; a NaN stays NaN). `scratch` holds sh·sw phases and the flat outputs.
// (Its short runs of copies and zeros stay loops: calls to memcpy and memset cost more than they do.)
CORTADO_CLONES __attribute__((optimize("no-tree-loop-distribute-patterns"))) void forward_plane_phased(const Window& w, const float* in, const float* wc, float b, float lo, float hi, float* out, float* scratch) {
    const Phases f = phases_of(w);
    const int oh = w.out_h(), ow = w.out_w();
    float* phase = scratch;
    float* flat = scratch + static_cast<long>(w.sh) * w.sw * f.size();
    split_phases(w, f, in, phase);
    const long n = static_cast<long>(oh - 1) * f.pitch + ow;
    if (w.kh == 3 && w.kw == 3 && w.sw == 1) phase_taps<3, 3, 1>(w, f, phase, wc, b, flat, n);
    else if (w.kh == 3 && w.kw == 3 && w.sw == 2) phase_taps<3, 3, 2>(w, f, phase, wc, b, flat, n);
    else if (w.kh == 5 && w.kw == 5 && w.sw == 1) phase_taps<5, 5, 1>(w, f, phase, wc, b, flat, n);
    else if (w.kh == 5 && w.kw == 5 && w.sw == 2) phase_taps<5, 5, 2>(w, f, phase, wc, b, flat, n);
    else phase_taps<0, 0, 0>(w, f, phase, wc, b, flat, n);
    for (int oy = 0; oy < oh; oy++) {
        const float* __restrict src = flat + static_cast<long>(oy) * f.pitch;
        float* __restrict dst = out + static_cast<long>(oy) * ow;
        for (int q = 0; q < ow; q++) dst[q] = cortado::clamp_keep_nan(src[q], lo, hi);
    }
}

// row[8 ix + l] = in[l plane + ix] for l < 8 and the first ix < width in whole eights (returned):
// the pixels of 8 planes interleaved 8 x 8 through transposes in registers (one call a row: the
// blocks inline here, not in forward_lanes's portable clone).
__attribute__((target("avx2"))) int interleave8_avx2(const float* in, long plane, int width, float* row) {
    int ix = 0;
    for (; ix + 8 <= width; ix += 8) cortado::transpose8_block(in + ix, plane, row + ix * 8, 8);
    return ix;
}

// 3 x 3 filters over small planes (a few outputs a row leave the phased loop mostly overhead) or
// at larger strides: kLanes consecutive channels of one image at once, interleaved — the padded
// planes as [hp][wp][kLanes] in scratch — so each output of the kLanes planes is one vector of
// taps (each output's sum in the same order as the other paths: bias, then the taps in scan order).
constexpr int kLanes = 8;

// (At unit stride the phased loop is as fast from about 32 outputs a row: MobileNetV2's 56- and
// 112-wide planes take it; its 28-wide and smaller ones and every stride-2 layer run 1.5-3x faster here.)
inline bool lanes_fit(const Window& w) { return w.kh == 3 && w.kw == 3 && (w.sw > 1 || w.out_w() <= 32); }

// the interleaved padded planes, then the interleaved outputs
inline long lanes_scratch(const Window& w) {
    return (static_cast<long>(w.height + 2 * w.ph) * (w.width + 2 * w.pw) + w.out_plane()) * kLanes;
}

// out[l plane + p] = lanes[8 p + l] for l < 8 and the first p < n in whole eights (returned): the
// outputs of 8 planes taken apart 8 x 8 through transposes in registers (scalar stores, one a lane,
// took half of a 7 x 7 plane's time).
__attribute__((target("avx2"))) long deinterleave8_avx2(const float* lanes, long n, float* out, long plane) {
    long p = 0;
    for (; p + 8 <= n; p += 8) cortado::transpose8_block(lanes + p * 8, 8, out + p, plane);
    return p;
}

// kLanes floats as one vector (GCC's vector extension: a ymm register in the AVX2 and AVX-512
// clones, two xmm in the portable one).
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// Planes in .. in + kLanes - 1 (channels c0 .. c0 + kLanes - 1, filters wc, biases b) to out,
// clamped to [lo, hi] (a NaN stays NaN); t: the interleaved padded planes (64-byte aligned: every
// pixel's lanes one aligned vector).
CORTADO_CLONES void forward_lanes(const Window& w, const float* in, const float* wc, const float* b, float lo, float hi, float* out,
                                  float* t) {
    constexpr int K = 3;
    const int hp = w.height + 2 * w.ph, wp = w.width + 2 * w.pw, oh = w.out_h(), ow = w.out_w();
    const long plane = w.plane(), out_plane = w.out_plane();
    Lanes* tv = reinterpret_cast<Lanes*>(t);
    const Lanes zero = {};
    const int isa = w.width >= 16 ? cortado_isa() : 0;  // (narrower rows: the plain loop was faster)
    for (int py = 0; py < hp; py++) {
        Lanes* row = tv + static_cast<long>(py) * wp;
        const int iy = py - w.ph;
        if (iy < 0 || iy >= w.height) {
            for (int px = 0; px < wp; px++) row[px] = zero;
            continue;
        }
        for (int px = 0; px < w.pw; px++) row[px] = zero;
        for (int px = w.pw + w.width; px < wp; px++) row[px] = zero;
        const float* src = in + static_cast<long>(iy) * w.width;
        int ix = isa >= 1 ? interleave8_avx2(src, plane, w.width, reinterpret_cast<float*>(row + w.pw)) : 0;
        for (; ix < w.width; ix++) {
            Lanes v;
            for (int l = 0; l < kLanes; l++) v[l] = src[l * plane + ix];
            row[w.pw + ix] = v;
        }
    }
    Lanes wv[K * K], bv;
    const Lanes lov = zero + lo, hiv = zero + hi;
    for (int l = 0; l < kLanes; l++) {
        bv[l] = b ? b[l] : 0.0f;
        for (int k = 0; k < K * K; k++) wv[k][l] = wc[l * K * K + k];
    }
    Lanes* ov = tv + static_cast<long>(hp) * wp;  // the outputs, interleaved
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            Lanes acc = bv;
            for (int ki = 0; ki < K; ki++) {
                const Lanes* r = tv + static_cast<long>(oy * w.sh + ki) * wp + static_cast<long>(ox) * w.sw;
                for (int kj = 0; kj < K; kj++) acc += wv[ki * K + kj] * r[kj];
            }
            acc = acc < lov ? lov : acc;
            acc = acc > hiv ? hiv : acc;
            ov[oy * ow + ox] = acc;
        }
    }
    const float* of = reinterpret_cast<const float*>(ov);
    for (long p = cortado_isa() >= 1 ? deinterleave8_avx2(of, out_plane, out, out_plane) : 0; p < out_plane; p++)
        for (int l = 0; l < kLanes; l++) out[l * out_plane + p] = of[p * kLanes + l];
}

inline bool finite_filter(const float* wc, long taps) {
    float z = 0.0f;
    for (long t = 0; t < taps; t++) z += wc[t] * 0.0f;  // 0 unless a weight is inf or NaN
    return z == 0.0f;
}

// One plane: dx = the gradient of forward_plane with respect to in, given g. Row oy of g reaches
// image rows oy·sh - ph + ki; along a row, at unit stride, dx[ix] gathers g[ix + pw - j] · w[j]:
// the forward's correlation with the row's taps turned and padding kw - 1 - pw; at larger strides
// each g[ox] is spread over its taps.
CORTADO_CLONES void backward_data_plane(const Window& w, const float* wc, const float* g, float* dx) {
    const int oh = w.out_h(), ow = w.out_w();
    std::fill(dx, dx + w.plane(), 0.0f);
    float turned[64];
    std::vector<float> wide;
    float* flip = w.kw <= 64 ? turned : (wide.resize(w.kw), wide.data());
    for (int oy = 0; oy < oh; oy++) {
        const float* gr = g + static_cast<long>(oy) * ow;
        int ki0, ki1;
        rows_of(w, oy, ki0, ki1);
        for (int ki = ki0; ki < ki1; ki++) {
            float* d = dx + static_cast<long>(oy * w.sh - w.ph + ki) * w.width;
            const float* wr = wc + ki * w.kw;
            if (w.sw == 1) {
                for (int j = 0; j < w.kw; j++) flip[j] = wr[w.kw - 1 - j];
                correlate_row(gr, ow, flip, w.kw, 1, w.kw - 1 - w.pw, d, w.width);
                continue;
            }
            for (int j = 0; j < w.kw; j++) {
                int lo, hi;  // outputs whose tap j reads inside the row
                interior(w.width, ow, 1, w.sw, w.pw - j, lo, hi);
                const float wj = wr[j];
                float* dj = d + (j - w.pw);
                for (int ox = lo; ox < hi; ox++) dj[ox * w.sw] += wj * gr[ox];
            }
        }
    }
}

// sum over o in [lo, hi) of g[o] · r[o · s], in 16 float lanes (vectorised), the lanes then in
// order in double.
template <int SW>
__attribute__((always_inline)) inline double dot_lanes(const float* __restrict g, const float* __restrict r, int sw, int lo, int hi) {
    const int s = SW ? SW : sw;
    float lane[16] = {};
    int o = lo;
    for (; o + 16 <= hi; o += 16)
        for (int l = 0; l < 16; l++) lane[l] += g[o + l] * r[(o + l) * s];
    for (int l = 0; o < hi; o++, l++) lane[l] += g[o] * r[o * s];
    double sum = 0.0;
    for (int l = 0; l < 16; l++) sum += lane[l];
    return sum;
}

// acc[ki·kw + kj] += the plane's share of dweight: sum over outputs of g · the pixel tap (ki, kj) reads.
CORTADO_CLONES void backward_filter_plane(const Window& w, const float* in, const float* g, double* acc) {
    const int oh = w.out_h(), ow = w.out_w();
    for (int oy = 0; oy < oh; oy++) {
        const float* gr = g + static_cast<long>(oy) * ow;
        int ki0, ki1;
        rows_of(w, oy, ki0, ki1);
        for (int ki = ki0; ki < ki1; ki++) {
            const float* r = in + static_cast<long>(oy * w.sh - w.ph + ki) * w.width;
            for (int j = 0; j < w.kw; j++) {
                int lo, hi;
                interior(w.width, ow, 1, w.sw, w.pw - j, lo, hi);
                const float* rj = r + (j - w.pw);
                acc[ki * w.kw + j] += w.sw == 1 ? dot_lanes<1>(gr, rj, 1, lo, hi)
                                    : w.sw == 2 ? dot_lanes<2>(gr, rj, 2, lo, hi)
                                                : dot_lanes<0>(gr, rj, w.sw, lo, hi);
            }
        }
    }
}

// The threads a call over `planes` planes of `work` multiply-adds each runs on: one if it is small.
inline int workers_for(long planes, long work) {
    return static_cast<int>(planes * work < kInlineWork ? 1 : std::max(1L, std::min<long>(cortado::threads(), planes)));
}

// Runs body(tid, p0, p1) over blocks of the `planes` planes on `workers` threads (tid < workers),
// each block at least kItemWork (`work` per plane), a few blocks per thread, a multiple of `align`.
template <class Body>
void over_planes(long planes, long work, int workers, const Body& body, long align = 1) {
    if (planes <= 0) return;
    long block = std::max(1L, kItemWork / std::max(1L, work));
    block = std::min(block, std::max(1L, planes / (4L * workers)));
    block = (block + align - 1) / align * align;
    const long items = (planes + block - 1) / block;
    cortado::parallel_items(workers, items, [&](int tid, long item) { body(tid, item * block, std::min(planes, (item + 1) * block)); });
}

}  // namespace

// A plane with a finite filter takes the phased forward in its thread's share of the workspace,
// which clamps as it writes the outputs (one pass over y fewer: 15% of MobileNetV2's depthwise
// time at one thread); without workspace, every plane the clipped rows, then the clamp.
CORTADO_KERNEL(depthwise_forward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long taps = static_cast<long>(kh) * kw, planes = static_cast<long>(batch) * channels, work = w.out_plane() * taps;
    if (planes <= 0) return CORTADO_STATUS_OK;
    const Phases f = phases_of(w);
    const bool lanes = lanes_fit(w);
    long scratch = std::max(static_cast<long>(sh) * sw * f.size() + static_cast<long>(w.out_h()) * f.pitch, lanes ? lanes_scratch(w) : 0L);
    scratch = (scratch + 15) / 16 * 16;  // every worker's share 64-byte aligned, as the workspace
    const int workers = workers_for(planes, work);
    const cortado::Epilogue clamp{nullptr, lo, hi};
    float* ws = static_cast<float*>(ctx->workspace(ctx, sizeof(float) * workers * scratch));
    over_planes(planes, work, workers, [&](int tid, long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            const int c = static_cast<int>(p % channels);
            const float* wc = weight + c * taps;
            float* out = y + p * w.out_plane();
            if (ws && lanes && c + kLanes <= channels && p + kLanes <= p1 && finite_filter(wc, taps * kLanes)) {
                forward_lanes(w, x + p * w.plane(), wc, bias ? bias + c : nullptr, lo, hi, out, ws + tid * scratch);
                p += kLanes - 1;
                continue;
            }
            const float b = bias ? bias[c] : 0.0f;
            if (ws && finite_filter(wc, taps)) {
                forward_plane_phased(w, x + p * w.plane(), wc, b, lo, hi, out, ws + tid * scratch);
                continue;
            }
            forward_plane(w, x + p * w.plane(), wc, b, out);
            if (!clamp.none()) clamp.store(out, w.out_plane(), out);
        }
    }, lanes ? kLanes : 1);
    if (ws) ctx->release(ctx, ws);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(depthwise_backward_data) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long taps = static_cast<long>(kh) * kw;
    const long planes = static_cast<long>(batch) * channels, work = w.out_plane() * taps + w.plane();
    over_planes(planes, work, workers_for(planes, work), [&](int, long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            backward_data_plane(w, weight + (p % channels) * taps, dy + p * w.out_plane(), dx + p * w.plane());
        }
    });
    return CORTADO_STATUS_OK;
}

// dweight: images in chunks fixed by the shape (at most kChunks); item (chunk, channel block) sums
// its planes image by image into its own doubles; the chunks are then added in order.
CORTADO_KERNEL(depthwise_backward_filter) {
    constexpr int kChunks = 8;
    const Window w{CORTADO_WINDOW_ARGS};
    const long taps = static_cast<long>(kh) * kw, size = channels * taps;
    const int chunks = std::max(1, std::min(batch, kChunks));
    std::vector<double> part(static_cast<size_t>(chunks) * size, 0.0);
    // the (chunk, channel) pairs as planes of a [chunks, channels] grid
    const long pairs = static_cast<long>(chunks) * channels, work = w.out_plane() * taps * ((batch + chunks - 1) / chunks);
    over_planes(pairs, work, workers_for(pairs, work), [&](int, long q0, long q1) {
        for (long q = q0; q < q1; q++) {
            const long chunk = q / channels, c = q % channels;
            long n0, n1;
            cortado::split(batch, chunks, static_cast<int>(chunk), n0, n1);
            double* acc = part.data() + chunk * size + c * taps;
            for (long n = n0; n < n1; n++) {
                const long p = n * channels + c;
                backward_filter_plane(w, x + p * w.plane(), dy + p * w.out_plane(), acc);
            }
        }
    });
    for (long i = 0; i < size; i++) {
        double s = 0.0;
        for (int k = 0; k < chunks; k++) s += part[k * size + i];
        dweight[i] = static_cast<float>(s);
    }
    return CORTADO_STATUS_OK;
}
