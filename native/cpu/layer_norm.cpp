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
    cortado::parallel_range(rows, row_grain(n), [&](long r0, long r1) {
        for (long r = r0; r < r1; r++) {
            const long o = r * n;
            const double mu = mean ? mean[r] : 0.0, rs = rstd[r];
            double sg, sgx;
            if (w) row_grad_sums<true>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            else row_grad_sums<false>(x + o, w, dy + o, n, mu, rs, sg, sgx);
            const double a = mean ? sg / n : 0.0, c = sgx / n;
            if (w) row_dx<true>(x + o, w, dy + o, dx + o, n, mu, rs, a, c);
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
