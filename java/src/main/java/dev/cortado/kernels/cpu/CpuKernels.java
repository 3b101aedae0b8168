package dev.cortado.kernels.cpu;

import dev.cortado.kernels.JavaKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;

/**
 * The native CPU kernel set (native/cpu, C++17) behind the JavaCPP binding. Use it through
 * {@link dev.cortado.kernels.Backends}, which wraps it in the argument checks; this class passes
 * raw addresses straight to C++.
 */
public final class CpuKernels implements KernelSet {

    /** Micro-kernel instruction sets, as numbered in cortado_cpu.h. */
    public enum Isa { PORTABLE, AVX2, AVX512 }

    private static final Throwable LOAD_FAILURE = tryLoad();

    private static Throwable tryLoad() {
        try {
            NativeCpu.cortado_threads();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Whether the native library loaded on this machine. */
    public static boolean isAvailable() {
        return LOAD_FAILURE == null;
    }

    /** Why the native library did not load, or null. */
    public static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** Loads the library (once) or throws with the reason. */
    public CpuKernels() {
        if (LOAD_FAILURE != null) {
            throw new IllegalStateException("native cpu kernels unavailable: " + LOAD_FAILURE, LOAD_FAILURE);
        }
    }

    /** Sets the kernel thread count (the persistent pool is resized; default: available cores). */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > 256) throw new IllegalArgumentException("threads must be in [1, 256], got " + n);
        NativeCpu.cortado_set_threads(n);
    }

    public static int threads() {
        return NativeCpu.cortado_threads();
    }

    /** The best micro-kernel this CPU supports. */
    public static Isa bestIsa() {
        return Isa.values()[NativeCpu.cortado_best_isa()];
    }

    /** The micro-kernel in use. */
    public static Isa isa() {
        return Isa.values()[NativeCpu.cortado_isa()];
    }

    /** Selects the GEMM micro-kernel (tests use this to cover each one); returns the one in use. */
    public static synchronized Isa setIsa(Isa isa) {
        if (isa == null) throw new IllegalArgumentException("isa is null");
        return Isa.values()[NativeCpu.cortado_set_isa(isa.ordinal())];
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Device.Kind deviceKind() {
        return Device.Kind.CPU;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Ptr a, int lda, Ptr b, int ldb, float beta, Ptr c, int ldc) {
        NativeCpu.cortado_sgemm(transA, transB, m, n, k, alpha, a.address(), lda, b.address(), ldb, beta, c.address(), ldc);
    }

    @Override
    public void im2col(Window w, int batch, Ptr images, Ptr col) {
        NativeCpu.cortado_im2col(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), batch, images.address(), col.address());
    }

    @Override
    public void col2im(Window w, int batch, Ptr col, Ptr images) {
        NativeCpu.cortado_col2im(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), batch, col.address(), images.address());
    }

    @Override
    public void convForward(Window w, int batch, int filters, Ptr x, Ptr weight, Ptr bias, Ptr y) {
        NativeCpu.cortado_conv_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), batch, filters, x.address(), weight.address(), bias == null ? 0 : bias.address(), y.address());
    }

    @Override
    public void convBackwardData(Window w, int batch, int filters, Ptr weight, Ptr dy, Ptr dx) {
        if (NativeCpu.cortado_conv_backward_data(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), batch, filters, weight.address(), dy.address(), dx.address()) != 0) {
            throw new OutOfMemoryError("convBackwardData: no native memory for its column workspace (" + w + ", batch " + batch + ")");
        }
    }

    @Override
    public void convBackwardFilter(Window w, int batch, int filters, Ptr x, Ptr dy, Ptr dweight) {
        NativeCpu.cortado_conv_backward_filter(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), batch, filters, x.address(), dy.address(), dweight.address());
    }

    @Override
    public void maxPoolForward(Window w, Ptr x, Ptr y) {
        NativeCpu.cortado_max_pool_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), x.address(), y.address());
    }

    @Override
    public void maxPoolBackward(Window w, Ptr x, Ptr dy, Ptr dx) {
        NativeCpu.cortado_max_pool_backward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), x.address(), dy.address(), dx.address());
    }

    @Override
    public void avgPoolForward(Window w, Ptr x, Ptr y) {
        NativeCpu.cortado_avg_pool_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), x.address(), y.address());
    }

    @Override
    public void avgPoolBackward(Window w, Ptr dy, Ptr dx) {
        NativeCpu.cortado_avg_pool_backward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(),
                w.strideW(), w.padH(), w.padW(), dy.address(), dx.address());
    }

    @Override
    public void sigmoidForward(long n, Ptr x, Ptr y) {
        NativeCpu.cortado_sigmoid_forward(n, x.address(), y.address());
    }

    @Override
    public void sigmoidBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        NativeCpu.cortado_sigmoid_backward(n, y.address(), dy.address(), dx.address());
    }

    @Override
    public void reluForward(long n, Ptr x, Ptr y) {
        NativeCpu.cortado_relu_forward(n, x.address(), y.address());
    }

    @Override
    public void reluBackward(long n, Ptr x, Ptr dy, Ptr dx) {
        NativeCpu.cortado_relu_backward(n, x.address(), dy.address(), dx.address());
    }

    @Override
    public void tanhForward(long n, Ptr x, Ptr y) {
        NativeCpu.cortado_tanh_forward(n, x.address(), y.address());
    }

    @Override
    public void tanhBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        NativeCpu.cortado_tanh_backward(n, y.address(), dy.address(), dx.address());
    }

    @Override
    public void softmaxForward(int rows, int cols, Ptr x, Ptr y) {
        NativeCpu.cortado_softmax_forward(rows, cols, x.address(), y.address());
    }

    @Override
    public void softmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        NativeCpu.cortado_softmax_backward(rows, cols, y.address(), dy.address(), dx.address());
    }

    @Override
    public void logSoftmaxForward(int rows, int cols, Ptr x, Ptr y) {
        NativeCpu.cortado_log_softmax_forward(rows, cols, x.address(), y.address());
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        NativeCpu.cortado_log_softmax_backward(rows, cols, y.address(), dy.address(), dx.address());
    }

    @Override
    public void softmaxCrossEntropyForward(int rows, int cols, Ptr logits, Ptr labels, Ptr probs, Ptr loss) {
        NativeCpu.cortado_softmax_xent_forward(rows, cols, logits.address(), labels.address(), probs.address(), loss.address());
    }

    @Override
    public void softmaxCrossEntropyBackward(int rows, int cols, Ptr probs, Ptr labels, float scale, Ptr dx) {
        NativeCpu.cortado_softmax_xent_backward(rows, cols, probs.address(), labels.address(), scale, dx.address());
    }

    @Override
    public void add(long n, Ptr a, Ptr b, Ptr y) {
        NativeCpu.cortado_add(n, a.address(), b.address(), y.address());
    }

    @Override
    public void mul(long n, Ptr a, Ptr b, Ptr y) {
        NativeCpu.cortado_mul(n, a.address(), b.address(), y.address());
    }

    @Override
    public void scale(long n, float alpha, Ptr x, Ptr y) {
        NativeCpu.cortado_scale(n, alpha, x.address(), y.address());
    }

    @Override
    public void axpy(long n, float alpha, Ptr x, Ptr y) {
        NativeCpu.cortado_axpy(n, alpha, x.address(), y.address());
    }

    @Override
    public void fill(long n, float value, Ptr y) {
        NativeCpu.cortado_fill(n, value, y.address());
    }

    @Override
    public void biasAdd(int outer, int channels, int inner, Ptr bias, Ptr y) {
        NativeCpu.cortado_bias_add(outer, channels, inner, bias.address(), y.address());
    }

    @Override
    public void biasGrad(int outer, int channels, int inner, Ptr dy, Ptr db) {
        NativeCpu.cortado_bias_grad(outer, channels, inner, dy.address(), db.address());
    }

    @Override
    public void sum(long n, Ptr x, Ptr out) {
        NativeCpu.cortado_sum(n, x.address(), out.address());
    }

    @Override
    public void argmax(int rows, int cols, Ptr x, Ptr out) {
        NativeCpu.cortado_argmax(rows, cols, x.address(), out.address());
    }

    @Override
    public void sgdMomentum(long n, float lr, float momentum, float weightDecay, boolean nesterov, Ptr w, Ptr g, Ptr v) {
        NativeCpu.cortado_sgd_momentum(n, lr, momentum, weightDecay, nesterov, w.address(), g.address(), v.address());
    }

    @Override
    public void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                     Ptr w, Ptr g, Ptr m, Ptr v) {
        NativeCpu.cortado_adam(n, lr, beta1, beta2, eps, weightDecay, step, w.address(), g.address(), m.address(), v.address());
    }

    // TODO(native ABI): equal and rand run the reference kernels on the same memory until their C++ lands.
    private static final JavaKernels REFERENCE = new JavaKernels();

    @Override
    public void equal(long n, Ptr a, Ptr b, Ptr y) {
        REFERENCE.equal(n, a, b, y);
    }

    @Override
    public void rand(long n, long state, Ptr y) {
        REFERENCE.rand(n, state, y);
    }
}
