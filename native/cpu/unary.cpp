// unary and unary_backward: y = op(x) and dx = dy * op'(x), elementwise, with the ops' settings
// p1, p2 (dev.cortado.kernels.UnaryOp). Each op is one vectorised loop where its formula allows.
// The reference computes in double and rounds once; here an op is computed in float where that
// gives the same bits (a single correctly rounded operation) or stays within a few ulp without
// overflowing where double would not, and in double otherwise. The plain arithmetic ops write a
// y too large to stay cached with streaming stores (stream.h).
#include <cmath>
#include <type_traits>

#include "cortado_cpu.h"
#include "math_ops.h"
#include "simd.h"
#include "stream.h"
#include "thread_pool.h"

namespace {

constexpr double kGeluC = 0.7978845608028654;  // sqrt(2 / pi)

inline float to_float(double v) { return static_cast<float>(v); }

struct Exp {
    static float f(float x, float, float) { return std::exp(x); }
    static float d(float x, float dy, float, float) { return to_float(dy * std::exp(static_cast<double>(x))); }
};
struct Log {
    static float f(float x, float, float) { return std::log(x); }
    static float d(float x, float dy, float, float) { return dy / x; }
};
struct Sqrt {
    static float f(float x, float, float) { return std::sqrt(x); }
    static float d(float x, float dy, float, float) { return to_float(dy * 0.5 / std::sqrt(static_cast<double>(x))); }
};
struct Rsqrt {
    static float f(float x, float, float) { return to_float(1.0 / std::sqrt(static_cast<double>(x))); }
    static float d(float x, float dy, float, float) {
        const double v = x;
        return to_float(dy * -0.5 / (v * std::sqrt(v)));
    }
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
// log(1 + e^(beta x)) / beta, x itself past the threshold (beta x compared in double, as exactly
// as the reference)
struct Softplus {
    static float f(float x, float beta, float threshold) {
        const double z = static_cast<double>(beta) * x;
        return z > threshold ? x : to_float(std::log1p(std::exp(z)) / beta);
    }
    static float d(float x, float dy, float beta, float threshold) {
        const double z = static_cast<double>(beta) * x;
        return z > threshold ? dy : to_float(dy / (1.0 + std::exp(-z)));
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
    static float f(float x, float alpha, float) { return x > 0.0f ? x : to_float(alpha * std::expm1(static_cast<double>(x))); }
    static float d(float x, float dy, float alpha, float) {
        return x > 0.0f ? dy : to_float(static_cast<double>(dy) * alpha * std::exp(static_cast<double>(x)));
    }
};
struct Gelu {
    static float f(float xf, float, float) {
        const double x = xf;
        return to_float(0.5 * x * (1.0 + std::tanh(kGeluC * (x + 0.044715 * x * x * x))));
    }
    static float d(float xf, float dyf, float, float) {
        const double x = xf, u = kGeluC * (x + 0.044715 * x * x * x), t = std::tanh(u);
        const double du = kGeluC * (1.0 + 3.0 * 0.044715 * x * x);
        return to_float(dyf * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du));
    }
};

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

// Ops that call into libm per element get their threads past fewer elements.
template <class Op>
constexpr long grain() {
    return std::is_same<Op, Abs>::value || std::is_same<Op, Neg>::value || std::is_same<Op, Square>::value ||
                   std::is_same<Op, Clamp>::value || std::is_same<Op, LeakyRelu>::value
               ? CORTADO_GRAIN
               : CORTADO_GRAIN / 8;
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
    cortado::parallel_range(n, grain<Op>(), [&](long b, long e) {
        if (x == y) forward_in_place<Op>(y + b, e - b, p1, p2);
        else forward_span<Op>(x + b, y + b, e - b, p1, p2);
    });
}

template <class Op>
void backward(long n, float p1, float p2, const float* x, const float* dy, float* dx) {
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
        default: return;  // validated in Java
    }
}

template <class Op>
struct Forward {
    static void run(long n, float p1, float p2, const float* x, float* y) { forward<Op>(n, p1, p2, x, y); }
};
template <class Op>
struct Backward {
    static void run(long n, float p1, float p2, const float* x, const float* dy, float* dx) { backward<Op>(n, p1, p2, x, dy, dx); }
};

}  // namespace

void cortado_unary(int op, int64_t n, float p1, float p2, const float* x, float* y) {
    dispatch<Forward>(op, static_cast<long>(n), p1, p2, x, y);
}

void cortado_unary_backward(int op, int64_t n, float p1, float p2, const float* x, const float* dy, float* dx) {
    dispatch<Backward>(op, static_cast<long>(n), p1, p2, x, dy, dx);
}
