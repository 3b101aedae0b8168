// Sigmoid, ReLU and tanh, forward and backward (backward from the saved output or input), one
// element per thread over a grid-stride loop. Each element is read before the element at the same
// index is written, so y may be x and dx may be y, x or dy (in place).
// The forwards compute in float with the accurate expf/tanhf (a few ulp, as the CPU engine); the
// backwards are products, computed in double and rounded once as the java reference does.
// NaN and infinities come out as in the reference: relu keeps NaN (Math.max), σ(±inf) = 1 or 0,
// tanh(±inf) = ±1.
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::first_index;
using cortado::cuda::grid_stride;

namespace {

__global__ void sigmoid_forward_kernel(int64_t n, const float* x, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float v = x[i];
        y[i] = 1.0f / (1.0f + expf(-v));
    }
}

__global__ void sigmoid_backward_kernel(int64_t n, const float* y, const float* dy, float* dx) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const double s = y[i], g = dy[i];
        dx[i] = static_cast<float>(g * s * (1.0 - s));
    }
}

__global__ void relu_forward_kernel(int64_t n, const float* x, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float v = x[i];
        y[i] = v > 0.0f ? v : (v != v ? v : 0.0f);  // NaN stays NaN; -0 and negatives give +0
    }
}

__global__ void relu_backward_kernel(int64_t n, const float* x, const float* dy, float* dx) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float v = x[i], g = dy[i];
        dx[i] = v > 0.0f ? g : 0.0f;
    }
}

__global__ void tanh_forward_kernel(int64_t n, const float* x, float* y) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const float v = x[i];
        y[i] = tanhf(v);
    }
}

__global__ void tanh_backward_kernel(int64_t n, const float* y, const float* dy, float* dx) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const double t = y[i], g = dy[i];
        dx[i] = static_cast<float>(g * (1.0 - t * t));
    }
}

}  // namespace

CORTADO_KERNEL(sigmoid_forward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, sigmoid_forward_kernel, grid_for(n), kThreads, 0, n, x, y);
}

CORTADO_KERNEL(sigmoid_backward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, sigmoid_backward_kernel, grid_for(n), kThreads, 0, n, y, dy, dx);
}

CORTADO_KERNEL(relu_forward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, relu_forward_kernel, grid_for(n), kThreads, 0, n, x, y);
}

CORTADO_KERNEL(relu_backward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, relu_backward_kernel, grid_for(n), kThreads, 0, n, x, dy, dx);
}

CORTADO_KERNEL(tanh_forward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, tanh_forward_kernel, grid_for(n), kThreads, 0, n, x, y);
}

CORTADO_KERNEL(tanh_backward) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, tanh_backward_kernel, grid_for(n), kThreads, 0, n, y, dy, dx);
}
