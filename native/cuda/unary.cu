// unary and unary_backward: y = op(x) and dx = dy * op'(x) elementwise, with the ops' settings
// p1, p2 (dev.cortado.kernels.UnaryOp), one kernel per op over a grid-stride loop. Each element is
// read before the element at the same index is written, so y may be x and dx may be dy (in place).
//
// The reference computes in double and rounds once. Here an op is computed in float where a single
// correctly rounded float operation gives that same result (abs, neg, x·x, clamp, leaky ReLU,
// selects), and otherwise in double as the reference writes it, in its order of operations, with
// CUDA's double exp/log/log1p/expm1/tanh/sqrt (within an ulp or two of double): the reference's
// bits where it is checked bit for bit (sqrt, and the derivatives of log, sqrt, rsqrt, square:
// IEEE double division and square root), its infinities and NaN everywhere.
#include "cortado_cuda.h"
#include "grid.h"
#include "unary.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;

namespace {

constexpr double kGeluC = 0.7978845608028654;  // Math.sqrt(2 / Math.PI)

// Java's Math.max / Math.min: NaN if either is NaN, +0 above -0.
__device__ __forceinline__ float java_max(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a > b) return a;
    if (b > a) return b;
    return a == 0.0f ? a + b : a;  // equal zeros: +0 unless both are -0
}

__device__ __forceinline__ float java_min(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a < b) return a;
    if (b < a) return b;
    return a == 0.0f ? -((-a) + (-b)) : a;  // equal zeros: -0 if either is -0
}

__device__ __forceinline__ float to_float(double v) { return static_cast<float>(v); }

constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)

// Φ(x) = erfc(-x / sqrt 2) / 2, the standard normal distribution function (GELU_ERF): erfc keeps
// the lower tail's relative accuracy.
__device__ __forceinline__ double normal_cdf(double x) { return 0.5 * erfc(-x * 0.7071067811865476); }

template <int Op>
__device__ __forceinline__ float forward(float xf, float p1, float p2) {
    const double x = xf;
    switch (Op) {
        case CORTADO_UNARY_EXP: return to_float(exp(x));
        case CORTADO_UNARY_LOG: return to_float(log(x));
        case CORTADO_UNARY_SQRT: return to_float(sqrt(x));
        case CORTADO_UNARY_RSQRT: return to_float(1.0 / sqrt(x));
        case CORTADO_UNARY_ABS: return fabsf(xf);
        case CORTADO_UNARY_NEG: return -xf;
        case CORTADO_UNARY_SQUARE: return xf * xf;  // the exact double product rounded once
        case CORTADO_UNARY_CLAMP: return java_min(java_max(xf, p1), p2);
        case CORTADO_UNARY_SOFTPLUS: {
            const double z = static_cast<double>(p1) * x;  // exact
            return z > static_cast<double>(p2) ? xf : to_float(log1p(exp(z)) / static_cast<double>(p1));
        }
        case CORTADO_UNARY_LEAKY_RELU: return xf > 0.0f ? xf : p1 * xf;
        case CORTADO_UNARY_ELU: return xf > 0.0f ? xf : to_float(static_cast<double>(p1) * expm1(x));
        case CORTADO_UNARY_GELU_ERF: return to_float(x * normal_cdf(x));
        default: {  // GELU
            const double u = kGeluC * (x + 0.044715 * x * x * x);
            return to_float(0.5 * x * (1.0 + tanh(u)));
        }
    }
}

template <int Op>
__device__ __forceinline__ float backward(float xf, float dyf, float p1, float p2) {
    const double x = xf, dy = dyf;
    switch (Op) {
        case CORTADO_UNARY_EXP: return to_float(dy * exp(x));
        case CORTADO_UNARY_LOG: return to_float(dy / x);
        case CORTADO_UNARY_SQRT: return to_float(dy * 0.5 / sqrt(x));
        case CORTADO_UNARY_RSQRT: return to_float(dy * -0.5 / (x * sqrt(x)));
        case CORTADO_UNARY_ABS: return dyf * (xf > 0.0f ? 1.0f : xf < 0.0f ? -1.0f : xf);  // signum: +-0 and NaN stay
        case CORTADO_UNARY_NEG: return -dyf;
        case CORTADO_UNARY_SQUARE: return to_float(dy * 2.0 * x);
        case CORTADO_UNARY_CLAMP: return xf >= p1 && xf <= p2 ? dyf : 0.0f;
        case CORTADO_UNARY_SOFTPLUS: {
            const double z = static_cast<double>(p1) * x;
            return z > static_cast<double>(p2) ? dyf : to_float(dy / (1.0 + exp(-static_cast<double>(p1) * x)));
        }
        case CORTADO_UNARY_LEAKY_RELU: return xf > 0.0f ? dyf : dyf * p1;
        case CORTADO_UNARY_ELU: return xf > 0.0f ? dyf : to_float(dy * static_cast<double>(p1) * exp(x));
        case CORTADO_UNARY_GELU_ERF: return to_float(dy * (normal_cdf(x) + x * exp(-0.5 * x * x) * kInvSqrt2Pi));
        default: {  // GELU
            const double u = kGeluC * (x + 0.044715 * x * x * x), t = tanh(u);
            const double du = kGeluC * (1.0 + 3.0 * 0.044715 * x * x);
            return to_float(dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du));
        }
    }
}

template <int Op>
__global__ void unary_kernel(int64_t n, float p1, float p2, const float* x, float* y) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        y[i] = forward<Op>(x[i], p1, p2);
    }
}

template <int Op>
__global__ void unary_backward_kernel(int64_t n, float p1, float p2, const float* x, const float* dy, float* dx) {
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        dx[i] = backward<Op>(x[i], dy[i], p1, p2);
    }
}

// The forward in place on rows x cols of a matrix with leading dimension ld (unary.h).
template <int Op>
__global__ void unary_rows_kernel(int rows, int cols, int64_t ld, float p1, float p2, float* c) {
    cortado::cuda::for_each_in_matrix(rows, cols, ld, [&](int64_t at) { c[at] = forward<Op>(c[at], p1, p2); });
}

template <int Op>
int run_rows(const cortado_context* ctx, float p1, float p2, float* c, int64_t ld, int rows, int cols) {
    return CORTADO_LAUNCH(ctx, unary_rows_kernel<Op>, grid_for(static_cast<int64_t>(rows) * cols), kThreads, 0, rows, cols, ld, p1, p2,
                          c);
}

template <int Op>
int run_forward(const cortado_context* ctx, int64_t n, float p1, float p2, const float* x, float* y) {
    return CORTADO_LAUNCH(ctx, unary_kernel<Op>, grid_for(n), kThreads, 0, n, p1, p2, x, y);
}

template <int Op>
int run_backward(const cortado_context* ctx, int64_t n, float p1, float p2, const float* x, const float* dy, float* dx) {
    return CORTADO_LAUNCH(ctx, unary_backward_kernel<Op>, grid_for(n), kThreads, 0, n, p1, p2, x, dy, dx);
}

}  // namespace

#define CORTADO_UNARY_CASES(CALL)                                  \
    switch (op) {                                                  \
        case CORTADO_UNARY_EXP: return CALL(CORTADO_UNARY_EXP);     \
        case CORTADO_UNARY_LOG: return CALL(CORTADO_UNARY_LOG);     \
        case CORTADO_UNARY_SQRT: return CALL(CORTADO_UNARY_SQRT);   \
        case CORTADO_UNARY_RSQRT: return CALL(CORTADO_UNARY_RSQRT); \
        case CORTADO_UNARY_ABS: return CALL(CORTADO_UNARY_ABS);     \
        case CORTADO_UNARY_NEG: return CALL(CORTADO_UNARY_NEG);     \
        case CORTADO_UNARY_SQUARE: return CALL(CORTADO_UNARY_SQUARE); \
        case CORTADO_UNARY_CLAMP: return CALL(CORTADO_UNARY_CLAMP); \
        case CORTADO_UNARY_SOFTPLUS: return CALL(CORTADO_UNARY_SOFTPLUS); \
        case CORTADO_UNARY_LEAKY_RELU: return CALL(CORTADO_UNARY_LEAKY_RELU); \
        case CORTADO_UNARY_ELU: return CALL(CORTADO_UNARY_ELU);     \
        case CORTADO_UNARY_GELU: return CALL(CORTADO_UNARY_GELU);   \
        case CORTADO_UNARY_GELU_ERF: return CALL(CORTADO_UNARY_GELU_ERF); \
        default: return CORTADO_STATUS_OK; /* validated in Java */ \
    }

CORTADO_KERNEL(unary) {
    if (n <= 0) return CORTADO_STATUS_OK;
#define CALL(OP) run_forward<OP>(ctx, n, p1, p2, x, y)
    CORTADO_UNARY_CASES(CALL)
#undef CALL
}

int cortado::cuda::unary_rows_launch(const cortado_context* ctx, int op, float p1, float p2, float* c, int64_t ld, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return CORTADO_STATUS_OK;
#define CALL(OP) run_rows<OP>(ctx, p1, p2, c, ld, rows, cols)
    CORTADO_UNARY_CASES(CALL)
#undef CALL
}

CORTADO_KERNEL(unary_backward) {
    if (n <= 0) return CORTADO_STATUS_OK;
#define CALL(OP) run_backward<OP>(ctx, n, p1, p2, x, dy, dx)
    CORTADO_UNARY_CASES(CALL)
#undef CALL
}
