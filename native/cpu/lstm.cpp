// The fused LSTM cell, forward and backward (KernelSet.lstmCellForward / lstmCellBackward): one
// pass over the batch rows, each row one loop over its hidden units that the compiler vectorises
// (a clone per ISA), the rows split over the pool. The gates' four blocks i, f, g, o sit hidden
// floats apart in a row of 4·hidden. Computed in float with fast_math.h's e^x (about 1 ulp):
//   σ(x) = 1 / (1 + e^-x);
//   tanh x = -m / (2 + m) with m = e - 1, e = e^(-2|x|) (m by the reduced polynomial near 0, so
//   no cancellation), the sign of x put back; and 1 - tanh² x = 4 e / (1 + e)², so that the
//   backward's 1 - t² keeps its relative accuracy where t nears ±1 (1 - t·t in float does not).
// The reference computes in double and rounds once: results agree to a few ulp relative to their
// magnitude. Infinities and NaN come out as in the reference (σ(±inf) = 1 or 0, tanh(±inf) = ±1,
// 0·inf = NaN), except where a value the reference keeps (a σ below about e^-88, 1 - t² for |c|
// above about 19, where double's tanh is already ±1) meets an infinite factor: then float's 0 and
// double's tiny value (or the other way round) give NaN against ±inf.
// A row is always computed by one thread, by the same code path (its vector body and epilogue
// depend on hidden only), so the bits do not depend on the thread count; contraction is off so
// that the body and the epilogue compute alike. No trapping math: so that the selects vectorise.
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#include <algorithm>
#include <cmath>

#include "cortado_cpu.h"
#include "fast_math.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + cortado::exp_f(-x)); }

// e = e^(-2|x|) and m = e - 1, m accurate near 0: the reduced polynomial where -2|x| lies within
// ln2 / 2. (m alone does not give e: far out, 1 + m is 0 where e is not.)
inline float exp_neg2abs(float x, float& m) {
    const float r = -2.0f * std::fabs(x);
    const float e = cortado::exp_f(r), near = cortado::expm1_reduced(r);
    m = r > -0.34657359f ? near : e - 1.0f;  // (NaN takes e - 1, NaN)
    return e;
}

inline float tanh_from(float x, float m) { return std::copysign(-m / (2.0f + m), x); }

inline float tanh_f(float x) {
    float m;
    exp_neg2abs(x, m);
    return tanh_from(x, m);
}

// 1 - tanh² x = 4 e / (1 + e)² from e = e^(-2|x|)
inline float sech2_from(float e) {
    const float d = 1.0f + e;
    return 4.0f * e / (d * d);
}

CORTADO_CLONES void forward_row(const float* __restrict gates, const float* __restrict c_prev, float* __restrict act,
                                float* __restrict c, float* __restrict h, long hidden) {
    const float* gi = gates;
    const float* gf = gates + hidden;
    const float* gg = gates + 2 * hidden;
    const float* go = gates + 3 * hidden;
    float* ai = act;
    float* af = act + hidden;
    float* ag = act + 2 * hidden;
    float* ao = act + 3 * hidden;
    for (long j = 0; j < hidden; j++) {
        const float i = sigmoid(gi[j]), f = sigmoid(gf[j]), g = tanh_f(gg[j]), o = sigmoid(go[j]);
        ai[j] = i;
        af[j] = f;
        ag[j] = g;
        ao[j] = o;
        const float cn = f * c_prev[j] + i * g;
        c[j] = cn;
        h[j] = o * tanh_f(cn);
    }
}

CORTADO_CLONES void backward_row(const float* __restrict act, const float* __restrict c_prev, const float* __restrict c,
                                 const float* __restrict dh, const float* __restrict dc, float* __restrict d_gates,
                                 float* __restrict dc_prev, long hidden) {
    const float* ai = act;
    const float* af = act + hidden;
    const float* ag = act + 2 * hidden;
    const float* ao = act + 3 * hidden;
    float* di = d_gates;
    float* df = d_gates + hidden;
    float* dg = d_gates + 2 * hidden;
    float* d_o = d_gates + 3 * hidden;
    for (long j = 0; j < hidden; j++) {
        const float i = ai[j], f = af[j], g = ag[j], o = ao[j];
        float m;
        const float e = exp_neg2abs(c[j], m);
        const float t = tanh_from(c[j], m), sech2 = sech2_from(e);
        const float dcTotal = dc[j] + dh[j] * o * sech2;
        di[j] = dcTotal * g * (i * (1.0f - i));
        df[j] = dcTotal * c_prev[j] * (f * (1.0f - f));
        dg[j] = dcTotal * i * ((1.0f - g) * (1.0f + g));
        d_o[j] = dh[j] * t * (o * (1.0f - o));
        dc_prev[j] = dcTotal * f;
    }
}

// Rows per thread: past about CORTADO_GRAIN / 8 units each (exp-heavy work, as unary.cpp's).
long row_grain(long hidden) { return std::max(1L, (CORTADO_GRAIN / 8) / std::max(1L, hidden)); }

}  // namespace

CORTADO_KERNEL(lstm_cell_forward) {
    const long H = hidden;
    if (batch <= 0 || H <= 0) return CORTADO_STATUS_OK;
    cortado::parallel_range(batch, row_grain(H), [&](long b, long e) {
        for (long r = b; r < e; r++) {
            forward_row(gates + r * 4 * H, c_prev + r * H, act + r * 4 * H, c + r * H, h + r * H, H);
        }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(lstm_cell_backward) {
    const long H = hidden;
    if (batch <= 0 || H <= 0) return CORTADO_STATUS_OK;
    cortado::parallel_range(batch, row_grain(H), [&](long b, long e) {
        for (long r = b; r < e; r++) {
            backward_row(act + r * 4 * H, c_prev + r * H, c + r * H, dh + r * H, dc + r * H, d_gates + r * 4 * H, dc_prev + r * H, H);
        }
    });
    return CORTADO_STATUS_OK;
}
