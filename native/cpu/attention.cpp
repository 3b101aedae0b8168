// Fused scaled dot-product attention, forward and backward (KernelSet.attentionForward /
// attentionBackward): one (batch·head) item per task, handed out by parallel_items, each item
// computed whole by one thread in its own buffers (so the bits do not depend on the thread count).
//
// An item is a few small matrix products, each written as rows of C = alpha · A·B over a k range
// per row: A read one float at a time (broadcast), B row-major in 8-float vectors (GCC vector
// extensions; a partial last vector read and written through a copy), a tile of 4 rows x 16
// columns in 8 accumulators. Row i of a product sums only k in [begin(i), end(i)): the keys it
// attends to, or for the key gradients the query rows that attend to the key. The causal
// triangle past the diagonal is never multiplied (a 4-row tile computes its ragged part row by
// row), so a NaN there reaches nothing, as in the java reference. Scores are computed in whole
// vectors up to the last key a 4-row tile attends to; the few past a row's diagonal are never read.
//
// Forward: kᵀ [e, s8] packed once (8 x 8 blocks transposed in registers); scores = q·kᵀ ([l, s8],
// s8 = s rounded up to 8; 16 KB at the GPT's 64 x 64, in L1); per row scale, its maximum (8
// lanes, NaN flagged apart), e^(x - max) (fast_math.h's exp_f), the sum in double, P = e / sum in
// place, lse = max + log sum (with AVX2, 4 rows at a time, interleaved: vec_math.h's softmax_rows);
// out = P·v. Backward: the scores again, P = e^(scale·x - lse);
// dP = dOut·vᵀ; D_i = Σ dOut_i·out_i (8 float lanes, added in double); dS = P·(dP - D) in place
// of dP; dq = scale·dS·k; dSᵀ and Pᵀ packed; dk = scale·dSᵀ·q and dv = Pᵀ·dOut.
// At the GPT's shape (128 items of 64 x 64 x 32, causal) on a Zen 3, one thread: forward 1.2 ms,
// backward 2.1 ms; two: 0.6 and 1.0 ms.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cortado_cpu.h"
#include "fast_math.h"
#include "simd.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace {

constexpr int VW = 8;  // floats per vector
typedef float vec __attribute__((vector_size(VW * 4)));
typedef float vec_u __attribute__((vector_size(VW * 4), aligned(4)));

#define ATT_INLINE inline __attribute__((always_inline))

ATT_INLINE vec load(const float* p, int n) {
    if (n == VW) return *reinterpret_cast<const vec_u*>(p);
    vec v = {};
    std::memcpy(&v, p, sizeof(float) * n);
    return v;
}

ATT_INLINE void store(float* p, vec v, int n) {
    if (n == VW) *reinterpret_cast<vec_u*>(p) = v;
    else std::memcpy(p, &v, sizeof(float) * n);
}

long round8(long n) { return (n + VW - 1) / VW * VW; }

// acc[r] += A[r·lda + k]·B[k·ldb + ...] for the rows r whose range [kb[r], ke[r]) holds k (every row with kEvery).
template <int R, int NV, bool kEvery>
ATT_INLINE void step(vec (&acc)[R][NV], int k, const float* A, long lda, const float* B, long ldb, const int* kb, const int* ke,
                     int last) {
    vec b[NV];
    for (int v = 0; v < NV; v++) b[v] = load(B + k * ldb + v * VW, v == NV - 1 ? last : VW);
    for (int r = 0; r < R; r++) {
        if (kEvery || (k >= kb[r] && k < ke[r])) {
            const float a = A[r * lda + k];
            for (int v = 0; v < NV; v++) acc[r][v] += a * b[v];
        }
    }
}

// One tile: rows [0, R) of C, columns [0, NV·VW) (the last vector holding `last` floats):
// C[r][c] = alpha · Σ_{k in [kb[r], ke[r])} A[r·lda + k] · B[k·ldb + c].
template <int R, int NV>
ATT_INLINE void tile(const float* A, long lda, const float* B, long ldb, float* C, long ldc, float alpha, const int* kb,
                     const int* ke, int last) {
    vec acc[R][NV];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = vec{};
    int kb_min = kb[0], kb_max = kb[0], ke_min = ke[0], ke_max = ke[0];
    for (int r = 1; r < R; r++) {
        kb_min = std::min(kb_min, kb[r]);
        kb_max = std::max(kb_max, kb[r]);
        ke_min = std::min(ke_min, ke[r]);
        ke_max = std::max(ke_max, ke[r]);
    }
    if (kb_max < ke_min) {  // a common range, with ragged edges row by row
        for (int k = kb_min; k < kb_max; k++) step<R, NV, false>(acc, k, A, lda, B, ldb, kb, ke, last);
        for (int k = kb_max; k < ke_min; k++) step<R, NV, true>(acc, k, A, lda, B, ldb, kb, ke, last);
        for (int k = ke_min; k < ke_max; k++) step<R, NV, false>(acc, k, A, lda, B, ldb, kb, ke, last);
    } else {
        for (int k = kb_min; k < ke_max; k++) step<R, NV, false>(acc, k, A, lda, B, ldb, kb, ke, last);
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) store(C + r * ldc + v * VW, alpha * acc[r][v], v == NV - 1 ? last : VW);
}

template <int R>
ATT_INLINE void row_tiles(int n, const float* A, long lda, const float* B, long ldb, float* C, long ldc, float alpha, const int* kb,
                          const int* ke) {
    int c = 0;
    for (; c + 2 * VW <= n; c += 2 * VW) tile<R, 2>(A, lda, B + c, ldb, C + c, ldc, alpha, kb, ke, VW);
    if (n - c > VW) tile<R, 2>(A, lda, B + c, ldb, C + c, ldc, alpha, kb, ke, n - c - VW);
    else if (n - c > 0) tile<R, 1>(A, lda, B + c, ldb, C + c, ldc, alpha, kb, ke, n - c);
}

// Rows [0, m) of C = alpha · A·B, row i over k in [begin(i), end(i)) and columns [0, cols(i_last)),
// i_last the last row of its 4-row tile (the columns a causal tile needs).
template <class Begin, class End, class Cols>
ATT_INLINE void product(int m, const float* A, long lda, const float* B, long ldb, float* C, long ldc, float alpha, Begin begin,
                        End end, Cols cols) {
    for (int i = 0; i < m; i += 4) {
        const int rows = std::min(4, m - i);
        int kb[4], ke[4];
        for (int r = 0; r < rows; r++) {
            kb[r] = begin(i + r);
            ke[r] = end(i + r);
        }
        const int n = cols(i + rows - 1);
        const float* a = A + i * lda;
        float* c = C + i * ldc;
        switch (rows) {
            case 4: row_tiles<4>(n, a, lda, B, ldb, c, ldc, alpha, kb, ke); break;
            case 3: row_tiles<3>(n, a, lda, B, ldb, c, ldc, alpha, kb, ke); break;
            case 2: row_tiles<2>(n, a, lda, B, ldb, c, ldc, alpha, kb, ke); break;
            default: row_tiles<1>(n, a, lda, B, ldb, c, ldc, alpha, kb, ke); break;
        }
    }
}

typedef int ivec __attribute__((vector_size(VW * 4)));

// The 8 x 8 block r[0..8) transposed in registers: unpack 32-bit, then 64-bit pairs, then swap 128-bit halves
// (each shuffle one instruction with AVX).
ATT_INLINE void transpose8(vec (&r)[8]) {
    vec t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shuffle(r[i], r[i + 1], ivec{0, 8, 1, 9, 4, 12, 5, 13});
        t[i + 1] = __builtin_shuffle(r[i], r[i + 1], ivec{2, 10, 3, 11, 6, 14, 7, 15});
    }
    for (int g = 0; g < 8; g += 4) {
        for (int h = 0; h < 2; h++) {
            u[g + 2 * h] = __builtin_shuffle(t[g + h], t[g + h + 2], ivec{0, 1, 8, 9, 4, 5, 12, 13});
            u[g + 2 * h + 1] = __builtin_shuffle(t[g + h], t[g + h + 2], ivec{2, 3, 10, 11, 6, 7, 14, 15});
        }
    }
    for (int i = 0; i < 4; i++) {
        r[i] = __builtin_shuffle(u[i], u[i + 4], ivec{0, 1, 2, 3, 8, 9, 10, 11});
        r[i + 4] = __builtin_shuffle(u[i], u[i + 4], ivec{4, 5, 6, 7, 12, 13, 14, 15});
    }
}

// dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols: 8 x 8 blocks in registers, the edges one float at a time.
ATT_INLINE void transpose(int rows, int cols, const float* src, long lds, float* dst, long ldd) {
    const int r8 = rows / VW * VW, c8 = cols / VW * VW;
    for (int r = 0; r < r8; r += VW) {
        for (int c = 0; c < c8; c += VW) {
            vec b[8];
            for (int i = 0; i < 8; i++) b[i] = load(src + (r + i) * lds + c, VW);
            transpose8(b);
            for (int i = 0; i < 8; i++) store(dst + (c + i) * ldd + r, b[i], VW);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int c = r < r8 ? c8 : 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }
}

// Σ a[c]·b[c] over n floats: 8 lanes, added in double.
ATT_INLINE float dot(const float* a, const float* b, int n) {
    vec acc = vec{};
    int c = 0;
    for (; c + VW <= n; c += VW) acc += load(a + c, VW) * load(b + c, VW);
    double d = 0;
    for (int l = 0; l < VW; l++) d += acc[l];
    for (; c < n; c++) d += static_cast<double>(a[c]) * b[c];
    return static_cast<float>(d);
}

// The shape of one call and the calling thread's buffers.
struct Item {
    int l, s, e, ev;
    float scale;
    bool causal;
    long s8, l8;
    bool avx2;     // softmax rows by softmax_rows4_avx2
    long ld, ldv, ldo;  // row strides of q and k, of v, of out and dOut

    int keys(int i) const { return causal ? std::min(s, i + 1) : s; }  // row i attends to keys [0, keys(i))
    int first_row(int j) const { return causal ? j : 0; }              // key j is attended by rows [first_row(j), l)
};

float* buffer(int which, long n) {
    thread_local std::vector<float> b[4];
    if (static_cast<long>(b[which].size()) < n) b[which].resize(n);
    return b[which].data();
}

// scores[i][j] = q_i·k_j for the columns each 4-row tile attends to, in whole vectors (kt: kᵀ packed, [e][s8]; the
// columns past a row's keys, the padding of kt included, are computed but never read).
ATT_INLINE void scores(const Item& it, const float* q, const float* kt, float* sc) {
    const int e = it.e;
    product(it.l, q, it.ld, kt, it.s8, sc, it.s8, 1.0f, [](int) { return 0; }, [e](int) { return e; },
            [&it](int last) { return static_cast<int>(round8(it.keys(last))); });
}

// The row x[0..n) scaled, e^(x - max) into x, returns log Σ e^x (NaN when the row holds NaN or +inf, or is all -inf).
CORTADO_CLONES double softmax_row(float* __restrict x, int n, float scale) {
    // the maximum over 8 lanes, NaN flagged apart (a compiler does not vectorise a float max of its own)
    vec mv = vec{} - INFINITY;
    ivec nanv = ivec{};
    int j0 = 0;
    for (; j0 + VW <= n; j0 += VW) {
        const vec t = scale * load(x + j0, VW);
        store(x + j0, t, VW);
        mv = t > mv ? t : mv;
        nanv |= t != t;
    }
    float m = -INFINITY;
    bool nan = false;
    for (int l = 0; l < VW; l++) {
        m = mv[l] > m ? mv[l] : m;
        nan |= nanv[l] != 0;
    }
    for (; j0 < n; j0++) {
        const float t = scale * x[j0];
        x[j0] = t;
        m = t > m ? t : m;
        nan |= t != t;
    }
    m = nan ? NAN : m;
    for (int j = 0; j < n; j++) x[j] = cortado::exp_f(x[j] - m);
    double acc[4] = {0, 0, 0, 0};
    int j = 0;
    for (; j + 4 <= n; j += 4)
        for (int u = 0; u < 4; u++) acc[u] += x[j + u];
    for (; j < n; j++) acc[0] += x[j];
    const double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    const float inv = static_cast<float>(1.0 / sum);
    for (int u = 0; u < n; u++) x[u] *= inv;
    return static_cast<double>(m) + std::log(sum);
}

// The scores' 4 rows from row i (x, rows s8 apart, whole vectors in the buffer) by vec_math.h's
// softmax_rows, in place, their log-sum-exps into lse.
__attribute__((target("avx2,fma"))) void softmax_rows4_avx2(const Item& it, int i, float* x, float* lse) {
    const int n[4] = {it.keys(i), it.keys(i + 1), it.keys(i + 2), it.keys(i + 3)};
    cortado::avx2::softmax_rows<4, true>(x, it.s8, x, it.s8, n, it.scale, lse);
}

// p[0..n) = e^(scale·x - lse), in place.
CORTADO_CLONES void probabilities(float* __restrict x, int n, float scale, float lse) {
    for (int j = 0; j < n; j++) x[j] = cortado::exp_f(scale * x[j] - lse);
}

// dp[j] = p[j]·(dp[j] - d) for j < n.
CORTADO_CLONES void score_gradient(const float* __restrict p, float* __restrict dp, int n, float d) {
    for (int j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - d);
}

CORTADO_CLONES void forward_item(const Item& it, const float* q, const float* k, const float* v, float* out, float* lse) {
    const int l = it.l, s = it.s, e = it.e, ev = it.ev;
    float* kt = buffer(0, e * it.s8);
    float* sc = buffer(1, l * it.s8);
    transpose(s, e, k, it.ld, kt, it.s8);
    scores(it, q, kt, sc);
    int i = 0;
    if (it.avx2) {
        for (; i + 4 <= l; i += 4) softmax_rows4_avx2(it, i, sc + i * it.s8, lse + i);
    }
    for (; i < l; i++) {
        const int n = it.keys(i);
        lse[i] = n == 0 ? -INFINITY : static_cast<float>(softmax_row(sc + i * it.s8, n, it.scale));
    }
    product(l, sc, it.s8, v, it.ldv, out, it.ldo, 1.0f, [](int) { return 0; }, [&it](int i) { return it.keys(i); },
            [ev](int) { return ev; });
}

CORTADO_CLONES void backward_item(const Item& it, const float* q, const float* k, const float* v, const float* out, const float* lse,
                                  const float* dout, float* dq, float* dk, float* dv) {
    const int l = it.l, s = it.s, e = it.e, ev = it.ev;
    const long s8 = it.s8, l8 = it.l8;
    float* kt = buffer(0, std::max<long>(e, ev) * s8);  // kᵀ, then vᵀ
    float* p = buffer(1, l * s8);
    float* ds = buffer(2, l * s8);
    float* t = buffer(3, 2 * s * l8);  // dSᵀ, then Pᵀ
    transpose(s, e, k, it.ld, kt, s8);
    scores(it, q, kt, p);
    transpose(s, ev, v, it.ldv, kt, s8);
    product(l, dout, it.ldo, kt, s8, ds, s8, 1.0f, [](int) { return 0; }, [ev](int) { return ev; },
            [&it](int last) { return static_cast<int>(round8(it.keys(last))); });
    for (int i = 0; i < l; i++) {
        const int n = it.keys(i);
        const float d = dot(dout + i * it.ldo, out + i * it.ldo, ev);
        float* pi = p + i * s8;
        float* dsi = ds + i * s8;
        probabilities(pi, n, it.scale, lse[i]);
        score_gradient(pi, dsi, n, d);
        std::fill(pi + n, pi + s, 0.0f);  // never read (the products stop at keys(i)), but defined
        std::fill(dsi + n, dsi + s, 0.0f);
    }
    auto all_keys = [&it](int i) { return it.keys(i); };
    product(l, ds, s8, k, it.ld, dq, e, it.scale, [](int) { return 0; }, all_keys, [e](int) { return e; });
    float* dst = t;
    float* pt = t + s * l8;
    transpose(l, s, ds, s8, dst, l8);
    transpose(l, s, p, s8, pt, l8);
    auto first = [&it](int j) { return it.first_row(j); };
    auto rows = [l](int) { return l; };
    product(s, dst, l8, q, it.ld, dk, e, it.scale, first, rows, [e](int) { return e; });
    product(s, pt, l8, dout, it.ldo, dv, ev, 1.0f, first, rows, [ev](int) { return ev; });
}

// body(item) for every item on the pool; small calls on the calling thread only.
template <class Body>
void for_items(long batch, long work_per_item, const Body& body) {
    const long total = work_per_item * batch;
    const int workers = total < (1L << 16) ? 1 : cortado::threads();
    cortado::parallel_items(workers, batch, [&](int, long b) { body(b); });
}

// Item b = (batch index, head)'s first rows in q, k (row stride ld), v (ldv) and out, dOut (ldo).
struct ItemRows {
    long q, k, v, out;
    ItemRows(long b, int heads, int l, int s, int e, int ev, long ld, long ldv, long ldo) {
        const long bo = b / heads, h = b % heads;
        q = bo * l * ld + h * e;
        k = bo * s * ld + h * e;
        v = bo * s * ldv + h * ev;
        out = bo * l * ldo + h * ev;
    }
};

}  // namespace

CORTADO_KERNEL(attention_forward) {
    const int l = queries, s = keys;
    const long items = static_cast<long>(batch) * heads;
    if (items <= 0 || l <= 0) return CORTADO_STATUS_OK;
    const Item it{l, s, e, ev, scale, causal != 0, round8(s), round8(l), cortado_isa() >= 1, ld, ldv, ldo};
    for_items(items, static_cast<long>(l) * std::max(s, 1) * (e + ev), [&](long b) {
        const ItemRows r(b, heads, l, s, e, ev, ld, ldv, ldo);
        forward_item(it, q + r.q, k + r.k, v + r.v, out + r.out, lse + b * l);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(attention_backward) {
    const int l = queries, s = keys;
    const long items = static_cast<long>(batch) * heads;
    if (items <= 0) return CORTADO_STATUS_OK;
    const Item it{l, s, e, ev, scale, causal != 0, round8(s), round8(l), cortado_isa() >= 1, ld, ldv, ldo};
    for_items(items, static_cast<long>(std::max(l, 1)) * std::max(s, 1) * (e + ev), [&](long b) {
        const ItemRows r(b, heads, l, s, e, ev, ld, ldv, ldo);
        backward_item(it, q + r.q, k + r.k, v + r.v, out + r.out, lse + b * l, d_out + r.out, dq + b * l * e, dk + b * s * e,
                      dv + b * s * ev);
    });
    return CORTADO_STATUS_OK;
}
