package dev.cortado.kernels;

import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Function;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Any native kernel library as a {@link KernelSet}: it binds the kernel table the library
 * exports ({@code struct cortado_kernels} of native/include/cortado_kernels.h) and each kernel
 * is one JNI call through the table. The library itself (native/cpu, native/cuda) is loaded by
 * its own small binding class, which hands over its table's address; that library's javacpp
 * build must also compile {@link Table}'s JNI glue (which only calls through the table, so any
 * library's copy serves any table). Pointers travel as raw addresses: callers (behind
 * {@link CheckedKernels}) have validated every argument.
 */
public class NativeKernels implements KernelSet {

    /** The table layout this class is written for: CORTADO_KERNELS_ABI_VERSION in the header. */
    public static final int ABI_VERSION = 3;

    private final String name;
    private final Device.Kind kind;
    private final Table t;

    /** Binds the table at {@code table} (as returned by the library's cortado_kernel_table()). */
    public NativeKernels(String name, Device.Kind kind, long table) {
        if (table == 0) throw new IllegalArgumentException(name + ": kernel table address is 0");
        this.name = name;
        this.kind = kind;
        this.t = new Table(table);
        if (t.abi_version() != ABI_VERSION) {
            throw new IllegalStateException(name + ": native kernel table has ABI version " + t.abi_version()
                    + ", this build expects " + ABI_VERSION);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Device.Kind deviceKind() {
        return kind;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Ptr a, int lda, Ptr b, int ldb, float beta, Ptr c, int ldc) {
        t.gemm(transA, transB, m, n, k, alpha, a.address(), lda, b.address(), ldb, beta, c.address(), ldc);
    }

    @Override
    public void im2col(Window w, int batch, Ptr images, Ptr col) {
        t.im2col(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(), w.padH(), w.padW(),
                batch, images.address(), col.address());
    }

    @Override
    public void col2im(Window w, int batch, Ptr col, Ptr images) {
        t.col2im(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(), w.padH(), w.padW(),
                batch, col.address(), images.address());
    }

    @Override
    public void convForward(Window w, int batch, int filters, Ptr x, Ptr weight, Ptr bias, Ptr y) {
        t.conv_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(), w.padH(), w.padW(),
                batch, filters, x.address(), weight.address(), bias == null ? 0 : bias.address(), y.address());
    }

    @Override
    public void convBackwardData(Window w, int batch, int filters, Ptr weight, Ptr dy, Ptr dx) {
        if (t.conv_backward_data(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), batch, filters, weight.address(), dy.address(), dx.address()) != 0) {
            throw new OutOfMemoryError(name + " convBackwardData: no native memory for its workspace (" + w + ", batch " + batch + ")");
        }
    }

    @Override
    public void convBackwardFilter(Window w, int batch, int filters, Ptr x, Ptr dy, Ptr dweight) {
        t.conv_backward_filter(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), batch, filters, x.address(), dy.address(), dweight.address());
    }

    @Override
    public void maxPoolForward(Window w, Ptr x, Ptr y) {
        t.max_pool_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), x.address(), y.address());
    }

    @Override
    public void maxPoolBackward(Window w, Ptr x, Ptr dy, Ptr dx) {
        t.max_pool_backward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), x.address(), dy.address(), dx.address());
    }

    @Override
    public void avgPoolForward(Window w, Ptr x, Ptr y) {
        t.avg_pool_forward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), x.address(), y.address());
    }

    @Override
    public void avgPoolBackward(Window w, Ptr dy, Ptr dx) {
        t.avg_pool_backward(w.channels(), w.height(), w.width(), w.kernelH(), w.kernelW(), w.strideH(), w.strideW(),
                w.padH(), w.padW(), dy.address(), dx.address());
    }

    @Override
    public void sigmoidForward(long n, Ptr x, Ptr y) {
        t.sigmoid_forward(n, x.address(), y.address());
    }

    @Override
    public void sigmoidBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        t.sigmoid_backward(n, y.address(), dy.address(), dx.address());
    }

    @Override
    public void reluForward(long n, Ptr x, Ptr y) {
        t.relu_forward(n, x.address(), y.address());
    }

    @Override
    public void reluBackward(long n, Ptr x, Ptr dy, Ptr dx) {
        t.relu_backward(n, x.address(), dy.address(), dx.address());
    }

    @Override
    public void tanhForward(long n, Ptr x, Ptr y) {
        t.tanh_forward(n, x.address(), y.address());
    }

    @Override
    public void tanhBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        t.tanh_backward(n, y.address(), dy.address(), dx.address());
    }

    @Override
    public void softmaxForward(int rows, int cols, Ptr x, Ptr y) {
        t.softmax_forward(rows, cols, x.address(), y.address());
    }

    @Override
    public void softmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        t.softmax_backward(rows, cols, y.address(), dy.address(), dx.address());
    }

    @Override
    public void logSoftmaxForward(int rows, int cols, Ptr x, Ptr y) {
        t.log_softmax_forward(rows, cols, x.address(), y.address());
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        t.log_softmax_backward(rows, cols, y.address(), dy.address(), dx.address());
    }

    @Override
    public void softmaxCrossEntropyForward(int rows, int cols, Ptr logits, Ptr labels, Ptr probs, Ptr loss) {
        t.softmax_cross_entropy_forward(rows, cols, logits.address(), labels.address(), probs.address(), loss.address());
    }

    @Override
    public void softmaxCrossEntropyBackward(int rows, int cols, Ptr probs, Ptr labels, float scale, Ptr dx) {
        t.softmax_cross_entropy_backward(rows, cols, probs.address(), labels.address(), scale, dx.address());
    }

    @Override
    public void add(long n, Ptr a, Ptr b, Ptr y) {
        t.add(n, a.address(), b.address(), y.address());
    }

    @Override
    public void mul(long n, Ptr a, Ptr b, Ptr y) {
        t.mul(n, a.address(), b.address(), y.address());
    }

    @Override
    public void scale(long n, float alpha, Ptr x, Ptr y) {
        t.scale(n, alpha, x.address(), y.address());
    }

    @Override
    public void axpy(long n, float alpha, Ptr x, Ptr y) {
        t.axpy(n, alpha, x.address(), y.address());
    }

    @Override
    public void fill(long n, float value, Ptr y) {
        t.fill(n, value, y.address());
    }

    @Override
    public void biasAdd(int outer, int channels, int inner, Ptr bias, Ptr y) {
        t.bias_add(outer, channels, inner, bias.address(), y.address());
    }

    @Override
    public void biasGrad(int outer, int channels, int inner, Ptr dy, Ptr db) {
        t.bias_grad(outer, channels, inner, dy.address(), db.address());
    }

    @Override
    public void sum(long n, Ptr x, Ptr out) {
        t.sum(n, x.address(), out.address());
    }

    @Override
    public void equal(long n, Ptr a, Ptr b, Ptr y) {
        t.equal(n, a.address(), b.address(), y.address());
    }

    @Override
    public void argmax(int rows, int cols, Ptr x, Ptr out) {
        t.argmax(rows, cols, x.address(), out.address());
    }

    // ---- general tensor ops: shapes and strides travel as Java arrays (rank values each, read in
    //      place by the JNI glue and released without a copy back); ops as their ordinals ----

    @Override
    public void copyStrided(long[] shape, long[] srcStrides, Ptr src, long[] dstStrides, Ptr dst) {
        t.copy_strided(shape.length, shape, srcStrides, src.address(), dstStrides, dst.address());
    }

    @Override
    public void binary(BinaryOp op, long[] shape, long[] aStrides, Ptr a, long[] bStrides, Ptr b, Ptr y) {
        t.binary(op.ordinal(), shape.length, shape, aStrides, a.address(), bStrides, b.address(), y.address());
    }

    @Override
    public void unary(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr y) {
        t.unary(op.ordinal(), n, p1, p2, x.address(), y.address());
    }

    @Override
    public void unaryBackward(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr dy, Ptr dx) {
        t.unary_backward(op.ordinal(), n, p1, p2, x.address(), dy.address(), dx.address());
    }

    @Override
    public void reduce(ReduceOp op, long outer, long len, long inner, Ptr x, Ptr y) {
        t.reduce(op.ordinal(), outer, len, inner, x.address(), y.address());
    }

    @Override
    public void gather(long outer, long len, long inner, long count, Ptr x, Ptr index, long is0, long is1, long is2, Ptr y) {
        t.gather(outer, len, inner, count, x.address(), index.address(), is0, is1, is2, y.address());
    }

    @Override
    public void scatterAdd(long outer, long len, long inner, long count, Ptr index, long is0, long is1, long is2, Ptr dy, Ptr dx) {
        t.scatter_add(outer, len, inner, count, index.address(), is0, is1, is2, dy.address(), dx.address());
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            Ptr a, int lda, long strideA, Ptr b, int ldb, long strideB,
                            float beta, Ptr c, int ldc, long strideC, int batch) {
        t.gemm_batched(transA, transB, m, n, k, alpha, a.address(), lda, strideA, b.address(), ldb, strideB,
                beta, c.address(), ldc, strideC, batch);
    }

    @Override
    public void lstmCellForward(int batch, int hidden, Ptr gates, Ptr cPrev, Ptr act, Ptr c, Ptr h) {
        t.lstm_cell_forward(batch, hidden, gates.address(), cPrev.address(), act.address(), c.address(), h.address());
    }

    @Override
    public void lstmCellBackward(int batch, int hidden, Ptr act, Ptr cPrev, Ptr c, Ptr dh, Ptr dc, Ptr dGates, Ptr dcPrev) {
        t.lstm_cell_backward(batch, hidden, act.address(), cPrev.address(), c.address(), dh.address(), dc.address(),
                dGates.address(), dcPrev.address());
    }

    @Override
    public void rand(long n, long state, Ptr y) {
        t.rand(n, state, y.address());
    }

    @Override
    public void sgdMomentum(long n, float lr, float momentum, float weightDecay, boolean nesterov, Ptr w, Ptr g, Ptr v) {
        t.sgd_momentum(n, lr, momentum, weightDecay, nesterov, w.address(), g.address(), v.address());
    }

    @Override
    public void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                     Ptr w, Ptr g, Ptr m, Ptr v) {
        t.adam(n, lr, beta1, beta2, eps, weightDecay, step, w.address(), g.address(), m.address(), v.address());
    }

    /**
     * {@code struct cortado_kernels}: each method calls the function-pointer member of the same
     * name ({@code table->gemm(...)}), with the C parameter types of the header.
     */
    @Platform(include = "cortado_kernels.h")
    @Name("cortado_kernels")
    static final class Table extends Pointer {

        Table(long address) {
            this.address = address;
        }

        @MemberGetter
        native int abi_version();

        @Function
        native void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                         @Cast("const float*") long a, int lda, @Cast("const float*") long b, int ldb,
                         float beta, @Cast("float*") long c, int ldc);

        @Function
        native void im2col(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                           int batch, @Cast("const float*") long images, @Cast("float*") long col);

        @Function
        native void col2im(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                           int batch, @Cast("const float*") long col, @Cast("float*") long images);

        @Function
        native void conv_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                 int batch, int filters, @Cast("const float*") long x, @Cast("const float*") long weight,
                                 @Cast("const float*") long bias, @Cast("float*") long y);

        @Function
        native int conv_backward_data(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                      int batch, int filters, @Cast("const float*") long weight,
                                      @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void conv_backward_filter(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                         int batch, int filters, @Cast("const float*") long x,
                                         @Cast("const float*") long dy, @Cast("float*") long dweight);

        @Function
        native void max_pool_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                     @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void max_pool_backward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                      @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void avg_pool_forward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                     @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void avg_pool_backward(int channels, int height, int width, int kh, int kw, int sh, int sw, int ph, int pw,
                                      @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void sigmoid_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void sigmoid_backward(long n, @Cast("const float*") long y, @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void relu_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void relu_backward(long n, @Cast("const float*") long x, @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void tanh_forward(long n, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void tanh_backward(long n, @Cast("const float*") long y, @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void softmax_forward(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void softmax_backward(int rows, int cols, @Cast("const float*") long y, @Cast("const float*") long dy,
                                     @Cast("float*") long dx);

        @Function
        native void log_softmax_forward(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void log_softmax_backward(int rows, int cols, @Cast("const float*") long y, @Cast("const float*") long dy,
                                         @Cast("float*") long dx);

        @Function
        native void softmax_cross_entropy_forward(int rows, int cols, @Cast("const float*") long logits,
                                                  @Cast("const float*") long labels, @Cast("float*") long probs,
                                                  @Cast("float*") long loss);

        @Function
        native void softmax_cross_entropy_backward(int rows, int cols, @Cast("const float*") long probs,
                                                   @Cast("const float*") long labels, float scale, @Cast("float*") long dx);

        @Function
        native void add(long n, @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y);

        @Function
        native void mul(long n, @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y);

        @Function
        native void scale(long n, float alpha, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void axpy(long n, float alpha, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void fill(long n, float value, @Cast("float*") long y);

        @Function
        native void bias_add(int outer, int channels, int inner, @Cast("const float*") long bias, @Cast("float*") long y);

        @Function
        native void bias_grad(int outer, int channels, int inner, @Cast("const float*") long dy, @Cast("float*") long db);

        @Function
        native void sum(long n, @Cast("const float*") long x, @Cast("float*") long out);

        @Function
        native void equal(long n, @Cast("const float*") long a, @Cast("const float*") long b, @Cast("float*") long y);

        @Function
        native void argmax(int rows, int cols, @Cast("const float*") long x, @Cast("float*") long out);

        @Function
        native void copy_strided(int rank, @Cast("const int64_t*") long[] shape, @Cast("const int64_t*") long[] srcStrides,
                                 @Cast("const float*") long src, @Cast("const int64_t*") long[] dstStrides, @Cast("float*") long dst);

        @Function
        native void binary(int op, int rank, @Cast("const int64_t*") long[] shape, @Cast("const int64_t*") long[] aStrides,
                           @Cast("const float*") long a, @Cast("const int64_t*") long[] bStrides, @Cast("const float*") long b,
                           @Cast("float*") long y);

        @Function
        native void unary(int op, long n, float p1, float p2, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void unary_backward(int op, long n, float p1, float p2, @Cast("const float*") long x,
                                   @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void reduce(int op, long outer, long len, long inner, @Cast("const float*") long x, @Cast("float*") long y);

        @Function
        native void gather(long outer, long len, long inner, long count, @Cast("const float*") long x,
                           @Cast("const float*") long index, long is0, long is1, long is2, @Cast("float*") long y);

        @Function
        native void scatter_add(long outer, long len, long inner, long count, @Cast("const float*") long index,
                                long is0, long is1, long is2, @Cast("const float*") long dy, @Cast("float*") long dx);

        @Function
        native void gemm_batched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 @Cast("const float*") long a, int lda, long strideA, @Cast("const float*") long b, int ldb,
                                 long strideB, float beta, @Cast("float*") long c, int ldc, long strideC, int batch);

        @Function
        native void lstm_cell_forward(int batch, int hidden, @Cast("const float*") long gates, @Cast("const float*") long cPrev,
                                      @Cast("float*") long act, @Cast("float*") long c, @Cast("float*") long h);

        @Function
        native void lstm_cell_backward(int batch, int hidden, @Cast("const float*") long act, @Cast("const float*") long cPrev,
                                       @Cast("const float*") long c, @Cast("const float*") long dh, @Cast("const float*") long dc,
                                       @Cast("float*") long dGates, @Cast("float*") long dcPrev);

        @Function
        native void rand(long n, long state, @Cast("float*") long y);

        @Function
        native void sgd_momentum(long n, float lr, float momentum, float weightDecay, boolean nesterov,
                                 @Cast("float*") long w, @Cast("const float*") long g, @Cast("float*") long v);

        @Function
        native void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                         @Cast("float*") long w, @Cast("const float*") long g, @Cast("float*") long m, @Cast("float*") long v);
    }
}
