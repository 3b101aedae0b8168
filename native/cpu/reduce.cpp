// reduce: y[o, i] = op over j < len of x[o, j, i], x [outer, len, inner], y [outer, inner].
//
// Work goes in segments: a run of j (at most kSegment floats of x) for one o and one block of up
// to kBlock inner values. The last-axis case (inner == 1) vectorises along j, 16 lanes that each
// keep their own partial; inner > 1 vectorises across i, one partial per i, adding whole rows of x
// in order of j. A row longer than one segment is cut into segments whose partials are combined in
// order of j. Segment sizes depend on the shape only, never on the thread count, so neither do the
// bits. Sums are in double. MAX/MIN/ARGMAX/ARGMIN keep the first extreme (or first NaN) and its
// index; MAX and MIN then read that element, so even the sign of a zero is the reference's.
// LOGSUMEXP is a MAX pass into y, then a pass summing e^(x - max) in double (fast_math.h).
#pragma GCC optimize("no-trapping-math", "fp-contract=off")  // fast_math.h: its selects vectorise, its FMAs are its own
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "cortado_cpu.h"
#include "fast_math.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

constexpr long kSegment = 8 * CORTADO_GRAIN;  // floats of x per segment, at most (one row may be longer)
constexpr long kBlock = 512;                  // inner values per segment when inner > 1

// The first extreme (or the first NaN) of a run and its index.
struct Arg {
    float m;
    long id;
};

// Whether v, coming after m, replaces it: a strictly greater (smaller) value, or the first NaN.
template <bool Max>
inline bool better(float v, float m) {
    return (Max ? v > m : v < m) || (v != v && m == m);
}

// ---- inner == 1: along j ------------------------------------------------------------------------

// Each lane keeps its first extreme (or first NaN): the answer is the earliest of the best lanes.
template <bool Max>
Arg earliest_best(const float* m, const int32_t* id, int lanes) {
    Arg best{m[0], id[0]};
    for (int k = 1; k < lanes; k++) {
        const bool tie = m[k] == best.m || (m[k] != m[k] && best.m != best.m);
        if (better<Max>(m[k], best.m) || (tie && id[k] < best.id)) best = {m[k], id[k]};
    }
    return best;
}

template <bool Max>
CORTADO_CLONES Arg row_arg(const float* x, long n) {  // n >= 1
    Arg best{x[0], 0};
    long j = 1;
    if (n >= 32) {
        float m[16];
        int32_t id[16];
        for (int k = 0; k < 16; k++) {
            m[k] = x[k];
            id[k] = k;
        }
        for (j = 16; j + 16 <= n; j += 16)
            for (int k = 0; k < 16; k++) {
                const float v = x[j + k];
                const bool take = better<Max>(v, m[k]);
                m[k] = take ? v : m[k];
                id[k] = take ? static_cast<int32_t>(j + k) : id[k];
            }
        best = earliest_best<Max>(m, id, 16);
    }
    for (; j < n; j++)
        if (better<Max>(x[j], best.m)) best = {x[j], j};
    return best;
}

// The same in AVX-512 registers (GCC vectorises neither the loop above nor its GCC-vector form).
template <bool Max>
__attribute__((target("avx512f"))) Arg row_arg_avx512(const float* x, long n) {  // n >= 32
    __m512 m = _mm512_loadu_ps(x);
    __m512i id = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), at = id;
    const __m512i step = _mm512_set1_epi32(16);
    long j = 16;
    for (; j + 16 <= n; j += 16) {
        at = _mm512_add_epi32(at, step);
        const __m512 v = _mm512_loadu_ps(x + j);
        const __mmask16 take = _mm512_cmp_ps_mask(v, m, Max ? _CMP_GT_OQ : _CMP_LT_OQ) |
                               (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(m, m, _CMP_ORD_Q));
        m = _mm512_mask_mov_ps(m, take, v);
        id = _mm512_mask_mov_epi32(id, take, at);
    }
    alignas(64) float ms[16];
    alignas(64) int32_t ids[16];
    _mm512_store_ps(ms, m);
    _mm512_store_si512(ids, id);
    Arg best = earliest_best<Max>(ms, ids, 16);
    for (; j < n; j++)
        if (better<Max>(x[j], best.m)) best = {x[j], j};
    return best;
}

CORTADO_CLONES double row_exp_sum(const float* x, long n, float m) {
    double part[16] = {};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int k = 0; k < 16; k++) part[k] += cortado::exp_f(x[j + k] - m);
    double s = 0;
    for (; j < n; j++) s += cortado::exp_f(x[j] - m);
    for (int k = 0; k < 16; k++) s += part[k];
    return s;
}

// ---- inner > 1: across i, rows in order of j ----------------------------------------------------

CORTADO_CLONES void col_sum(const float* x, long ld, long n, long w, double* __restrict acc) {
    for (long i = 0; i < w; i++) acc[i] = 0.0;
    for (long j = 0; j < n; j++) {
        const float* __restrict row = x + j * ld;
        for (long i = 0; i < w; i++) acc[i] += row[i];
    }
}

template <bool Max>
CORTADO_CLONES void col_arg(const float* x, long ld, long n, long w, float* __restrict m, int32_t* __restrict id) {
    for (long i = 0; i < w; i++) {
        m[i] = x[i];
        id[i] = 0;
    }
    for (long j = 1; j < n; j++) {
        const float* __restrict row = x + j * ld;
        const int32_t jj = static_cast<int32_t>(j);
        for (long i = 0; i < w; i++) {
            const float v = row[i];
            const bool take = better<Max>(v, m[i]);
            m[i] = take ? v : m[i];
            id[i] = take ? jj : id[i];
        }
    }
}

CORTADO_CLONES void col_exp_sum(const float* x, long ld, long n, long w, const float* __restrict mx, double* __restrict acc) {
    for (long i = 0; i < w; i++) acc[i] = 0.0;
    for (long j = 0; j < n; j++) {
        const float* __restrict row = x + j * ld;
        for (long i = 0; i < w; i++) acc[i] += cortado::exp_f(row[i] - mx[i]);
    }
}

// ---- segments -------------------------------------------------------------------------------

enum Kind { kSum, kMax, kMin, kExpSum };

// A segment's partial for one output: a sum, or an extreme and its index (j from 0).
struct Partial {
    double s;
    Arg a;
};

struct Plan {
    long outer, len, inner;
    long width, blocks;  // inner values per block, blocks per o
    long rows, chunks;   // j per segment, segments per (o, block)

    Plan(long o, long l, long i) : outer(o), len(l), inner(i) {
        blocks = (inner + kBlock - 1) / kBlock;  // blocks of near-equal width (a multiple of 16 but the last)
        width = std::min(inner, ((inner + blocks - 1) / blocks + 15) / 16 * 16);
        blocks = (inner + width - 1) / width;
        rows = std::max(16L, kSegment / width);
        chunks = std::max(1L, (len + rows - 1) / rows);
    }
    long segments() const { return outer * blocks * chunks; }
};

// Partials of segment `seg` ((o, block) major, chunk minor) into out[0 .. w).
// mx: the maxima (kExpSum), laid out like y.
void segment(Kind kind, const Plan& p, const float* x, const float* mx, long seg, Partial* out) {
    const long c = seg % p.chunks, ob = seg / p.chunks, o = ob / p.blocks, b = ob % p.blocks;
    const long i0 = b * p.width, w = std::min(p.width, p.inner - i0);
    const long j0 = c * p.rows, n = std::min(p.rows, p.len - j0);
    const float* at = x + (o * p.len + j0) * p.inner + i0;
    if (p.inner == 1) {
        const bool avx512 = cortado_isa() >= 2;
        Partial& q = out[0];
        switch (kind) {
            case kSum: q.s = cortado::sum_span(at, n); break;
            case kMax: q.a = avx512 && n >= 32 ? row_arg_avx512<true>(at, n) : row_arg<true>(at, n); q.a.id += j0; break;
            case kMin: q.a = avx512 && n >= 32 ? row_arg_avx512<false>(at, n) : row_arg<false>(at, n); q.a.id += j0; break;
            case kExpSum: q.s = row_exp_sum(at, n, mx[o]); break;
        }
        return;
    }
    if (kind == kSum || kind == kExpSum) {
        double acc[kBlock];
        if (kind == kSum) col_sum(at, p.inner, n, w, acc);
        else col_exp_sum(at, p.inner, n, w, mx + o * p.inner + i0, acc);
        for (long i = 0; i < w; i++) out[i].s = acc[i];
        return;
    }
    float m[kBlock];
    int32_t id[kBlock];
    if (kind == kMax) col_arg<true>(at, p.inner, n, w, m, id);
    else col_arg<false>(at, p.inner, n, w, m, id);
    for (long i = 0; i < w; i++) out[i].a = {m[i], j0 + id[i]};
}

// Every segment's partials, combined in order of j; finish(o, i, partial) writes y[o, i].
template <class Finish>
void reduce_all(Kind kind, const Plan& p, const float* x, const float* mx, const Finish& finish) {
    const long segments = p.segments();
    auto finish_block = [&](long ob, long w, const Partial* q) {
        const long o = ob / p.blocks, i0 = ob % p.blocks * p.width;
        for (long i = 0; i < w; i++) finish(o, i0 + i, q[i]);
    };
    const long per_segment = std::max(1L, std::min(p.len, p.rows) * p.width);
    const long grain = std::max(1L, CORTADO_GRAIN / per_segment);
    if (p.chunks == 1) {  // each segment finishes its own outputs
        cortado::parallel_range(segments, grain, [&](long s0, long s1) {
            Partial q[kBlock];
            for (long s = s0; s < s1; s++) {
                segment(kind, p, x, mx, s, q);
                finish_block(s, std::min(p.width, p.inner - s % p.blocks * p.width), q);
            }
        });
        return;
    }
    std::unique_ptr<Partial[]> parts(new (std::nothrow) Partial[segments * p.width]);
    if (!parts) {  // no memory for the partials: one thread, chunks combined as they come
        Partial q[kBlock], all[kBlock];
        for (long ob = 0; ob < p.outer * p.blocks; ob++) {
            const long w = std::min(p.width, p.inner - ob % p.blocks * p.width);
            for (long c = 0; c < p.chunks; c++) {
                segment(kind, p, x, mx, ob * p.chunks + c, c == 0 ? all : q);
                if (c > 0)
                    for (long i = 0; i < w; i++) {
                        if (kind == kSum || kind == kExpSum) all[i].s += q[i].s;
                        else if (kind == kMax ? better<true>(q[i].a.m, all[i].a.m) : better<false>(q[i].a.m, all[i].a.m)) all[i].a = q[i].a;
                    }
            }
            finish_block(ob, w, all);
        }
        return;
    }
    cortado::parallel_range(segments, grain, [&](long s0, long s1) {
        for (long s = s0; s < s1; s++) segment(kind, p, x, mx, s, parts.get() + s * p.width);
    });
    cortado::parallel_range(p.outer * p.blocks, std::max(1L, CORTADO_GRAIN / (p.chunks * p.width)), [&](long b0, long b1) {
        Partial all[kBlock];
        for (long ob = b0; ob < b1; ob++) {
            const long w = std::min(p.width, p.inner - ob % p.blocks * p.width);
            const Partial* first = parts.get() + ob * p.chunks * p.width;
            for (long i = 0; i < w; i++) all[i] = first[i];
            for (long c = 1; c < p.chunks; c++) {
                const Partial* q = first + c * p.width;
                for (long i = 0; i < w; i++) {
                    if (kind == kSum || kind == kExpSum) all[i].s += q[i].s;
                    else if (kind == kMax ? better<true>(q[i].a.m, all[i].a.m) : better<false>(q[i].a.m, all[i].a.m)) all[i].a = q[i].a;
                }
            }
            finish_block(ob, w, all);
        }
    });
}

}  // namespace

CORTADO_KERNEL(reduce) {
    const long ny = outer * inner;
    if (ny == 0) return CORTADO_STATUS_OK;
    if (len == 0) {  // (MAX, MIN, ARGMAX and ARGMIN are refused over an empty axis)
        const float v = op == CORTADO_REDUCE_SUM ? 0.0f
                        : op == CORTADO_REDUCE_MEAN ? std::numeric_limits<float>::quiet_NaN()
                                                    : -std::numeric_limits<float>::infinity();
        for (long k = 0; k < ny; k++) y[k] = v;
        return CORTADO_STATUS_OK;
    }
    const Plan p(outer, len, inner);
    auto at = [&](long o, long i) -> float& { return y[o * inner + i]; };
    switch (op) {
        case CORTADO_REDUCE_SUM:
            reduce_all(kSum, p, x, nullptr, [&](long o, long i, const Partial& q) { at(o, i) = static_cast<float>(q.s); });
            break;
        case CORTADO_REDUCE_MEAN:
            reduce_all(kSum, p, x, nullptr, [&](long o, long i, const Partial& q) {
                at(o, i) = static_cast<float>(q.s / static_cast<double>(len));
            });
            break;
        case CORTADO_REDUCE_MAX:
        case CORTADO_REDUCE_MIN:
            reduce_all(op == CORTADO_REDUCE_MAX ? kMax : kMin, p, x, nullptr,
                       [&](long o, long i, const Partial& q) { at(o, i) = x[(o * len + q.a.id) * inner + i]; });
            break;
        case CORTADO_REDUCE_ARGMAX:
        case CORTADO_REDUCE_ARGMIN:
            reduce_all(op == CORTADO_REDUCE_ARGMAX ? kMax : kMin, p, x, nullptr,
                       [&](long o, long i, const Partial& q) { at(o, i) = static_cast<float>(q.a.id); });
            break;
        case CORTADO_REDUCE_LOGSUMEXP:
            // the maxima into y, then m + log(sum e^(x - m)) where m is finite (else m itself)
            reduce_all(kMax, p, x, nullptr, [&](long o, long i, const Partial& q) { at(o, i) = x[(o * len + q.a.id) * inner + i]; });
            reduce_all(kExpSum, p, x, y, [&](long o, long i, const Partial& q) {
                const float m = at(o, i);
                if (std::isfinite(m)) at(o, i) = static_cast<float>(m + std::log(q.s));
            });
            break;
        default: break;  // validated in Java
    }
    return CORTADO_STATUS_OK;
}
