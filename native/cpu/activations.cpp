// Sigmoid, ReLU and tanh, forward and backward (backward from the saved output or input).
#include <cmath>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

CORTADO_CLONES void sigmoid_span(const float* x, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
CORTADO_CLONES void sigmoid_grad_span(const float* y, const float* dy, float* dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
CORTADO_CLONES void relu_span(const float* x, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = std::isnan(x[i]) ? x[i] : (x[i] > 0.0f ? x[i] : 0.0f);
}
CORTADO_CLONES void relu_grad_span(const float* x, const float* dy, float* dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
CORTADO_CLONES void tanh_span(const float* x, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = std::tanh(x[i]);
}
CORTADO_CLONES void tanh_grad_span(const float* y, const float* dy, float* dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

}  // namespace

CORTADO_KERNEL(sigmoid_forward) {
    cortado::parallel_range(n, CORTADO_GRAIN / 8, [&](long b, long e) { sigmoid_span(x + b, y + b, e - b); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(sigmoid_backward) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long b, long e) { sigmoid_grad_span(y + b, dy + b, dx + b, e - b); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(relu_forward) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long b, long e) { relu_span(x + b, y + b, e - b); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(relu_backward) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long b, long e) { relu_grad_span(x + b, dy + b, dx + b, e - b); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(tanh_forward) {
    cortado::parallel_range(n, CORTADO_GRAIN / 8, [&](long b, long e) { tanh_span(x + b, y + b, e - b); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(tanh_backward) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long b, long e) { tanh_grad_span(y + b, dy + b, dx + b, e - b); });
    return CORTADO_STATUS_OK;
}
