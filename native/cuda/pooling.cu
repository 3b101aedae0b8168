// Max and average pooling over `channels` planes (the Window ints), as JavaKernels defines them:
// windows clipped to the input; max pooling takes the first maximum of each window in scan order
// (padding is never a candidate; the first NaN of a window beats every number), average pooling
// divides by kh * kw (padding counts as zeros) and sums in double. The backwards gather: one thread
// per input pixel sums, in double and in the reference's window order (oy, then ox, ascending),
// the windows that cover it — no atomics, so the results are the same bits on every run.
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::first_index;
using cortado::cuda::grid_stride;

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 16384;  // grid-stride loops cover the rest

struct Geometry {
    int height, width, kh, kw, sh, sw, ph, pw, oh, ow;
};

__device__ __forceinline__ bool is_nan(float v) { return v != v; }

// Input index (within the plane) of the first maximum of window (oy, ox), or -1 if the window
// holds no input pixel (pooling checks that padding is smaller than the kernel, so it never is).
__device__ __forceinline__ int first_max(const Geometry& g, const float* __restrict__ plane, int oy, int ox) {
    const int ys = oy * g.sh - g.ph, xs = ox * g.sw - g.pw;
    const int y0 = ys > 0 ? ys : 0, x0 = xs > 0 ? xs : 0;
    const int y1 = ys + g.kh < g.height ? ys + g.kh : g.height, x1 = xs + g.kw < g.width ? xs + g.kw : g.width;
    int best = -1;
    float bv = 0.0f;
    for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
            const int at = y * g.width + x;
            const float v = __ldg(plane + at);
            if (best < 0 || v > bv || (is_nan(v) && !is_nan(bv))) {
                best = at;
                bv = v;
            }
        }
    }
    return best;
}

// The outputs oy in [lo, hi] whose window rows cover input row iy (likewise for columns).
__device__ __forceinline__ void covering(int i, int pad, int k, int s, int outs, int& lo, int& hi) {
    const int top = i + pad;  // the position in the padded input
    hi = top / s;
    if (hi > outs - 1) hi = outs - 1;
    const int first = top - k + 1;
    lo = first <= 0 ? 0 : (first + s - 1) / s;
}

// An input pixel i of [channels, height, width]: its plane c, its offset r in the plane, and the
// windows that cover it — rows ylo..yhi, columns xlo..xhi (none when lo > hi).
struct Covered {
    int64_t c;
    int r, ylo, yhi, xlo, xhi;
};

__device__ __forceinline__ Covered covered(const Geometry& g, int64_t i) {
    const int64_t plane_in = static_cast<int64_t>(g.height) * g.width;
    Covered p;
    p.c = i / plane_in;
    p.r = static_cast<int>(i - p.c * plane_in);
    covering(p.r / g.width, g.ph, g.kh, g.sh, g.oh, p.ylo, p.yhi);
    covering(p.r % g.width, g.pw, g.kw, g.sw, g.ow, p.xlo, p.xhi);
    return p;
}

__global__ void max_pool_forward_kernel(Geometry g, int64_t total, const float* __restrict__ x, float* __restrict__ y) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow, plane_in = static_cast<int64_t>(g.height) * g.width;
    for (int64_t o = first_index(); o < total; o += grid_stride()) {
        const int64_t c = o / plane_out;
        const int r = static_cast<int>(o - c * plane_out);
        const float* plane = x + c * plane_in;
        const int at = first_max(g, plane, r / g.ow, r % g.ow);
        y[o] = at >= 0 ? __ldg(plane + at) : 0.0f;
    }
}

// Windows that do not overlap (stride >= kernel): an input pixel lies in at most one window, so it
// finds that window's first maximum itself: no scratch.
__global__ void max_pool_backward_disjoint_kernel(Geometry g, int64_t total, const float* __restrict__ x,
                                                  const float* __restrict__ dy, float* __restrict__ dx) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow, plane_in = static_cast<int64_t>(g.height) * g.width;
    for (int64_t i = first_index(); i < total; i += grid_stride()) {
        const Covered p = covered(g, i);
        float v = 0.0f;
        if (p.ylo <= p.yhi && p.xlo <= p.xhi && first_max(g, x + p.c * plane_in, p.ylo, p.xlo) == p.r) {
            v = __ldg(dy + p.c * plane_out + static_cast<int64_t>(p.ylo) * g.ow + p.xlo);
        }
        dx[i] = v;
    }
}

// Overlapping windows, pass 1: each window's first maximum (index within the plane) into scratch.
__global__ void max_pool_argmax_kernel(Geometry g, int64_t total, const float* __restrict__ x, int* __restrict__ arg) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow, plane_in = static_cast<int64_t>(g.height) * g.width;
    for (int64_t o = first_index(); o < total; o += grid_stride()) {
        const int64_t c = o / plane_out;
        const int r = static_cast<int>(o - c * plane_out);
        arg[o] = first_max(g, x + c * plane_in, r / g.ow, r % g.ow);
    }
}

// Pass 2: each input pixel sums (in double, in window order) the dy of the windows whose maximum it is.
__global__ void max_pool_gather_kernel(Geometry g, int64_t total, const int* __restrict__ arg, const float* __restrict__ dy,
                                       float* __restrict__ dx) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow;
    for (int64_t i = first_index(); i < total; i += grid_stride()) {
        const Covered p = covered(g, i);
        const int* a = arg + p.c * plane_out;
        const float* d = dy + p.c * plane_out;
        double acc = 0.0;
        for (int oy = p.ylo; oy <= p.yhi; oy++) {
            for (int ox = p.xlo; ox <= p.xhi; ox++) {
                const int o = oy * g.ow + ox;
                if (__ldg(a + o) == p.r) acc += static_cast<double>(__ldg(d + o));
            }
        }
        dx[i] = static_cast<float>(acc);
    }
}

__global__ void avg_pool_forward_kernel(Geometry g, int64_t total, const float* __restrict__ x, float* __restrict__ y) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow, plane_in = static_cast<int64_t>(g.height) * g.width;
    const double area = static_cast<double>(g.kh) * g.kw;
    for (int64_t o = first_index(); o < total; o += grid_stride()) {
        const int64_t c = o / plane_out;
        const int r = static_cast<int>(o - c * plane_out);
        const int ys = (r / g.ow) * g.sh - g.ph, xs = (r % g.ow) * g.sw - g.pw;
        const int y0 = ys > 0 ? ys : 0, x0 = xs > 0 ? xs : 0;
        const int y1 = ys + g.kh < g.height ? ys + g.kh : g.height, x1 = xs + g.kw < g.width ? xs + g.kw : g.width;
        const float* plane = x + c * plane_in;
        double s = 0.0;
        for (int yy = y0; yy < y1; yy++) {
            for (int xx = x0; xx < x1; xx++) s += static_cast<double>(__ldg(plane + yy * g.width + xx));
        }
        y[o] = static_cast<float>(s / area);
    }
}

__global__ void avg_pool_backward_kernel(Geometry g, int64_t total, const float* __restrict__ dy, float* __restrict__ dx) {
    const int64_t plane_out = static_cast<int64_t>(g.oh) * g.ow;
    const double area = static_cast<double>(g.kh) * g.kw;
    for (int64_t i = first_index(); i < total; i += grid_stride()) {
        const Covered p = covered(g, i);
        const float* d = dy + p.c * plane_out;
        double acc = 0.0;
        for (int oy = p.ylo; oy <= p.yhi; oy++) {
            for (int ox = p.xlo; ox <= p.xhi; ox++) acc += static_cast<double>(__ldg(d + oy * g.ow + ox)) / area;
        }
        dx[i] = static_cast<float>(acc);
    }
}

Geometry geometry(int height, int width, int kh, int kw, int sh, int sw, int ph, int pw) {
    return Geometry{height, width, kh, kw, sh, sw, ph, pw, (height + 2 * ph - kh) / sh + 1, (width + 2 * pw - kw) / sw + 1};
}

unsigned grid_for(int64_t total) {
    const unsigned b = cortado::cuda::blocks_for(total, kThreads);
    return b < kMaxBlocks ? b : kMaxBlocks;
}

}  // namespace

CORTADO_KERNEL(max_pool_forward) {
    const Geometry g = geometry(height, width, kh, kw, sh, sw, ph, pw);
    const int64_t total = static_cast<int64_t>(channels) * g.oh * g.ow;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, max_pool_forward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, total, x, y);
}

CORTADO_KERNEL(max_pool_backward) {
    const Geometry g = geometry(height, width, kh, kw, sh, sw, ph, pw);
    const int64_t in = static_cast<int64_t>(channels) * height * width, out = static_cast<int64_t>(channels) * g.oh * g.ow;
    if (in <= 0) return CORTADO_STATUS_OK;
    if (sh >= kh && sw >= kw) {
        return CORTADO_LAUNCH(ctx, max_pool_backward_disjoint_kernel, dim3(grid_for(in)), dim3(kThreads), 0, g, in, x, dy, dx);
    }
    int* arg = static_cast<int*>(ctx->workspace(ctx, static_cast<size_t>(out) * sizeof(int)));
    if (arg == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    int status = CORTADO_LAUNCH(ctx, max_pool_argmax_kernel, dim3(grid_for(out)), dim3(kThreads), 0, g, out, x, arg);
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, max_pool_gather_kernel, dim3(grid_for(in)), dim3(kThreads), 0, g, in,
                                static_cast<const int*>(arg), dy, dx);
    }
    ctx->release(ctx, arg);
    return status;
}

CORTADO_KERNEL(avg_pool_forward) {
    const Geometry g = geometry(height, width, kh, kw, sh, sw, ph, pw);
    const int64_t total = static_cast<int64_t>(channels) * g.oh * g.ow;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, avg_pool_forward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, total, x, y);
}

CORTADO_KERNEL(avg_pool_backward) {
    const Geometry g = geometry(height, width, kh, kw, sh, sw, ph, pw);
    const int64_t total = static_cast<int64_t>(channels) * height * width;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, avg_pool_backward_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, total, dy, dx);
}
