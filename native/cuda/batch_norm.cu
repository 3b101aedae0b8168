// Batch normalisation (KernelSet.batchNormForward / batchNormInference / batchNormBackward) over
// x [n, channels, spatial]: one block per channel. Its threads stride over the channel's m =
// n·spatial elements summing in double (the forward: Σ (x - s) and Σ (x - s)² around a shift s =
// the channel's first element, 0 if not finite, so that the variance keeps its digits when the mean
// is far from 0; the backward: Σ dy and Σ dy·(x - mean)), a tree in shared memory adds the
// partials in a fixed order, thread 0 turns them into the channel's constants, and the block
// writes every element from them in double, rounded once, as the java reference.
#include "cortado_cuda.h"

namespace {

constexpr unsigned kBlock = 256;

// The offset of the channel's t-th element (sample i = t / spatial, position t % spatial).
__device__ __forceinline__ int64_t offset(int64_t t, int64_t channels, int64_t spatial, int64_t c) {
    const int64_t i = spatial == 1 ? t : t / spatial, s = t - i * spatial;
    return (i * channels + c) * spatial + s;
}

// a[0] = Σ a, b[0] = Σ b over the block, in a fixed order; every thread sees the result after it.
__device__ __forceinline__ void block_sum(double* a, double* b) {
    const unsigned t = threadIdx.x;
    __syncthreads();
    for (unsigned half = kBlock / 2; half > 0; half /= 2) {
        if (t < half) {
            a[t] += a[t + half];
            b[t] += b[t + half];
        }
        __syncthreads();
    }
}

__device__ __forceinline__ double weight_at(const float* w, int64_t c) { return w ? static_cast<double>(w[c]) : 1.0; }

__global__ void bn_forward_kernel(int64_t n, int64_t channels, int64_t spatial, float eps, float momentum, const float* x,
                                  const float* weight, const float* bias, float* running_mean, float* running_var, float* y,
                                  float* save_mean, float* save_invstd) {
    __shared__ double s_a[kBlock];
    __shared__ double s_b[kBlock];
    __shared__ double s_k[3];  // mean, scale, shift
    const int64_t c = blockIdx.x, m = n * spatial;
    const unsigned t = threadIdx.x;
    const float first = m > 0 ? x[c * spatial] : 0.0f;
    const double sh = first - first == 0.0f ? static_cast<double>(first) : 0.0;  // (first is finite)
    double a = 0.0, b = 0.0;
    for (int64_t k = t; k < m; k += kBlock) {
        const double d = static_cast<double>(x[offset(k, channels, spatial, c)]) - sh;
        a += d;
        b += d * d;
    }
    s_a[t] = a;
    s_b[t] = b;
    block_sum(s_a, s_b);
    if (t == 0) {
        const double dm = static_cast<double>(m), mean_shifted = s_a[0] / dm;
        double var = s_b[0] / dm - mean_shifted * mean_shifted;
        if (var < 0) var = 0;  // (NaN stays)
        const double mean = sh + mean_shifted, invstd = 1.0 / sqrt(var + static_cast<double>(eps));
        save_mean[c] = static_cast<float>(mean);
        save_invstd[c] = static_cast<float>(invstd);
        const double unbiased = var * dm / (dm - 1);
        running_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + static_cast<double>(momentum) * mean);
        running_var[c] = static_cast<float>((1.0 - momentum) * running_var[c] + static_cast<double>(momentum) * unbiased);
        s_k[0] = mean;
        s_k[1] = invstd * weight_at(weight, c);
        s_k[2] = bias ? static_cast<double>(bias[c]) : 0.0;
    }
    __syncthreads();
    const double mean = s_k[0], scale = s_k[1], shift = s_k[2];
    for (int64_t k = t; k < m; k += kBlock) {
        const int64_t o = offset(k, channels, spatial, c);
        y[o] = static_cast<float>((static_cast<double>(x[o]) - mean) * scale + shift);
    }
}

__global__ void bn_inference_kernel(int64_t n, int64_t channels, int64_t spatial, float eps, const float* x, const float* weight,
                                    const float* bias, const float* running_mean, const float* running_var, float* y,
                                    float* invstd) {
    const int64_t c = blockIdx.x, m = n * spatial;
    const double inv = 1.0 / sqrt(static_cast<double>(running_var[c]) + static_cast<double>(eps));
    if (threadIdx.x == 0) invstd[c] = static_cast<float>(inv);
    const double mean = running_mean[c], scale = inv * weight_at(weight, c), shift = bias ? static_cast<double>(bias[c]) : 0.0;
    for (int64_t k = threadIdx.x; k < m; k += kBlock) {
        const int64_t o = offset(k, channels, spatial, c);
        y[o] = static_cast<float>((static_cast<double>(x[o]) - mean) * scale + shift);
    }
}

__global__ void bn_backward_kernel(int64_t n, int64_t channels, int64_t spatial, bool training, const float* x, const float* dy,
                                   const float* weight, const float* mean, const float* invstd, float* dx, float* dweight,
                                   float* dbias) {
    __shared__ double s_a[kBlock];
    __shared__ double s_b[kBlock];
    __shared__ double s_k[3];  // a, b, d of dx = a·dy - b·(x - mean) - d
    const int64_t c = blockIdx.x, m = n * spatial;
    const unsigned t = threadIdx.x;
    const double mu = mean[c], inv = invstd[c];
    double a = 0.0, b = 0.0;
    for (int64_t k = t; k < m; k += kBlock) {
        const int64_t o = offset(k, channels, spatial, c);
        const double g = dy[o];
        a += g;
        b += g * (static_cast<double>(x[o]) - mu);
    }
    s_a[t] = a;
    s_b[t] = b;
    block_sum(s_a, s_b);
    if (t == 0) {
        const double dm = static_cast<double>(m), sum_dy = s_a[0], sum_dy_xhat = s_b[0] * inv;
        dbias[c] = static_cast<float>(sum_dy);
        dweight[c] = static_cast<float>(sum_dy_xhat);
        const double ka = weight_at(weight, c) * inv;
        s_k[0] = ka;
        s_k[1] = training ? ka * inv * (sum_dy_xhat / dm) : 0.0;
        s_k[2] = training ? ka * (sum_dy / dm) : 0.0;
    }
    __syncthreads();
    const double ka = s_k[0], kb = s_k[1], kd = s_k[2];
    for (int64_t k = t; k < m; k += kBlock) {
        const int64_t o = offset(k, channels, spatial, c);
        const double g = dy[o];
        dx[o] = static_cast<float>(training ? ka * g - kb * (static_cast<double>(x[o]) - mu) - kd : ka * g);
    }
}

}  // namespace

CORTADO_KERNEL(batch_norm_forward) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, bn_forward_kernel, dim3(static_cast<unsigned>(channels)), dim3(kBlock), 0, n,
                          static_cast<int64_t>(channels), spatial, eps, momentum, x, weight, bias, running_mean, running_var, y,
                          save_mean, save_invstd);
}

CORTADO_KERNEL(batch_norm_inference) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, bn_inference_kernel, dim3(static_cast<unsigned>(channels)), dim3(kBlock), 0, n,
                          static_cast<int64_t>(channels), spatial, eps, x, weight, bias, running_mean, running_var, y, invstd);
}

CORTADO_KERNEL(batch_norm_backward) {
    if (channels <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, bn_backward_kernel, dim3(static_cast<unsigned>(channels)), dim3(kBlock), 0, n,
                          static_cast<int64_t>(channels), spatial, training, x, dy, weight, mean, invstd, dx, dweight, dbias);
}
