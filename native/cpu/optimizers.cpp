// SGD with momentum (Caffe/Mocha form, optional Nesterov) and Adam, elementwise over parameters.
#include <cmath>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

CORTADO_CLONES void sgd_span(float lr, float mu, float wd, bool nesterov, float* w, const float* g, float* v, long n) {
    for (long i = 0; i < n; i++) {
        const float prev = v[i];
        const float next = mu * prev - lr * (g[i] + wd * w[i]);
        v[i] = next;
        w[i] += nesterov ? (1.0f + mu) * next - mu * prev : next;
    }
}

CORTADO_CLONES void adam_span(float lr, float b1, float b2, float eps, float wd, float c1, float c2,
                              float* w, const float* g, float* m, float* v, long n) {
    for (long i = 0; i < n; i++) {
        const float d = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * d;
        v[i] = b2 * v[i] + (1.0f - b2) * d * d;
        w[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
}

}  // namespace

CORTADO_KERNEL(sgd_momentum) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) {
        sgd_span(lr, momentum, weight_decay, nesterov, w + s, g + s, v + s, e - s);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(adam) {
    const float c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step)));
    const float c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step)));
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) {
        adam_span(lr, beta1, beta2, eps, weight_decay, c1, c2, w + s, g + s, m + s, v + s, e - s);
    });
    return CORTADO_STATUS_OK;
}
