package dev.cortado.kernels;

import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;

/**
 * The small kernel set every backend implements with the same signatures: java (the reference),
 * cpu (native C++) and cuda. Everything above it (ops, autograd, layers, optimizers) is
 * backend-blind.
 *
 * <p>Conventions: matrices are row-major; {@code n}, {@code rows}, {@code cols} count floats;
 * an output is fully overwritten unless the method says it accumulates; an output may be the
 * same memory as an input for the elementwise kernels (in place), never for gemm, im2col,
 * col2im or pooling. Callers go through {@link CheckedKernels}, which validates every argument
 * before an implementation sees it, so implementations may assume valid input.
 */
public interface KernelSet {

    /** Short name: "java", "cpu" or "cuda". */
    String name();

    /** The kind of device whose memory these kernels read and write. */
    Device.Kind deviceKind();

    // ---- BLAS-3 -------------------------------------------------------------------------------

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, op(A) is m x k, op(B) is k x n, C is m x n.
     * With transA, A is stored k x m. When beta is 0, C is not read (NaN in C does not leak).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, Ptr a, int lda, Ptr b, int ldb, float beta, Ptr c, int ldc);

    // ---- convolution lowering (Caffe layout) ---------------------------------------------------

    /**
     * {@code batch} images (each channels x height x width, one after the other) to one column
     * matrix of colRows x (batch · colCols): column n · colCols + p holds image n's window p.
     * Padding reads as 0.
     */
    void im2col(Window w, int batch, Ptr images, Ptr col);

    /** The column matrix back to {@code batch} images, summing overlapping windows; images are overwritten. */
    void col2im(Window w, int batch, Ptr col, Ptr images);


    // ---- convolution (cuDNN's three): x [batch, w.channels, w.height, w.width],
    //      weight [filters, w.channels, w.kernelH, w.kernelW], y/dy [batch, filters, w.outH, w.outW] ----

    /** y = x convolved with weight (cross-correlation, as in Caffe and PyTorch), plus bias[filters] unless bias is null. */
    void convForward(Window w, int batch, int filters, Ptr x, Ptr weight, Ptr bias, Ptr y);

    /** dx = the gradient of convForward's y with respect to x, given dy (dx is overwritten). */
    void convBackwardData(Window w, int batch, int filters, Ptr weight, Ptr dy, Ptr dx);

    /** dweight = the gradient of convForward's y with respect to weight, given dy (overwritten). */
    void convBackwardFilter(Window w, int batch, int filters, Ptr x, Ptr dy, Ptr dweight);

    // ---- pooling over w.channels() planes ------------------------------------------------------

    /** Max over each window, padding excluded. */
    void maxPoolForward(Window w, Ptr x, Ptr y);

    /** dx (overwritten) receives dy at the first maximum of each window, in scan order. */
    void maxPoolBackward(Window w, Ptr x, Ptr dy, Ptr dx);

    /** Mean over each window; padding counts as zeros (divisor kernelH * kernelW). */
    void avgPoolForward(Window w, Ptr x, Ptr y);

    /** dx (overwritten) = the backward of {@link #avgPoolForward}. */
    void avgPoolBackward(Window w, Ptr dy, Ptr dx);

    // ---- activations ---------------------------------------------------------------------------

    void sigmoidForward(long n, Ptr x, Ptr y);

    /** dx = dy * y * (1 - y), from the forward output y. */
    void sigmoidBackward(long n, Ptr y, Ptr dy, Ptr dx);

    void reluForward(long n, Ptr x, Ptr y);

    /** dx = x > 0 ? dy : 0, from the forward input x. */
    void reluBackward(long n, Ptr x, Ptr dy, Ptr dx);

    void tanhForward(long n, Ptr x, Ptr y);

    /** dx = dy * (1 - y^2), from the forward output y. */
    void tanhBackward(long n, Ptr y, Ptr dy, Ptr dx);

    // ---- softmax family, over each of {@code rows} rows of {@code cols} -----------------------

    void softmaxForward(int rows, int cols, Ptr x, Ptr y);

    /** dx = y * (dy - sum(dy * y)), from the forward output y. */
    void softmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx);

    void logSoftmaxForward(int rows, int cols, Ptr x, Ptr y);

    /** dx = dy - exp(y) * sum(dy), from the forward output y. */
    void logSoftmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx);

    /**
     * Softmax of the logits into probs and, per row, loss = -log softmax(logits)[label], with
     * labels holding class indices as floats (Caffe convention).
     */
    void softmaxCrossEntropyForward(int rows, int cols, Ptr logits, Ptr labels, Ptr probs, Ptr loss);

    /** dx = scale * (probs - onehot(labels)). */
    void softmaxCrossEntropyBackward(int rows, int cols, Ptr probs, Ptr labels, float scale, Ptr dx);

    // ---- elementwise ---------------------------------------------------------------------------

    /** y = a + b. */
    void add(long n, Ptr a, Ptr b, Ptr y);

    /** y = a * b. */
    void mul(long n, Ptr a, Ptr b, Ptr y);

    /** y = alpha * x. */
    void scale(long n, float alpha, Ptr x, Ptr y);

    /** y += alpha * x. */
    void axpy(long n, float alpha, Ptr x, Ptr y);

    /** y = value. */
    void fill(long n, float value, Ptr y);

    /** y[o, c, i] += bias[c] for y laid out outer x channels x inner. */
    void biasAdd(int outer, int channels, int inner, Ptr bias, Ptr y);

    /** db[c] = sum over o, i of dy[o, c, i] (overwritten). */
    void biasGrad(int outer, int channels, int inner, Ptr dy, Ptr db);

    // ---- reductions ----------------------------------------------------------------------------

    /** out[0] = sum of x[0..n). */
    void sum(long n, Ptr x, Ptr out);

    /** y = a == b ? 1 : 0, elementwise (NaN equals nothing). */
    void equal(long n, Ptr a, Ptr b, Ptr y);

    /** out[r] = index of the first maximum of row r (NaN counts as the maximum), as a float. */
    void argmax(int rows, int cols, Ptr x, Ptr out);

    // ---- general tensor ops: any rank up to MAX_RANK, element strides (0 repeats an element) ----

    /** The most axes a strided kernel takes; the ops merge axes that are laid out alike first. */
    int MAX_RANK = 8;

    /**
     * {@code dst[Σ i_d·dstStrides_d] = src[Σ i_d·srcStrides_d]} for every index i below shape
     * (rank = shape.length): the one copy that permute, narrow, expand, concat and contiguous
     * lower to. Strides are in elements, non-negative; dst's must not make two indices write one
     * element (its axes of extent above 1, ordered by stride, each step past every position the
     * smaller ones reach); src and dst do not overlap.
     */
    void copyStrided(long[] shape, long[] srcStrides, Ptr src, long[] dstStrides, Ptr dst);

    /**
     * {@code y[i] = op(a[Σ i_d·aStrides_d], b[Σ i_d·bStrides_d])} for every index i below shape,
     * y contiguous (row-major) in shape: a broadcast binary op, a broadcast axis having stride 0.
     * y does not overlap a or b.
     */
    void binary(BinaryOp op, long[] shape, long[] aStrides, Ptr a, long[] bStrides, Ptr b, Ptr y);

    /** y = op(x) elementwise with settings p1, p2 ({@link UnaryOp}); y may be x (in place). */
    void unary(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr y);

    /** dx = dy · op'(x) elementwise, from the forward input x; dx may be dy (in place). */
    void unaryBackward(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr dy, Ptr dx);

    /**
     * y[o, i] = op over j &lt; len of x[o, j, i], x laid out [outer, len, inner] and y [outer, inner]
     * (indices as floats for ARGMAX and ARGMIN). y does not overlap x.
     */
    void reduce(ReduceOp op, long outer, long len, long inner, Ptr x, Ptr y);

    /**
     * y[o, j, i] = x[o, index[o·is0 + j·is1 + i·is2], i] for y [outer, count, inner] and x
     * [outer, len, inner]: index_select (strides 0, 1, 0), torch.gather (count·inner, inner, 1)
     * and the embedding lookup. Indices are integers in [0, len) stored as floats. y overlaps
     * neither x nor index.
     */
    void gather(long outer, long len, long inner, long count, Ptr x, Ptr index, long is0, long is1, long is2, Ptr y);

    /**
     * The backward of {@link #gather}: dx[o, index[o·is0 + j·is1 + i·is2], i] += dy[o, j, i]
     * (dx accumulates; repeated indices add up). dx overlaps neither dy nor index.
     */
    void scatterAdd(long outer, long len, long inner, long count, Ptr index, long is0, long is1, long is2, Ptr dy, Ptr dx);

    /**
     * {@link #gemm} on {@code batch} matrix triples, the b-th at a + b·strideA, b + b·strideB and
     * c + b·strideC: {@code C_b = alpha · op(A_b) · op(B_b) + beta · C_b}. strideA or strideB may
     * be 0 (one matrix for every product); the C_b do not overlap each other, A or B.
     */
    void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Ptr a, int lda, long strideA, Ptr b, int ldb, long strideB,
                     float beta, Ptr c, int ldc, long strideC, int batch);

    // ---- recurrent cells -----------------------------------------------------------------------

    /**
     * One LSTM step for {@code batch} rows of {@code hidden} units (PyTorch's gate order i, f, g, o):
     * gates [batch, 4·hidden] holds the pre-activations x·W_ih + h_prev·W_hh + b; writes
     * act [batch, 4·hidden] = σ(i), σ(f), tanh(g), σ(o) (kept for the backward),
     * c = σ(f)·cPrev + σ(i)·tanh(g) and h = σ(o)·tanh(c), each [batch, hidden].
     * No output overlaps an input or another output.
     */
    void lstmCellForward(int batch, int hidden, Ptr gates, Ptr cPrev, Ptr act, Ptr c, Ptr h);

    /**
     * Its backward, from the forward's act, cPrev and c: given dh and dc (the gradients of h and c
     * from above; dc from the next step, zeros at the last), writes dGates [batch, 4·hidden] (the
     * gradient of the pre-activations) and dcPrev [batch, hidden]:
     * t = tanh(c); dcTotal = dc + dh·σo·(1 - t²); di = dcTotal·tanh(g)·σi(1-σi);
     * df = dcTotal·cPrev·σf(1-σf); dg = dcTotal·σi·(1 - tanh(g)²); do = dh·t·σo(1-σo);
     * dcPrev = dcTotal·σf. No output overlaps an input or the other output.
     */
    void lstmCellBackward(int batch, int hidden, Ptr act, Ptr cPrev, Ptr c, Ptr dh, Ptr dc, Ptr dGates, Ptr dcPrev);

    // ---- random numbers ------------------------------------------------------------------------

    /**
     * y[i] = the i-th uniform float in [0, 1) of the SplitMix64 stream whose state is
     * {@code state} ({@link SplitMix64#floatAt}): the values {@code new Rng(state).nextFloat()}
     * returns, in order, on every backend.
     */
    void rand(long n, long state, Ptr y);

    // ---- optimizer updates ---------------------------------------------------------------------

    /**
     * Caffe/Mocha SGD with momentum: {@code v = momentum * v - lr * (g + weightDecay * w)};
     * {@code w += v}, or with Nesterov {@code w += (1 + momentum) * v - momentum * vPrev}.
     */
    void sgdMomentum(long n, float lr, float momentum, float weightDecay, boolean nesterov, Ptr w, Ptr g, Ptr v);

    /**
     * Adam (Kingma and Ba) with bias correction at {@code step} (1-based) and L2 weight decay
     * added to the gradient: {@code w -= lr * mHat / (sqrt(vHat) + eps)}.
     */
    void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
              Ptr w, Ptr g, Ptr m, Ptr v);
}
