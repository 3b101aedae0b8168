// im2col / col2im in Caffe's layout (col row (c, ki, kj), column (n, oy, ox)) and the three
// convolutions lowered onto them and the GEMM of gemm.cu (cortado::cuda::gemm_launch), a chunk of
// images at a time through workspace, with K = channels * kh * kw and P = outH * outW:
//   forward          col = im2col(x_chunk);  y_n = W[F, K] · col_n[K, P] + bias   (one batched GEMM)
//   backward data    col_n = Wᵀ · dy_n (one batched GEMM);  dx_chunk = col2im(col)
//   backward filter  col = im2col(x_chunk);  dyᵀ = dy_chunk as [F, n·P];  dW (+)= dyᵀ · colᵀ
// A 1x1 kernel with unit stride and no padding skips the lowering (col is x itself) in the
// forward and backward-data passes. col2im gathers: each image pixel sums, in double and in the
// reference's order (ki, then kj), the column entries that copy it; no atomics.
#include "cortado_cuda.h"
#include "prepared_filters.h"
#include "gemm.h"
#include "grid.h"

namespace {

using cortado::cuda::first_index;
using cortado::cuda::grid_for;
using cortado::cuda::grid_stride;
using cortado::cuda::kThreads;

constexpr int64_t kChunkFloats = int64_t{32} << 20;    // workspace per chunk of images: 128 MiB

struct Geometry {
    int channels, height, width, kh, kw, sh, sw, ph, pw, oh, ow;
};

Geometry geometry(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw) {
    return Geometry{channels, height, width, kh, kw, sh, sw, ph, pw, (height + 2 * ph - kh) / sh + 1,
                    (width + 2 * pw - kw) / sw + 1};
}

// The forward's fused tail over y's n floats (cortado_kernels.h): y = min(max(y + z, lo), hi), z optional.
int tail(const cortado_context* ctx, int64_t n, const float* z, float lo, float hi, float* y) {
    return cortado::cuda::add_clamp_launch(ctx, 1, n, n, z, lo, hi, y);
}

// col[row][col] for row (c, ki, kj) < K and column (n, oy, ox) < batch · P; one thread per entry
// (consecutive threads write consecutive columns).
__global__ void im2col_kernel(Geometry g, int batch, const float* __restrict__ images, float* __restrict__ col) {
    const int64_t pixels = static_cast<int64_t>(g.oh) * g.ow, cols = batch * pixels;
    const int64_t total = static_cast<int64_t>(g.channels) * g.kh * g.kw * cols;
    const int64_t plane = static_cast<int64_t>(g.height) * g.width, image = g.channels * plane;
    for (int64_t e = first_index(); e < total; e += grid_stride()) {
        const int64_t row = e / cols, column = e - row * cols;
        const int kj = static_cast<int>(row % g.kw), ki = static_cast<int>(row / g.kw % g.kh);
        const int64_t c = row / (static_cast<int64_t>(g.kw) * g.kh);
        const int64_t n = column / pixels;
        const int p = static_cast<int>(column - n * pixels);
        const int iy = p / g.ow * g.sh - g.ph + ki, ix = p % g.ow * g.sw - g.pw + kj;
        float v = 0.0f;
        if (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width) {
            v = __ldg(images + n * image + c * plane + static_cast<int64_t>(iy) * g.width + ix);
        }
        col[e] = v;
    }
}

// images[n][c][iy][ix] = the sum (double, taps in (ki, kj) order) of the column entries that copy it.
__global__ void col2im_kernel(Geometry g, int batch, const float* __restrict__ col, float* __restrict__ images) {
    const int64_t pixels = static_cast<int64_t>(g.oh) * g.ow, cols = batch * pixels;
    const int64_t plane = static_cast<int64_t>(g.height) * g.width;
    const int64_t total = batch * g.channels * plane;
    for (int64_t i = first_index(); i < total; i += grid_stride()) {
        const int64_t nc = i / plane;
        const int r = static_cast<int>(i - nc * plane);
        const int64_t n = nc / g.channels, c = nc - n * g.channels;
        const int ty = r / g.width + g.ph, tx = r % g.width + g.pw;  // in the padded image
        // taps ki with ki ≡ ty (mod sh), 0 <= (ty - ki) / sh < oh, ki < kh; likewise kj
        int ki0 = ty % g.sh, kj0 = tx % g.sw;
        const int ky_lo = ty - (g.oh - 1) * g.sh, kx_lo = tx - (g.ow - 1) * g.sw;  // ≡ ty, tx
        if (ky_lo > ki0) ki0 = ky_lo;
        if (kx_lo > kj0) kj0 = kx_lo;
        const int ki1 = ty < g.kh - 1 ? ty : g.kh - 1, kj1 = tx < g.kw - 1 ? tx : g.kw - 1;
        const float* base = col + c * g.kh * g.kw * cols + n * pixels;
        double acc = 0.0;
        for (int ki = ki0; ki <= ki1; ki += g.sh) {
            const int oy = (ty - ki) / g.sh;
            for (int kj = kj0; kj <= kj1; kj += g.sw) {
                const int ox = (tx - kj) / g.sw;
                acc += static_cast<double>(
                    __ldg(base + (static_cast<int64_t>(ki) * g.kw + kj) * cols + static_cast<int64_t>(oy) * g.ow + ox));
            }
        }
        images[i] = static_cast<float>(acc);
    }
}

// dyt[f][j·P + p] = dy[j][f][p] for the chunk's images j < count: dy as one [F, count·P] matrix.
__global__ void by_filter_kernel(int filters, int64_t pixels, int count, const float* __restrict__ dy, float* __restrict__ dyt) {
    const int64_t cols = count * pixels, total = filters * cols;
    for (int64_t e = first_index(); e < total; e += grid_stride()) {
        const int64_t f = e / cols, column = e - f * cols;
        const int64_t j = column / pixels, p = column - j * pixels;
        dyt[e] = __ldg(dy + (j * filters + f) * pixels + p);
    }
}

int launch_im2col(const cortado_context* ctx, const Geometry& g, int batch, const float* images, float* col) {
    const int64_t total = static_cast<int64_t>(g.channels) * g.kh * g.kw * batch * g.oh * g.ow;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, im2col_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, batch, images, col);
}

int launch_col2im(const cortado_context* ctx, const Geometry& g, int batch, const float* col, float* images) {
    const int64_t total = static_cast<int64_t>(batch) * g.channels * g.height * g.width;
    if (total <= 0) return CORTADO_STATUS_OK;
    return CORTADO_LAUNCH(ctx, col2im_kernel, dim3(grid_for(total)), dim3(kThreads), 0, g, batch, col, images);
}


// Images per chunk so that the chunk's workspace (per_image floats each) stays near kChunkFloats.
int chunk_images(int batch, int64_t per_image) {
    const int64_t nb = per_image > 0 ? kChunkFloats / per_image : batch;
    return static_cast<int>(nb < 1 ? 1 : (nb > batch ? batch : nb));
}

bool is_pointwise(const Geometry& g) {
    return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

}  // namespace

CORTADO_KERNEL(im2col) {
    if (batch <= 0) return CORTADO_STATUS_OK;
    return launch_im2col(ctx, geometry(channels, height, width, kh, kw, sh, sw, ph, pw), batch, images, col);
}

CORTADO_KERNEL(col2im) {
    if (batch <= 0) return CORTADO_STATUS_OK;
    return launch_col2im(ctx, geometry(channels, height, width, kh, kw, sh, sw, ph, pw), batch, col, images);
}

CORTADO_KERNEL(conv_forward) {
    if (batch <= 0 || filters <= 0) return CORTADO_STATUS_OK;
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int k = channels * kh * kw;
    const int64_t pixels = static_cast<int64_t>(g.oh) * g.ow, image = static_cast<int64_t>(channels) * height * width;
    int status = CORTADO_STATUS_OK;
    if (is_pointwise(g)) {  // col_n is x_n: [C, H·W]
        status = cortado::cuda::gemm_launch(ctx, false, false, filters, static_cast<int>(pixels), k, 1.0f, weight, k, 0, x,
                                            static_cast<int>(pixels), image, 0.0f, y, static_cast<int>(pixels),
                                            filters * pixels, batch, {bias});
        return status != CORTADO_STATUS_OK ? status : tail(ctx, batch * filters * pixels, z, lo, hi, y);
    }
    const int nb = chunk_images(batch, k * pixels);
    float* col = static_cast<float*>(ctx->workspace(ctx, static_cast<size_t>(k * pixels * nb) * sizeof(float)));
    if (col == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    for (int n0 = 0; n0 < batch && status == CORTADO_STATUS_OK; n0 += nb) {
        const int count = batch - n0 < nb ? batch - n0 : nb;
        status = launch_im2col(ctx, g, count, x + n0 * image, col);
        if (status != CORTADO_STATUS_OK) break;
        // y_j = W · col[:, j·P .. (j + 1)·P) + bias for the chunk's images j
        status = cortado::cuda::gemm_launch(ctx, false, false, filters, static_cast<int>(pixels), k, 1.0f, weight, k, 0, col,
                                            static_cast<int>(count * pixels), pixels, 0.0f, y + n0 * filters * pixels,
                                            static_cast<int>(pixels), filters * pixels, count, {bias});
    }
    ctx->release(ctx, col);
    return status != CORTADO_STATUS_OK ? status : tail(ctx, batch * filters * pixels, z, lo, hi, y);
}

// The weights are read as they lie (the GEMM streams them from global memory with no packing of its
// own): nothing to prepare, the prepared floats are zeros and conv_forward does not read them.
CORTADO_KERNEL(conv_prepare_filters) {
    return cortado_fill(ctx, cortado::prepared_filters_floats(filters, channels, kh, kw, sh, sw), 0.0f, prepared);
}

CORTADO_KERNEL(conv_backward_data) {
    if (batch <= 0 || filters <= 0) return CORTADO_STATUS_OK;
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int k = channels * kh * kw;
    const int64_t pixels = static_cast<int64_t>(g.oh) * g.ow, image = static_cast<int64_t>(channels) * height * width;
    if (is_pointwise(g)) {  // col2im is the identity: dx_n = Wᵀ · dy_n
        return cortado::cuda::gemm_launch(ctx, true, false, k, static_cast<int>(pixels), filters, 1.0f, weight, k, 0, dy,
                                          static_cast<int>(pixels), filters * pixels, 0.0f, dx, static_cast<int>(pixels), image,
                                          batch, {});
    }
    const int nb = chunk_images(batch, k * pixels);
    float* col = static_cast<float*>(ctx->workspace(ctx, static_cast<size_t>(k * pixels * nb) * sizeof(float)));
    if (col == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    int status = CORTADO_STATUS_OK;
    for (int n0 = 0; n0 < batch && status == CORTADO_STATUS_OK; n0 += nb) {
        const int count = batch - n0 < nb ? batch - n0 : nb;
        // col[:, j·P .. (j + 1)·P) = Wᵀ · dy_j
        status = cortado::cuda::gemm_launch(ctx, true, false, k, static_cast<int>(pixels), filters, 1.0f, weight, k, 0,
                                            dy + n0 * filters * pixels, static_cast<int>(pixels), filters * pixels, 0.0f, col,
                                            static_cast<int>(count * pixels), pixels, count, {});
        if (status != CORTADO_STATUS_OK) break;
        status = launch_col2im(ctx, g, count, col, dx + n0 * image);
    }
    ctx->release(ctx, col);
    return status;
}

CORTADO_KERNEL(conv_backward_filter) {
    if (filters <= 0) return CORTADO_STATUS_OK;
    const Geometry g = geometry(channels, height, width, kh, kw, sh, sw, ph, pw);
    const int k = channels * kh * kw;
    const int64_t pixels = static_cast<int64_t>(g.oh) * g.ow, image = static_cast<int64_t>(channels) * height * width;
    if (batch <= 0) {  // no images: dW = 0 (a GEMM over k = 0 with beta 0)
        return cortado::cuda::gemm_launch(ctx, false, true, filters, k, 0, 1.0f, dy, 1, 0, x, 1, 0, 0.0f, dweight, k, 0, 1,
                                          {});
    }
    const int nb = chunk_images(batch, (k + static_cast<int64_t>(filters)) * pixels);
    const int64_t col_floats = k * pixels * nb;
    float* col = static_cast<float*>(
        ctx->workspace(ctx, static_cast<size_t>(col_floats + filters * pixels * nb) * sizeof(float)));
    if (col == nullptr) return CORTADO_STATUS_NO_WORKSPACE;
    float* dyt = col + col_floats;
    int status = CORTADO_STATUS_OK;
    for (int n0 = 0; n0 < batch && status == CORTADO_STATUS_OK; n0 += nb) {
        const int count = batch - n0 < nb ? batch - n0 : nb;
        const int64_t cols = count * pixels;
        status = launch_im2col(ctx, g, count, x + n0 * image, col);
        if (status != CORTADO_STATUS_OK) break;
        status = CORTADO_LAUNCH(ctx, by_filter_kernel, dim3(grid_for(filters * cols)), dim3(kThreads), 0, filters, pixels, count,
                                dy + n0 * filters * pixels, dyt);
        if (status != CORTADO_STATUS_OK) break;
        // dW (+)= dyt[F, cols] · col[K, cols]ᵀ: the first chunk overwrites, the next ones add
        status = cortado::cuda::gemm_launch(ctx, false, true, filters, k, static_cast<int>(cols), 1.0f, dyt,
                                            static_cast<int>(cols), 0, col, static_cast<int>(cols), 0, n0 == 0 ? 0.0f : 1.0f,
                                            dweight, k, 0, 1, {});
    }
    ctx->release(ctx, col);
    return status;
}
