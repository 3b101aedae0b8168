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
CORTADO_CLONES void moments_lanes(const float* __restrict x, long len, double center, double* __restrict pa, double* __restrict pb) {
    long j = 0;
    for (; j + kLanes <= len; j += kLanes) {
        for (long k = 0; k < kLanes; k++) {
            const double d = static_cast<double>(x[j + k]) - center;
            pa[k] += d;
            pb[k] += d * d;
        }
    }
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
    long j = 0;
    for (; j + kLanes <= len; j += kLanes) {
        for (long k = 0; k < kLanes; k++) {
            const double g = dy[j + k];
            pa[k] += g;
            pb[k] += g * (static_cast<double>(x[j + k]) - center);
        }
    }
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

// out = (in - mu[c])·scale[c] + shift[c] in double, over channels [c0, c1).
CORTADO_CLONES void apply_block(const float* __restrict in, long n, long channels, long spatial, long c0, long c1,
                                const double* __restrict mu, const double* __restrict scale, const double* __restrict shift,
                                float* __restrict out) {
    for (long i = 0; i < n; i++) {
        for (long c = c0; c < c1; c++) {
            const long base = (i * channels + c) * spatial;
            const double m = mu[c - c0], a = scale[c - c0], b = shift[c - c0];
            for (long s = 0; s < spatial; s++) out[base + s] = static_cast<float>((static_cast<double>(in[base + s]) - m) * a + b);
        }
    }
}

// dx = a·dy - b·(x - mu) - d in double in training mode, a·dy in eval mode, over channels [c0, c1).
CORTADO_CLONES void dx_block(bool training, const float* __restrict x, const float* __restrict dy, long n, long channels,
                             long spatial, long c0, long c1, const double* __restrict mu, const double* __restrict a, const double* __restrict b,
                             const double* __restrict d, float* __restrict dx) {
    for (long i = 0; i < n; i++) {
        for (long c = c0; c < c1; c++) {
            const long base = (i * channels + c) * spatial;
            const double m = mu[c - c0], ka = a[c - c0], kb = b[c - c0], kd = d[c - c0];
            if (!training) {
                for (long s = 0; s < spatial; s++) dx[base + s] = static_cast<float>(ka * static_cast<double>(dy[base + s]));
                continue;
            }
            for (long s = 0; s < spatial; s++) {
                const double g = dy[base + s], xc = static_cast<double>(x[base + s]) - m;
                dx[base + s] = static_cast<float>(ka * g - kb * xc - kd);
            }
        }
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
        apply_block(x, n, channels, spatial, c0, c1, mu.data(), scale.data(), add.data(), y);
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
        apply_block(x, n, channels, spatial, c0, c1, mu.data(), scale.data(), add.data(), y);
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
        dx_block(training, x, dy, n, channels, spatial, c0, c1, mu.data(), a.data(), b.data(), d.data(), dx);
    });
    return CORTADO_STATUS_OK;
}
