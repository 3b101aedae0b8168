// reduce: y[o, i] = op over j < len of x[o, j, i], x [outer, len, inner], y [outer, inner].
//
// One kernel per op kind, blocks of TX x TY threads (TX·TY <= 256, TY a power of 2): a block takes
// TX consecutive outputs k = o·inner + i (tx), and its TY rows of threads split each output's j
// (ty sums j = ty, ty + TY, ... in order); the TY partials are then combined by a fixed tree in
// shared memory. The shape alone picks TX and TY, never the scheduling, so neither do the bits:
//   short rows (len < 64), or inner > 1 with 32768 outputs or more: TX = 256, TY = 1, each thread
//     one output, j in order (the reference's own order of summation);
//   inner == 1: one output per block, its 64 or 256 threads along the row (coalesced);
//   otherwise: TX = the power of 2 >= inner (at most 32) consecutive outputs, 256 / TX rows.
// Sums are in double. MAX/MIN/ARGMAX/ARGMIN keep the first extreme, or the first NaN, and its
// index (partials combined: the better value, ties to the smaller index); MAX and MIN write that
// element itself (so even a zero's sign is the reference's). LOGSUMEXP: the maximum m (NaN if any),
// then m + log(sum e^(x - m)) in double where m is finite, m itself where it is not.
// Over an empty axis (len == 0): SUM 0, MEAN NaN, LOGSUMEXP -inf (the others are refused in Java).
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::kThreads;

namespace {

#if CORTADO_EMULATED
constexpr int64_t kMaxBlocks = 64;  // emulated threads are fibers: fewer blocks, each looping longer
#else
constexpr int64_t kMaxBlocks = 8192;
#endif

enum Kind { kSum, kMean, kMax, kMin, kArgMax, kArgMin, kLogSumExp };

// The first extreme (or first NaN) of a set of j, and its index; id < 0: no element yet.
struct Arg {
    float m;
    int64_t id;
};

// Whether v, coming after m, replaces it: strictly greater (smaller), or the first NaN.
template <bool Max>
__device__ __forceinline__ bool better(float v, float m) {
    return (Max ? v > m : v < m) || (v != v && m == m);
}

// a = the better of a and b, ties (equal values, or both NaN) to the smaller index.
template <bool Max>
__device__ __forceinline__ void combine(float& am, int64_t& aid, float bm, int64_t bid) {
    if (bid < 0) return;
    const bool tie = bm == am || (bm != bm && am != am);
    if (aid < 0 || better<Max>(bm, am) || (tie && bid < aid)) {
        am = bm;
        aid = bid;
    }
}

// Sum of x over this thread's j of output (o, i), ty + TY·t, in order; e^(x - m) when Exp.
template <bool Exp>
__device__ __forceinline__ double thread_sum(const float* col, int64_t len, int64_t inner, unsigned ty, unsigned ny, double m) {
    double s = 0.0;
    for (int64_t j = ty; j < len; j += ny) {
        const double v = col[j * inner];
        s += Exp ? exp(v - m) : v;
    }
    return s;
}

template <bool Max>
__device__ __forceinline__ void thread_arg(const float* col, int64_t len, int64_t inner, unsigned ty, unsigned ny, float& m,
                                           int64_t& id) {
    m = 0.0f;
    id = -1;
    for (int64_t j = ty; j < len; j += ny) {
        const float v = col[j * inner];
        if (id < 0 || better<Max>(v, m)) {
            m = v;
            id = j;
        }
    }
}

// The block's fixed tree over its TY rows: row 0 of the shared arrays ends with the totals.
__device__ __forceinline__ void tree_sum(double* s, unsigned tx, unsigned ty, unsigned nx, unsigned ny) {
    for (unsigned h = ny / 2; h > 0; h /= 2) {
        if (ty < h) s[ty * nx + tx] += s[(ty + h) * nx + tx];
        __syncthreads();
    }
}

template <bool Max>
__device__ __forceinline__ void tree_arg(float* m, int64_t* id, unsigned tx, unsigned ty, unsigned nx, unsigned ny) {
    for (unsigned h = ny / 2; h > 0; h /= 2) {
        if (ty < h) {
            const unsigned a = ty * nx + tx, b = (ty + h) * nx + tx;
            combine<Max>(m[a], id[a], m[b], id[b]);
        }
        __syncthreads();
    }
}

template <int K>
__global__ void reduce_kernel(int64_t outer, int64_t len, int64_t inner, const float* x, float* y, int64_t blocks) {
    __shared__ double s_sum[kThreads];
    __shared__ float s_m[kThreads];
    __shared__ int64_t s_id[kThreads];
    constexpr bool kArg = K == kMax || K == kMin || K == kArgMax || K == kArgMin || K == kLogSumExp;
    constexpr bool kIsMax = K == kMax || K == kArgMax || K == kLogSumExp;
    const unsigned tx = threadIdx.x, ty = threadIdx.y, nx = blockDim.x, ny = blockDim.y, me = ty * nx + tx;
    const int64_t outputs = outer * inner;
    for (int64_t b = blockIdx.x; b < blocks; b += gridDim.x) {
        const int64_t k = b * nx + tx;
        const bool active = k < outputs;
        const int64_t o = active ? k / inner : 0, i = active ? k % inner : 0;
        const float* col = x + o * len * inner + i;
        float m = 0.0f;
        int64_t id = -1;
        if (kArg) {
            if (active) thread_arg<kIsMax>(col, len, inner, ty, ny, m, id);
            s_m[me] = m;
            s_id[me] = id;
            __syncthreads();
            tree_arg<kIsMax>(s_m, s_id, tx, ty, nx, ny);
            m = s_m[tx];
            id = s_id[tx];
        }
        if (K == kSum || K == kMean || K == kLogSumExp) {
            const bool finite = m - m == 0.0f;  // (LOGSUMEXP: the maximum is finite)
            double s = 0.0;
            if (active && (K != kLogSumExp || finite)) {
                s = K == kLogSumExp ? thread_sum<true>(col, len, inner, ty, ny, m) : thread_sum<false>(col, len, inner, ty, ny, 0.0);
            }
            s_sum[me] = s;
            __syncthreads();
            tree_sum(s_sum, tx, ty, nx, ny);
            s = s_sum[tx];
            if (ty == 0 && active) {
                if (K == kSum) y[k] = static_cast<float>(s);
                else if (K == kMean) y[k] = static_cast<float>(s / static_cast<double>(len));
                else y[k] = finite ? static_cast<float>(static_cast<double>(m) + log(s)) : m;
            }
        } else if (ty == 0 && active) {
            y[k] = K == kMax || K == kMin ? m : static_cast<float>(id);
        }
        __syncthreads();  // the shared arrays are read before the next round writes them
    }
}

template <int K>
int run(const cortado_context* ctx, int64_t outer, int64_t len, int64_t inner, const float* x, float* y) {
    const int64_t outputs = outer * inner;
    unsigned nx, ny;
    if (len < 64 || (inner > 1 && outputs >= 32768)) {
        nx = kThreads;
        ny = 1;
    } else if (inner == 1) {  // (a warp along j: its lanes are consecutive ty)
        nx = 1;
        ny = len >= 1024 ? kThreads : 64;
    } else {
        nx = 2;
        while (nx < 32 && nx < inner) nx *= 2;
        ny = kThreads / nx;
    }
    const int64_t blocks = (outputs + nx - 1) / nx;
    const unsigned grid = static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
    return CORTADO_LAUNCH(ctx, reduce_kernel<K>, grid, dim3(nx, ny), 0, outer, len, inner, x, y, blocks);
}

}  // namespace

CORTADO_KERNEL(reduce) {
    const int64_t outputs = outer * inner;
    if (outputs == 0) return CORTADO_STATUS_OK;
    if (len == 0) {  // (MAX, MIN, ARGMAX and ARGMIN are refused over an empty axis)
        const float v = op == CORTADO_REDUCE_SUM ? 0.0f : op == CORTADO_REDUCE_MEAN ? NAN : -INFINITY;
        return cortado_fill(ctx, outputs, v, y);
    }
    switch (op) {
        case CORTADO_REDUCE_SUM: return run<kSum>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_MEAN: return run<kMean>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_MAX: return run<kMax>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_MIN: return run<kMin>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_ARGMAX: return run<kArgMax>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_ARGMIN: return run<kArgMin>(ctx, outer, len, inner, x, y);
        case CORTADO_REDUCE_LOGSUMEXP: return run<kLogSumExp>(ctx, outer, len, inner, x, y);
        default: return CORTADO_STATUS_OK;  // validated in Java
    }
}
