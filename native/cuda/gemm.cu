// SGEMM, row-major as KernelSet declares it: C = alpha * op(A) * op(B) + beta * C, and its batched
// form. One kernel: each block computes a BM x BN tile of C from BK-deep slices of op(A) and op(B)
// staged through shared memory (double-buffered: the next slice is fetched into registers while
// the current one is multiplied, one barrier per slice), each thread a TM x TN register block
// (two 4-wide chunks per dimension, BM/2 and BN/2 apart, so that the 16-byte shared-memory reads of
// a warp hit distinct banks). Every load and store is bounds-checked: any m, n, k (0 and 1
// included), any leading dimensions, all four transposes. Each element of C accumulates its k
// products in ascending order in one float FMA chain: the result does not depend on the tile
// configuration, the grid or the scheduling.
//
// Also the launcher the convolutions and gemm_bias reuse: cortado::cuda::gemm_launch (strided
// batch, a tail of row or column biases and a clamp after alpha/beta).
#include "cortado_cuda.h"
#include "gemm.h"
#include "grid.h"
#include "unary.h"

#if CORTADO_EMULATED
#define GEMM_UNROLL
#define GEMM_LAUNCH_BOUNDS(n, b)
#else
#define GEMM_UNROLL _Pragma("unroll")
#define GEMM_LAUNCH_BOUNDS(n, b) __launch_bounds__(n, b)
#endif

namespace {

// Four floats read from shared memory as one 16-byte access.
struct alignas(16) F4 {
    float x, y, z, w;
};

// The largest grid.z of a launch (a batch above it is launched in slices).
constexpr int kMaxGridZ = 65535;

// One operand of the product seen as OUTER x k (op(A) is m x k; op(B)^T is n x k). As stored,
// element (r, p) lies at base[r * ld + p] when k is the contiguous dimension (A untransposed,
// B transposed), else at base[p * ld + r]. The loader moves one OUTER x BK slice (rows o0.., k
// columns k0..) between global memory, registers and shared memory (laid out [BK][OUTER + 4]:
// the 4 floats of padding make the k-contiguous stores conflict-free and keep rows 16-byte aligned).
template <int OUTER, int BK, int NT, bool K_CONTIG>
struct SliceLoader {
    static constexpr int E = OUTER * BK / NT;                   // floats per thread
    static constexpr int PASS = K_CONTIG ? NT / BK : NT / OUTER;  // slow-dimension step between them
    static constexpr int LDS = OUTER + 4;                        // shared row stride in floats
    static_assert(OUTER * BK % NT == 0 && NT % BK == 0 && NT % OUTER == 0, "slice does not split over the threads");
    static_assert(K_CONTIG || E * PASS == BK, "a slice is whole passes deep");


    const float* ptr;  // this thread's first float of the current slice
    int64_t step;      // between the thread's floats: PASS rows (K_CONTIG) or PASS k rows
    unsigned rows_in;  // bit s: the thread's float s lies in a row of the operand
    int kpos;          // k offset of the thread's first float within the slice
    int at;            // shared-memory offset of the thread's first float
    float v[E];

    __device__ __forceinline__ void init(const float* base, int ld, int o0, int outer_total, int t) {
        const int outer_left = outer_total - o0;  // rows of the operand from this block's first row on
        step = static_cast<int64_t>(PASS) * ld;
        rows_in = 0;
        if (K_CONTIG) {
            const int fast = t % BK, slow = t / BK;  // k, row
            ptr = base + (static_cast<int64_t>(o0) + slow) * ld + fast;
            GEMM_UNROLL
            for (int s = 0; s < E; s++) rows_in |= (slow + s * PASS < outer_left ? 1u : 0u) << s;
            kpos = fast;
            at = fast * LDS + slow;
        } else {
            const int fast = t % OUTER, slow = t / OUTER;  // row, k
            ptr = base + static_cast<int64_t>(slow) * ld + o0 + fast;
            rows_in = fast < outer_left ? ~0u : 0u;
            kpos = slow;
            at = slow * LDS + fast;
        }
    }

    // Global -> registers: the next slice, k_left = k - (its first k); zeros outside the operand.
    __device__ __forceinline__ void fetch(int k_left) {
        if (K_CONTIG) {
            GEMM_UNROLL
            for (int s = 0; s < E; s++) v[s] = ((rows_in >> s) & 1u) != 0 && kpos < k_left ? __ldg(ptr + s * step) : 0.0f;
            ptr += BK;
        } else {  // E passes of PASS k rows make the slice: walk the pointer down them
            GEMM_UNROLL
            for (int s = 0; s < E; s++) {
                v[s] = rows_in != 0 && kpos + s * PASS < k_left ? __ldg(ptr) : 0.0f;
                ptr += step;
            }
        }
    }

    // Registers -> shared memory ([BK][LDS] floats).
    __device__ __forceinline__ void store(float* sh) const {
        GEMM_UNROLL
        for (int s = 0; s < E; s++) sh[at + s * (K_CONTIG ? PASS : PASS * LDS)] = v[s];
    }
};

// The kernel: a BM x BN tile of C_z per block (blockIdx.x numbers the tiles row by row of tiles,
// blockIdx.z the matrix of the batch), (BM/TM) x (BN/TN) threads. The 128 x 128 tile asks for two
// blocks per SM (at most 128 registers: 125-126 used, no spills), except with transA && !transB,
// whose two k-strided loaders spill under that cap (it takes 129 registers, one block per SM).
template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__global__ void GEMM_LAUNCH_BOUNDS((BM / TM) * (BN / TN), BM * BN <= 64 * 64 || (TA && !TB) ? 1 : 2)
sgemm_tiled(int m, int n, int k, float alpha, const float* __restrict__ a, int lda, int64_t stride_a,
            const float* __restrict__ b, int ldb, int64_t stride_b, float beta, float* __restrict__ c, int ldc,
            int64_t stride_c, const cortado::cuda::GemmTail tail) {
    constexpr int NT = (BM / TM) * (BN / TN);
    constexpr int CM = TM / 4, CN = TN / 4;                  // 4-wide chunks per thread and dimension
    constexpr int SPAN_M = BM / CM, SPAN_N = BN / CN;          // distance between a thread's chunks
    static_assert(TM % 4 == 0 && TN % 4 == 0, "register blocks are made of 4-wide chunks");
    using LoadA = SliceLoader<BM, BK, NT, !TA>;
    using LoadB = SliceLoader<BN, BK, NT, TB>;

    __shared__ F4 sa[2][BK][LoadA::LDS / 4];
    __shared__ F4 sb[2][BK][LoadB::LDS / 4];

    const int t = threadIdx.x;
    const int tx = t % (BN / TN), ty = t / (BN / TN);
    const int tiles_n = (n - 1) / BN + 1;  // n > 0
    const int m0 = static_cast<int>(blockIdx.x / tiles_n) * BM, n0 = static_cast<int>(blockIdx.x % tiles_n) * BN;
    const int64_t z = blockIdx.z;
    a += z * stride_a;
    b += z * stride_b;
    c += z * stride_c;

    LoadA la;
    LoadB lb;
    la.init(a, lda, m0, m, t);
    lb.init(b, ldb, n0, n, t);

    float acc[TM][TN];
    GEMM_UNROLL
    for (int i = 0; i < TM; i++) {
        GEMM_UNROLL
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
    }

    const int slices = k > 0 ? (k - 1) / BK + 1 : 0;
    if (slices > 0) {
        la.fetch(k);
        lb.fetch(k);
        la.store(&sa[0][0][0].x);
        lb.store(&sb[0][0][0].x);
    }
    __syncthreads();
    for (int sl = 0; sl < slices; sl++) {
        const int cur = sl & 1;
        const bool more = sl + 1 < slices;
        if (more) {  // the next slice travels while this one is multiplied
            la.fetch(k - (sl + 1) * BK);
            lb.fetch(k - (sl + 1) * BK);
        }
        GEMM_UNROLL
        for (int p = 0; p < BK; p++) {
            float ra[TM], rb[TN];
            GEMM_UNROLL
            for (int q = 0; q < CM; q++) {
                const F4 f = sa[cur][p][(q * SPAN_M + ty * 4) / 4];
                ra[4 * q] = f.x;
                ra[4 * q + 1] = f.y;
                ra[4 * q + 2] = f.z;
                ra[4 * q + 3] = f.w;
            }
            GEMM_UNROLL
            for (int q = 0; q < CN; q++) {
                const F4 f = sb[cur][p][(q * SPAN_N + tx * 4) / 4];
                rb[4 * q] = f.x;
                rb[4 * q + 1] = f.y;
                rb[4 * q + 2] = f.z;
                rb[4 * q + 3] = f.w;
            }
            GEMM_UNROLL
            for (int i = 0; i < TM; i++) {
                GEMM_UNROLL
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
            }
        }
        if (more) {  // the other buffer: its last readers passed the previous barrier
            la.store(&sa[cur ^ 1][0][0].x);
            lb.store(&sb[cur ^ 1][0][0].x);
        }
        __syncthreads();
    }

    // C = tail(alpha * acc + beta * C) (C unread when beta is 0)
    // (offsets within the tile compared with what is left of C: no int overflow near 2^31)
    const bool read_c = beta != 0.0f;
    const int rows_left = m - m0, cols_left = n - n0;
    GEMM_UNROLL
    for (int i = 0; i < TM; i++) {
        const int ri = (i / 4) * SPAN_M + ty * 4 + i % 4;
        if (ri >= rows_left) continue;
        float* crow = c + (static_cast<int64_t>(m0) + ri) * ldc + n0;
        const float add = tail.row_bias != nullptr ? __ldg(tail.row_bias + m0 + ri) : 0.0f;
        GEMM_UNROLL
        for (int j = 0; j < TN; j++) {
            const int cj = (j / 4) * SPAN_N + tx * 4 + j % 4;
            if (cj >= cols_left) continue;
            float v = alpha * acc[i][j];
            if (read_c) v = fmaf(beta, crow[cj], v);
            if (tail.row_bias != nullptr) v += add;
            if (tail.col_bias != nullptr) v += __ldg(tail.col_bias + n0 + cj);
            crow[cj] = cortado::cuda::clamp_keep_nan(v, tail.lo, tail.hi);
        }
    }
}

// One tile configuration: launches the kernel for the transposes, the batch in grid.z slices.
template <int BM, int BN, int BK, int TM, int TN>
int launch_config(const cortado_context* ctx, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                  int64_t sa, const float* b, int ldb, int64_t sb, float beta, float* c, int ldc, int64_t sc, int batch,
                  cortado::cuda::GemmTail tail) {
    const int64_t tiles = static_cast<int64_t>((m - 1) / BM + 1) * ((n - 1) / BN + 1);  // m, n > 0
    const dim3 block((BM / TM) * (BN / TN));
    int status = CORTADO_STATUS_OK;
    for (int z0 = 0; z0 < batch; z0 += kMaxGridZ) {
        const int nz = batch - z0 < kMaxGridZ ? batch - z0 : kMaxGridZ;
        const dim3 grid(static_cast<unsigned>(tiles), 1, static_cast<unsigned>(nz));
        const float* az = a + z0 * sa;
        const float* bz = b + z0 * sb;
        float* cz = c + z0 * sc;
        int s;
        if (!ta && !tb) {
            s = CORTADO_LAUNCH(ctx, (sgemm_tiled<BM, BN, BK, TM, TN, false, false>), grid, block, 0, m, n, k, alpha, az, lda, sa, bz,
                               ldb, sb, beta, cz, ldc, sc, tail);
        } else if (!ta && tb) {
            s = CORTADO_LAUNCH(ctx, (sgemm_tiled<BM, BN, BK, TM, TN, false, true>), grid, block, 0, m, n, k, alpha, az, lda, sa, bz,
                               ldb, sb, beta, cz, ldc, sc, tail);
        } else if (ta && !tb) {
            s = CORTADO_LAUNCH(ctx, (sgemm_tiled<BM, BN, BK, TM, TN, true, false>), grid, block, 0, m, n, k, alpha, az, lda, sa, bz,
                               ldb, sb, beta, cz, ldc, sc, tail);
        } else {
            s = CORTADO_LAUNCH(ctx, (sgemm_tiled<BM, BN, BK, TM, TN, true, true>), grid, block, 0, m, n, k, alpha, az, lda, sa, bz,
                               ldb, sb, beta, cz, ldc, sc, tail);
        }
        if (s != CORTADO_STATUS_OK) status = s;
    }
    return status;
}

}  // namespace

namespace {

// C = min(max(C + z, lo), hi) over rows x cols (rows ld apart, z laid out as C and optional); a NaN
// fails both comparisons and stays.
__global__ void add_clamp_kernel(int64_t rows, int64_t cols, int64_t ld, const float* __restrict__ z, float lo, float hi,
                                 float* __restrict__ c) {
    cortado::cuda::for_each_in_matrix(rows, cols, ld, [&](int64_t at) {
        c[at] = cortado::cuda::clamp_keep_nan(z != nullptr ? c[at] + z[at] : c[at], lo, hi);
    });
}

}  // namespace

namespace cortado::cuda {

int add_clamp_launch(const cortado_context* ctx, int64_t rows, int64_t cols, int64_t ld, const float* z, float lo, float hi, float* c) {
    if (rows <= 0 || cols <= 0 || (z == nullptr && lo == -INFINITY && hi == INFINITY)) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, add_clamp_kernel, dim3(cortado::cuda::grid_for(rows * cols)), dim3(cortado::cuda::kThreads), 0, rows, cols, ld, z, lo, hi, c);
}

// The strided-batched GEMM behind gemm, gemm_bias, gemm_batched and the convolutions:
// C_z[i][j] = tail(alpha * (op(A_z) op(B_z))[i][j] + beta * C_z[i][j]). Picks 128 x 128 tiles
// (8 x 8 per thread) when they give enough blocks to fill a GPU, else 64 x 64 tiles (4 x 4 per
// thread); both give the same bits.
int gemm_launch(const cortado_context* ctx, bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                const float* a, int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta,
                float* c, int ldc, int64_t stride_c, int batch, GemmTail tail) {
    if (m <= 0 || n <= 0 || batch <= 0) return CORTADO_STATUS_OK;
    if (k <= 0) {  // no A or B is read (their strides may point past them)
        k = 0;
        stride_a = 0;
        stride_b = 0;
    }
    const int64_t big_tiles = static_cast<int64_t>((m - 1) / 128 + 1) * ((n - 1) / 128 + 1) * batch;
    if (big_tiles >= 128) {
        return launch_config<128, 128, 8, 8, 8>(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta,
                                                c, ldc, stride_c, batch, tail);
    }
    return launch_config<64, 64, 8, 4, 4>(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                                          stride_c, batch, tail);
}

}  // namespace cortado::cuda

CORTADO_KERNEL(gemm) {
    return cortado::cuda::gemm_launch(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1, {});
}

CORTADO_KERNEL(gemm_batched) {
    return cortado::cuda::gemm_launch(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                                      stride_c, batch, {});
}

// The bias, and act when it is a clamp and there is no residual z, in the GEMM's epilogue; z (and
// the clamp after it) as a pass of its own, any other act as a pass of the unary kernel's over C
// (in the epilogue, z's loads and the double math of the unary ops spilled the GEMM's registers).
CORTADO_KERNEL(gemm_bias) {
    const bool clamps = act == CORTADO_UNARY_CLAMP, in_epilogue = clamps && z == nullptr;
    int s = cortado::cuda::gemm_launch(ctx, trans_a, trans_b, m, n, k, 1.0f, a, lda, 0, b, ldb, 0, 0.0f, c, ldc, 0, 1,
                                       {nullptr, bias, in_epilogue ? p1 : -INFINITY, in_epilogue ? p2 : INFINITY});
    if (s != CORTADO_STATUS_OK || in_epilogue) return s;
    if (z != nullptr) {
        s = cortado::cuda::add_clamp_launch(ctx, m, n, ldc, z, clamps ? p1 : -INFINITY, clamps ? p2 : INFINITY, c);
        if (s != CORTADO_STATUS_OK || clamps) return s;
    }
    return cortado::cuda::unary_rows_launch(ctx, act, p1, p2, c, ldc, m, n);
}
