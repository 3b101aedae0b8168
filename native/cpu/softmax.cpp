// Softmax, log-softmax and softmax cross-entropy over rows: the row's maximum m, then e^(x - m),
// sums in double. Softmax (attention's, the Softmax layer's) takes e^(x - m) in float as PyTorch
// does (fast_math.h's exp_f, about 1 ulp; 8 lanes): within 2 ulp of the reference, which computes
// in double. The log-softmax and loss family computes e^(x - m) in double (exp_dd, about 1 ulp of
// double) as the reference does, so that training losses follow it to the last bits. A row's
// exponentials are computed once into a per-thread buffer.
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
#include <algorithm>
#include <cmath>
#include <vector>

#include "cortado_cpu.h"
#include "fast_math.h"
#include "simd.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace {

// The row's largest value, NaN left out (as fmax; a NaN still makes the row NaN through its e^x).
CORTADO_CLONES float row_max(const float* x, int cols) {
    float m = -INFINITY;
    for (int j = 0; j < cols; j++) m = x[j] > m ? x[j] : m;
    return m;
}

CORTADO_CLONES void exp_shifted(const float* __restrict x, int cols, float m, double* __restrict e) {
    for (int j = 0; j < cols; j++) e[j] = cortado::exp_dd(static_cast<double>(x[j]) - m);
}

CORTADO_CLONES void exp_shifted_f(const float* __restrict x, int cols, float m, float* __restrict e) {
    for (int j = 0; j < cols; j++) e[j] = cortado::exp_f(x[j] - m);
}

CORTADO_CLONES void scale_f(const float* __restrict e, int cols, float by, float* __restrict y) {
    for (int j = 0; j < cols; j++) y[j] = e[j] * by;
}

CORTADO_CLONES void exp_of(const float* __restrict x, int cols, double* __restrict e) {
    for (int j = 0; j < cols; j++) e[j] = cortado::exp_dd(x[j]);
}

CORTADO_CLONES void divide(const double* __restrict e, int cols, double s, float* __restrict y) {
    for (int j = 0; j < cols; j++) y[j] = static_cast<float>(e[j] / s);
}

// Four running sums in double (a dependency chain of one add per element took as long as the exponentials).
template <class T>
inline double sum(const T* e, int cols) {
    double s[4] = {0, 0, 0, 0};
    int j = 0;
    for (; j + 4 <= cols; j += 4)
        for (int i = 0; i < 4; i++) s[i] += e[j + i];
    for (; j < cols; j++) s[0] += e[j];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

inline double sum_of(const float* x, int cols) {
    double s = 0;
    for (int j = 0; j < cols; j++) s += x[j];
    return s;
}

// The calling thread's buffer of at least n values.
template <class T>
T* buffer(int n) {
    thread_local std::vector<T> b;
    if (b.size() < static_cast<size_t>(n)) b.resize(n);
    return b.data();
}

// e^(x - m) of the row into e; returns log(sum e^x) = m + log(sum e^(x - m)).
inline double exps(const float* x, int cols, double* e) {
    const float m = row_max(x, cols);
    exp_shifted(x, cols, m, e);
    return m + std::log(sum(e, cols));
}

// body(offset of the row, the thread's buffer of cols T) for every row, rows split between threads.
template <class T = double, class F>
void for_rows(int rows, int cols, F body) {
    cortado::parallel_range(rows, std::max(1L, 4096L / std::max(1, cols)), [&](long r0, long r1) {
        T* e = buffer<T>(cols);
        for (long r = r0; r < r1; r++) body(r * static_cast<long>(cols), e);
    });
}

// Rows [r0, r1) of x [rows, cols] into y, 4 at a time by vec_math.h's softmax_rows.
__attribute__((target("avx2,fma"))) void softmax_rows_avx2(const float* x, int cols, float* y, long r0, long r1) {
    const int n4[4] = {cols, cols, cols, cols}, n1[1] = {cols};
    long r = r0;
    for (; r + 4 <= r1; r += 4) cortado::avx2::softmax_rows<4, false>(x + r * cols, cols, y + r * cols, cols, n4, 1.0f, nullptr);
    for (; r < r1; r++) cortado::avx2::softmax_rows<1, false>(x + r * cols, cols, y + r * cols, cols, n1, 1.0f, nullptr);
}

// dx = y·(dy - Σ dy·y) over one row, in double (the generic loop's operations; its sum over 8
// lanes), rounded once.
__attribute__((target("avx2,fma"))) void softmax_backward_row_avx2(const float* y, const float* dy, int cols, float* dx) {
    namespace v = cortado::avx2;
    const int full = cols & ~7, rest = cols - full;
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    auto dot = [&](__m256 yv, __m256 gv) __attribute__((always_inline)) {
        lo = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(gv)), _mm256_cvtps_pd(_mm256_castps256_ps128(yv)), lo);
        hi = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(yv, 1)), hi);
    };
    for (int j = 0; j < full; j += 8) dot(_mm256_loadu_ps(y + j), _mm256_loadu_ps(dy + j));
    if (rest) dot(v::load_part(y + full, rest, 0.0f), v::load_part(dy + full, rest, 0.0f));
    const __m256d d = _mm256_set1_pd(v::sum4(_mm256_add_pd(lo, hi)));
    auto grad = [&](__m256 yv, __m256 gv) __attribute__((always_inline)) {
        const __m256d a = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(yv)), _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(gv)), d));
        const __m256d b = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(yv, 1)), _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1)), d));
        return _mm256_set_m128(_mm256_cvtpd_ps(b), _mm256_cvtpd_ps(a));
    };
    for (int j = 0; j < full; j += 8) _mm256_storeu_ps(dx + j, grad(_mm256_loadu_ps(y + j), _mm256_loadu_ps(dy + j)));
    if (rest) v::store_part(dx + full, rest, grad(v::load_part(y + full, rest, 0.0f), v::load_part(dy + full, rest, 0.0f)));
}

}  // namespace

// With AVX2+FMA, rows 4 at a time by vec_math.h's softmax_rows (the attention kernel's too): the
// same steps as the generic loops (NaN left out of the maximum, e^(x - m) with exp_f's bits
// wherever they are a normal float, the sum in double, y = e·(1/sum) in float), the sum over 8
// double lanes instead of 4 (GCC does not vectorise a double sum of floats: its chain of dependent
// adds cost as much as the exponentials). A row's tail of fewer than 8 goes through the same
// vector code, its missing lanes left out of the sums.
CORTADO_KERNEL(softmax_forward) {
    if (cortado_isa() >= 1) {
        cortado::parallel_range(rows, std::max(1L, 4096L / std::max(1, cols)),
                                [&](long r0, long r1) { softmax_rows_avx2(x, cols, y, r0, r1); });
        return CORTADO_STATUS_OK;
    }
    for_rows<float>(rows, cols, [&](long o, float* e) {
        exp_shifted_f(x + o, cols, row_max(x + o, cols), e);
        scale_f(e, cols, static_cast<float>(1.0 / sum(e, cols)), y + o);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_backward) {
    if (cortado_isa() >= 1) {
        cortado::parallel_range(rows, std::max(1L, 4096L / std::max(1, cols)), [&](long r0, long r1) {
            for (long r = r0; r < r1; r++) softmax_backward_row_avx2(y + r * cols, dy + r * cols, cols, dx + r * cols);
        });
        return CORTADO_STATUS_OK;
    }
    for_rows(rows, cols, [&](long o, double*) {
        double dot = 0;
        for (int j = 0; j < cols; j++) dot += static_cast<double>(dy[o + j]) * y[o + j];
        for (int j = 0; j < cols; j++) dx[o + j] = static_cast<float>(y[o + j] * (dy[o + j] - dot));
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(log_softmax_forward) {
    for_rows(rows, cols, [&](long o, double* e) {
        const double lse = exps(x + o, cols, e);
        for (int j = 0; j < cols; j++) y[o + j] = static_cast<float>(x[o + j] - lse);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(log_softmax_backward) {
    for_rows(rows, cols, [&](long o, double* e) {
        const double s = sum_of(dy + o, cols);
        exp_of(y + o, cols, e);
        for (int j = 0; j < cols; j++) dx[o + j] = static_cast<float>(dy[o + j] - e[j] * s);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_cross_entropy_forward) {
    for_rows(rows, cols, [&](long o, double* e) {
        const long r = o / cols;
        const double lse = exps(logits + o, cols, e);
        divide(e, cols, sum(e, cols), probs + o);
        loss[r] = static_cast<float>(lse - logits[o + static_cast<int>(labels[r])]);
    });
    return CORTADO_STATUS_OK;
}

CORTADO_KERNEL(softmax_cross_entropy_backward) {
    for_rows(rows, cols, [&](long o, double*) {
        const int label = static_cast<int>(labels[o / cols]);
        for (int j = 0; j < cols; j++) dx[o + j] = scale * (probs[o + j] - (j == label ? 1.0f : 0.0f));
    });
    return CORTADO_STATUS_OK;
}
