// Cortado's native CPU kernel set: the same kernels, with the same meaning, as
// java/src/main/java/dev/cortado/kernels/KernelSet.java. Arguments are validated in Java
// (CheckedKernels) before any of these run; they trust their input.
#pragma once
#include <cstdint>

// ---- runtime -------------------------------------------------------------------------------
// Threads used by the kernels (the caller counts as one). 1 <= n <= 256.
void cortado_set_threads(int n);
int cortado_threads();
// Micro-kernel instruction set: 0 = portable (SSE2), 1 = AVX2+FMA, 2 = AVX-512F.
// cortado_set_isa returns the ISA in use afterwards (asking for more than the CPU has keeps the best it has).
int cortado_best_isa();
int cortado_set_isa(int isa);
int cortado_isa();

// ---- BLAS-3 --------------------------------------------------------------------------------
void cortado_sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
                   const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

// ---- convolution lowering, pooling ---------------------------------------------------------
// A window: `channels` planes of height x width, a kh x kw kernel, strides sh/sw, zero padding ph/pw.
#define CORTADO_WINDOW int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw
// `batch` images in, one column matrix out: rows (c, ki, kj), columns (n, oy, ox).
void cortado_im2col(CORTADO_WINDOW, int batch, const float* images, float* col);
void cortado_col2im(CORTADO_WINDOW, int batch, const float* col, float* images);
// Convolution of x [batch, channels, height, width] with weight [filters, channels, kh, kw]:
// y [batch, filters, out_h, out_w] (+ bias[filters] unless null); the gradients overwrite
// dx (same shape as x) and dweight (same shape as weight). backward_data returns 0, or -1 when
// its workspace cannot be allocated (nothing written then).
void cortado_conv_forward(CORTADO_WINDOW, int batch, int filters, const float* x, const float* weight,
                          const float* bias, float* y);
int cortado_conv_backward_data(CORTADO_WINDOW, int batch, int filters, const float* weight, const float* dy, float* dx);
void cortado_conv_backward_filter(CORTADO_WINDOW, int batch, int filters, const float* x, const float* dy, float* dweight);
void cortado_max_pool_forward(CORTADO_WINDOW, const float* x, float* y);
void cortado_max_pool_backward(CORTADO_WINDOW, const float* x, const float* dy, float* dx);
void cortado_avg_pool_forward(CORTADO_WINDOW, const float* x, float* y);
void cortado_avg_pool_backward(CORTADO_WINDOW, const float* dy, float* dx);

// ---- activations ---------------------------------------------------------------------------
void cortado_sigmoid_forward(int64_t n, const float* x, float* y);
void cortado_sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx);
void cortado_relu_forward(int64_t n, const float* x, float* y);
void cortado_relu_backward(int64_t n, const float* x, const float* dy, float* dx);
void cortado_tanh_forward(int64_t n, const float* x, float* y);
void cortado_tanh_backward(int64_t n, const float* y, const float* dy, float* dx);

// ---- softmax family ------------------------------------------------------------------------
void cortado_softmax_forward(int rows, int cols, const float* x, float* y);
void cortado_softmax_backward(int rows, int cols, const float* y, const float* dy, float* dx);
void cortado_log_softmax_forward(int rows, int cols, const float* x, float* y);
void cortado_log_softmax_backward(int rows, int cols, const float* y, const float* dy, float* dx);
void cortado_softmax_xent_forward(int rows, int cols, const float* logits, const float* labels, float* probs, float* loss);
void cortado_softmax_xent_backward(int rows, int cols, const float* probs, const float* labels, float scale, float* dx);

// ---- elementwise, reductions ---------------------------------------------------------------
void cortado_add(int64_t n, const float* a, const float* b, float* y);
void cortado_mul(int64_t n, const float* a, const float* b, float* y);
void cortado_scale(int64_t n, float alpha, const float* x, float* y);
void cortado_axpy(int64_t n, float alpha, const float* x, float* y);
void cortado_fill(int64_t n, float value, float* y);
void cortado_bias_add(int outer, int channels, int inner, const float* bias, float* y);
void cortado_bias_grad(int outer, int channels, int inner, const float* dy, float* db);
void cortado_sum(int64_t n, const float* x, float* out);
void cortado_argmax(int rows, int cols, const float* x, float* out);

// ---- optimizer updates ---------------------------------------------------------------------
void cortado_sgd_momentum(int64_t n, float lr, float momentum, float weight_decay, bool nesterov,
                          float* w, const float* g, float* v);
void cortado_adam(int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step,
                  float* w, const float* g, float* m, float* v);
