// SGD with momentum (Caffe/Mocha form, optional Nesterov) and Adam, one parameter per thread over a
// grid-stride loop. As the java reference: every update in double from the float operands,
// rounded to float once when stored; Adam's bias corrections 1 - beta^step in double on the host.
#include "cortado_cuda.h"
#include "grid.h"

using cortado::cuda::kThreads;
using cortado::cuda::grid_for;
using cortado::cuda::first_index;
using cortado::cuda::grid_stride;

namespace {

// v = momentum·v - lr·(g + weightDecay·w); w += v, or with Nesterov w += (1 + momentum)·v - momentum·vPrev.
__global__ void sgd_momentum_kernel(int64_t n, double lr, double momentum, double weight_decay, bool nesterov, float* w,
                                    const float* g, float* v) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const double v_prev = v[i], wi = w[i], gi = g[i];
        const double v_new = momentum * v_prev - lr * (gi + weight_decay * wi);
        const double step = nesterov ? (1.0 + momentum) * v_new - momentum * v_prev : v_new;
        v[i] = static_cast<float>(v_new);
        w[i] = static_cast<float>(wi + step);
    }
}

// d = g + weightDecay·w; m = beta1·m + (1 - beta1)·d; v = beta2·v + (1 - beta2)·d²;
// w -= lr·(m / c1) / (sqrt(v / c2) + eps), with c1 = 1 - beta1^step and c2 = 1 - beta2^step.
__global__ void adam_kernel(int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay, double c1,
                            double c2, float* w, const float* g, float* m, float* v) {
    for (int64_t i = first_index(); i < n; i += grid_stride()) {
        const double wi = w[i], gi = g[i], mi0 = m[i], vi0 = v[i];
        const double d = gi + weight_decay * wi;
        const double mi = beta1 * mi0 + (1.0 - beta1) * d;
        const double vi = beta2 * vi0 + (1.0 - beta2) * d * d;
        m[i] = static_cast<float>(mi);
        v[i] = static_cast<float>(vi);
        w[i] = static_cast<float>(wi - lr * (mi / c1) / (sqrt(vi / c2) + eps));
    }
}

}  // namespace

CORTADO_KERNEL(sgd_momentum) {
    if (n <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, sgd_momentum_kernel, grid_for(n), kThreads, 0, n, static_cast<double>(lr),
                          static_cast<double>(momentum), static_cast<double>(weight_decay), nesterov, w, g, v);
}

CORTADO_KERNEL(adam) {
    if (n <= 0) return CORTADO_STATUS_OK;
    const double c1 = 1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step));
    const double c2 = 1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step));
    return CORTADO_LAUNCH(ctx, adam_kernel, grid_for(n), kThreads, 0, n, static_cast<double>(lr), static_cast<double>(beta1),
                          static_cast<double>(beta2), static_cast<double>(eps), static_cast<double>(weight_decay), c1, c2,
                          w, g, m, v);
}
