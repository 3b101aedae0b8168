// binary: y = op(a, b) over a broadcast shape, y contiguous, a and b strided (stride 0 on a
// broadcast axis). The axes are merged where a, b and y all allow; then each run along the
// innermost axis is one vectorised loop, by the strides of a and b there: both 1, one of them 0
// (one scalar per run: a bias, a per-channel scale), or general. Threads split y into ranges. A
// y too large to stay cached is written with streaming stores (stream.h).
// ADD, SUB, MUL, DIV and the comparisons give the reference's bits (a float op is correctly
// rounded, as is the double op rounded once); MAX and MIN follow Java's Math.max/min; POW is
// C's pow in double, rounded once.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "cortado_cpu.h"
#include "math_ops.h"
#include "simd.h"
#include "stream.h"
#include "strided.h"
#include "thread_pool.h"

namespace {

using Space = cortado::Space<2>;  // operand 0: a, 1: b

// Each op on one pair (f) and, where it is plain arithmetic, on 16 pairs (fv, for the streaming
// loops): the same operations, so the same bits.
#define CORTADO_VECTOR(expr) \
    template <class V>       \
    __attribute__((always_inline)) static V fv(const V& a, const V& b) { return expr; }

struct Add { static float f(float a, float b) { return a + b; } CORTADO_VECTOR(a + b) };
struct Sub { static float f(float a, float b) { return a - b; } CORTADO_VECTOR(a - b) };
struct Mul { static float f(float a, float b) { return a * b; } CORTADO_VECTOR(a * b) };
struct Div { static float f(float a, float b) { return a / b; } CORTADO_VECTOR(a / b) };
struct Pow {  // (libm per element: never streamed)
    static float f(float a, float b) { return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b))); }
    CORTADO_VECTOR(a)
};
struct Max { static float f(float a, float b) { return cortado::java_max(a, b); } CORTADO_VECTOR(cortado::java_max(a, b)) };
struct Min { static float f(float a, float b) { return cortado::java_min(a, b); } CORTADO_VECTOR(cortado::java_min(a, b)) };
struct Eq { static float f(float a, float b) { return a == b ? 1.0f : 0.0f; } CORTADO_VECTOR(a == b ? cortado::splat<V>(1.0f) : V{}) };
struct Ne { static float f(float a, float b) { return a != b ? 1.0f : 0.0f; } CORTADO_VECTOR(a != b ? cortado::splat<V>(1.0f) : V{}) };
struct Lt { static float f(float a, float b) { return a < b ? 1.0f : 0.0f; } CORTADO_VECTOR(a < b ? cortado::splat<V>(1.0f) : V{}) };
struct Le { static float f(float a, float b) { return a <= b ? 1.0f : 0.0f; } CORTADO_VECTOR(a <= b ? cortado::splat<V>(1.0f) : V{}) };
struct Gt { static float f(float a, float b) { return a > b ? 1.0f : 0.0f; } CORTADO_VECTOR(a > b ? cortado::splat<V>(1.0f) : V{}) };
struct Ge { static float f(float a, float b) { return a >= b ? 1.0f : 0.0f; } CORTADO_VECTOR(a >= b ? cortado::splat<V>(1.0f) : V{}) };
#undef CORTADO_VECTOR

// One run of n with a and b at strides sa, sb (0 or 1), streamed into y.
template <class Op>
__attribute__((target("avx512f"))) void stream_run(const float* a, long sa, const float* b, long sb, float* y, long n) {
    using cortado::load16;
    using cortado::v16;
    if (sa == 1 && sb == 1) {
        cortado::stream_run(y, n, [&](long i) __attribute__((always_inline)) { return Op::f(a[i], b[i]); },
                            [&](long i) __attribute__((always_inline)) { return Op::template fv<v16>(load16(a + i), load16(b + i)); });
    } else if (sa == 1) {
        const float vb = *b;
        const v16 b16 = cortado::splat<v16>(vb);
        cortado::stream_run(y, n, [&](long i) __attribute__((always_inline)) { return Op::f(a[i], vb); },
                            [&](long i) __attribute__((always_inline)) { return Op::template fv<v16>(load16(a + i), b16); });
    } else {
        const float va = *a;
        const v16 a16 = cortado::splat<v16>(va);
        cortado::stream_run(y, n, [&](long i) __attribute__((always_inline)) { return Op::f(va, b[i]); },
                            [&](long i) __attribute__((always_inline)) { return Op::template fv<v16>(a16, load16(b + i)); });
    }
}

// Elements [e0, e1) of y; runs with a or b at stride 1 (the other at 1 or 0) streamed when `stream`.
template <class Op>
CORTADO_CLONES void binary_range(const Space& sp, const float* a, const float* b, float* y, long e0, long e1, bool stream) {
    const int r = sp.rank;
    const long n = sp.shape[r - 1], sa = sp.stride[0][r - 1], sb = sp.stride[1][r - 1];
    stream = stream && (sa | sb) == 1;  // strides in {0, 1}, not both 0
    cortado::Walker<2> w(sp, r - 1, e0 / n);
    for (long e = e0, i = e0 % n; e < e1; w.next(), i = 0) {
        const long len = std::min(n - i, e1 - e);
        const float* __restrict pa = a + w.off[0] + i * sa;
        const float* __restrict pb = b + w.off[1] + i * sb;
        float* __restrict py = y + e;
        if (stream) {
            stream_run<Op>(pa, sa, pb, sb, py, len);
        } else if (sa == 1 && sb == 1) {
            for (long t = 0; t < len; t++) py[t] = Op::f(pa[t], pb[t]);
        } else if (sa == 1 && sb == 0) {
            const float vb = *pb;
            for (long t = 0; t < len; t++) py[t] = Op::f(pa[t], vb);
        } else if (sa == 0 && sb == 1) {
            const float va = *pa;
            for (long t = 0; t < len; t++) py[t] = Op::f(va, pb[t]);
        } else {
            for (long t = 0; t < len; t++) py[t] = Op::f(pa[t * sa], pb[t * sb]);
        }
        e += len;
    }
    if (stream) cortado::stream_fence();
}

template <class Op>
void run(const Space& sp, long total, const float* a, const float* b, float* y, long grain = CORTADO_GRAIN) {
    const bool stream = !std::is_same<Op, Pow>::value && cortado::streams(total * static_cast<long>(sizeof(float)));
    cortado::parallel_range(total, grain, [&](long e0, long e1) { binary_range<Op>(sp, a, b, y, e0, e1, stream); });
}

}  // namespace

CORTADO_KERNEL(binary) {
    Space sp = cortado::space_of(rank, shape, a_strides, b_strides);
    const long total = sp.simplify();  // y is contiguous: it merges wherever a and b do
    if (total == 0) return CORTADO_STATUS_OK;
    switch (op) {
        case CORTADO_BINARY_ADD: run<Add>(sp, total, a, b, y); break;
        case CORTADO_BINARY_SUB: run<Sub>(sp, total, a, b, y); break;
        case CORTADO_BINARY_MUL: run<Mul>(sp, total, a, b, y); break;
        case CORTADO_BINARY_DIV: run<Div>(sp, total, a, b, y); break;
        case CORTADO_BINARY_POW: run<Pow>(sp, total, a, b, y, CORTADO_GRAIN / 16); break;
        case CORTADO_BINARY_MAX: run<Max>(sp, total, a, b, y); break;
        case CORTADO_BINARY_MIN: run<Min>(sp, total, a, b, y); break;
        case CORTADO_BINARY_EQ: run<Eq>(sp, total, a, b, y); break;
        case CORTADO_BINARY_NE: run<Ne>(sp, total, a, b, y); break;
        case CORTADO_BINARY_LT: run<Lt>(sp, total, a, b, y); break;
        case CORTADO_BINARY_LE: run<Le>(sp, total, a, b, y); break;
        case CORTADO_BINARY_GT: run<Gt>(sp, total, a, b, y); break;
        case CORTADO_BINARY_GE: run<Ge>(sp, total, a, b, y); break;
        default: break;  // validated in Java
    }
    return CORTADO_STATUS_OK;
}
