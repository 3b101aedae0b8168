// LayerNorm and RMSNorm over the rows of a rows x cols matrix, forward and backward
// (KernelSet.layerNormForward / layerNormBackward / rmsNormForward / rmsNormBackward).
//
// Forward: one row at a time, by one thread (rows split over the pool): its sum (LayerNorm), then
// its sum of squared deviations from the mean, both in double over 8 running partial sums (a fixed
// order that the compiler vectorises), then the normalisation y = (x - mean)·rstd·w + b in double,
// rounded once, as the java reference (a float (x - mean) would lose the digits that a large rstd
// brings back).
// Backward: dx row by row (its two sums Σg and Σg·x̂ in double, then dx in double, rounded once);
// then dweight (and dbias) column block by column block over the pool, each column summing its
// rows in order. Every sum's order depends on the shape only, so the bits do not depend on the
// thread count. Contraction is off so that the vector body and its epilogue compute alike.
#pragma GCC optimize("fp-contract=off")
#include <algorithm>
#include <cmath>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace {

constexpr int kLanes = 8;        // partial sums of a row
constexpr long kColBlock = 64;   // columns per task of the weight gradients

// Σ (x[j] - mu)² (kSquare) or Σ x[j] over a row, in double, over kLanes partial sums.
template <bool kSquare>
CORTADO_CLONES double row_sum(const float* __restrict x, long n, double mu) {
    double acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    long j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        for (int l = 0; l < kLanes; l++) {
            const double d = static_cast<double>(x[j + l]) - mu;
            acc[l] += kSquare ? d * d : d;
        }
    }
    for (int l = 0; j < n; j++, l++) {
        const double d = static_cast<double>(x[j]) - mu;
        acc[l] += kSquare ? d * d : d;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// y = (x - mu)·rs·w + b over one row (w, b null: ones, zeros).
template <bool kW, bool kB>
CORTADO_CLONES void normalise_row(const float* __restrict x, const float* __restrict w, const float* __restrict b,
                                  float* __restrict y, long n, double mu, double rs) {
    for (long j = 0; j < n; j++) {
        double v = (static_cast<double>(x[j]) - mu) * rs;
        if (kW) v *= w[j];
        if (kB) v += b[j];
        y[j] = static_cast<float>(v);
    }
}

template <bool kW>
CORTADO_CLONES void row_grad_sums(const float* __restrict x, const float* __restrict w, const float* __restrict dy, long n,
                                  double mu, double rs, double& sum_g, double& sum_gx) {
    double sg[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0}, sgx[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    long j = 0;
    for (; j + kLanes <= n; j += kLanes) {
        for (int l = 0; l < kLanes; l++) {
            const double g = kW ? static_cast<double>(dy[j + l]) * w[j + l] : static_cast<double>(dy[j + l]);
            sg[l] += g;
            sgx[l] += g * ((static_cast<double>(x[j + l]) - mu) * rs);
        }
    }
    for (int l = 0; j < n; j++, l++) {
        const double g = kW ? static_cast<double>(dy[j]) * w[j] : static_cast<double>(dy[j]);
        sg[l] += g;
        sgx[l] += g * ((static_cast<double>(x[j]) - mu) * rs);
    }
    sum_g = ((sg[0] + sg[1]) + (sg[2] + sg[3])) + ((sg[4] + sg[5]) + (sg[6] + sg[7]));
    sum_gx = ((sgx[0] + sgx[1]) + (sgx[2] + sgx[3])) + ((sgx[4] + sgx[5]) + (sgx[6] + sgx[7]));
}

// dx = rs·(g - a - x̂·c) over one row.
template <bool kW>
CORTADO_CLONES void row_dx(const float* __restrict x, const float* __restrict w, const float* __restrict dy,
                           float* __restrict dx, long n, double mu, double rs, double a, double c) {
    for (long j = 0; j < n; j++) {
        const double g = kW ? static_cast<double>(dy[j]) * w[j] : static_cast<double>(dy[j]);
        const double xh = (static_cast<double>(x[j]) - mu) * rs;
        dx[j] = static_cast<float>(rs * (g - a - xh * c));
    }
}

// acc_w[j] += dy·x̂, acc_b[j] += dy over columns [0, n) of one row.
template <bool kB>
CORTADO_CLONES void accumulate_row(const float* __restrict x, const float* __restrict dy, double* __restrict acc_w,
                                   double* __restrict acc_b, long n, double mu, double rs) {
    for (long j = 0; j < n; j++) {
        const double d = dy[j];
        acc_w[j] += d * ((static_cast<double>(x[j]) - mu) * rs);
        if (kB) acc_b[j] += d;
    }
}

// The backward's row loops 8 floats at a time with AVX2 (a row's 8 partial sums are two vectors of
// 4 doubles, lanes 0-3 and 4-7, combined in the same order): the same operations on the same
// values, so the same bits, in 0.7x the time of GCC's vectorisation of the loops above (the
// forward's, vectorised the same way by hand, ran no faster than GCC's).
namespace avx2 {

namespace v = cortado::avx2;

__attribute__((target("avx2,fma"), always_inline)) inline __m256d lo4(__m256 x) { return _mm256_cvtps_pd(_mm256_castps256_ps128(x)); }
__attribute__((target("avx2,fma"), always_inline)) inline __m256d hi4(__m256 x) { return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)); }

// ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) for lanes a0..3 in lo, a4..7 in hi.
__attribute__((target("avx2,fma"), always_inline)) inline double combine(__m256d lo, __m256d hi) {
    const __m256d p = _mm256_hadd_pd(lo, hi);  // a0+a1, a4+a5, a2+a3, a6+a7
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(p), _mm256_extractf128_pd(p, 1));  // (a0+a1)+(a2+a3), (a4+a5)+(a6+a7)
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}

// A 4-double mask from lanes 0-3 (wide_lo) or 4-7 (wide_hi) of an 8-float one.
__attribute__((target("avx2,fma"), always_inline)) inline __m256d wide_lo(__m256 k) {
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_castps_si128(_mm256_castps256_ps128(k))));
}
__attribute__((target("avx2,fma"), always_inline)) inline __m256d wide_hi(__m256 k) {
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_castps_si128(_mm256_extractf128_ps(k, 1))));
}

// row_grad_sums: Σ g and Σ g·x̂, g = dy·w (or dy).
template <bool kW>
__attribute__((target("avx2,fma"))) void row_grad_sums(const float* x, const float* w, const float* dy, long n, double mu, double rs,
                                                       double& sum_g, double& sum_gx) {
    __m256d glo = _mm256_setzero_pd(), ghi = _mm256_setzero_pd(), xlo = _mm256_setzero_pd(), xhi = _mm256_setzero_pd();
    const __m256d m = _mm256_set1_pd(mu), r = _mm256_set1_pd(rs);
    // (the tail's missing lanes are masked to +0, which leaves a sum's bits as they are)
    auto add = [&](__m256 xv, __m256 wv, __m256 gv, __m256d klo, __m256d khi) __attribute__((always_inline)) {
        __m256d ga = lo4(gv), gb = hi4(gv);
        if (kW) ga = _mm256_mul_pd(ga, lo4(wv)), gb = _mm256_mul_pd(gb, hi4(wv));
        glo = _mm256_add_pd(glo, _mm256_and_pd(ga, klo));
        ghi = _mm256_add_pd(ghi, _mm256_and_pd(gb, khi));
        xlo = _mm256_add_pd(xlo, _mm256_and_pd(_mm256_mul_pd(ga, _mm256_mul_pd(_mm256_sub_pd(lo4(xv), m), r)), klo));
        xhi = _mm256_add_pd(xhi, _mm256_and_pd(_mm256_mul_pd(gb, _mm256_mul_pd(_mm256_sub_pd(hi4(xv), m), r)), khi));
    };
    const __m256 z = _mm256_setzero_ps();
    const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    long j = 0;
    for (; j + 8 <= n; j += 8) add(_mm256_loadu_ps(x + j), kW ? _mm256_loadu_ps(w + j) : z, _mm256_loadu_ps(dy + j), all, all);
    if (j < n) {
        const long t = n - j;
        const __m256 keep = v::first_lanes(t);
        add(v::load_part(x + j, t, 0.0f), kW ? v::load_part(w + j, t, 0.0f) : z, v::load_part(dy + j, t, 0.0f), wide_lo(keep), wide_hi(keep));
    }
    sum_g = combine(glo, ghi);
    sum_gx = combine(xlo, xhi);
}

// row_dx: dx = rs·(g - a - x̂·c).
template <bool kW>
__attribute__((target("avx2,fma"))) void row_dx(const float* x, const float* w, const float* dy, float* dx, long n, double mu, double rs,
                                                double a, double c) {
    const __m256d m = _mm256_set1_pd(mu), r = _mm256_set1_pd(rs), av = _mm256_set1_pd(a), cv = _mm256_set1_pd(c);
    auto half = [&](__m256d xd, __m256d g) __attribute__((always_inline)) {
        const __m256d xh = _mm256_mul_pd(_mm256_sub_pd(xd, m), r);
        return _mm256_cvtpd_ps(_mm256_mul_pd(r, _mm256_sub_pd(_mm256_sub_pd(g, av), _mm256_mul_pd(xh, cv))));
    };
    auto row = [&](__m256 xv, __m256 wv, __m256 gv) __attribute__((always_inline)) {
        __m256d ga = lo4(gv), gb = hi4(gv);
        if (kW) ga = _mm256_mul_pd(ga, lo4(wv)), gb = _mm256_mul_pd(gb, hi4(wv));
        return _mm256_set_m128(half(hi4(xv), gb), half(lo4(xv), ga));
    };
    const __m256 z = _mm256_setzero_ps();
    long j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dx + j, row(_mm256_loadu_ps(x + j), kW ? _mm256_loadu_ps(w + j) : z, _mm256_loadu_ps(dy + j)));
    if (j < n) {
        const long t = n - j;
        v::store_part(dx + j, t, row(v::load_part(x + j, t, 0.0f), kW ? v::load_part(w + j, t, 0.0f) : z, v::load_part(dy + j, t, 0.0f)));
    }
}

}  // namespace avx2

long row_grain(long cols) { return std::max(1L, CORTADO_GRAIN / std::max(1L, cols)); }

// The forward of both: centred (LayerNorm: mean, and bias) or not (RMSNorm: mean null).
void norm_forward(int rows, int cols, float eps, const float* x, const float* w, const float* b, float* y, float* mean,
                  float* rstd) {
    const long n = cols;
    cortado::parallel_range(rows, row_grain(n), [&](long r0, long r1) {
        for (long r = r0; r < r1; r++) {
            const float* xr = x + r * n;
            const double mu = mean ? row_sum<false>(xr, n, 0.0) / n : 0.0;
            const double rs = 1.0 / std::sqrt(row_sum<true>(xr, n, mu) / n + eps);
            float* yr = y + r * n;
            if (w && b) normalise_row<true, true>(xr, w, b, yr, n, mu, rs);
            else if (w) normalise_row<true, false>(xr, w, b, yr, n, mu, rs);
            else if (b) normalise_row<false, true>(xr, w, b, yr, n, mu, rs);
            else normalise_row<false, false>(xr, w, b, yr, n, mu, rs);
            if (mean) mean[r] = static_cast<float>(mu);
            rstd[r] = static_cast<float>(rs);
        }
    });
}

void norm_backward(int rows, int cols, const float* x, const float* w, const float* mean, const float* rstd, const float* dy,
                   float* dx, float* dweight, float* dbias) {
    const long n = cols;
    const bool vec = cortado_isa() >= 1;
    cortado::parallel_range(rows, row_grain(n), [&](long r0, long r1) {
        for (long r = r0; r < r1; r++) {
            const long o = r * n;
            const double mu = mean ? mean[r] : 0.0, rs = rstd[r];
            double sg, sgx;
            if (vec && w) avx2::row_grad_sums<true>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            else if (vec) avx2::row_grad_sums<false>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            else if (w) row_grad_sums<true>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            else row_grad_sums<false>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            const double a = mean ? sg / n : 0.0, c = sgx / n;
            if (vec && w) avx2::row_dx<true>(x + o, w, dy + o, dx + o, n, mu, rs, a, c);
            else if (vec) avx2::row_dx<false>(x + o, w, dy + o, dx + o, n, mu, rs, a, c);
            else if (w) row_dx<true>(x + o, w, dy + o, dx + o, n, mu, rs, a, c);
            else row_dx<false>(x + o, w, dy + o, dx + o, n, mu, rs, a, c);
        }
    });
    const long blocks = (n + kColBlock - 1) / kColBlock;
    cortado::parallel_range(blocks, std::max(1L, CORTADO_GRAIN / (kColBlock * std::max(1, rows))), [&](long b0, long b1) {
        double acc_w[kColBlock], acc_b[kColBlock];
        for (long blk = b0; blk < b1; blk++) {
            const long j0 = blk * kColBlock, m = std::min(kColBlock, n - j0);
            std::fill(acc_w, acc_w + m, 0.0);
            std::fill(acc_b, acc_b + m, 0.0);
            for (long r = 0; r < rows; r++) {
                const double mu = mean ? mean[r] : 0.0, rs = rstd[r];
                if (dbias) accumulate_row<true>(x + r * n + j0, dy + r * n + j0, acc_w, acc_b, m, mu, rs);
                else accumulate_row<false>(x + r * n + j0, dy + r * n + j0, acc_w, acc_b, m, mu, rs);
            }
            for (long j = 0; j < m; j++) {
                dweight[j0 + j] = static_cast<float>(acc_w[j]);
                if (dbias) dbias[j0 + j] = static_cast<float>(acc_b[j]);
            }
        }
    });
}

}  // namespace

CORTADO_KERNEL(layer_norm_forward) {
    if (rows <= 0 || cols <= 0) return CORTADO_STATUS_OK;
    norm_forward(rows, cols, eps, x, weight, bias, y, mean, rstd);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(layer_norm_backward) {
    if (cols <= 0) return CORTADO_STATUS_OK;
    norm_backward(std::max(rows, 0), cols, x, weight, mean, rstd, dy, dx, dweight, dbias);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(rms_norm_forward) {
    if (rows <= 0 || cols <= 0) return CORTADO_STATUS_OK;
    norm_forward(rows, cols, eps, x, weight, nullptr, y, nullptr, rstd);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(rms_norm_backward) {
    if (cols <= 0) return CORTADO_STATUS_OK;
    norm_backward(std::max(rows, 0), cols, x, weight, nullptr, rstd, dy, dx, dweight, nullptr);
    return CORTADO_STATUS_OK;
}
