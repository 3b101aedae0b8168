// Elementwise arithmetic, bias add/grad, sum, equal and argmax.
#include <cmath>
#include <vector>

#include "cortado_cpu.h"
#include "simd.h"
#include "thread_pool.h"

namespace {

CORTADO_CLONES void add_span(const float* a, const float* b, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}
CORTADO_CLONES void mul_span(const float* a, const float* b, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = a[i] * b[i];
}
CORTADO_CLONES void scale_span(float alpha, const float* x, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = alpha * x[i];
}
CORTADO_CLONES void axpy_span(float alpha, const float* x, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] += alpha * x[i];
}
CORTADO_CLONES void fill_span(float v, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = v;
}
CORTADO_CLONES void equal_span(const float* a, const float* b, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] = a[i] == b[i] ? 1.0f : 0.0f;  // NaN equals nothing
}
CORTADO_CLONES void add_scalar_span(float v, float* y, long n) {
    for (long i = 0; i < n; i++) y[i] += v;
}
}  // namespace

// (declared in simd.h)
CORTADO_CLONES double cortado::sum_span(const float* x, long n) {
    double part[16] = {};
    long i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) part[j] += x[i + j];
    double s = 0;
    for (; i < n; i++) s += x[i];
    for (int j = 0; j < 16; j++) s += part[j];
    return s;
}

CORTADO_KERNEL(add) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { add_span(a + s, b + s, y + s, e - s); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(mul) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { mul_span(a + s, b + s, y + s, e - s); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(scale) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { scale_span(alpha, x + s, y + s, e - s); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(axpy) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { axpy_span(alpha, x + s, y + s, e - s); });
    return CORTADO_STATUS_OK;
}
CORTADO_KERNEL(fill) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { fill_span(value, y + s, e - s); });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(bias_add) {
    if (inner == 1) {  // a fully connected layer: add the bias vector to every row
        cortado::parallel_range(outer, std::max(1L, CORTADO_GRAIN / std::max(1, channels)), [&](long r0, long r1) {
            for (long r = r0; r < r1; r++) add_span(y + r * channels, bias, y + r * channels, channels);
        });
        return CORTADO_STATUS_OK;
    }
    const long rows = static_cast<long>(outer) * channels;
    cortado::parallel_range(rows, std::max(1L, CORTADO_GRAIN / std::max(1, inner)), [&](long r0, long r1) {
        for (long r = r0; r < r1; r++) add_scalar_span(bias[r % channels], y + r * inner, inner);
    });
    return CORTADO_STATUS_OK;
}

namespace {

// Column sums of dy [outer, channels] in double, rows added in order (vectorised across channels).
CORTADO_CLONES void column_sums(int outer, int channels, long c0, long c1, const float* dy, double* acc) {
    for (int o = 0; o < outer; o++) {
        const float* row = dy + static_cast<long>(o) * channels;
        for (long c = c0; c < c1; c++) acc[c - c0] += row[c];
    }
}

}  // namespace

CORTADO_KERNEL(bias_grad) {
    if (inner == 1) {  // a fully connected layer's bias: sum down the columns
        cortado::parallel_range(channels, std::max(1L, CORTADO_GRAIN / std::max(1, outer)), [&](long c0, long c1) {
            std::vector<double> acc(c1 - c0, 0.0);
            column_sums(outer, channels, c0, c1, dy, acc.data());
            for (long c = c0; c < c1; c++) db[c] = static_cast<float>(acc[c - c0]);
        });
        return CORTADO_STATUS_OK;
    }
    cortado::parallel_range(channels, std::max(1L, CORTADO_GRAIN / std::max(1L, static_cast<long>(outer) * inner)),
                            [&](long c0, long c1) {
        for (long c = c0; c < c1; c++) {
            double s = 0;
            for (int o = 0; o < outer; o++) s += cortado::sum_span(dy + (static_cast<long>(o) * channels + c) * inner, inner);
            db[c] = static_cast<float>(s);
        }
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(sum) {
    // fixed chunks summed in chunk order: the same bits for any thread count
    const long chunks = std::max<long>(1, (n + CORTADO_GRAIN - 1) / CORTADO_GRAIN);
    std::vector<double> partial(chunks, 0.0);
    cortado::parallel_range(chunks, 1, [&](long c0, long c1) {
        for (long c = c0; c < c1; c++) {
            const long b = c * CORTADO_GRAIN;
            partial[c] = cortado::sum_span(x + b, std::min<long>(CORTADO_GRAIN, n - b));
        }
    });
    double s = 0;
    for (double p : partial) s += p;
    *out = static_cast<float>(s);
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(equal) {
    cortado::parallel_range(n, CORTADO_GRAIN, [&](long s, long e) { equal_span(a + s, b + s, y + s, e - s); });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(argmax) {
    for (long r = 0; r < rows; r++) {
        const float* row = x + r * cols;
        int best = 0;
        for (int j = 0; j < cols; j++) {
            if (std::isnan(row[j])) {
                best = j;
                break;
            }
            if (row[j] > row[best]) best = j;
        }
        out[r] = static_cast<float>(best);
    }
    return CORTADO_STATUS_OK;
}
