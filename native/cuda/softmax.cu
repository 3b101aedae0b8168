// Softmax, log-softmax and softmax cross-entropy over the rows of a rows x cols matrix.
//
// A row is reduced by one warp (cols <= kWarpCols: kRowsPerBlock rows per block) or by one whole
// block (longer rows). Each thread walks its columns j = lane, lane + T, ... (T threads on the
// row) in order, then the threads' values are combined by a fixed butterfly of warp shuffles (and,
// for a block, the warps' results in warp order): the same order on every call, so the bits do not
// depend on scheduling. As the java reference: the row maximum propagates NaN, the sums are in
// double, logZ = max + log(sum) in double; the exponentials are float expf of the difference
// taken in double (an error of a few ulp relative to the result, well inside the suite's
// tolerance), except log-softmax's backward, whose exp(y) multiplies a sum that may be large, in
// double. Outputs are written after the row's reductions, each element by the thread that read
// it, so y may be x (in place).
//
// Cross-entropy labels are class indices stored as floats in device memory: a label that is not an
// integer in [0, cols) is never used to index; it sets a flag in workspace memory that the host
// reads back after the launch, and the call returns CORTADO_STATUS_BAD_INDEX (that row's loss, or
// its gradient, is NaN).
#include "cortado_cuda.h"
#include "grid.h"
#include "index_flag.h"
#include "warp.h"

using cortado::cuda::kMaxBlocks;
using cortado::cuda::quotient;
using cortado::cuda::kFullMask;
using cortado::cuda::kWarp;
using cortado::cuda::launch_rows;

namespace {

constexpr unsigned kElementThreads = 256;

// ---- reductions ------------------------------------------------------------------------------

// The larger of a and b, NaN if either is (Math.max on the reference's doubles).
__device__ __forceinline__ float nan_max(float a, float b) {
    return (a != a || a > b) ? a : b;
}

__device__ __forceinline__ float warp_max(float v) {
    for (unsigned off = kWarp / 2; off > 0; off >>= 1) v = nan_max(v, __shfl_xor_sync(kFullMask, v, off));
    return v;
}

// The threads of a row (a warp, or the whole block) and their reductions: RowThreads' sum, and max.
template <bool kBlock>
struct Row : cortado::cuda::RowThreads<kBlock> {
    __device__ __forceinline__ float max(float v, float* shared) const {
        v = warp_max(v);
        if (!kBlock) return v;
        const unsigned warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
        __syncthreads();
        if (threadIdx.x % kWarp == 0) shared[warp] = v;
        __syncthreads();
        const unsigned l = threadIdx.x % kWarp;
        return warp_max(l < warps ? shared[l] : -INFINITY);
    }
};

// max of the row x[0..cols) and log(sum(exp(x - max))) + max, as the reference's logSumExp.
template <bool kBlock>
__device__ __forceinline__ double log_sum_exp(const Row<kBlock>& r, const float* x, int cols, double* dshared,
                                              float* fshared) {
    float m = -INFINITY;
    for (int j = r.lane; j < cols; j += r.width) m = nan_max(m, x[j]);
    m = r.max(m, fshared);
    double s = 0.0;
    for (int j = r.lane; j < cols; j += r.width) s += expf(static_cast<float>(static_cast<double>(x[j]) - m));
    s = r.sum(s, dshared);
    return static_cast<double>(m) + log(s);
}

// ---- kernels ---------------------------------------------------------------------------------

// The kernels take their row as the block (kBlock) or one warp of it; a warp past the last row
// returns at once (it shares no barrier with the others in warp mode).
#define CORTADO_ROW_PROLOGUE()                                        \
    const Row<kBlock> r;                                              \
    if (!kBlock && r.row >= rows) return;                             \
    __shared__ double dshared[32];                                    \
    __shared__ float fshared[32];                                     \
    const int64_t o = r.row * static_cast<int64_t>(cols)

template <bool kBlock>
__global__ void softmax_forward_kernel(int rows, int cols, const float* x, float* y) {
    CORTADO_ROW_PROLOGUE();
    const double logz = log_sum_exp(r, x + o, cols, dshared, fshared);
    for (int j = r.lane; j < cols; j += r.width) {
        y[o + j] = expf(static_cast<float>(static_cast<double>(x[o + j]) - logz));
    }
}

template <bool kBlock>
__global__ void log_softmax_forward_kernel(int rows, int cols, const float* x, float* y) {
    CORTADO_ROW_PROLOGUE();
    const double logz = log_sum_exp(r, x + o, cols, dshared, fshared);
    for (int j = r.lane; j < cols; j += r.width) y[o + j] = static_cast<float>(static_cast<double>(x[o + j]) - logz);
}

template <bool kBlock>
__global__ void softmax_backward_kernel(int rows, int cols, const float* y, const float* dy, float* dx) {
    CORTADO_ROW_PROLOGUE();
    (void)fshared;
    double dot = 0.0;
    for (int j = r.lane; j < cols; j += r.width) dot += static_cast<double>(dy[o + j]) * y[o + j];
    dot = r.sum(dot, dshared);
    for (int j = r.lane; j < cols; j += r.width) {
        const double yj = y[o + j], gj = dy[o + j];
        dx[o + j] = static_cast<float>(yj * (gj - dot));
    }
}

template <bool kBlock>
__global__ void log_softmax_backward_kernel(int rows, int cols, const float* y, const float* dy, float* dx) {
    CORTADO_ROW_PROLOGUE();
    (void)fshared;
    double s = 0.0;
    for (int j = r.lane; j < cols; j += r.width) s += dy[o + j];
    s = r.sum(s, dshared);
    for (int j = r.lane; j < cols; j += r.width) {
        const double yj = y[o + j], gj = dy[o + j];
        dx[o + j] = static_cast<float>(gj - exp(yj) * s);
    }
}

// probs = softmax(logits); loss[row] = logZ - logits[label] (NaN, and the flag set, for a label
// that is not a class index).
template <bool kBlock>
__global__ void softmax_cross_entropy_forward_kernel(int rows, int cols, const float* logits, const float* labels,
                                                     float* probs, float* loss, int* bad) {
    CORTADO_ROW_PROLOGUE();
    const double logz = log_sum_exp(r, logits + o, cols, dshared, fshared);
    for (int j = r.lane; j < cols; j += r.width) {
        probs[o + j] = expf(static_cast<float>(static_cast<double>(logits[o + j]) - logz));
    }
    if (r.lane == 0) {
        const float label = labels[r.row];
        if (cortado::cuda::valid_index(label, cols)) {
            loss[r.row] = static_cast<float>(logz - logits[o + static_cast<int>(label)]);
        } else {
            loss[r.row] = NAN;
            cortado::cuda::raise_index_flag(bad);
        }
    }
}

// dx = scale * (probs - onehot(label)), one element per thread (NaN, and the flag set, over a row
// whose label is not a class index).
__global__ void softmax_cross_entropy_backward_kernel(int64_t n, int cols, const float* probs, const float* labels,
                                                      float scale, float* dx, int* bad) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        const int64_t row = quotient(i, cols);
        const int j = static_cast<int>(i - row * cols);
        const float label = labels[row];
        const double p = probs[i];
        if (cortado::cuda::valid_index(label, cols)) {
            const double target = j == static_cast<int>(label) ? 1.0 : 0.0;
            dx[i] = static_cast<float>(static_cast<double>(scale) * (p - target));
        } else {
            dx[i] = NAN;
            if (j == 0) cortado::cuda::raise_index_flag(bad);
        }
    }
}

// ---- host ------------------------------------------------------------------------------------


#define CORTADO_LAUNCH_ROWS(ctx, kernel, rows, cols, ...) \
    launch_rows(ctx, #kernel, rows, cols, kernel<false>, kernel<true>, __VA_ARGS__)

}  // namespace

CORTADO_KERNEL(softmax_forward) {
    return CORTADO_LAUNCH_ROWS(ctx, softmax_forward_kernel, rows, cols, rows, cols, x, y);
}

CORTADO_KERNEL(softmax_backward) {
    return CORTADO_LAUNCH_ROWS(ctx, softmax_backward_kernel, rows, cols, rows, cols, y, dy, dx);
}

CORTADO_KERNEL(log_softmax_forward) {
    return CORTADO_LAUNCH_ROWS(ctx, log_softmax_forward_kernel, rows, cols, rows, cols, x, y);
}

CORTADO_KERNEL(log_softmax_backward) {
    return CORTADO_LAUNCH_ROWS(ctx, log_softmax_backward_kernel, rows, cols, rows, cols, y, dy, dx);
}

CORTADO_KERNEL(softmax_cross_entropy_forward) {
    if (rows <= 0) return CORTADO_STATUS_OK;
    if (cols <= 0) return CORTADO_STATUS_BAD_INDEX;  // no label can be a class index
    cortado::cuda::IndexFlag bad(ctx);
    int status = bad.begin();
    if (status == CORTADO_STATUS_NO_WORKSPACE) return status;
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH_ROWS(ctx, softmax_cross_entropy_forward_kernel, rows, cols, rows, cols, logits, labels,
                                     probs, loss, bad.flag);
    }
    return bad.finish(status);
}

CORTADO_KERNEL(softmax_cross_entropy_backward) {
    if (rows <= 0) return CORTADO_STATUS_OK;
    if (cols <= 0) return CORTADO_STATUS_BAD_INDEX;
    cortado::cuda::IndexFlag bad(ctx);
    int status = bad.begin();
    if (status == CORTADO_STATUS_NO_WORKSPACE) return status;
    if (status == CORTADO_STATUS_OK) {
        const int64_t n = static_cast<int64_t>(rows) * cols;
        unsigned blocks = cortado::cuda::blocks_for(n, kElementThreads);
        if (blocks > kMaxBlocks) blocks = static_cast<unsigned>(kMaxBlocks);
        status = CORTADO_LAUNCH(ctx, softmax_cross_entropy_backward_kernel, dim3(blocks), dim3(kElementThreads), 0, n,
                                cols, probs, labels, scale, dx, bad.flag);
    }
    return bad.finish(status);
}
