// unary and unary_backward: y = op(x) and dx = dy * op'(x), elementwise, with the ops' settings
// p1, p2 (dev.cortado.kernels.UnaryOp). Each op is one vectorised loop: e^x and ln x come from
// fast_math.h (no libm calls), sqrt from AVX-512 directly (libm's sets errno, which does not
// vectorise). The reference computes in double and rounds once; here an op is computed in float
// where that gives the same bits (a single correctly rounded operation) or stays within a few ulp
// without overflowing where double would not, and in double otherwise, with the reference's
// infinities and NaN. The plain arithmetic ops write a y too large to stay cached with streaming
// stores (stream.h).
// A vectorised loop ends in an epilogue whose length depends on where a thread's range ends: with
// contraction off (fast_math.h writes its FMAs out) every path computes the same operations, so
// the bits do not depend on the thread count (with contraction on, GELU's derivative differed by
// an ulp between 1 and 2 threads). No trapping math: so that fast_math.h's selects vectorise.
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 -Wall: inside its own AVX-512 intrinsics (sqrt8)
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "cortado_cpu.h"
#include "fast_math.h"
#include "math_ops.h"
#include "simd.h"
#include "stream.h"
#include "thread_pool.h"
#include "unary_rows.h"
#include "vec_math.h"

namespace {

constexpr double kGeluC = 0.7978845608028654;  // sqrt(2 / pi)

inline float to_float(double v) { return static_cast<float>(v); }

struct Exp {
    static float f(float x, float, float) { return cortado::exp_f(x); }
    static float d(float x, float dy, float, float) { return to_float(dy * cortado::exp_d(x)); }
};
struct Log {
    static float f(float x, float, float) { return cortado::log_f(x); }
    static float d(float x, float dy, float, float) { return dy / x; }
};
// sqrt and 1/sqrt, whose libm sqrt (errno on a negative) does not vectorise: fd and dd give them on
// 8 doubles (AVX-512), the same operations as f and d, so the same bits.
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
template <class V>
__attribute__((always_inline, target("avx512f"))) inline V sqrt8(const V& x) {
    return V(_mm512_sqrt_pd(__m512d(x)));
}
struct Sqrt {
    static constexpr bool kDoubleLanes = true;
    static float f(float x, float, float) { return std::sqrt(x); }
    static float d(float x, float dy, float, float) { return to_float(dy * 0.5 / std::sqrt(static_cast<double>(x))); }
    template <class V>
    __attribute__((always_inline, target("avx512f"))) static V fd(const V& x) { return sqrt8(x); }
    template <class V>
    __attribute__((always_inline, target("avx512f"))) static V dd(const V& x, const V& dy) { return dy * 0.5 / sqrt8(x); }
};
struct Rsqrt {
    static constexpr bool kDoubleLanes = true;
    static float f(float x, float, float) { return to_float(1.0 / std::sqrt(static_cast<double>(x))); }
    static float d(float x, float dy, float, float) {
        const double v = x;
        return to_float(dy * -0.5 / (v * std::sqrt(v)));
    }
    template <class V>
    __attribute__((always_inline, target("avx512f"))) static V fd(const V& x) { return 1.0 / sqrt8(x); }
    template <class V>
    __attribute__((always_inline, target("avx512f"))) static V dd(const V& x, const V& dy) { return dy * -0.5 / (x * sqrt8(x)); }
};
// fv: the op on 16 values (GCC vectors) for the streaming loop, where it is plain arithmetic (the
// same operations, so the same bits); kStreams marks those ops.
struct Abs {
    static constexpr bool kStreams = true;
    static float f(float x, float, float) { return std::fabs(x); }
    template <class V>
    __attribute__((always_inline)) static V fv(const V& x, float, float) {
        using Mask = decltype(x != x);
        return V(Mask(x) & 0x7fffffff);
    }
    static float d(float x, float dy, float, float) { return dy * (x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x); }  // signum
};
struct Neg {
    static constexpr bool kStreams = true;
    static float f(float x, float, float) { return -x; }
    template <class V>
    __attribute__((always_inline)) static V fv(const V& x, float, float) { return -x; }
    static float d(float, float dy, float, float) { return -dy; }
};
struct Square {
    static constexpr bool kStreams = true;
    static float f(float x, float, float) { return x * x; }
    template <class V>
    __attribute__((always_inline)) static V fv(const V& x, float, float) { return x * x; }
    static float d(float x, float dy, float, float) { return to_float(static_cast<double>(dy) * 2.0 * x); }
};
struct Clamp {
    static constexpr bool kStreams = true;
    static float f(float x, float lo, float hi) { return cortado::java_min(cortado::java_max(x, lo), hi); }
    template <class V>
    __attribute__((always_inline)) static V fv(const V& x, float lo, float hi) {
        return cortado::java_min(cortado::java_max(x, cortado::splat<V>(lo)), cortado::splat<V>(hi));
    }
    static float d(float x, float dy, float lo, float hi) { return x >= lo && x <= hi ? dy : 0.0f; }
};
// beta x > threshold, exactly (as the reference compares it, in double): beta x = p + e, with e the
// product's rounding error (exact by an FMA)
inline bool above(float beta, float x, float threshold) {
    const float p = beta * x, e = std::fma(beta, x, -p);
    return (p > threshold) | ((p == threshold) & (e > 0.0f));
}

// log(1 + e^(beta x)) / beta, x itself past the threshold, as max(z, 0) + log1p(e^-|z|) (no
// overflow), +inf where the reference's e^z overflows double
struct Softplus {
    static float f(float x, float beta, float threshold) {
        const float z = beta * x;
        const float tail = cortado::log1p_nonnegative(cortado::exp_f(-std::fabs(z)));
        const float v = ((z > 0.0f ? z : 0.0f) + tail) / beta;
        const float w = z > 709.78f ? __builtin_inff() : v;
        return above(beta, x, threshold) ? x : w;
    }
    static float d(float x, float dy, float beta, float threshold) {
        const float v = to_float(dy / (1.0 + cortado::exp_d(-(beta * x))));
        return above(beta, x, threshold) ? dy : v;
    }
};
struct LeakyRelu {
    static constexpr bool kStreams = true;
    static float f(float x, float slope, float) { return x > 0.0f ? x : slope * x; }
    template <class V>
    __attribute__((always_inline)) static V fv(const V& x, float slope, float) { return x > 0.0f ? x : slope * x; }
    static float d(float x, float dy, float slope, float) { return x > 0.0f ? dy : dy * slope; }
};
struct Elu {
    static float f(float x, float alpha, float) { return x > 0.0f ? x : to_float(alpha * cortado::expm1_nonpositive(x)); }
    static float d(float x, float dy, float alpha, float) {
        return x > 0.0f ? dy : to_float(static_cast<double>(dy) * alpha * cortado::exp_d(x));
    }
};
// GELU, tanh form: 0.5 x (1 + tanh u) = x s with s = 1 / (1 + e^-2u), and its derivative
// 0.5 (1 + t) + 0.5 x (1 - t^2) u' = s + 2 x s (1 - s) u', where the second term is 0 once s or
// 1 - s is (as it is in the reference, whose tanh reaches +-1), and NaN at infinite x (as 0 times
// an infinite u' is there).
struct Gelu {
    static float f(float x, float, float) {
        const float u = static_cast<float>(kGeluC) * (x + 0.044715f * x * x * x);
        return x / (1.0f + cortado::exp_f(-2.0f * u));
    }
    static float d(float x, float dy, float, float) {
        const float u = static_cast<float>(kGeluC) * (x + 0.044715f * x * x * x);
        const float e = cortado::exp_f(-2.0f * u), s = 1.0f / (1.0f + e);
        const float om = e == __builtin_inff() ? 1.0f : e * s;  // 1 - s
        const float du = static_cast<float>(kGeluC) * (1.0f + 3.0f * 0.044715f * x * x);
        const float t = 2.0f * x * s * om * du;
        const float term = s * om == 0.0f ? 0.0f : t;  // (one select: GCC did not vectorise two here)
        // the sum in double, s near 1 as 1 - om: dy times a derivative just above 1 overflows where
        // the reference's does (dy = +-FLT_MAX)
        const double sd = s > 0.5f ? 1.0 - static_cast<double>(om) : static_cast<double>(s);
        const float g = to_float(dy * (sd + term));
        return std::isinf(x) ? __builtin_nanf("") : g;
    }
};

// GELU, exact form: x Φ(x), Φ(x) = 1 - erfc(z)/2 for x > 0, erfc(-z)/2 otherwise, z = x/sqrt 2, with
// erfc(|z|) by Numerical Recipes' erfcc (Chebyshev fit, relative error below 1.2e-7 everywhere:
// t e^(-z² + P(t)), t = 1 / (1 + |z|/2)), in float; its derivative Φ(x) + x φ(x), φ(x) =
// e^(-x²/2)/sqrt(2 pi), NaN at infinite x (0 times infinity, as in the reference).
struct GeluErf {
    // erfc(|x| / sqrt 2)
    static float erfc_abs(float x) {
        const float z = std::fabs(x) * 0.70710678f, t = 1.0f / (1.0f + 0.5f * z);
        const float p =
            -1.26551223f +
            t * (1.00002368f +
                 t * (0.37409196f +
                      t * (0.09678418f +
                           t * (-0.18628806f +
                                t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
        return t * cortado::exp_f(-z * z + p);
    }
    static float f(float x, float, float) {
        const float e = erfc_abs(x);
        return x * (x > 0.0f ? 1.0f - 0.5f * e : 0.5f * e);
    }
    // the sum in double: a derivative just above 1 (Φ near 1) times dy = +-FLT_MAX overflows where
    // the reference's does
    static float d(float x, float dy, float, float) {
        const double e = erfc_abs(x), cdf = x > 0.0f ? 1.0 - 0.5 * e : 0.5 * e;
        const double g = cdf + static_cast<double>(x * (0.39894228f * cortado::exp_f(-0.5f * x * x)));
        return to_float(dy * g);
    }
};

// GELU (tanh form) 8 lanes at a time (vec_math.h): Gelu::f's and Gelu::d's formulas, with e^-2u
// clamped (exp8_in_range; s set to 0 past the clamp) instead of exp_f's special cases, which made
// the compiler's vectorisation of those 3-4x slower. The derivative's last steps are in float: dy times a derivative above 1
// overflows only for |dy| >= 2^127, and those lanes (rare: never in training) take Gelu::d, whose
// double sum overflows exactly where the reference's does. A tail of fewer than 8 goes through
// the same vector code (padded), so an element's bits do not depend on where a thread's range ends.
struct GeluAvx2 {
    static constexpr float kC = static_cast<float>(kGeluC);
    // z = -2u for u = c (x + 0.044715 x^3) (x2 = x^2), e = e^z with z clamped to [-88, 88], and
    // whether z > 88 (where the reference's 1 + tanh u is 0 in double: s = 1 / (1 + e) is then 0)
    __attribute__((target("avx2,fma"), always_inline)) static __m256 exp_minus_2u(__m256 x, __m256 x2, __m256& big) {
        const __m256 z = _mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.0f * kC * 0.044715f), _mm256_set1_ps(-2.0f * kC)));
        big = _mm256_cmp_ps(z, _mm256_set1_ps(88.0f), _CMP_GT_OQ);
        return cortado::avx2::exp8_in_range(_mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-88.0f), z)));
    }
    // x s, s = 1 / (1 + e^-2u); NaN for NaN x (through x), and for x = -inf (-inf times s = 0)
    __attribute__((target("avx2,fma"), always_inline)) static __m256 f(__m256 x) {
        __m256 big;
        const __m256 e = exp_minus_2u(x, _mm256_mul_ps(x, x), big);
        return _mm256_mul_ps(x, _mm256_andnot_ps(big, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e))));
    }
    __attribute__((target("avx2,fma"), always_inline)) static __m256 d(__m256 x, __m256 dy) {
        const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
        const __m256 x2 = _mm256_mul_ps(x, x);
        __m256 big;
        const __m256 e = exp_minus_2u(x, x2, big), s1 = _mm256_div_ps(one, _mm256_add_ps(one, e));
        const __m256 s = _mm256_andnot_ps(big, s1), om = _mm256_blendv_ps(_mm256_mul_ps(e, s1), one, big);  // s, 1 - s
        const __m256 du2 = _mm256_fmadd_ps(x2, _mm256_set1_ps(2.0f * kC * 3.0f * 0.044715f), _mm256_set1_ps(2.0f * kC));  // 2u'
        const __m256 som = _mm256_mul_ps(s, om);
        const __m256 t = _mm256_mul_ps(_mm256_mul_ps(x, som), du2);
        const __m256 term = _mm256_andnot_ps(_mm256_cmp_ps(som, zero, _CMP_EQ_OQ), t);  // 0 once s or 1 - s is
        const __m256 sd = _mm256_blendv_ps(s, _mm256_sub_ps(one, om), _mm256_cmp_ps(s, _mm256_set1_ps(0.5f), _CMP_GT_OQ));
        const __m256 g = _mm256_mul_ps(dy, _mm256_add_ps(sd, term));
        const __m256 inf = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(__builtin_inff()), _CMP_EQ_OQ);
        return _mm256_or_ps(g, _mm256_and_ps(inf, _mm256_set1_ps(__builtin_nanf(""))));  // NaN at infinite x
    }
    // the lanes whose |dy| >= 2^127 (infinities included), as a bit mask: computed by Gelu::d
    __attribute__((target("avx2,fma"), always_inline)) static int huge(__m256 dy) {
        return _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), dy), _mm256_set1_ps(0x1p127f), _CMP_GE_OQ));
    }
};

__attribute__((target("avx2,fma"))) void gelu_forward_avx2(const float* x, float* y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, GeluAvx2::f(_mm256_loadu_ps(x + i)));
    if (i < n) cortado::avx2::store_part(y + i, n - i, GeluAvx2::f(cortado::avx2::load_part(x + i, n - i, 0.0f)));
}

__attribute__((target("avx2,fma"))) void gelu_backward_avx2(const float* x, const float* dy, float* dx, long n) {
    auto block = [&](long i, __m256 xv, __m256 gv, long m) __attribute__((always_inline)) {
        __m256 r = GeluAvx2::d(xv, gv);
        if (__builtin_expect(GeluAvx2::huge(gv) != 0, 0)) {
            alignas(32) float xs[8], gs[8], rs[8];
            _mm256_store_ps(xs, xv);
            _mm256_store_ps(gs, gv);
            _mm256_store_ps(rs, r);
            const int mask = GeluAvx2::huge(gv);
            for (int l = 0; l < 8; l++)
                if (mask >> l & 1) rs[l] = Gelu::d(xs[l], gs[l], 0.0f, 0.0f);
            r = _mm256_load_ps(rs);
        }
        if (m == 8) _mm256_storeu_ps(dx + i, r);
        else cortado::avx2::store_part(dx + i, m, r);
    };
    long i = 0;
    for (; i + 8 <= n; i += 8) block(i, _mm256_loadu_ps(x + i), _mm256_loadu_ps(dy + i), 8);
    if (i < n) block(i, cortado::avx2::load_part(x + i, n - i, 0.0f), cortado::avx2::load_part(dy + i, n - i, 0.0f), n - i);
}

template <class Op>
CORTADO_CLONES void forward_span(const float* __restrict x, float* __restrict y, long n, float p1, float p2) {
    for (long i = 0; i < n; i++) y[i] = Op::f(x[i], p1, p2);
}
template <class Op>
CORTADO_CLONES void forward_in_place(float* y, long n, float p1, float p2) {
    for (long i = 0; i < n; i++) y[i] = Op::f(y[i], p1, p2);
}
template <class Op>
CORTADO_CLONES void backward_span(const float* __restrict x, const float* __restrict dy, float* __restrict dx, long n, float p1,
                                  float p2) {
    for (long i = 0; i < n; i++) dx[i] = Op::d(x[i], dy[i], p1, p2);
}
template <class Op>
CORTADO_CLONES void backward_in_place(const float* __restrict x, float* __restrict dx, long n, float p1, float p2) {
    for (long i = 0; i < n; i++) dx[i] = Op::d(x[i], dx[i], p1, p2);
}

// y = op(x) streamed (y may be x)
template <class Op>
__attribute__((target("avx512f"))) void forward_stream(const float* x, float* y, long n, float p1, float p2) {
    cortado::stream_run(y, n, [&](long i) __attribute__((always_inline)) { return Op::f(x[i], p1, p2); },
                        [&](long i) __attribute__((always_inline)) { return Op::template fv<cortado::v16>(cortado::load16(x + i), p1, p2); });
}

template <class Op, class = void>
struct Streams : std::false_type {};
template <class Op>
struct Streams<Op, std::enable_if_t<Op::kStreams>> : std::true_type {};

template <class Op, class = void>
struct DoubleLanes : std::false_type {};
template <class Op>
struct DoubleLanes<Op, std::enable_if_t<Op::kDoubleLanes>> : std::true_type {};

// y = op(x) and dx = dy op'(x) 8 at a time in double (y may be x, dx may be dy), the tail by f, d.
template <class Op>
__attribute__((target("avx512f"))) void forward_double_lanes(const float* x, float* y, long n, float p1, float p2) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f v;
        std::memcpy(&v, x + i, sizeof v);
        const v8f r = __builtin_convertvector(Op::template fd<v8d>(__builtin_convertvector(v, v8d)), v8f);
        std::memcpy(y + i, &r, sizeof r);
    }
    for (; i < n; i++) y[i] = Op::f(x[i], p1, p2);
}
template <class Op>
__attribute__((target("avx512f"))) void backward_double_lanes(const float* x, const float* dy, float* dx, long n, float p1, float p2) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f v, g;
        std::memcpy(&v, x + i, sizeof v);
        std::memcpy(&g, dy + i, sizeof g);
        const v8f r = __builtin_convertvector(
            Op::template dd<v8d>(__builtin_convertvector(v, v8d), __builtin_convertvector(g, v8d)), v8f);
        std::memcpy(dx + i, &r, sizeof r);
    }
    for (; i < n; i++) dx[i] = Op::d(x[i], dy[i], p1, p2);
}

// Ops with exp, log or a division in double get their threads past fewer elements.
template <class Op>
constexpr long grain() {
    return std::is_same<Op, Abs>::value || std::is_same<Op, Neg>::value || std::is_same<Op, Square>::value ||
                   std::is_same<Op, Clamp>::value || std::is_same<Op, LeakyRelu>::value
               ? CORTADO_GRAIN
               : std::is_same<Op, Gelu>::value ? CORTADO_GRAIN / 4 : CORTADO_GRAIN / 8;
}

// y = op(x) over one thread's span (y may be x), by the CPU's vector path for the op where it has one.
template <class Op>
void forward_span_best(const float* x, float* y, long n, float p1, float p2) {
    if constexpr (std::is_same<Op, Gelu>::value) {
        if (cortado_isa() >= 1) return gelu_forward_avx2(x, y, n);
    }
    if constexpr (DoubleLanes<Op>::value) {
        if (cortado_isa() >= 2) return forward_double_lanes<Op>(x, y, n, p1, p2);
    }
    if (x == y) forward_in_place<Op>(y, n, p1, p2);
    else forward_span<Op>(x, y, n, p1, p2);
}

template <class Op>
void forward(long n, float p1, float p2, const float* x, float* y) {
    if constexpr (Streams<Op>::value) {
        if (cortado::streams(n * static_cast<long>(sizeof(float)))) {
            cortado::parallel_range(n, grain<Op>(), [&](long b, long e) {
                forward_stream<Op>(x + b, y + b, e - b, p1, p2);
                cortado::stream_fence();
            });
            return;
        }
    }
    cortado::parallel_range(n, grain<Op>(), [&](long b, long e) { forward_span_best<Op>(x + b, y + b, e - b, p1, p2); });
}

template <class Op>
void backward(long n, float p1, float p2, const float* x, const float* dy, float* dx) {
    if constexpr (std::is_same<Op, Gelu>::value) {
        if (cortado_isa() >= 1) {
            cortado::parallel_range(n, CORTADO_GRAIN / 4, [&](long b, long e) { gelu_backward_avx2(x + b, dy + b, dx + b, e - b); });
            return;
        }
    }
    if constexpr (DoubleLanes<Op>::value) {
        if (cortado_isa() >= 2) {
            cortado::parallel_range(n, grain<Op>(), [&](long b, long e) {
                backward_double_lanes<Op>(x + b, dy + b, dx + b, e - b, p1, p2);
            });
            return;
        }
    }
    cortado::parallel_range(n, grain<Op>(), [&](long b, long e) {
        if (dy == dx) backward_in_place<Op>(x + b, dx + b, e - b, p1, p2);
        else backward_span<Op>(x + b, dy + b, dx + b, e - b, p1, p2);
    });
}

// Calls F<Op>() for the op with code `op`.
template <template <class> class F, class... Args>
void dispatch(int op, Args... args) {
    switch (op) {
        case CORTADO_UNARY_EXP: return F<Exp>::run(args...);
        case CORTADO_UNARY_LOG: return F<Log>::run(args...);
        case CORTADO_UNARY_SQRT: return F<Sqrt>::run(args...);
        case CORTADO_UNARY_RSQRT: return F<Rsqrt>::run(args...);
        case CORTADO_UNARY_ABS: return F<Abs>::run(args...);
        case CORTADO_UNARY_NEG: return F<Neg>::run(args...);
        case CORTADO_UNARY_SQUARE: return F<Square>::run(args...);
        case CORTADO_UNARY_CLAMP: return F<Clamp>::run(args...);
        case CORTADO_UNARY_SOFTPLUS: return F<Softplus>::run(args...);
        case CORTADO_UNARY_LEAKY_RELU: return F<LeakyRelu>::run(args...);
        case CORTADO_UNARY_ELU: return F<Elu>::run(args...);
        case CORTADO_UNARY_GELU: return F<Gelu>::run(args...);
        case CORTADO_UNARY_GELU_ERF: return F<GeluErf>::run(args...);
        default: return;  // validated in Java
    }
}

template <class Op>
struct Forward {
    static void run(long n, float p1, float p2, const float* x, float* y) { forward<Op>(n, p1, p2, x, y); }
};
template <class Op>
struct Rows {
    static void run(float p1, float p2, float* c, long ld, int rows, int cols) {
        for (int r = 0; r < rows; r++) forward_span_best<Op>(c + r * ld, c + r * ld, cols, p1, p2);
    }
};
template <class Op>
struct Backward {
    static void run(long n, float p1, float p2, const float* x, const float* dy, float* dx) { backward<Op>(n, p1, p2, x, dy, dx); }
};

}  // namespace

CORTADO_KERNEL(unary) {
    dispatch<Forward>(op, static_cast<long>(n), p1, p2, x, y);
    return CORTADO_STATUS_OK;
}

void cortado::unary_rows(int op, float p1, float p2, float* c, long ld, int rows, int cols) {
    dispatch<Rows>(op, p1, p2, c, ld, rows, cols);
}

CORTADO_KERNEL(unary_backward) {
    dispatch<Backward>(op, static_cast<long>(n), p1, p2, x, dy, dx);
    return CORTADO_STATUS_OK;
}
