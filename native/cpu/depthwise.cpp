// Depthwise convolution (groups = channels = filters: every channel its own kh x kw filter), as
// JavaKernels defines it: a tap that falls in the padding adds nothing. Each image row is read
// once per kernel row; along a row, the columns whose taps all lie in the image (the interior)
// run a loop the compiler vectorises (a clone per ISA, simd.h), the few columns at the edges a
// clipped scalar loop. Threads take blocks of planes (image, channel); the filter gradient sums
// each channel over fixed chunks of images, then the chunks in order, so its bits never depend
// on the thread count.
#include <algorithm>
#include <vector>

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

// Runs body(p0, p1) over blocks of the `planes` planes, each block at least kItemWork (`work`
// per plane), on the pool's threads unless the whole call is small.
template <class Body>
void over_planes(long planes, long work, const Body& body) {
    if (planes <= 0) return;
    const int threads = planes * work < kInlineWork ? 1 : cortado::threads();
    long block = std::max(1L, kItemWork / std::max(1L, work));
    block = std::min(block, std::max(1L, planes / (4L * threads)));  // a few items per thread
    const long items = (planes + block - 1) / block;
    cortado::parallel_items(threads, items, [&](int, long item) { body(item * block, std::min(planes, (item + 1) * block)); });
}

}  // namespace

CORTADO_KERNEL(depthwise_forward) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long taps = static_cast<long>(kh) * kw;
    over_planes(static_cast<long>(batch) * channels, w.out_plane() * taps, [&](long p0, long p1) {
        for (long p = p0; p < p1; p++) {
            const int c = static_cast<int>(p % channels);
            forward_plane(w, x + p * w.plane(), weight + c * taps, bias ? bias[c] : 0.0f, y + p * w.out_plane());
        }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(depthwise_backward_data) {
    const Window w{CORTADO_WINDOW_ARGS};
    const long taps = static_cast<long>(kh) * kw;
    over_planes(static_cast<long>(batch) * channels, w.out_plane() * taps + w.plane(), [&](long p0, long p1) {
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
    over_planes(static_cast<long>(chunks) * channels, w.out_plane() * taps * ((batch + chunks - 1) / chunks), [&](long q0, long q1) {
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
