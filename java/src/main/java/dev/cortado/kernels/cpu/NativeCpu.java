package dev.cortado.kernels.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI binding to native/cpu (generated and compiled by the javacpp Maven plugin). Pointers
 * travel as raw addresses: callers (CpuKernels, behind CheckedKernels) have validated every
 * argument. Nothing here may be called with unchecked input.
 */
@Platform(include = "cortado_cpu.h", compiler = "cpp17")
final class NativeCpu {

    static {
        Loader.load();
    }

    private NativeCpu() {
    }

    static native void cortado_set_threads(int n);

    static native int cortado_threads();

    static native int cortado_best_isa();

    static native int cortado_set_isa(int isa);

    static native int cortado_isa();

    static native void cortado_sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                     @Cast("const float*") long a, int lda, @Cast("const float*") long b, int ldb,
                                     float beta, @Cast("float*") long c, int ldc);

    static native void cortado_im2col(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                      int batch, @Cast("const float*") long images, @Cast("float*") long col);

    static native void cortado_col2im(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                      int batch, @Cast("const float*") long col, @Cast("float*") long images);

    static native void cortado_conv_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                            int batch, int filters, @Cast("const float*") long x, @Cast("const float*") long weight,
                                            @Cast("const float*") long bias, @Cast("float*") long y);

    static native int cortado_conv_backward_data(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                 int batch, int filters, @Cast("const float*") long weight,
                                                 @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_conv_backward_filter(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                    int batch, int filters, @Cast("const float*") long x,
                                                    @Cast("const float*") long dy, @Cast("float*") long dweight);

    static native void cortado_max_pool_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_max_pool_backward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                 @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_avg_pool_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_avg_pool_backward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                                 @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_sigmoid_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_sigmoid_backward(long n, @Cast("const float*") long y, @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_relu_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_relu_backward(long n, @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_tanh_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_tanh_backward(long n, @Cast("const float*") long y, @Cast("const float*") long dy, @Cast("float*") long dx);

    static native void cortado_softmax_forward(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_softmax_backward(int rows, int cols, @Cast("const float*") long y, @Cast("const float*") long dy,
                                                @Cast("float*") long dx);

    static native void cortado_log_softmax_forward(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_log_softmax_backward(int rows, int cols, @Cast("const float*") long y, @Cast("const float*") long dy,
                                                    @Cast("float*") long dx);

    static native void cortado_softmax_xent_forward(int rows, int cols, @Cast("const float*") long logits,
                                                    @Cast("const float*") long labels, @Cast("float*") long probs, @Cast("float*") long loss);

    static native void cortado_softmax_xent_backward(int rows, int cols, @Cast("const float*") long probs,
                                                     @Cast("const float*") long labels, float scale, @Cast("float*") long dx);

    static native void cortado_add(long n, @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y);

    static native void cortado_mul(long n, @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y);

    static native void cortado_scale(long n, float alpha, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_axpy(long n, float alpha, @Cast("const float*") long x, @Cast("float*") long y);

    static native void cortado_fill(long n, float value, @Cast("float*") long y);

    static native void cortado_bias_add(int outer, int channels, int inner, @Cast("const float*") long bias, @Cast("float*") long y);

    static native void cortado_bias_grad(int outer, int channels, int inner, @Cast("const float*") long dy, @Cast("float*") long db);

    static native void cortado_sum(long n, @Cast("const float*") long x, @Cast("float*") long out);

    static native void cortado_argmax(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long out);

    static native void cortado_sgd_momentum(long n, float lr, float momentum, float weightDecay, boolean nesterov,
                                            @Cast("float*") long w, @Cast("const float*") long g, @Cast("float*") long v);

    static native void cortado_adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                                    @Cast("float*") long w, @Cast("const float*") long g, @Cast("float*") long m, @Cast("float*") long v);
}
