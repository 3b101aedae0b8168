// copy_strided and binary: the strided kernels, over up to CORTADO_MAX_RANK axes.
//
// The host first simplifies the index space (as native/cpu/strided.h does): axes of extent 1 go,
// and an axis merges into the next wherever every operand steps over it as over a whole run of
// the next. copy_strided first orders the axes by dst stride (largest first), so that the
// innermost axis is the one dst steps through fastest (coalesced writes); binary keeps the order
// of its contiguous y. The shape and strides travel to the kernel by value (a small struct in the
// launch arguments); each thread decomposes its linear index into coordinates (32-bit divisions
// when the space has fewer than 2^31 elements) over a grid-stride loop.
//
// copy_strided moves the float bits untouched (NaN payloads included). binary's ADD, SUB, MUL and
// DIV are single float operations (correctly rounded: the reference's double op rounded once gives
// the same bits), the comparisons are exact, MAX and MIN follow the reference (NaN if either is
// NaN, else Java's Math.max/min: +0 above -0), POW is C's pow in double rounded once, with 1 to any
// power and -1 to an infinite one giving 1.
#include "cortado_cuda.h"
#include "grid.h"
#include "index_space.h"

using cortado::cuda::kThreads;
using cortado::cuda::kMaxBlocks;
using cortado::cuda::grid_for;

namespace {

// The index space of two strided operands (copy: src, dst; binary: a, b), by value to the kernel.
using Space = cortado::Space<2>;

// The two operands' element offsets of linear index e (row-major over the space).
template <typename I>
__device__ __forceinline__ void offsets(const Space& sp, I e, int64_t& o0, int64_t& o1) {
    int64_t a = 0, b = 0;
    for (int d = sp.rank - 1; d > 0; d--) {
        const I n = static_cast<I>(sp.shape[d]);
        const I c = e % n;
        e /= n;
        a += static_cast<int64_t>(c) * sp.stride[0][d];
        b += static_cast<int64_t>(c) * sp.stride[1][d];
    }
    o0 = a + static_cast<int64_t>(e) * sp.stride[0][0];
    o1 = b + static_cast<int64_t>(e) * sp.stride[1][0];
}

// A permute: 32 x 32 tiles of two axes, a (src stride 1, dst stride da) and b (src stride sb, dst
// stride 1), through shared memory, so that both the reads and the writes are coalesced; `outer`
// holds the other axes (a tile's batch index decomposes over them).
constexpr int kTile = 32, kTileRows = 8;

__global__ void transpose_kernel(Space outer, int64_t tiles, int64_t tiles_a, int64_t tiles_b, int64_t na, int64_t nb,
                                 int64_t sb, int64_t da, const float* src, float* dst) {
    __shared__ float tile[kTile][kTile + 1];
    const int tx = threadIdx.x, ty = threadIdx.y;
    for (int64_t v = blockIdx.x; v < tiles; v += gridDim.x) {
        const int64_t tb = v % tiles_b, r = v / tiles_b, ta = r % tiles_a, batch = r / tiles_a;
        int64_t from, to;
        offsets<int64_t>(outer, batch, from, to);
        const int64_t a0 = ta * kTile, b0 = tb * kTile;
        for (int k = ty; k < kTile; k += kTileRows) {  // rows of b, tx along a (src contiguous)
            if (a0 + tx < na && b0 + k < nb) tile[k][tx] = src[from + (a0 + tx) + (b0 + k) * sb];
        }
        __syncthreads();
        for (int k = ty; k < kTile; k += kTileRows) {  // rows of a, tx along b (dst contiguous)
            if (a0 + k < na && b0 + tx < nb) dst[to + (a0 + k) * da + (b0 + tx)] = tile[tx][k];
        }
        __syncthreads();  // the tile is read before the next round writes it
    }
}

template <typename I>
__global__ void copy_kernel(Space sp, I total, const float* src, float* dst) {
    const I stride = static_cast<I>(gridDim.x) * blockDim.x;
    for (I e = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t from, to;
        offsets<I>(sp, e, from, to);
        dst[to] = src[from];
    }
}

// Java's Math.max / Math.min on floats, with the reference's NaN (either NaN gives NaN).
__device__ __forceinline__ float ref_max(float a, float b) {
    if (a != a || b != b) return a + b;  // NaN
    if (a > b) return a;
    if (b > a) return b;
    return a == 0.0f ? a + b : a;  // equal: +0 if either zero is +0 (+0 + -0 = +0)
}

__device__ __forceinline__ float ref_min(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a < b) return a;
    if (b < a) return b;
    return a == 0.0f ? -((-a) + (-b)) : a;  // equal: -0 if either zero is -0
}

__device__ __forceinline__ float ref_pow(float a, float b) {
    if (a == 1.0f || (a == -1.0f && (b == INFINITY || b == -INFINITY))) return 1.0f;
    return static_cast<float>(pow(static_cast<double>(a), static_cast<double>(b)));
}

template <int Op>
__device__ __forceinline__ float apply(float a, float b) {
    switch (Op) {
        case CORTADO_BINARY_ADD: return a + b;
        case CORTADO_BINARY_SUB: return a - b;
        case CORTADO_BINARY_MUL: return a * b;
        case CORTADO_BINARY_DIV: return a / b;
        case CORTADO_BINARY_POW: return ref_pow(a, b);
        case CORTADO_BINARY_MAX: return ref_max(a, b);
        case CORTADO_BINARY_MIN: return ref_min(a, b);
        case CORTADO_BINARY_EQ: return a == b ? 1.0f : 0.0f;
        case CORTADO_BINARY_NE: return a != b ? 1.0f : 0.0f;
        case CORTADO_BINARY_LT: return a < b ? 1.0f : 0.0f;
        case CORTADO_BINARY_LE: return a <= b ? 1.0f : 0.0f;
        case CORTADO_BINARY_GT: return a > b ? 1.0f : 0.0f;
        default: return a >= b ? 1.0f : 0.0f;  // GE
    }
}

template <int Op, typename I>
__global__ void binary_kernel(Space sp, I total, const float* a, const float* b, float* y) {
    const I stride = static_cast<I>(gridDim.x) * blockDim.x;
    for (I e = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
        int64_t ia, ib;
        offsets<I>(sp, e, ia, ib);
        y[e] = apply<Op>(a[ia], b[ib]);
    }
}

template <int Op>
int run_binary(const cortado_context* ctx, const Space& sp, int64_t total, const float* a, const float* b, float* y) {
    if (total < (int64_t{1} << 31)) {
        return CORTADO_LAUNCH(ctx, (binary_kernel<Op, uint32_t>), grid_for(total), kThreads, 0, sp,
                              static_cast<uint32_t>(total), a, b, y);
    }
    return CORTADO_LAUNCH(ctx, (binary_kernel<Op, int64_t>), grid_for(total), kThreads, 0, sp, total, a, b, y);
}

}  // namespace

CORTADO_KERNEL(copy_strided) {
    Space sp = cortado::copy_space(rank, shape, src_strides, dst_strides);
    const int64_t total = sp.simplify();
    if (total == 0) return CORTADO_STATUS_OK;
    // A permute: dst steps by 1 along the last axis (b), src by 1 along another (a), both long
    // enough to fill tiles.
    const int r = sp.rank;
    if (r >= 2 && sp.stride[1][r - 1] == 1 && sp.stride[0][r - 1] != 1 && sp.shape[r - 1] >= 8) {
        int a = -1;
        for (int d = 0; d < r - 1; d++)
            if (sp.stride[0][d] == 1 && sp.shape[d] >= 8) a = d;
        if (a >= 0) {
            Space outer;
            outer.rank = 0;
            for (int d = 0; d < r - 1; d++) {
                if (d == a) continue;
                outer.shape[outer.rank] = sp.shape[d];
                outer.stride[0][outer.rank] = sp.stride[0][d];
                outer.stride[1][outer.rank] = sp.stride[1][d];
                outer.rank++;
            }
            if (outer.rank == 0) {
                outer.rank = 1;
                outer.shape[0] = 1;
                outer.stride[0][0] = outer.stride[1][0] = 0;
            }
            const int64_t na = sp.shape[a], nb = sp.shape[r - 1];
            const int64_t tiles_a = (na + kTile - 1) / kTile, tiles_b = (nb + kTile - 1) / kTile;
            const int64_t tiles = total / (na * nb) * tiles_a * tiles_b;
            const unsigned grid = static_cast<unsigned>(tiles < kMaxBlocks ? tiles : kMaxBlocks);
            return CORTADO_LAUNCH(ctx, transpose_kernel, grid, dim3(kTile, kTileRows), 0, outer, tiles, tiles_a, tiles_b, na, nb,
                                  sp.stride[0][r - 1], sp.stride[1][a], src, dst);
        }
    }
    if (total < (int64_t{1} << 31)) {
        return CORTADO_LAUNCH(ctx, copy_kernel<uint32_t>, grid_for(total), kThreads, 0, sp, static_cast<uint32_t>(total), src,
                              dst);
    }
    return CORTADO_LAUNCH(ctx, copy_kernel<int64_t>, grid_for(total), kThreads, 0, sp, total, src, dst);
}

CORTADO_KERNEL(binary) {
    Space sp = cortado::space_of(rank, shape, a_strides, b_strides);
    const int64_t total = sp.simplify();  // y is contiguous: it merges wherever a and b do
    if (total == 0) return CORTADO_STATUS_OK;
    switch (op) {
        case CORTADO_BINARY_ADD: return run_binary<CORTADO_BINARY_ADD>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_SUB: return run_binary<CORTADO_BINARY_SUB>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_MUL: return run_binary<CORTADO_BINARY_MUL>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_DIV: return run_binary<CORTADO_BINARY_DIV>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_POW: return run_binary<CORTADO_BINARY_POW>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_MAX: return run_binary<CORTADO_BINARY_MAX>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_MIN: return run_binary<CORTADO_BINARY_MIN>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_EQ: return run_binary<CORTADO_BINARY_EQ>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_NE: return run_binary<CORTADO_BINARY_NE>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_LT: return run_binary<CORTADO_BINARY_LT>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_LE: return run_binary<CORTADO_BINARY_LE>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_GT: return run_binary<CORTADO_BINARY_GT>(ctx, sp, total, a, b, y);
        case CORTADO_BINARY_GE: return run_binary<CORTADO_BINARY_GE>(ctx, sp, total, a, b, y);
        default: return CORTADO_STATUS_OK;  // validated in Java
    }
}
