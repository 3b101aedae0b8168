// Batch normalisation (KernelSet.batchNormForward / batchNormInference / batchNormBackward) over
// x [n, channels, spatial]. Two passes: the first sums each channel in double, the second writes
// each element from per-channel constants, in double, rounded once (as the java reference).
//
// The sums: the forward's mean and variance in one pass as Σ (x - s) and Σ (x - s)² around a shift
// s = the channel's first element (0 if not finite), so that the variance Σ(x - s)²/m - (Σ(x - s)/m)²
// loses nothing to a mean far from 0; the backward's Σ dy and Σ dy·(x - mean). Each channel is summed
// by one thread (threads over channels), in an order that depends on the shape only: so the bits
// never depend on the thread count. A plane of at least kLanes floats (BatchNorm2d) is summed along
// its rows in 16 interleaved partials (vectorised); smaller planes (BatchNorm1d: spatial 1) go a
// block of channels at a time, one partial per float of the block's contiguous run in each sample.
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

constexpr long kLanes = 16;
constexpr long kRun = 1024;  // floats of one sample's block of channels, small planes

// The partial sums of one run of len floats: pa[k] += d, pb[k] += d² with d = x - center (moments),
// or pa[k] += dy, pb[k] += dy·(x - center) (gradient moments). Lanes: k = j % kLanes and one
// center for the run; Each: k = j and a center per float (center[j]).
// (In vectors of 8 doubles, each lane the same chain of adds as a scalar partial: GCC left the
// scalar form's 16 partials scalar, and the sums ran at 13-17 GB/s on a Zen 4.)
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f_u __attribute__((vector_size(32), aligned(4)));

inline v8d widened(const float* p) { return __builtin_convertvector(*reinterpret_cast<const v8f_u*>(p), v8d); }

CORTADO_CLONES void moments_lanes(const float* __restrict x, long len, double center, double* __restrict pa, double* __restrict pb) {
    v8d a[2], b[2];
    std::memcpy(a, pa, sizeof a);
    std::memcpy(b, pb, sizeof b);
    const v8d c = v8d{} + center;
    long j = 0;
    for (; j + kLanes <= len; j += kLanes) {
        for (int h = 0; h < 2; h++) {
            const v8d d = widened(x + j + 8 * h) - c;
            a[h] += d;
            b[h] += d * d;
        }
    }
    std::memcpy(pa, a, sizeof a);
    std::memcpy(pb, b, sizeof b);
    for (long k = 0; j < len; j++, k++) {
        const double d = static_cast<double>(x[j]) - center;
        pa[k] += d;
        pb[k] += d * d;
    }
}

CORTADO_CLONES void moments_each(const float* __restrict x, long len, const double* __restrict center, double* __restrict pa,
                                 double* __restrict pb) {
    for (long j = 0; j < len; j++) {
        const double d = static_cast<double>(x[j]) - center[j];
        pa[j] += d;
        pb[j] += d * d;
    }
}

CORTADO_CLONES void grad_moments_lanes(const float* __restrict x, const float* __restrict dy, long len, double center,
                                       double* __restrict pa, double* __restrict pb) {
    v8d a[2], b[2];
    std::memcpy(a, pa, sizeof a);
    std::memcpy(b, pb, sizeof b);
    const v8d c = v8d{} + center;
    long j = 0;
    for (; j + kLanes <= len; j += kLanes) {
        for (int h = 0; h < 2; h++) {
            const v8d g = widened(dy + j + 8 * h);
            a[h] += g;
            b[h] += g * (widened(x + j + 8 * h) - c);
        }
    }
    std::memcpy(pa, a, sizeof a);
    std::memcpy(pb, b, sizeof b);
    for (long k = 0; j < len; j++, k++) {
        const double g = dy[j];
        pa[k] += g;
        pb[k] += g * (static_cast<double>(x[j]) - center);
    }
}

CORTADO_CLONES void grad_moments_each(const float* __restrict x, const float* __restrict dy, long len, const double* __restrict center,
                                      double* __restrict pa, double* __restrict pb) {
    for (long j = 0; j < len; j++) {
        const double g = dy[j];
        pa[j] += g;
        pb[j] += g * (static_cast<double>(x[j]) - center[j]);
    }
}

// sa[c - c0] and sb[c - c0]: the two sums over the n samples of each channel c in [c0, c1) of
// [n, channels, spatial], around center[c - c0]: moments of x, or with dy the gradient moments.
// Partials reduced in a fixed order.
void channel_sums(const float* x, const float* dy, long n, long channels, long spatial, long c0, long c1, const double* center,
                  double* sa, double* sb) {
    if (spatial >= kLanes) {
        for (long c = c0; c < c1; c++) {
            double pa[kLanes] = {0}, pb[kLanes] = {0};
            for (long i = 0; i < n; i++) {
                const long base = (i * channels + c) * spatial;
                if (dy) grad_moments_lanes(x + base, dy + base, spatial, center[c - c0], pa, pb);
                else moments_lanes(x + base, spatial, center[c - c0], pa, pb);
            }
            double a = 0, b = 0;
            for (long k = 0; k < kLanes; k++) {
                a += pa[k];
                b += pb[k];
            }
            sa[c - c0] = a;
            sb[c - c0] = b;
        }
        return;
    }
    const long run = (c1 - c0) * spatial;  // one sample's floats of the block, contiguous
    std::vector<double> pa(run, 0.0), pb(run, 0.0), centers(run);
    for (long j = 0; j < run; j++) centers[j] = center[j / spatial];
    for (long i = 0; i < n; i++) {
        const long base = (i * channels + c0) * spatial;
        if (dy) grad_moments_each(x + base, dy + base, run, centers.data(), pa.data(), pb.data());
        else moments_each(x + base, run, centers.data(), pa.data(), pb.data());
    }
    for (long c = c0; c < c1; c++) {
        double a = 0, b = 0;
        for (long s = 0; s < spatial; s++) {
            a += pa[(c - c0) * spatial + s];
            b += pb[(c - c0) * spatial + s];
        }
        sa[c - c0] = a;
        sb[c - c0] = b;
    }
}

// out = (in - mu)·a + b in double over a run of len floats: Lanes with one set of constants (a
// channel's row), Each with a set per float (a small-plane block's run, constants expanded).
CORTADO_CLONES void apply_lanes(const float* __restrict in, long len, double mu, double a, double b, float* __restrict out) {
    for (long j = 0; j < len; j++) out[j] = static_cast<float>((static_cast<double>(in[j]) - mu) * a + b);
}

CORTADO_CLONES void apply_each(const float* __restrict in, long len, const double* __restrict mu, const double* __restrict a,
                               const double* __restrict b, float* __restrict out) {
    for (long j = 0; j < len; j++) out[j] = static_cast<float>((static_cast<double>(in[j]) - mu[j]) * a[j] + b[j]);
}

// dx = a·dy - b·(x - mu) - d in double (training mode; eval mode is apply with mu = 0, b = 0 on dy).
CORTADO_CLONES void dx_lanes(const float* __restrict x, const float* __restrict dy, long len, double mu, double a, double b, double d,
                             float* __restrict dx) {
    for (long j = 0; j < len; j++) {
        dx[j] = static_cast<float>(a * static_cast<double>(dy[j]) - b * (static_cast<double>(x[j]) - mu) - d);
    }
}

CORTADO_CLONES void dx_each(const float* __restrict x, const float* __restrict dy, long len, const double* __restrict mu,
                            const double* __restrict a, const double* __restrict b, const double* __restrict d, float* __restrict dx) {
    for (long j = 0; j < len; j++) {
        dx[j] = static_cast<float>(a[j] * static_cast<double>(dy[j]) - b[j] * (static_cast<double>(x[j]) - mu[j]) - d[j]);
    }
}

// Per-channel constants k[c - c0] of a block, expanded to one per float of its run (spatial each).
std::vector<double> expand(const std::vector<double>& k, long spatial) {
    std::vector<double> e(k.size() * spatial);
    for (size_t j = 0; j < e.size(); j++) e[j] = k[j / spatial];
    return e;
}

// out = (in - mu[c])·a[c] + b[c] over channels [c0, c1) of [n, channels, spatial].
void apply_block(const float* in, long n, long channels, long spatial, long c0, long c1, const std::vector<double>& mu,
                 const std::vector<double>& a, const std::vector<double>& b, float* out) {
    if (spatial >= kLanes) {
        for (long i = 0; i < n; i++) {
            for (long c = c0; c < c1; c++) {
                const long base = (i * channels + c) * spatial;
                apply_lanes(in + base, spatial, mu[c - c0], a[c - c0], b[c - c0], out + base);
            }
        }
        return;
    }
    const long run = (c1 - c0) * spatial;
    const std::vector<double> me = expand(mu, spatial), ae = expand(a, spatial), be = expand(b, spatial);
    for (long i = 0; i < n; i++) {
        const long base = (i * channels + c0) * spatial;
        apply_each(in + base, run, me.data(), ae.data(), be.data(), out + base);
    }
}

// dx = a[c]·dy - b[c]·(x - mu[c]) - d[c] over channels [c0, c1) (training mode).
void dx_block(const float* x, const float* dy, long n, long channels, long spatial, long c0, long c1, const std::vector<double>& mu,
              const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& d, float* dx) {
    if (spatial >= kLanes) {
        for (long i = 0; i < n; i++) {
            for (long c = c0; c < c1; c++) {
                const long base = (i * channels + c) * spatial;
                dx_lanes(x + base, dy + base, spatial, mu[c - c0], a[c - c0], b[c - c0], d[c - c0], dx + base);
            }
        }
        return;
    }
    const long run = (c1 - c0) * spatial;
    const std::vector<double> me = expand(mu, spatial), ae = expand(a, spatial), be = expand(b, spatial), de = expand(d, spatial);
    for (long i = 0; i < n; i++) {
        const long base = (i * channels + c0) * spatial;
        dx_each(x + base, dy + base, run, me.data(), ae.data(), be.data(), de.data(), dx + base);
    }
}

// Channels [c0, c1) of a block: one channel a block where planes are large, else as many as fill kRun
// floats, but at most an eighth of them (so that a few hundred channels still spread over the pool).
// (The sums do not depend on how channels are blocked.)
long channels_per_block(long channels, long spatial) {
    if (spatial >= kLanes) return 1;
    return std::max(1L, std::min(kRun / std::max(1L, spatial), (channels + 7) / 8));
}

// Runs body(c0, c1) over blocks of channels, the blocks over the pool (at least CORTADO_GRAIN floats a thread).
template <class B>
void over_channel_blocks(long n, long channels, long spatial, B body) {
    const long per = channels_per_block(channels, spatial), blocks = (channels + per - 1) / per;
    const long floats = std::max(1L, n * spatial * per);
    cortado::parallel_range(blocks, std::max(1L, CORTADO_GRAIN / floats), [&](long b0, long b1) {
        for (long b = b0; b < b1; b++) body(b * per, std::min(channels, (b + 1) * per));
    });
}

inline double weight_at(const float* w, long c) { return w ? static_cast<double>(w[c]) : 1.0; }

}  // namespace

CORTADO_KERNEL(batch_norm_forward) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    const double m = static_cast<double>(n) * static_cast<double>(spatial);
    over_channel_blocks(n, channels, spatial, [&](long c0, long c1) {
        const long k = c1 - c0;
        std::vector<double> shift(k), sum(k), sq(k), mu(k), scale(k), add(k);
        for (long c = c0; c < c1; c++) {
            const float first = n > 0 && spatial > 0 ? x[c * spatial] : 0.0f;
            shift[c - c0] = std::isfinite(first) ? first : 0.0;
        }
        channel_sums(x, nullptr, n, channels, spatial, c0, c1, shift.data(), sum.data(), sq.data());
        for (long c = c0; c < c1; c++) {
            const long j = c - c0;
            const double dm = sum[j] / m;
            double var = sq[j] / m - dm * dm;
            if (var < 0) var = 0;  // (NaN stays)
            const double mean = shift[j] + dm, invstd = 1.0 / std::sqrt(var + static_cast<double>(eps));
            save_mean[c] = static_cast<float>(mean);
            save_invstd[c] = static_cast<float>(invstd);
            const double unbiased = var * m / (m - 1);
            running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + static_cast<double>(momentum) * mean);
            running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + static_cast<double>(momentum) * unbiased);
            mu[j] = mean;
            scale[j] = invstd * weight_at(weight, c);
            add[j] = bias ? static_cast<double>(bias[c]) : 0.0;
        }
        apply_block(x, n, channels, spatial, c0, c1, mu, scale, add, y);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(batch_norm_inference) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    over_channel_blocks(n, channels, spatial, [&](long c0, long c1) {
        const long k = c1 - c0;
        std::vector<double> mu(k), scale(k), add(k);
        for (long c = c0; c < c1; c++) {
            const double inv = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + static_cast<double>(eps));
            invstd[c] = static_cast<float>(inv);
            mu[c - c0] = running_mean[c];
            scale[c - c0] = inv * weight_at(weight, c);
            add[c - c0] = bias ? static_cast<double>(bias[c]) : 0.0;
        }
        apply_block(x, n, channels, spatial, c0, c1, mu, scale, add, y);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(batch_norm_backward) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    const double m = static_cast<double>(n) * static_cast<double>(spatial);
    over_channel_blocks(n, channels, spatial, [&](long c0, long c1) {
        const long k = c1 - c0;
        std::vector<double> mu(k), sum_dy(k), sum_dy_xmu(k), a(k), b(k), d(k);
        for (long c = c0; c < c1; c++) mu[c - c0] = mean[c];
        channel_sums(x, dy, n, channels, spatial, c0, c1, mu.data(), sum_dy.data(), sum_dy_xmu.data());
        for (long c = c0; c < c1; c++) {
            const long j = c - c0;
            const double inv = invstd[c], sum_dy_xhat = sum_dy_xmu[j] * inv;
            dbias[c] = static_cast<float>(sum_dy[j]);
            dweight[c] = static_cast<float>(sum_dy_xhat);
            a[j] = weight_at(weight, c) * inv;
            b[j] = training ? a[j] * inv * (sum_dy_xhat / m) : 0.0;
            d[j] = training ? a[j] * (sum_dy[j] / m) : 0.0;
        }
        if (training) {
            dx_block(x, dy, n, channels, spatial, c0, c1, mu, a, b, d, dx);
        } else {  // dx = a·dy: apply on dy with mean 0 and no shift
            const std::vector<double> zero(k, 0.0);
            apply_block(dy, n, channels, spatial, c0, c1, zero, a, zero, dx);
        }
    });
    return CORTADO_STATUS_OK;
}
