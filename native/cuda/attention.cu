// Fused scaled dot-product attention, forward and backward (KernelSet.attentionForward /
// attentionBackward), over batch · heads items of q [l, e], k [s, e], v [s, ev] (rows ld apart in
// KernelSet's [batch, positions, heads, features] layout; out and dOut rows ldo apart).
//
// Forward: one warp per query row (kRowsPerBlock rows per block). The row's keys are taken 32 at
// a time, a key per lane: its score scale·q_i·k_j (a float dot product), the chunk's maximum
// over the warp, then the online softmax (FlashAttention's): the running sum and the row of out,
// kept in out itself (each lane owns the columns c = lane + 32t), are rescaled by
// e^(old max - new max) and the chunk's e^(x - max)·v added, its weights passed lane to lane by
// shuffles. At the end out /= sum and lse = max + log(sum). A row whose scores are all -inf is
// NaN, as the reference's e^(-inf - -inf); a NaN or +inf score makes its row NaN as there.
// Backward, without workspace or atomics: one warp per query row for dq (D_i = Σ dOut_i·out_i by
// the warp, then per chunk of keys P, dP = dOut_i·v_j and dS = P·(dP - D_i), dq += dS·k), and one
// warp per key row for dk and dv (per chunk of the query rows that attend to the key: P, dS, with
// each lane's D_i; dk += dS·q, dv += P·dOut). Sums are in a fixed order: the bits do not depend
// on scheduling. Masked scores (causal, j > i) are never computed or read.
#include "cortado_cuda.h"
#include "warp.h"

using cortado::cuda::kFullMask;
using cortado::cuda::kRowsPerBlock;
using cortado::cuda::kWarp;
using cortado::cuda::warp_sum;

namespace {

__device__ __forceinline__ float nan_max(float a, float b) {
    return (a != a || a > b) ? a : b;
}

__device__ __forceinline__ float warp_max(float v) {
    for (unsigned off = kWarp / 2; off > 0; off >>= 1) v = nan_max(v, __shfl_xor_sync(kFullMask, v, off));
    return v;
}

__device__ __forceinline__ float dot(const float* a, const float* b, int n) {
    float acc = 0.0f;
    for (int c = 0; c < n; c++) acc += a[c] * b[c];
    return acc;
}

// The warp's row (may be >= rows: the warp has nothing to do) and lane.
struct WarpRow {
    int64_t row;
    int lane;
    __device__ __forceinline__ WarpRow() {
        row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarp) + threadIdx.x / kWarp;
        lane = static_cast<int>(threadIdx.x % kWarp);
    }
};

// acc[c] (for c = lane + 32t < n) = acc[c]·rescale + Σ_{u < count} w_u · m[u·ld + c], w_u lane u's w.
__device__ __forceinline__ void add_weighted_rows(float* acc, int n, float rescale, float w, int count, const float* m, int64_t ld,
                                                  int lane) {
    for (int c0 = 0; c0 < n; c0 += kWarp) {
        const int c = c0 + lane;
        float a = c < n ? acc[c] * rescale : 0.0f;
        for (int u = 0; u < count; u++) {
            const float wu = __shfl_sync(kFullMask, w, u);
            if (c < n) a += wu * m[u * ld + c];
        }
        if (c < n) acc[c] = a;
    }
}

__device__ __forceinline__ void fill_row(float* x, int n, float value, int lane) {
    for (int c = lane; c < n; c += kWarp) x[c] = value;
}

// Where item b = (batch index, head)'s rows start: q, k rows ld apart, v's ldv, out's and dOut's ldo
// (KernelSet's [batch, positions, heads, features] layout).
struct Layout {
    int heads;
    int64_t ld, ldv, ldo;
    __device__ __forceinline__ int64_t q(int64_t b, int l, int e) const { return (b / heads) * l * ld + (b % heads) * e; }
    __device__ __forceinline__ int64_t k(int64_t b, int s, int e) const { return (b / heads) * s * ld + (b % heads) * e; }
    __device__ __forceinline__ int64_t v(int64_t b, int s, int ev) const { return (b / heads) * s * ldv + (b % heads) * ev; }
    __device__ __forceinline__ int64_t out(int64_t b, int l, int ev) const { return (b / heads) * l * ldo + (b % heads) * ev; }
};

__global__ void attention_forward_kernel(int64_t items, int l, int s, int e, int ev, float scale, bool causal, const float* q,
                                         const float* k, const float* v, Layout lay, float* out, float* lse) {
    const WarpRow w;
    if (w.row >= items * l) return;
    const int64_t b = w.row / l;
    const int i = static_cast<int>(w.row % l), n = causal ? min(s, i + 1) : s;
    const float* qi = q + lay.q(b, l, e) + i * lay.ld;
    const float* kb = k + lay.k(b, s, e);
    const float* vb = v + lay.v(b, s, ev);
    float* o = out + lay.out(b, l, ev) + i * lay.ldo;
    fill_row(o, ev, 0.0f, w.lane);
    float m = -INFINITY;
    double sum = 0.0;
    for (int j0 = 0; j0 < n; j0 += kWarp) {
        const int j = j0 + w.lane, count = min(static_cast<int>(kWarp), n - j0);
        const float x = j < n ? scale * dot(qi, kb + j * lay.ld, e) : -INFINITY;
        const float next = nan_max(m, warp_max(x));
        if (next == -INFINITY) continue;  // every score so far -inf: nothing to add yet (all -inf: NaN below)
        const float rescale = expf(m - next), p = j < n ? expf(x - next) : 0.0f;
        sum = sum * rescale + warp_sum(static_cast<double>(p));
        add_weighted_rows(o, ev, rescale, p, count, vb + j0 * lay.ldv, lay.ldv, w.lane);
        m = next;
    }
    if (n == 0) {
        if (w.lane == 0) lse[w.row] = -INFINITY;
        return;
    }
    const bool none = m == -INFINITY;
    const float inv = static_cast<float>(1.0 / sum);
    for (int c = w.lane; c < ev; c += kWarp) o[c] = none ? NAN : o[c] * inv;
    if (w.lane == 0) lse[w.row] = none ? NAN : static_cast<float>(static_cast<double>(m) + log(sum));
}

__global__ void attention_dq_kernel(int64_t items, int l, int s, int e, int ev, float scale, bool causal, const float* q, const float* k,
                                    const float* v, Layout lay, const float* out, const float* lse, const float* dout, float* dq) {
    const WarpRow w;
    if (w.row >= items * l) return;
    const int64_t b = w.row / l;
    const int i = static_cast<int>(w.row % l), n = causal ? min(s, i + 1) : s;
    const float* qi = q + lay.q(b, l, e) + i * lay.ld;
    const int64_t oi = lay.out(b, l, ev) + i * lay.ldo;
    const float* doi = dout + oi;
    const float* kb = k + lay.k(b, s, e);
    const float* vb = v + lay.v(b, s, ev);
    float* g = dq + w.row * e;
    double d = 0.0;
    for (int c = w.lane; c < ev; c += kWarp) d += static_cast<double>(doi[c]) * out[oi + c];
    const float di = static_cast<float>(warp_sum(d)), li = lse[w.row];
    fill_row(g, e, 0.0f, w.lane);
    for (int j0 = 0; j0 < n; j0 += kWarp) {
        const int j = j0 + w.lane, count = min(static_cast<int>(kWarp), n - j0);
        float ds = 0.0f;
        if (j < n) {
            const float p = expf(scale * dot(qi, kb + j * lay.ld, e) - li);
            ds = p * (dot(doi, vb + j * lay.ldv, ev) - di);
        }
        add_weighted_rows(g, e, 1.0f, ds, count, kb + j0 * lay.ld, lay.ld, w.lane);
    }
    for (int c = w.lane; c < e; c += kWarp) g[c] *= scale;
}

__global__ void attention_dkdv_kernel(int64_t items, int l, int s, int e, int ev, float scale, bool causal, const float* q,
                                      const float* k, const float* v, Layout lay, const float* out, const float* lse, const float* dout,
                                      float* dk, float* dv) {
    const WarpRow w;
    if (w.row >= items * s) return;
    const int64_t b = w.row / s;
    const int j = static_cast<int>(w.row % s), first = causal ? j : 0;
    const float* kj = k + lay.k(b, s, e) + j * lay.ld;
    const float* vj = v + lay.v(b, s, ev) + j * lay.ldv;
    const float* qb = q + lay.q(b, l, e);
    const float* ob = out + lay.out(b, l, ev);
    const float* dob = dout + lay.out(b, l, ev);
    float* gk = dk + w.row * e;
    float* gv = dv + w.row * ev;
    fill_row(gk, e, 0.0f, w.lane);
    fill_row(gv, ev, 0.0f, w.lane);
    for (int i0 = first; i0 < l; i0 += kWarp) {
        const int i = i0 + w.lane, count = min(static_cast<int>(kWarp), l - i0);
        float p = 0.0f, ds = 0.0f;
        if (i < l) {
            const int64_t r = b * l + i;
            double d = 0.0;
            for (int c = 0; c < ev; c++) d += static_cast<double>(dob[i * lay.ldo + c]) * ob[i * lay.ldo + c];
            p = expf(scale * dot(qb + i * lay.ld, kj, e) - lse[r]);
            ds = p * (dot(dob + i * lay.ldo, vj, ev) - static_cast<float>(d));
        }
        add_weighted_rows(gk, e, 1.0f, ds, count, qb + i0 * lay.ld, lay.ld, w.lane);
        add_weighted_rows(gv, ev, 1.0f, p, count, dob + i0 * lay.ldo, lay.ldo, w.lane);
    }
    for (int c = w.lane; c < e; c += kWarp) gk[c] *= scale;
}

unsigned warp_blocks(int64_t rows) {
    return cortado::cuda::blocks_for(rows, kRowsPerBlock);
}

}  // namespace

CORTADO_KERNEL(attention_forward) {
    const int l = queries, s = keys;
    const int64_t items = static_cast<int64_t>(batch) * heads, rows = items * l;
    if (rows <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, attention_forward_kernel, dim3(warp_blocks(rows)), dim3(kRowsPerBlock * kWarp), 0, items, l, s, e, ev,
                          scale, causal != 0, q, k, v, Layout{heads, ld, ldv, ldo}, out, lse);
}

CORTADO_KERNEL(attention_backward) {
    const int l = queries, s = keys;
    const int64_t items = static_cast<int64_t>(batch) * heads, qrows = items * l, krows = items * s;
    const Layout lay{heads, ld, ldv, ldo};
    if (qrows > 0) {
        const int status = CORTADO_LAUNCH(ctx, attention_dq_kernel, dim3(warp_blocks(qrows)), dim3(kRowsPerBlock * kWarp), 0, items, l,
                                          s, e, ev, scale, causal != 0, q, k, v, lay, out, lse, d_out, dq);
        if (status != CORTADO_STATUS_OK) return status;
    }
    if (krows <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, attention_dkdv_kernel, dim3(warp_blocks(krows)), dim3(kRowsPerBlock * kWarp), 0, items, l, s, e, ev,
                          scale, causal != 0, q, k, v, lay, out, lse, d_out, dk, dv);
}
