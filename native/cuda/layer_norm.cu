// LayerNorm and RMSNorm over the rows of a rows x cols matrix, forward and backward
// (KernelSet.layerNormForward / layerNormBackward / rmsNormForward / rmsNormBackward).
//
// A row is handled by one warp (cols <= kWarpCols: kRowsPerBlock rows per block) or by one whole
// block (longer rows), as softmax.cu's. Each thread walks its columns j = lane, lane + T, ... in
// order, summing in double; the threads' sums are combined by warp_sum's fixed butterfly (and for
// a block, the warps' sums in warp order): the same order on every call. As the java reference,
// the statistics are double (mean = Σx/cols, then Σ(x - mean)²/cols), y = (x - mean)·rstd·w + b
// in double rounded once; the backward's two row sums Σg and Σg·x̂ likewise, then dx.
// dweight and dbias: one thread per column (a grid-stride loop over the columns), summing its
// rows in order in double.
#include "cortado_cuda.h"
#include "grid.h"
#include "warp.h"

using cortado::cuda::kWarp;
using cortado::cuda::launch_rows;

namespace {


// The threads of a row (a warp or the whole block) and their sum.
template <bool kBlock>
using Row = cortado::cuda::RowThreads<kBlock>;

// kCentred: LayerNorm (mean, bias); else RMSNorm (mean 0). w, b null: ones, zeros.
template <bool kBlock, bool kCentred>
__global__ void norm_forward_kernel(int rows, int cols, float eps, const float* x, const float* w, const float* b, float* y,
                                    float* mean, float* rstd) {
    const Row<kBlock> r;
    if (!kBlock && r.row >= rows) return;
    __shared__ double shared[32];
    const int64_t o = r.row * static_cast<int64_t>(cols);
    double mu = 0.0;
    if (kCentred) {
        double s = 0.0;
        for (int j = r.lane; j < cols; j += r.width) s += x[o + j];
        mu = r.sum(s, shared) / cols;
    }
    double ss = 0.0;
    for (int j = r.lane; j < cols; j += r.width) {
        const double d = static_cast<double>(x[o + j]) - mu;
        ss += d * d;
    }
    const double rs = 1.0 / sqrt(r.sum(ss, shared) / cols + static_cast<double>(eps));
    for (int j = r.lane; j < cols; j += r.width) {
        double v = (static_cast<double>(x[o + j]) - mu) * rs;
        if (w) v *= w[j];
        if (b) v += b[j];
        y[o + j] = static_cast<float>(v);
    }
    if (r.lane == 0) {
        if (kCentred) mean[r.row] = static_cast<float>(mu);
        rstd[r.row] = static_cast<float>(rs);
    }
}

// dx = rs·(g - mean(g) - x̂·mean(g·x̂)), g = dy·w, x̂ = (x - mean)·rs (mean(g) left out uncentred).
template <bool kBlock, bool kCentred>
__global__ void norm_backward_dx_kernel(int rows, int cols, const float* x, const float* w, const float* mean,
                                        const float* rstd, const float* dy, float* dx) {
    const Row<kBlock> r;
    if (!kBlock && r.row >= rows) return;
    __shared__ double shared[32];
    const int64_t o = r.row * static_cast<int64_t>(cols);
    const double mu = kCentred ? static_cast<double>(mean[r.row]) : 0.0, rs = rstd[r.row];
    double sg = 0.0, sgx = 0.0;
    for (int j = r.lane; j < cols; j += r.width) {
        const double g = w ? static_cast<double>(dy[o + j]) * w[j] : static_cast<double>(dy[o + j]);
        sg += g;
        sgx += g * ((static_cast<double>(x[o + j]) - mu) * rs);
    }
    const double a = kCentred ? r.sum(sg, shared) / cols : 0.0;
    const double c = r.sum(sgx, shared) / cols;
    for (int j = r.lane; j < cols; j += r.width) {
        const double g = w ? static_cast<double>(dy[o + j]) * w[j] : static_cast<double>(dy[o + j]);
        const double xh = (static_cast<double>(x[o + j]) - mu) * rs;
        dx[o + j] = static_cast<float>(rs * (g - a - xh * c));
    }
}

// dweight[j] = Σ_r dy·x̂ and dbias[j] = Σ_r dy (dbias null: not written), one column per thread.
__global__ void norm_backward_weight_kernel(int rows, int cols, const float* x, const float* mean, const float* rstd,
                                            const float* dy, float* dweight, float* dbias) {
    for (int64_t j = cortado::cuda::first_index(); j < cols; j += cortado::cuda::grid_stride()) {
        double sw = 0.0, sb = 0.0;
        for (int r = 0; r < rows; r++) {
            const int64_t k = static_cast<int64_t>(r) * cols + j;
            const double d = dy[k], mu = mean ? static_cast<double>(mean[r]) : 0.0;
            sw += d * ((static_cast<double>(x[k]) - mu) * static_cast<double>(rstd[r]));
            sb += d;
        }
        dweight[j] = static_cast<float>(sw);
        if (dbias) dbias[j] = static_cast<float>(sb);
    }
}


int backward(const cortado_context* ctx, int rows, int cols, const float* x, const float* w, const float* mean,
             const float* rstd, const float* dy, float* dx, float* dweight, float* dbias) {
    if (cols <= 0) return CORTADO_STATUS_OK;
    const int status = mean ? launch_rows(ctx, "norm_backward_dx_kernel", rows, cols, norm_backward_dx_kernel<false, true>,
                                          norm_backward_dx_kernel<true, true>, rows, cols, x, w, mean, rstd, dy, dx)
                            : launch_rows(ctx, "norm_backward_dx_kernel", rows, cols, norm_backward_dx_kernel<false, false>,
                                          norm_backward_dx_kernel<true, false>, rows, cols, x, w, mean, rstd, dy, dx);
    if (status != CORTADO_STATUS_OK) return status;
    return CORTADO_LAUNCH(ctx, norm_backward_weight_kernel, cortado::cuda::grid_for(cols), cortado::cuda::kThreads, 0,
                          rows < 0 ? 0 : rows, cols, x, mean, rstd, dy, dweight, dbias);
}

}  // namespace

CORTADO_KERNEL(layer_norm_forward) {
    return launch_rows(ctx, "norm_forward_kernel", rows, cols, norm_forward_kernel<false, true>, norm_forward_kernel<true, true>,
                       rows, cols, eps, x, weight, bias, y, mean, rstd);
}

CORTADO_KERNEL(layer_norm_backward) {
    return backward(ctx, rows, cols, x, weight, mean, rstd, dy, dx, dweight, dbias);
}

CORTADO_KERNEL(rms_norm_forward) {
    const float* no_bias = nullptr;
    float* no_mean = nullptr;
    return launch_rows(ctx, "norm_forward_kernel", rows, cols, norm_forward_kernel<false, false>, norm_forward_kernel<true, false>,
                       rows, cols, eps, x, weight, no_bias, y, no_mean, rstd);
}

CORTADO_KERNEL(rms_norm_backward) {
    const float* no_mean = nullptr;
    float* no_bias = nullptr;
    return backward(ctx, rows, cols, x, weight, no_mean, rstd, dy, dx, dweight, no_bias);
}
