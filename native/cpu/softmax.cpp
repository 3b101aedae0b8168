// Softmax, log-softmax and softmax cross-entropy over rows; sums in double.
#include <cmath>

#include "cortado_cpu.h"
#include "thread_pool.h"

namespace {

inline float row_max(const float* x, int cols) {
    float m = -INFINITY;
    for (int j = 0; j < cols; j++) m = std::fmax(m, x[j]);
    return m;
}

// log(sum(exp(x))) computed stably
inline double log_sum_exp(const float* x, int cols) {
    const float m = row_max(x, cols);
    double s = 0;
    for (int j = 0; j < cols; j++) s += std::exp(static_cast<double>(x[j]) - m);
    return m + std::log(s);
}

template <class F>
void for_rows(int rows, int cols, F body) {
    cortado::parallel_range(rows, std::max(1L, 4096L / std::max(1, cols)), [&](long r0, long r1) {
        for (long r = r0; r < r1; r++) body(r * static_cast<long>(cols));
    });
}

}  // namespace

CORTADO_KERNEL(softmax_forward) {
    for_rows(rows, cols, [&](long o) {
        const float m = row_max(x + o, cols);
        double s = 0;
        for (int j = 0; j < cols; j++) s += std::exp(static_cast<double>(x[o + j]) - m);
        for (int j = 0; j < cols; j++) y[o + j] = static_cast<float>(std::exp(static_cast<double>(x[o + j]) - m) / s);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_backward) {
    for_rows(rows, cols, [&](long o) {
        double dot = 0;
        for (int j = 0; j < cols; j++) dot += static_cast<double>(dy[o + j]) * y[o + j];
        for (int j = 0; j < cols; j++) dx[o + j] = static_cast<float>(y[o + j] * (dy[o + j] - dot));
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(log_softmax_forward) {
    for_rows(rows, cols, [&](long o) {
        const double lse = log_sum_exp(x + o, cols);
        for (int j = 0; j < cols; j++) y[o + j] = static_cast<float>(x[o + j] - lse);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(log_softmax_backward) {
    for_rows(rows, cols, [&](long o) {
        double s = 0;
        for (int j = 0; j < cols; j++) s += dy[o + j];
        for (int j = 0; j < cols; j++) dx[o + j] = static_cast<float>(dy[o + j] - std::exp(static_cast<double>(y[o + j])) * s);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_cross_entropy_forward) {
    cortado_softmax_forward(ctx, rows, cols, logits, probs);
    for_rows(rows, cols, [&](long o) {
        const long r = o / cols;
        loss[r] = static_cast<float>(log_sum_exp(logits + o, cols) - logits[o + static_cast<int>(labels[r])]);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_cross_entropy_backward) {
    for_rows(rows, cols, [&](long o) {
        const int label = static_cast<int>(labels[o / cols]);
        for (int j = 0; j < cols; j++) dx[o + j] = scale * (probs[o + j] - (j == label ? 1.0f : 0.0f));
    });
    return CORTADO_STATUS_OK;
}
