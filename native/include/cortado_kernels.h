/* Cortado's kernel ABI: the table of kernels every native kernel library (native/cpu, native/cuda)
 * exports, one function pointer per kernel of java/src/main/java/dev/cortado/kernels/KernelSet.java,
 * in the same order and with the same meaning (read the javadoc there). The Java side binds any
 * such table with dev.cortado.kernels.NativeKernels.
 *
 * Arrays are float pointers into the library's device memory; counts are floats. Arguments are
 * validated in Java (CheckedKernels) before a kernel runs: kernels trust their input. */
#ifndef CORTADO_KERNELS_H
#define CORTADO_KERNELS_H

#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

/* Bump on any change to struct cortado_kernels; NativeKernels.ABI_VERSION must match. */
#define CORTADO_KERNELS_ABI_VERSION 3

/* A conv/pool window: `channels` planes of height x width, a kh x kw kernel, strides sh/sw,
 * zero padding ph/pw (dev.cortado.kernels.Window). */
#define CORTADO_WINDOW int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw

/* The most axes a strided kernel takes (KernelSet.MAX_RANK). */
#define CORTADO_MAX_RANK 8

/* Op codes of binary: the ordinals of dev.cortado.kernels.BinaryOp (its javadoc gives each op's
 * meaning, NaN included). Append, never reorder. */
#define CORTADO_BINARY_ADD 0
#define CORTADO_BINARY_SUB 1
#define CORTADO_BINARY_MUL 2
#define CORTADO_BINARY_DIV 3
#define CORTADO_BINARY_POW 4
#define CORTADO_BINARY_MAX 5
#define CORTADO_BINARY_MIN 6
#define CORTADO_BINARY_EQ 7
#define CORTADO_BINARY_NE 8
#define CORTADO_BINARY_LT 9
#define CORTADO_BINARY_LE 10
#define CORTADO_BINARY_GT 11
#define CORTADO_BINARY_GE 12

/* Op codes of unary and unary_backward: the ordinals of dev.cortado.kernels.UnaryOp. */
#define CORTADO_UNARY_EXP 0
#define CORTADO_UNARY_LOG 1
#define CORTADO_UNARY_SQRT 2
#define CORTADO_UNARY_RSQRT 3
#define CORTADO_UNARY_ABS 4
#define CORTADO_UNARY_NEG 5
#define CORTADO_UNARY_SQUARE 6
#define CORTADO_UNARY_CLAMP 7
#define CORTADO_UNARY_SOFTPLUS 8
#define CORTADO_UNARY_LEAKY_RELU 9
#define CORTADO_UNARY_ELU 10
#define CORTADO_UNARY_GELU 11

/* Op codes of reduce: the ordinals of dev.cortado.kernels.ReduceOp. */
#define CORTADO_REDUCE_SUM 0
#define CORTADO_REDUCE_MEAN 1
#define CORTADO_REDUCE_MAX 2
#define CORTADO_REDUCE_MIN 3
#define CORTADO_REDUCE_ARGMAX 4
#define CORTADO_REDUCE_ARGMIN 5
#define CORTADO_REDUCE_LOGSUMEXP 6

#ifdef __cplusplus
extern "C" {
#endif

struct cortado_kernels {
    int abi_version; /* CORTADO_KERNELS_ABI_VERSION */

    /* ---- BLAS-3 ---- */
    void (*gemm)(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

    /* ---- convolution lowering: `batch` images <-> one column matrix, rows (c, ki, kj), columns (n, oy, ox) ---- */
    void (*im2col)(CORTADO_WINDOW, int batch, const float* images, float* col);
    void (*col2im)(CORTADO_WINDOW, int batch, const float* col, float* images);

    /* ---- convolution: x [batch, channels, height, width], weight [filters, channels, kh, kw],
     *      y/dy [batch, filters, out_h, out_w]; bias may be null. conv_backward_data returns 0, or
     *      -1 when it cannot allocate its workspace (nothing written then). ---- */
    void (*conv_forward)(CORTADO_WINDOW, int batch, int filters, const float* x, const float* weight,
                         const float* bias, float* y);
    int (*conv_backward_data)(CORTADO_WINDOW, int batch, int filters, const float* weight, const float* dy, float* dx);
    void (*conv_backward_filter)(CORTADO_WINDOW, int batch, int filters, const float* x, const float* dy, float* dweight);

    /* ---- pooling over `channels` planes ---- */
    void (*max_pool_forward)(CORTADO_WINDOW, const float* x, float* y);
    void (*max_pool_backward)(CORTADO_WINDOW, const float* x, const float* dy, float* dx);
    void (*avg_pool_forward)(CORTADO_WINDOW, const float* x, float* y);
    void (*avg_pool_backward)(CORTADO_WINDOW, const float* dy, float* dx);

    /* ---- activations ---- */
    void (*sigmoid_forward)(int64_t n, const float* x, float* y);
    void (*sigmoid_backward)(int64_t n, const float* y, const float* dy, float* dx);
    void (*relu_forward)(int64_t n, const float* x, float* y);
    void (*relu_backward)(int64_t n, const float* x, const float* dy, float* dx);
    void (*tanh_forward)(int64_t n, const float* x, float* y);
    void (*tanh_backward)(int64_t n, const float* y, const float* dy, float* dx);

    /* ---- softmax family over `rows` rows of `cols` ---- */
    void (*softmax_forward)(int rows, int cols, const float* x, float* y);
    void (*softmax_backward)(int rows, int cols, const float* y, const float* dy, float* dx);
    void (*log_softmax_forward)(int rows, int cols, const float* x, float* y);
    void (*log_softmax_backward)(int rows, int cols, const float* y, const float* dy, float* dx);
    void (*softmax_cross_entropy_forward)(int rows, int cols, const float* logits, const float* labels,
                                          float* probs, float* loss);
    void (*softmax_cross_entropy_backward)(int rows, int cols, const float* probs, const float* labels,
                                           float scale, float* dx);

    /* ---- elementwise ---- */
    void (*add)(int64_t n, const float* a, const float* b, float* y);
    void (*mul)(int64_t n, const float* a, const float* b, float* y);
    void (*scale)(int64_t n, float alpha, const float* x, float* y);
    void (*axpy)(int64_t n, float alpha, const float* x, float* y);
    void (*fill)(int64_t n, float value, float* y);
    void (*bias_add)(int outer, int channels, int inner, const float* bias, float* y);
    void (*bias_grad)(int outer, int channels, int inner, const float* dy, float* db);

    /* ---- reductions ---- */
    void (*sum)(int64_t n, const float* x, float* out);
    void (*equal)(int64_t n, const float* a, const float* b, float* y);
    void (*argmax)(int rows, int cols, const float* x, float* out);

    /* ---- general tensor ops: rank <= CORTADO_MAX_RANK axes, element strides (0 repeats an element);
     *      shape and strides hold `rank` values each ---- */
    void (*copy_strided)(int rank, const int64_t* shape, const int64_t* src_strides, const float* src,
                         const int64_t* dst_strides, float* dst);
    /* y contiguous (row-major) in shape; op a CORTADO_BINARY_* code */
    void (*binary)(int op, int rank, const int64_t* shape, const int64_t* a_strides, const float* a,
                   const int64_t* b_strides, const float* b, float* y);
    /* op a CORTADO_UNARY_* code; y may be x, dx may be dy */
    void (*unary)(int op, int64_t n, float p1, float p2, const float* x, float* y);
    void (*unary_backward)(int op, int64_t n, float p1, float p2, const float* x, const float* dy, float* dx);
    /* x [outer, len, inner] -> y [outer, inner]; op a CORTADO_REDUCE_* code */
    void (*reduce)(int op, int64_t outer, int64_t len, int64_t inner, const float* x, float* y);
    /* y [outer, count, inner] from x [outer, len, inner] at index[o*is0 + j*is1 + i*is2]; scatter_add is
     * its backward and accumulates into dx */
    void (*gather)(int64_t outer, int64_t len, int64_t inner, int64_t count, const float* x, const float* index,
                   int64_t is0, int64_t is1, int64_t is2, float* y);
    void (*scatter_add)(int64_t outer, int64_t len, int64_t inner, int64_t count, const float* index,
                        int64_t is0, int64_t is1, int64_t is2, const float* dy, float* dx);
    /* gemm on `batch` triples at a + i*stride_a, b + i*stride_b, c + i*stride_c */
    void (*gemm_batched)(bool trans_a, bool trans_b, int m, int n, int k, float alpha,
                         const float* a, int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b,
                         float beta, float* c, int ldc, int64_t stride_c, int batch);

    /* ---- recurrent cells: one LSTM step over `batch` rows of `hidden` units, gates in PyTorch's
     *      order i, f, g, o; gates, act and d_gates [batch, 4*hidden], the rest [batch, hidden];
     *      no output overlaps an input or another output ---- */
    void (*lstm_cell_forward)(int batch, int hidden, const float* gates, const float* c_prev,
                              float* act, float* c, float* h);
    void (*lstm_cell_backward)(int batch, int hidden, const float* act, const float* c_prev, const float* c,
                               const float* dh, const float* dc, float* d_gates, float* dc_prev);

    /* ---- random numbers: y[i] = the i-th float of the SplitMix64 stream with this state ---- */
    void (*rand)(int64_t n, int64_t state, float* y);

    /* ---- optimizer updates ---- */
    void (*sgd_momentum)(int64_t n, float lr, float momentum, float weight_decay, bool nesterov,
                         float* w, const float* g, float* v);
    void (*adam)(int64_t n, float lr, float beta1, float beta2, float eps, float weight_decay, int64_t step,
                 float* w, const float* g, float* m, float* v);
};

/* The one entry point of a kernel library: its table (static, never null). */
const struct cortado_kernels* cortado_kernel_table(void);

#ifdef __cplusplus
}
#endif

#endif
