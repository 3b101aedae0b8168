// Elementwise arithmetic (add, mul, scale, axpy, fill, equal), bias add and gradient, sum and argmax.
//
// Elementwise kernels: one element per thread over a grid-stride loop; each reads its inputs at
// index i before writing the output at i, so an output may be an input (in place). Float
// arithmetic as the java reference (axpy in double, rounded once, as it does).
//
// sum and bias_grad are deterministic reductions: each thread adds its elements in a fixed order
// in double, a block combines its threads by a fixed tree (warp shuffle butterflies, then the
// warps in order), and where one block is not enough the per-block partial sums (double, in
// workspace memory) are added in order by a second small kernel. The grid depends on the sizes
// only, so the same call gives the same bits every time. No atomics.
//
// argmax: the first maximum of each row, NaN counting as the maximum (the first NaN wins), by a
// warp per row (short rows) or a block per row; the candidates are combined by a total order
// (NaN above everything, then the value, then the lower index), so the tree's shape does not
// matter.
#include "cortado_cuda.h"
#include "grid.h"
#include "warp.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::first_index;
using cortado::cuda::grid_stride;
using cortado::cuda::quotient;
using cortado::cuda::kFullMask;
using cortado::cuda::kWarp;
using cortado::cuda::warp_sum;

namespace {


// ---- elementwise -----------------------------------------------------------------------------

__global__ void add_kernel(int64_t n, const float* a, const float* b, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float u = a[i], v = b[i];
        y[i] = u + v;
    }
}

__global__ void mul_kernel(int64_t n, const float* a, const float* b, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float u = a[i], v = b[i];
        y[i] = u * v;
    }
}

__global__ void scale_kernel(int64_t n, float alpha, const float* x, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float v = x[i];
        y[i] = alpha * v;
    }
}

__global__ void axpy_kernel(int64_t n, float alpha, const float* x, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const double v = x[i], w = y[i];
        y[i] = static_cast<float>(w + static_cast<double>(alpha) * v);
    }
}

__global__ void fill_kernel(int64_t n, float value, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) y[i] = value;
}

__global__ void equal_kernel(int64_t n, const float* a, const float* b, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float u = a[i], v = b[i];
        y[i] = u == v ? 1.0f : 0.0f;  // NaN equals nothing; -0 equals 0
    }
}

// y[(o * channels + c) * inner + i] += bias[c]
__global__ void bias_add_kernel(int64_t n, int channels, int inner, const float* bias, float* y) {
    for (int64_t k = first_index(); k < n; k += grid_stride()) {
        const int64_t row = quotient(k, inner);
        const int c = static_cast<int>(row - quotient(row, channels) * channels);
        y[k] = y[k] + bias[c];
    }
}

// ---- deterministic sums ----------------------------------------------------------------------


// The sum of v over the block, by a fixed tree; the same bits in every thread. shared: a double
// per warp.
__device__ __forceinline__ double block_sum(double v, double* shared) {
    v = warp_sum(v);
    const unsigned warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp, warps = blockDim.x / kWarp;
    __syncthreads();
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? shared[lane] : 0.0);
}

// Block b adds the elements i = b·T + t, + grid·T, ... (T threads, t its thread) of x[0..n); with
// one block the total goes to out, else to partial[b].
__global__ void sum_blocks_kernel(int64_t n, const float* x, double* partial, float* out) {
    __shared__ double shared[32];
    double s = 0.0;
    for (int64_t i = first_index(); i < n; i += grid_stride()) s += x[i];
    s = block_sum(s, shared);
    if (threadIdx.x == 0) {
        if (gridDim.x == 1) {
            *out = static_cast<float>(s);
        } else {
            partial[blockIdx.x] = s;
        }
    }
}

// One block: out = the sum of partial[0..count) (each thread its share in order, then the tree).
__global__ void sum_partials_kernel(int count, const double* partial, float* out) {
    __shared__ double shared[32];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
    s = block_sum(s, shared);
    if (threadIdx.x == 0) *out = static_cast<float>(s);
}

// bias_grad for short inner (< kColumnInner): dy as a matrix [outer, width = channels·inner],
// summed down its columns. Thread (column j, chunk s) adds rows [s·chunk, (s+1)·chunk) of column j
// in order into partial[s·width + j].
__global__ void column_sums_kernel(int outer, int64_t width, int chunk, const float* dy, double* partial) {
    const int64_t j = first_index();
    if (j >= width) return;
    const int begin = static_cast<int>(blockIdx.y) * chunk;
    const int end = outer - begin < chunk ? outer : begin + chunk;
    double s = 0.0;
    for (int o = begin; o < end; o++) s += dy[static_cast<int64_t>(o) * width + j];
    partial[static_cast<int64_t>(blockIdx.y) * width + j] = s;
}

// db[c] = the sum over chunks s (in order), then over i (in order) of partial[s·width + c·inner + i].
__global__ void column_finish_kernel(int channels, int inner, int chunks, const double* partial, float* db) {
    const int64_t c = first_index();
    if (c >= channels) return;
    const int64_t width = static_cast<int64_t>(channels) * inner;
    double s = 0.0;
    for (int k = 0; k < chunks; k++) {
        const double* p = partial + k * width + c * inner;
        for (int i = 0; i < inner; i++) s += p[i];
    }
    db[c] = static_cast<float>(s);
}

// bias_grad for long inner: block (c, s) sums dy[o, c, 0..inner) over rows o of chunk s, each
// thread its columns i = t, t + T, ... in row order, then the block tree; into db[c] if there is
// one chunk, else partial[s·channels + c].
__global__ void channel_sums_kernel(int outer, int channels, int inner, int chunk, const float* dy, double* partial,
                                    float* db) {
    __shared__ double shared[32];
    const int c = blockIdx.x;
    const int begin = static_cast<int>(blockIdx.y) * chunk;
    const int end = outer - begin < chunk ? outer : begin + chunk;
    double s = 0.0;
    for (int o = begin; o < end; o++) {
        const float* row = dy + (static_cast<int64_t>(o) * channels + c) * inner;
        for (int i = threadIdx.x; i < inner; i += blockDim.x) s += row[i];
    }
    s = block_sum(s, shared);
    if (threadIdx.x == 0) {
        if (gridDim.y == 1) {
            db[c] = static_cast<float>(s);
        } else {
            partial[static_cast<int64_t>(blockIdx.y) * channels + c] = s;
        }
    }
}

// db[c] = the sum over chunks s (in order) of partial[s·channels + c].
__global__ void channel_finish_kernel(int channels, int chunks, const double* partial, float* db) {
    const int64_t c = first_index();
    if (c >= channels) return;
    double s = 0.0;
    for (int k = 0; k < chunks; k++) s += partial[static_cast<int64_t>(k) * channels + c];
    db[c] = static_cast<float>(s);
}

// ---- argmax ----------------------------------------------------------------------------------

// Whether candidate (v, j) comes before (best, b) in argmax's order: NaN first, then the larger
// value, then the lower index (the reference's scan keeps the first maximum, stops at a NaN).
__device__ __forceinline__ bool before(float v, int j, float best, int b) {
    const bool vn = v != v, bn = best != best;
    if (vn != bn) return vn;
    if (!vn && v != best) return v > best;
    return j < b;
}

__device__ __forceinline__ void warp_argmax(float& v, int& j) {
    for (unsigned off = kWarp / 2; off > 0; off >>= 1) {
        const float ov = __shfl_xor_sync(kFullMask, v, off);
        const int oj = __shfl_xor_sync(kFullMask, j, off);
        if (before(ov, oj, v, j)) {
            v = ov;
            j = oj;
        }
    }
}

// Warp mode (kBlock false): kRowsPerBlock rows per block, a warp each; block mode: a row per block.
template <bool kBlock>
__global__ void argmax_kernel(int rows, int cols, const float* x, float* out) {
    const cortado::cuda::RowThreads<kBlock> t;
    if (!kBlock && t.row >= rows) return;
    const int64_t row = t.row;
    const unsigned lane = t.lane, width = t.width;
    const float* xr = x + row * static_cast<int64_t>(cols);
    // each thread's first maximum of its columns (a NaN ends its scan: none after it can win)
    float best = 0.0f;
    int at = cols;  // none yet
    for (int j = lane; j < cols; j += width) {
        const float v = xr[j];
        if (at == cols || before(v, j, best, at)) {
            best = v;
            at = j;
            if (v != v) break;
        }
    }
    if (at == cols) best = -INFINITY;  // a thread without columns loses to every candidate (index cols)
    warp_argmax(best, at);
    if (kBlock) {
        __shared__ float values[32];
        __shared__ int indices[32];
        const unsigned warp = threadIdx.x / kWarp, l = threadIdx.x % kWarp, warps = blockDim.x / kWarp;
        if (l == 0) {
            values[warp] = best;
            indices[warp] = at;
        }
        __syncthreads();
        if (warp != 0) return;
        best = l < warps ? values[l] : -INFINITY;
        at = l < warps ? indices[l] : cols;
        warp_argmax(best, at);
    }
    if (lane == 0) out[row] = static_cast<float>(at);
}

// The reductions' grid over n elements: at most kSumBlocks blocks, each thread at least
// kPerThread elements.
constexpr int64_t kSumBlocks = 1024;
constexpr int64_t kPerThread = 8;
// bias_grad sums inner this short down the columns of [outer, channels·inner].
constexpr int kColumnInner = 32;
// Chunks of rows for bias_grad: enough blocks to fill a GPU, at least kChunkRows rows a chunk.
constexpr int64_t kTargetBlocks = 512;
constexpr int kChunkRows = 8;

// Splits `outer` rows into chunks of `chunk` rows, about `want` chunks but none under kChunkRows
// rows (none empty, at most 65535 of them: a grid's y); returns the number of chunks.
int split_rows(int outer, int64_t want, int& chunk) {
    if (outer <= 0) {
        chunk = 1;
        return 1;
    }
    int64_t most = (outer + kChunkRows - 1) / kChunkRows;
    if (want > most) want = most;
    if (want > 65535) want = 65535;
    if (want < 1) want = 1;
    chunk = static_cast<int>((outer + want - 1) / want);
    return static_cast<int>((outer + chunk - 1) / chunk);
}

}  // namespace

CORTADO_KERNEL(add) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, add_kernel, grid_for(n), kThreads, 0, n, a, b, y);
}

CORTADO_KERNEL(mul) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, mul_kernel, grid_for(n), kThreads, 0, n, a, b, y);
}

CORTADO_KERNEL(scale) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, scale_kernel, grid_for(n), kThreads, 0, n, alpha, x, y);
}

CORTADO_KERNEL(axpy) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, axpy_kernel, grid_for(n), kThreads, 0, n, alpha, x, y);
}

CORTADO_KERNEL(fill) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, fill_kernel, grid_for(n), kThreads, 0, n, value, y);
}

CORTADO_KERNEL(equal) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, equal_kernel, grid_for(n), kThreads, 0, n, a, b, y);
}

CORTADO_KERNEL(bias_add) {
    const int64_t n = static_cast<int64_t>(outer) * channels * inner;
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, bias_add_kernel, grid_for(n), kThreads, 0, n, channels, inner, bias, y);
}

CORTADO_KERNEL(bias_grad) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    if (inner < kColumnInner) {
        const int64_t width = static_cast<int64_t>(channels) * inner;
        const unsigned columns = cortado::cuda::blocks_for(width, kThreads);
        int chunk;
        const int chunks = split_rows(outer, (kTargetBlocks + columns - 1) / columns, chunk);
        double* partial = static_cast<double*>(ctx->workspace(ctx, sizeof(double) * (width * chunks > 0 ? width * chunks : 1)));
        if (partial == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
        int status = CORTADO_STATUS_OK;
        if (width > 0) {
            status = CORTADO_LAUNCH(ctx, column_sums_kernel, dim3(columns, chunks), dim3(kThreads), 0, outer, width, chunk,
                                    dy, partial);
        }
        if (status == CORTADO_STATUS_OK) {
            status = CORTADO_LAUNCH(ctx, column_finish_kernel, dim3(cortado::cuda::blocks_for(channels, kThreads)),
                                    dim3(kThreads), 0, channels, inner, width > 0 ? chunks : 0,
                                    static_cast<const double*>(partial), db);
        }
        ctx->release(ctx, partial);
        return status;
    }
    // inner >= kColumnInner: a block per (channel, chunk of rows), as many threads as inner can use
    const unsigned threads = inner >= 256 ? 256u : static_cast<unsigned>((inner + kWarp - 1) / kWarp * kWarp);
    int chunk;
    const int chunks = split_rows(outer, (kTargetBlocks + channels - 1) / channels, chunk);
    if (chunks == 1) {
        return CORTADO_LAUNCH(ctx, channel_sums_kernel, dim3(static_cast<unsigned>(channels), 1), dim3(threads), 0, outer,
                              channels, inner, chunk, dy, static_cast<double*>(nullptr), db);
    }
    double* partial = static_cast<double*>(ctx->workspace(ctx, sizeof(double) * static_cast<size_t>(channels) * chunks));
    if (partial == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    int status = CORTADO_LAUNCH(ctx, channel_sums_kernel, dim3(static_cast<unsigned>(channels), chunks), dim3(threads), 0,
                                outer, channels, inner, chunk, dy, partial, db);
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, channel_finish_kernel, dim3(cortado::cuda::blocks_for(channels, kThreads)),
                                dim3(kThreads), 0, channels, chunks, static_cast<const double*>(partial), db);
    }
    ctx->release(ctx, partial);
    return status;
}

CORTADO_KERNEL(sum) {
    int64_t blocks = n > 0 ? (n + kThreads * kPerThread - 1) / (kThreads * kPerThread) : 1;
    if (blocks > kSumBlocks) blocks = kSumBlocks;
    if (blocks == 1) {  // one block writes the total (0 for n = 0)
        return CORTADO_LAUNCH(ctx, sum_blocks_kernel, dim3(1), dim3(kThreads), 0, n, x, static_cast<double*>(nullptr), out);
    }
    double* partial = static_cast<double*>(ctx->workspace(ctx, sizeof(double) * static_cast<size_t>(blocks)));
    if (partial == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    int status = CORTADO_LAUNCH(ctx, sum_blocks_kernel, dim3(static_cast<unsigned>(blocks)), dim3(kThreads), 0, n, x,
                                partial, out);
    if (status == CORTADO_STATUS_OK) {
        status = CORTADO_LAUNCH(ctx, sum_partials_kernel, dim3(1), dim3(kThreads), 0, static_cast<int>(blocks),
                                static_cast<const double*>(partial), out);
    }
    ctx->release(ctx, partial);
    return status;
}

CORTADO_KERNEL(argmax) {
    return cortado::cuda::launch_rows(ctx, "argmax_kernel", rows, cols, argmax_kernel<false>, argmax_kernel<true>, rows, cols, x, out);
}
