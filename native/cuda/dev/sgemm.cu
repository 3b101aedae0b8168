// SGEMM step by step, as llm.c's dev/cuda does it: numbered versions of
//     C = alpha * A * B + beta * C     (row-major; A is m x k, B is k x n, C is m x n; lda, ldb, ldc)
// from a naive kernel to the shipping one (../gemm.cu) and one step past it, each kept runnable and
// checked against a plain CPU reference.
//
//   sgemm <version> [m n k] [repeats]     version 1..7, or 0 for every version in turn
//
// Each run checks the version twice on the given size (beta = 0 with C filled with NaN: C must not be
// read; then alpha = 0.75, beta = -0.5 over a random C) against a double-accumulated reference (every
// row of C, or 64 rows spread over C when m*n*k > 2^28); an element passes when
// |C - ref| <= 2 (k + 2) 2^-24 (|alpha| sum_p |a_ip b_pj| + |beta c_ij|) (an error bound of a float FMA
// chain); NaN never passes. Built with nvcc it then times `repeats` calls (alpha 1, beta 0) with
// cudaEvents and prints GFLOPS; built with g++ against the emulation (../emu/cuda_emu.h: every CUDA
// thread a fiber) it only checks correctness. Default size: 4096^3 on a GPU, 256^3 under the emulation.
//
// Every version takes any m, n, k (loads bounds-checked, zeros outside A and B; stores guarded) and
// leaves C unread when beta is 0. The versions, each adding one idea to the one before:
//   1 naive: one thread per element of C
//   2 shared-memory tiles: 32 x 32 tiles of A and B staged in shared memory, each value read 32 times
//   3 1-D register blocking: 64 x 64 x 8 block tile, each thread a column of TM = 8 results
//   4 2-D register blocking: 128 x 128 x 8 block tile, each thread an 8 x 8 block (outer products)
//   5 float4: version 4 with 16-byte global loads, shared reads and C stores (aligned cases; else scalar)
//   6 double buffering: the shipping ../gemm.cu (register prefetch of the next slice, two shared buffers)
//   7 warp tiling: 5 + 6, each warp a 64 x 32 sub-tile of the block tile, each lane 2 x 2 chunks of 4 x 4
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cortado_cuda.h"
#include "gemm.h"

#if CORTADO_EMULATED
#define DEV_UNROLL
#else
#define DEV_UNROLL _Pragma("unroll")
#endif

namespace {

// The arguments every version takes.
#define SGEMM_PARAMS                                                                                                 \
    int m, int n, int k, float alpha, const float *__restrict__ a, int lda, const float *__restrict__ b, int ldb, \
        float beta, float *__restrict__ c, int ldc
#define SGEMM_ARGS m, n, k, alpha, a, lda, b, ldb, beta, c, ldc

inline unsigned ceil_div(int x, int d) { return static_cast<unsigned>((x + d - 1) / d); }

// C = alpha * acc + beta * C, C unread when beta is 0 (a NaN there does not leak).
__device__ __forceinline__ void put(float* p, float acc, float alpha, float beta) {
    const float v = alpha * acc;
    *p = beta != 0.0f ? fmaf(beta, *p, v) : v;
}

// ---- 1: naive -------------------------------------------------------------------------------------
// One thread per element of C, its k products straight from global memory. threadIdx.x runs along a
// row of C: a warp reads a row of B and writes a row of C coalesced; its A value is one broadcast.
__global__ void sgemm_naive(SGEMM_PARAMS) {
    const int col = blockIdx.x * blockDim.x + threadIdx.x, row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= m || col >= n) return;
    const float* ar = a + static_cast<int64_t>(row) * lda;
    float acc = 0.0f;
    for (int p = 0; p < k; p++) acc = fmaf(ar[p], b[static_cast<int64_t>(p) * ldb + col], acc);
    put(c + static_cast<int64_t>(row) * ldc + col, acc, alpha, beta);
}

int run_naive(const cortado_context* ctx, SGEMM_PARAMS) {
    return CORTADO_LAUNCH(ctx, sgemm_naive, dim3(ceil_div(n, 32), ceil_div(m, 32)), dim3(32, 32), 0, SGEMM_ARGS);
}

// ---- 2: shared-memory tiles -----------------------------------------------------------------------
// A 32 x 32 block computes a 32 x 32 tile of C from 32 x 32 tiles of A and B loaded once (coalesced)
// into shared memory and each read 32 times from there: global traffic / 32.
constexpr int S2 = 32;

__global__ void sgemm_shared(SGEMM_PARAMS) {
    __shared__ float sa[S2][S2];
    __shared__ float sb[S2][S2];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int row = blockIdx.y * S2 + ty, col = blockIdx.x * S2 + tx;
    float acc = 0.0f;
    for (int k0 = 0; k0 < k; k0 += S2) {
        sa[ty][tx] = row < m && k0 + tx < k ? a[static_cast<int64_t>(row) * lda + k0 + tx] : 0.0f;
        sb[ty][tx] = k0 + ty < k && col < n ? b[static_cast<int64_t>(k0 + ty) * ldb + col] : 0.0f;
        __syncthreads();
        DEV_UNROLL
        for (int p = 0; p < S2; p++) acc = fmaf(sa[ty][p], sb[p][tx], acc);  // sa: broadcast, sb: 32 banks
        __syncthreads();
    }
    if (row < m && col < n) put(c + static_cast<int64_t>(row) * ldc + col, acc, alpha, beta);
}

int run_shared(const cortado_context* ctx, SGEMM_PARAMS) {
    return CORTADO_LAUNCH(ctx, sgemm_shared, dim3(ceil_div(n, S2), ceil_div(m, S2)), dim3(S2, S2), 0, SGEMM_ARGS);
}

// ---- 3: 1-D register blocking ---------------------------------------------------------------------
// A 64 x 64 tile of C per block from 64 x 8 / 8 x 64 slices; each of the 512 threads computes TM = 8
// results down a column, so a B value read from shared memory serves 8 FMAs (2: one read per FMA).
constexpr int BM3 = 64, BN3 = 64, BK3 = 8, TM3 = 8, NT3 = BM3 / TM3 * BN3;
static_assert(NT3 == BM3 * BK3 && NT3 == BK3 * BN3, "one element of each slice per thread");

__global__ void __launch_bounds__(NT3) sgemm_1d(SGEMM_PARAMS) {
    __shared__ float sa[BM3][BK3];
    __shared__ float sb[BK3][BN3];
    const int t = threadIdx.x;
    const int m0 = blockIdx.y * BM3, n0 = blockIdx.x * BN3;
    const int tcol = t % BN3, trow = t / BN3;  // this thread: column tcol, rows trow * TM3 ..
    const int ar = t / BK3, ac = t % BK3;      // the element of A's slice it loads
    const int br = t / BN3, bc = t % BN3;      // and of B's
    float acc[TM3];
    DEV_UNROLL
    for (int i = 0; i < TM3; i++) acc[i] = 0.0f;
    for (int k0 = 0; k0 < k; k0 += BK3) {
        sa[ar][ac] = m0 + ar < m && k0 + ac < k ? a[static_cast<int64_t>(m0 + ar) * lda + k0 + ac] : 0.0f;
        sb[br][bc] = k0 + br < k && n0 + bc < n ? b[static_cast<int64_t>(k0 + br) * ldb + n0 + bc] : 0.0f;
        __syncthreads();
        DEV_UNROLL
        for (int p = 0; p < BK3; p++) {
            const float bv = sb[p][tcol];  // one B value, TM3 products
            DEV_UNROLL
            for (int i = 0; i < TM3; i++) acc[i] = fmaf(sa[trow * TM3 + i][p], bv, acc[i]);  // broadcast
        }
        __syncthreads();
    }
    const int col = n0 + tcol;
    DEV_UNROLL
    for (int i = 0; i < TM3; i++) {
        const int row = m0 + trow * TM3 + i;
        if (row < m && col < n) put(c + static_cast<int64_t>(row) * ldc + col, acc[i], alpha, beta);
    }
}

int run_1d(const cortado_context* ctx, SGEMM_PARAMS) {
    return CORTADO_LAUNCH(ctx, sgemm_1d, dim3(ceil_div(n, BN3), ceil_div(m, BM3)), dim3(NT3), 0, SGEMM_ARGS);
}

// ---- 4: 2-D register blocking ---------------------------------------------------------------------
// A 128 x 128 tile of C per block from 128 x 8 / 8 x 128 slices, 256 threads, each an 8 x 8 block of
// C: per k, 8 A values and 8 B values from shared memory feed 64 FMAs (an outer product). A's slice
// is stored transposed ([k][row], rows padded by 4: conflict-free transposing stores) so that a
// thread's 8 A values of one k are contiguous like its 8 B values.
constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8, NT = (BM / TM) * (BN / TN);  // 256 threads
constexpr int LDSA = BM + 4;  // the row stride of A's transposed slice in shared memory

__global__ void __launch_bounds__(NT) sgemm_2d(SGEMM_PARAMS) {
    __shared__ float sa[BK][LDSA];
    __shared__ float sb[BK][BN];
    const int t = threadIdx.x, tx = t % (BN / TN), ty = t / (BN / TN);
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[TM][TN];
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        DEV_UNROLL
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
    }
    for (int k0 = 0; k0 < k; k0 += BK) {
        DEV_UNROLL
        for (int s = 0; s < BM * BK / NT; s++) {  // 4 elements of A's slice per thread
            const int e = t + s * NT, r = e / BK, q = e % BK;
            sa[q][r] = m0 + r < m && k0 + q < k ? a[static_cast<int64_t>(m0 + r) * lda + k0 + q] : 0.0f;
        }
        DEV_UNROLL
        for (int s = 0; s < BK * BN / NT; s++) {  // and of B's
            const int e = t + s * NT, r = e / BN, q = e % BN;
            sb[r][q] = k0 + r < k && n0 + q < n ? b[static_cast<int64_t>(k0 + r) * ldb + n0 + q] : 0.0f;
        }
        __syncthreads();
        DEV_UNROLL
        for (int p = 0; p < BK; p++) {
            float ra[TM], rb[TN];
            DEV_UNROLL
            for (int i = 0; i < TM; i++) ra[i] = sa[p][ty * TM + i];
            DEV_UNROLL
            for (int j = 0; j < TN; j++) rb[j] = sb[p][tx * TN + j];
            DEV_UNROLL
            for (int i = 0; i < TM; i++) {
                DEV_UNROLL
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
            }
        }
        __syncthreads();
    }
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        const int row = m0 + ty * TM + i;
        DEV_UNROLL
        for (int j = 0; j < TN; j++) {
            const int col = n0 + tx * TN + j;
            if (row < m && col < n) put(c + static_cast<int64_t>(row) * ldc + col, acc[i][j], alpha, beta);
        }
    }
}

int run_2d(const cortado_context* ctx, SGEMM_PARAMS) {
    return CORTADO_LAUNCH(ctx, sgemm_2d, dim3(ceil_div(n, BN), ceil_div(m, BM)), dim3(NT), 0, SGEMM_ARGS);
}

// ---- float4 helpers (versions 5 and 7) ------------------------------------------------------------
// VEC: rows of A, B and C start 16-byte aligned and k, n are multiples of 4, so a 4-wide group that
// starts in bounds lies in bounds: one 16-byte access. Otherwise the same group element by element.

// The 4 floats at p (columns col..col+3 of a row, `cols` columns): zeros outside.
template <bool VEC>
__device__ __forceinline__ float4 load4(const float* p, bool row_in, int col, int cols) {
    if constexpr (VEC) {
        return row_in && col < cols ? __ldg(reinterpret_cast<const float4*>(p)) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    } else {
        float4 v;
        v.x = row_in && col < cols ? __ldg(p) : 0.0f;
        v.y = row_in && col + 1 < cols ? __ldg(p + 1) : 0.0f;
        v.z = row_in && col + 2 < cols ? __ldg(p + 2) : 0.0f;
        v.w = row_in && col + 3 < cols ? __ldg(p + 3) : 0.0f;
        return v;
    }
}

// C[col..col+3] = alpha * acc[0..3] + beta * C (C unread when beta is 0), columns past `cols` untouched.
template <bool VEC>
__device__ __forceinline__ void put4(float* p, bool row_in, int col, int cols, const float* acc, float alpha,
                                     float beta) {
    if (!row_in) return;
    if constexpr (VEC) {
        if (col >= cols) return;
        float4 v = make_float4(alpha * acc[0], alpha * acc[1], alpha * acc[2], alpha * acc[3]);
        if (beta != 0.0f) {
            const float4 o = *reinterpret_cast<const float4*>(p);
            v = make_float4(fmaf(beta, o.x, v.x), fmaf(beta, o.y, v.y), fmaf(beta, o.z, v.z), fmaf(beta, o.w, v.w));
        }
        *reinterpret_cast<float4*>(p) = v;
    } else {
        DEV_UNROLL
        for (int j = 0; j < 4; j++)
            if (col + j < cols) put(p + j, acc[j], alpha, beta);
    }
}

// Whether every row of A, B and C (and k, n) allows the 16-byte accesses of VEC.
bool vec_ok(int n, int k, const float* a, int lda, const float* b, int ldb, const float* c, int ldc) {
    const auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
    return n % 4 == 0 && k % 4 == 0 && lda % 4 == 0 && ldb % 4 == 0 && ldc % 4 == 0 && aligned(a) && aligned(b) &&
           aligned(c);
}

// A thread's float4 of each slice of version 5 and 7: A (BM x BK, 2 float4 per row) at row t / 2,
// k 4 * (t % 2); B (BK x BN, 32 float4 per row) at k t / 32, column 4 * (t % 32).
static_assert(NT * 4 == BM * BK && NT * 4 == BK * BN, "one float4 of each slice per thread");
constexpr int A4_PER_ROW = BK / 4, B4_PER_ROW = BN / 4;

// A's float4 goes into the transposed slice (4 k rows of shared memory), B's stays one 16-byte store.
__device__ __forceinline__ void stash(float (*sa)[LDSA], float (*sb)[BN], int t, float4 va, float4 vb) {
    const int ar = t / A4_PER_ROW, aq = 4 * (t % A4_PER_ROW);
    sa[aq][ar] = va.x;
    sa[aq + 1][ar] = va.y;
    sa[aq + 2][ar] = va.z;
    sa[aq + 3][ar] = va.w;
    *reinterpret_cast<float4*>(&sb[t / B4_PER_ROW][4 * (t % B4_PER_ROW)]) = vb;
}

template <bool VEC>
__device__ __forceinline__ float4 fetch_a(const float* a, int lda, int m, int k, int m0, int k0, int t) {
    const int r = m0 + t / A4_PER_ROW, q = k0 + 4 * (t % A4_PER_ROW);
    return load4<VEC>(a + static_cast<int64_t>(r) * lda + q, r < m, q, k);
}

template <bool VEC>
__device__ __forceinline__ float4 fetch_b(const float* b, int ldb, int n, int k, int n0, int k0, int t) {
    const int r = k0 + t / B4_PER_ROW, q = n0 + 4 * (t % B4_PER_ROW);
    return load4<VEC>(b + static_cast<int64_t>(r) * ldb + q, r < k, q, n);
}

// Four floats of a shared row as one 16-byte read (into r[0..3]).
__device__ __forceinline__ void read4(const float* s, float* r) {
    const float4 f = *reinterpret_cast<const float4*>(s);
    r[0] = f.x;
    r[1] = f.y;
    r[2] = f.z;
    r[3] = f.w;
}

// ---- 5: vectorised float4 loads -------------------------------------------------------------------
// Version 4 moving 16 bytes per instruction: one float4 of A and one of B per thread and slice from
// global memory, the thread's 8 + 8 shared values as 4 16-byte reads, C written 4 floats at a time.
template <bool VEC>
__global__ void __launch_bounds__(NT) sgemm_vec4(SGEMM_PARAMS) {
    __shared__ __align__(16) float sa[BK][LDSA];
    __shared__ __align__(16) float sb[BK][BN];
    const int t = threadIdx.x, tx = t % (BN / TN), ty = t / (BN / TN);
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[TM][TN];
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        DEV_UNROLL
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
    }
    for (int k0 = 0; k0 < k; k0 += BK) {
        stash(sa, sb, t, fetch_a<VEC>(a, lda, m, k, m0, k0, t), fetch_b<VEC>(b, ldb, n, k, n0, k0, t));
        __syncthreads();
        DEV_UNROLL
        for (int p = 0; p < BK; p++) {
            float ra[TM], rb[TN];
            read4(&sa[p][ty * TM], ra);
            read4(&sa[p][ty * TM + 4], ra + 4);
            read4(&sb[p][tx * TN], rb);
            read4(&sb[p][tx * TN + 4], rb + 4);
            DEV_UNROLL
            for (int i = 0; i < TM; i++) {
                DEV_UNROLL
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
            }
        }
        __syncthreads();
    }
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        const int row = m0 + ty * TM + i;
        float* crow = c + static_cast<int64_t>(row) * ldc;
        DEV_UNROLL
        for (int j = 0; j < TN; j += 4) {
            const int col = n0 + tx * TN + j;
            put4<VEC>(crow + col, row < m, col, n, &acc[i][j], alpha, beta);
        }
    }
}

int run_vec4(const cortado_context* ctx, SGEMM_PARAMS) {
    const dim3 grid(ceil_div(n, BN), ceil_div(m, BM));
    if (vec_ok(n, k, a, lda, b, ldb, c, ldc)) return CORTADO_LAUNCH(ctx, sgemm_vec4<true>, grid, dim3(NT), 0, SGEMM_ARGS);
    return CORTADO_LAUNCH(ctx, sgemm_vec4<false>, grid, dim3(NT), 0, SGEMM_ARGS);
}

// ---- 6: double buffering: the shipping kernel of ../gemm.cu ---------------------------------------
// Register prefetch of the next slice while the current one is multiplied, two shared buffers (one
// barrier per slice), each thread's 8 x 8 as 2 x 2 chunks of 4 x 4 half a tile apart (conflict-free
// 16-byte shared reads); 64 x 64 tiles when 128 x 128 ones would not fill the GPU (under 128 tiles).
int run_shipping(const cortado_context* ctx, SGEMM_PARAMS) {
    return cortado::cuda::gemm_launch(ctx, false, false, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1,
                                      {});
}

// ---- 7: warp tiling -------------------------------------------------------------------------------
// Version 5's loads and version 6's double buffering, with the 128 x 128 tile split among its 8 warps
// as 2 x 4 warp tiles of 64 x 32. A warp's lanes form 8 x 4 groups; a lane computes 2 x 2 chunks of
// 4 x 4 (32 rows, 16 columns apart within its warp tile). Per k a warp reads 64 A values and 32 B
// values from shared memory (version 6: 16 and 128 per warp), each a conflict-free 16-byte read that
// 4 or 8 lanes share (broadcast). __launch_bounds__(256, 2): two blocks per SM (<= 128 registers).
constexpr int WM = 64, WN = 32, WARPS_N = BN / WN;
static_assert((BM / WM) * (BN / WN) * 32 == NT && WM == 2 * 32 && WN == 2 * 16, "8 warps of 8 x 4 lanes, 2 x 2 chunks");

template <bool VEC>
__global__ void __launch_bounds__(NT, 2) sgemm_warp(SGEMM_PARAMS) {
    __shared__ __align__(16) float sa[2][BK][LDSA];
    __shared__ __align__(16) float sb[2][BK][BN];
    const int t = threadIdx.x, warp = t / 32, lane = t % 32;
    const int rm = (warp / WARPS_N) * WM + (lane / 4) * 4;  // the lane's first chunk in the block tile
    const int cn = (warp % WARPS_N) * WN + (lane % 4) * 4;  // (the others: +32 rows, +16 columns)
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[TM][TN];
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        DEV_UNROLL
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
    }
    const int slices = (k + BK - 1) / BK;
    if (slices > 0) stash(sa[0], sb[0], t, fetch_a<VEC>(a, lda, m, k, m0, 0, t), fetch_b<VEC>(b, ldb, n, k, n0, 0, t));
    __syncthreads();
    for (int sl = 0; sl < slices; sl++) {
        const int cur = sl & 1;
        const bool more = sl + 1 < slices;
        float4 va = make_float4(0.0f, 0.0f, 0.0f, 0.0f), vb = va;  // the next slice, in flight while this one is multiplied
        if (more) {
            va = fetch_a<VEC>(a, lda, m, k, m0, (sl + 1) * BK, t);
            vb = fetch_b<VEC>(b, ldb, n, k, n0, (sl + 1) * BK, t);
        }
        DEV_UNROLL
        for (int p = 0; p < BK; p++) {
            float ra[TM], rb[TN];
            read4(&sa[cur][p][rm], ra);
            read4(&sa[cur][p][rm + 32], ra + 4);
            read4(&sb[cur][p][cn], rb);
            read4(&sb[cur][p][cn + 16], rb + 4);
            DEV_UNROLL
            for (int i = 0; i < TM; i++) {
                DEV_UNROLL
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
            }
        }
        if (more) stash(sa[cur ^ 1], sb[cur ^ 1], t, va, vb);  // its last readers passed the previous barrier
        __syncthreads();
    }
    DEV_UNROLL
    for (int i = 0; i < TM; i++) {
        const int row = m0 + rm + (i / 4) * 32 + i % 4;
        float* crow = c + static_cast<int64_t>(row) * ldc;
        DEV_UNROLL
        for (int j = 0; j < TN; j += 4) {
            const int col = n0 + cn + (j / 4) * 16;
            put4<VEC>(crow + col, row < m, col, n, &acc[i][j], alpha, beta);
        }
    }
}

int run_warp(const cortado_context* ctx, SGEMM_PARAMS) {
    const dim3 grid(ceil_div(n, BN), ceil_div(m, BM));
    if (vec_ok(n, k, a, lda, b, ldb, c, ldc)) return CORTADO_LAUNCH(ctx, sgemm_warp<true>, grid, dim3(NT), 0, SGEMM_ARGS);
    return CORTADO_LAUNCH(ctx, sgemm_warp<false>, grid, dim3(NT), 0, SGEMM_ARGS);
}

// ---- the versions ---------------------------------------------------------------------------------
using RunFn = int (*)(const cortado_context*, int, int, int, float, const float*, int, const float*, int, float, float*,
                      int);
struct Version {
    const char* name;
    RunFn run;
};
const Version kVersions[] = {
    {"naive, one thread per element of C", run_naive},
    {"shared-memory tiles 32x32", run_shared},
    {"1-D register blocking, 64x64x8 tile, 8 results per thread", run_1d},
    {"2-D register blocking, 128x128x8 tile, 8x8 per thread", run_2d},
    {"float4 loads and stores (aligned cases)", run_vec4},
    {"double buffering: the shipping gemm.cu", run_shipping},
    {"warp tiling, 64x32 per warp, + float4 + double buffering", run_warp},
};
constexpr int kCount = sizeof(kVersions) / sizeof(kVersions[0]);

// ---- device memory: the CUDA runtime on a GPU, host memory under the emulation ---------------------
#if CORTADO_EMULATED
float* dev_alloc(size_t n) {
    const size_t bytes = ((n > 0 ? n : 1) * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (p == nullptr) {
        std::fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        std::exit(2);
    }
    return p;
}
void dev_free(float* p) { std::free(p); }
void to_dev(float* d, const float* h, size_t n) { std::memcpy(d, h, n * sizeof(float)); }
void to_host(float* h, const float* d, size_t n) { std::memcpy(h, d, n * sizeof(float)); }
#else
#define CUDA_CHECK(call)                                                                                       \
    do {                                                                                                       \
        const cudaError_t e_ = (call);                                                                         \
        if (e_ != cudaSuccess) {                                                                               \
            std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));       \
            std::exit(2);                                                                                      \
        }                                                                                                      \
    } while (0)
float* dev_alloc(size_t n) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, (n > 0 ? n : 1) * sizeof(float)));
    return static_cast<float*>(p);
}
void dev_free(float* p) { CUDA_CHECK(cudaFree(p)); }
void to_dev(float* d, const float* h, size_t n) { CUDA_CHECK(cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice)); }
void to_host(float* h, const float* d, size_t n) { CUDA_CHECK(cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost)); }
#endif

// ---- the CPU reference ----------------------------------------------------------------------------
// For the checked rows of C: dot = sum_p a_ip b_pj and mag = sum_p |a_ip b_pj|, in double.
struct Reference {
    std::vector<int> rows;
    std::vector<double> dot, mag;  // rows.size() x n
};

Reference reference(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b) {
    Reference r;
    if (static_cast<double>(m) * n * k <= static_cast<double>(1 << 28)) {
        for (int i = 0; i < m; i++) r.rows.push_back(i);
    } else {  // 64 rows spread over C, the first and the last included
        for (int s = 0; s < 64; s++) {
            const int i = static_cast<int>(static_cast<int64_t>(s) * (m - 1) / 63);
            if (r.rows.empty() || r.rows.back() != i) r.rows.push_back(i);
        }
    }
    r.dot.assign(r.rows.size() * n, 0.0);
    r.mag.assign(r.rows.size() * n, 0.0);
    for (size_t s = 0; s < r.rows.size(); s++) {
        double* dot = &r.dot[s * n];
        double* mag = &r.mag[s * n];
        for (int p = 0; p < k; p++) {
            const double ap = a[static_cast<size_t>(r.rows[s]) * k + p];
            const float* bp = &b[static_cast<size_t>(p) * n];
            for (int j = 0; j < n; j++) {
                const double prod = ap * bp[j];
                dot[j] += prod;
                mag[j] += std::fabs(prod);
            }
        }
    }
    return r;
}

// Compares C (m x n, on the host) with alpha * dot + beta * c0 on the reference's rows, and every
// element of C for NaN/inf; prints the first mismatches; returns whether all passed.
bool compare(const char* what, int m, int n, int k, float alpha, float beta, const std::vector<float>& got,
             const std::vector<float>& c0, const Reference& r, double* worst) {
    const double u = std::ldexp(1.0, -24);
    long bad = 0;
    *worst = 0.0;
    for (size_t s = 0; s < r.rows.size(); s++) {
        const int i = r.rows[s];
        for (int j = 0; j < n; j++) {
            const size_t at = static_cast<size_t>(i) * n + j;
            const double old = beta != 0.0f ? static_cast<double>(beta) * c0[at] : 0.0;
            const double want = static_cast<double>(alpha) * r.dot[s * n + j] + old;
            const double bound = 2.0 * (k + 2) * u * (std::fabs(static_cast<double>(alpha)) * r.mag[s * n + j] + std::fabs(old));
            const double diff = std::fabs(static_cast<double>(got[at]) - want);
            if (!(diff <= bound)) {  // NaN fails
                if (bad < 5) std::printf("    %s: C[%d][%d] = %.9g, want %.9g (bound %.3g)\n", what, i, j, got[at], want, bound);
                bad++;
            } else if (bound > 0.0 && diff / bound > *worst) {
                *worst = diff / bound;
            }
        }
    }
    size_t nonfinite = 0;
    for (size_t e = 0; e < static_cast<size_t>(m) * n; e++) nonfinite += std::isfinite(got[e]) ? 0 : 1;
    if (nonfinite > 0) std::printf("    %s: %zu elements of C are NaN or infinite\n", what, nonfinite);
    if (bad > 0) std::printf("    %s: %ld of %zu checked elements wrong\n", what, bad, r.rows.size() * n);
    return bad == 0 && nonfinite == 0;
}

// A deterministic uniform [-1, 1) sequence.
struct Random {
    uint64_t s;
    float next() {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<float>(static_cast<int32_t>(s >> 32)) * (1.0f / 2147483648.0f);
    }
};

int usage() {
    std::fprintf(stderr, "usage: sgemm <version> [m n k] [repeats]\n  version 0: all; ");
    for (int v = 0; v < kCount; v++) std::fprintf(stderr, "%s%d: %s\n", v == 0 ? "" : "  ", v + 1, kVersions[v].name);
    return 2;
}

bool parse(const char* s, long lo, long hi, long* out) {
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    long version = 0, m = CORTADO_EMULATED ? 256 : 4096, n = m, k = m, repeats = 20;
    if (argc != 2 && argc != 5 && argc != 6) return usage();
    if (!parse(argv[1], 0, kCount, &version)) return usage();
    if (argc >= 5 && !(parse(argv[2], 1, 1 << 20, &m) && parse(argv[3], 1, 1 << 20, &n) && parse(argv[4], 0, 1 << 20, &k)))
        return usage();
    if (argc == 6 && !parse(argv[5], 1, 100000, &repeats)) return usage();
    if (static_cast<double>(m) * k >= 2147483647.0 || static_cast<double>(k) * n >= 2147483647.0 ||
        static_cast<double>(m) * n >= 2147483647.0)
        return usage();

#if CORTADO_EMULATED
    std::printf("sgemm %ldx%ldx%ld under the CUDA emulation (g++, CUDA threads as fibers): correctness only, not timed\n", m, n, k);
#else
    int device = 0;
    cudaDeviceProp prop;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    std::printf("sgemm %ldx%ldx%ld on %s (sm_%d%d), %ld timed repeats\n", m, n, k, prop.name, prop.major, prop.minor, repeats);
#endif

    const size_t na = static_cast<size_t>(m) * k, nb = static_cast<size_t>(k) * n, nc = static_cast<size_t>(m) * n;
    std::vector<float> ha(na), hb(nb), hc0(nc), hc(nc), nans(nc, std::nanf(""));
    Random rnd{12345};
    for (float& x : ha) x = rnd.next();
    for (float& x : hb) x = rnd.next();
    for (float& x : hc0) x = rnd.next();
    const Reference ref = reference(static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), ha, hb);
    if (static_cast<long>(ref.rows.size()) < m) std::printf("checking %zu of %ld rows of C\n", ref.rows.size(), m);

    float* da = dev_alloc(na);
    float* db = dev_alloc(nb);
    float* dc = dev_alloc(nc);
    to_dev(da, ha.data(), na);
    to_dev(db, hb.data(), nb);
    cortado_context ctx{};  // the default stream; the versions need no workspace

    bool all_ok = true;
    for (int v = version == 0 ? 1 : static_cast<int>(version); v <= (version == 0 ? kCount : version); v++) {
        const Version& ver = kVersions[v - 1];
        const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
        bool ok = true;
        double worst0 = 0.0, worst1 = 0.0;
        // check 1: alpha 1, beta 0 over a C of NaNs (must not be read); check 2: alpha 0.75, beta -0.5
        const struct {
            float alpha, beta;
            const std::vector<float>* init;
            const char* what;
            double* worst;
        } checks[] = {{1.0f, 0.0f, &nans, "alpha 1, beta 0", &worst0}, {0.75f, -0.5f, &hc0, "alpha 0.75, beta -0.5", &worst1}};
        for (const auto& ck : checks) {
            to_dev(dc, ck.init->data(), nc);
            int status = ver.run(&ctx, im, in, ik, ck.alpha, da, ik, db, in, ck.beta, dc, in);
#if !CORTADO_EMULATED
            if (status == CORTADO_STATUS_OK) {
                const cudaError_t e = cudaDeviceSynchronize();
                if (e != cudaSuccess) status = cortado::cuda::fail(ver.name, cudaGetErrorString(e));
            }
#endif
            if (status != CORTADO_STATUS_OK) {
                std::printf("version %d (%s): launch failed: %s\n", v, ver.name, cortado::cuda::last_error());
                return 1;
            }
            to_host(hc.data(), dc, nc);
            ok = compare(ck.what, im, in, ik, ck.alpha, ck.beta, hc, hc0, ref, ck.worst) && ok;
        }
        std::printf("version %d (%s): %s (max |err|/bound %.3f, %.3f)\n", v, ver.name, ok ? "OK" : "WRONG", worst0, worst1);
        all_ok = all_ok && ok;
#if !CORTADO_EMULATED
        if (ok) {  // timing: alpha 1, beta 0, after one untimed call
            cudaEvent_t start, stop;
            CUDA_CHECK(cudaEventCreate(&start));
            CUDA_CHECK(cudaEventCreate(&stop));
            int status = ver.run(&ctx, im, in, ik, 1.0f, da, ik, db, in, 0.0f, dc, in);
            CUDA_CHECK(cudaEventRecord(start, 0));
            for (long r = 0; r < repeats && status == CORTADO_STATUS_OK; r++)
                status = ver.run(&ctx, im, in, ik, 1.0f, da, ik, db, in, 0.0f, dc, in);
            CUDA_CHECK(cudaEventRecord(stop, 0));
            CUDA_CHECK(cudaEventSynchronize(stop));
            float ms = 0.0f;
            CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
            CUDA_CHECK(cudaEventDestroy(start));
            CUDA_CHECK(cudaEventDestroy(stop));
            if (status != CORTADO_STATUS_OK) {
                std::printf("version %d: launch failed: %s\n", v, cortado::cuda::last_error());
                return 1;
            }
            const double per_call = ms / repeats;
            std::printf("    %.3f ms per call, %.1f GFLOPS\n", per_call, 2.0 * m * n * k / (per_call * 1e-3) / 1e9);
        }
#endif
    }
    dev_free(da);
    dev_free(db);
    dev_free(dc);
    return all_ok ? 0 : 1;
}
