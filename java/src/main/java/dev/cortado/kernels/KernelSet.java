package dev.cortado.kernels;

import dev.cortado.kernels.decl.AnyValue;
import dev.cortado.kernels.decl.Check;
import dev.cortado.kernels.decl.Finite;
import dev.cortado.kernels.decl.In;
import dev.cortado.kernels.decl.InOut;
import dev.cortado.kernels.decl.Kernels;
import dev.cortado.kernels.decl.Out;
import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;

/**
 * The small kernel set every backend implements with the same signatures: java (the reference),
 * cpu (native C++) and cuda. Everything above it (ops, autograd, layers, optimizers) is
 * backend-blind.
 *
 * <p>Conventions: matrices are row-major; {@code n}, {@code rows}, {@code cols} count floats;
 * an output is fully overwritten unless the method says it accumulates; an output may be the
 * same memory as an input only where its declaration says {@code inPlace}.
 *
 * <p>This interface is the one declaration of every kernel (each abstract void method): its
 * arguments, which pointers are read ({@link In}), written ({@link Out}) or both ({@link InOut})
 * and over how many floats, which floats must be finite, and the kernel's own checks
 * ({@link Check}). At compile time {@code KernelProcessor} generates from it the C header of the
 * native ABI (cortado_kernels.h), the native adapter ({@link NativeKernels}) and the argument
 * checks ({@link CheckedKernels}); what is left by hand is each kernel set's bodies. Ints and
 * longs are counts or strides, checked to be >= 0 unless marked {@link AnyValue}. Callers go
 * through {@link CheckedKernels}, so implementations may assume valid input.
 */
@Kernels
public interface KernelSet {

    /** Short name: "java", "cpu" or "cuda". */
    String name();

    /** The kind of device whose memory these kernels read and write. */
    Device.Kind deviceKind();

    /**
     * The floats of {@link #convPrepareFilters}' output: a header of 16 and room for the filters
     * rounded up to a multiple of any panel width up to 64 (filters + 63), w.colRows() floats each,
     * or, for a 3x3 window of unit strides, for the filters' Winograd transforms (16 floats a
     * filter and channel) if that is more (native/common/prepared_filters.h says the same for the
     * native kernels).
     */
    static long preparedFilters(Window w, int filters) {
        long panels = Math.multiplyExact(filters + 63L, w.colRows());
        boolean winograd = w.kernelH() == 3 && w.kernelW() == 3 && w.strideH() == 1 && w.strideW() == 1;
        long transforms = winograd ? Math.multiplyExact(Math.multiplyExact(16L, filters + 63L), w.channels()) : 0;
        return Math.addExact(16, Math.max(panels, transforms));
    }

    // ---- BLAS-3 -------------------------------------------------------------------------------

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, op(A) is m x k, op(B) is k x n, C is m x n.
     * With transA, A is stored k x m. When beta is 0, C is not read (NaN in C does not leak).
     */
    @Check("matrices(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)")
    void gemm(boolean transA, boolean transB, int m, int n, int k, @Finite float alpha,
              @In(value = "span(transA ? k : m, transA ? m : k, lda)", as = "A") Ptr a, int lda,
              @In(value = "span(transB ? n : k, transB ? k : n, ldb)", as = "B") Ptr b, int ldb,
              @Finite float beta, @InOut(value = "span(m, n, ldc)", as = "C") Ptr c, int ldc);

    /**
     * {@code C = act(op(A) * op(B) + bias + Z)}, bias[n] added to every row of C unless null, Z a
     * matrix laid out as C (a residual branch; PyTorch's addmm input) unless null, act the unary op
     * with settings p1, p2 ({@link UnaryOp}): a linear layer's forward, its bias, residual and
     * activation done in the GEMM's tail (cuBLASLt's BIAS, RELU_BIAS and GELU_BIAS epilogues)
     * rather than in passes of their own. CLAMP is min(max(v, p1), p2) by comparisons (a NaN stays
     * NaN): CLAMP(-inf, inf) is no activation, CLAMP(0, inf) ReLU. Every other op gives the bits
     * its {@link #unary} gives on the GEMM's result. C is not read.
     */
    @Check("matrices(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); unarySettings(act, p1, p2)")
    void gemmBias(boolean transA, boolean transB, int m, int n, int k,
                  @In(value = "span(transA ? k : m, transA ? m : k, lda)", as = "A") Ptr a, int lda,
                  @In(value = "span(transB ? n : k, transB ? k : n, ldb)", as = "B") Ptr b, int ldb,
                  @In(value = "n", optional = true) Ptr bias, @In(value = "span(m, n, ldc)", optional = true, as = "Z") Ptr z,
                  UnaryOp act, float p1, float p2, @Out(value = "span(m, n, ldc)", as = "C") Ptr c, int ldc);

    // ---- convolution lowering (Caffe layout) ---------------------------------------------------

    /**
     * {@code batch} images (each channels x height x width, one after the other) to one column
     * matrix of colRows x (batch · colCols): column n · colCols + p holds image n's window p.
     * Padding reads as 0.
     */
    @Check("columnsFit(w, batch)")
    void im2col(Window w, int batch, @In("batch * w.inputSize()") Ptr images, @Out("columns(w, batch)") Ptr col);

    /** The column matrix back to {@code batch} images, summing overlapping windows; images are overwritten. */
    @Check("columnsFit(w, batch)")
    void col2im(Window w, int batch, @In("columns(w, batch)") Ptr col, @Out("batch * w.inputSize()") Ptr images);


    // ---- convolution (cuDNN's three): x [batch, w.channels, w.height, w.width],
    //      weight [filters, w.channels, w.kernelH, w.kernelW], y/dy [batch, filters, w.outH, w.outW] ----

    /**
     * y = min(max(x convolved with weight + bias + z, lo), hi): the cross-correlation (as in Caffe
     * and PyTorch), plus bias[filters] unless bias is null, plus z (y's shape: a residual branch)
     * unless z is null, clamped to [lo, hi] — cuDNN's fused convolution, bias, add and activation.
     * lo = -inf, hi = inf clamp nothing; lo = 0, hi = inf is ReLU; a NaN stays NaN. prepared,
     * unless null, is what {@link #convPrepareFilters} made of this weight for the same w, batch
     * and filters: y is the same, bit for bit, with it or without (a kernel set uses it where it
     * holds what that set would otherwise compute from weight on every call) — except where the
     * prepared filters change the algorithm: the cpu kernels take Winograd's for 3x3 windows over
     * fewer tiles when the filters' transforms were made ahead (y then within float rounding).
     */
    @Check("convolutionFits(w, batch, filters); clampRange(lo, hi)")
    void convForward(Window w, int batch, int filters, @In("batch * w.inputSize()") Ptr x,
                     @In("(long) filters * w.colRows()") Ptr weight, @In(value = "KernelSet.preparedFilters(w, filters)", optional = true) Ptr prepared,
                     @In(value = "filters", optional = true) Ptr bias,
                     @In(value = "(long) batch * filters * w.colCols()", optional = true) Ptr z, float lo, float hi,
                     @Out("(long) batch * filters * w.colCols()") Ptr y);

    /**
     * prepared = weight in the form this kernel set's {@link #convForward} reads for w, batch and
     * filters, made once where the weights are fixed for many calls (a model's inference): the cpu
     * kernels' GEMM panels of the filters, packed as each call would pack them, or, where the
     * forward takes Winograd's F(2x2, 3x3), the filters' transforms; the java and cuda kernels read
     * the weights as they lie and prepare nothing (zeros). Opaque to every caller.
     */
    @Check("convolutionFits(w, batch, filters)")
    void convPrepareFilters(Window w, int batch, int filters, @In("(long) filters * w.colRows()") Ptr weight,
                            @Out("KernelSet.preparedFilters(w, filters)") Ptr prepared);

    /** dx = the gradient of convForward's y with respect to x, given dy (dx is overwritten). */
    @Check("convolutionFits(w, batch, filters)")
    void convBackwardData(Window w, int batch, int filters, @In("(long) filters * w.colRows()") Ptr weight,
                          @In("(long) batch * filters * w.colCols()") Ptr dy, @Out("batch * w.inputSize()") Ptr dx);

    /** dweight = the gradient of convForward's y with respect to weight, given dy (overwritten). */
    @Check("convolutionFits(w, batch, filters)")
    void convBackwardFilter(Window w, int batch, int filters, @In("batch * w.inputSize()") Ptr x,
                            @In("(long) batch * filters * w.colCols()") Ptr dy, @Out("(long) filters * w.colRows()") Ptr dweight);

    // ---- depthwise convolution (groups = channels = filters, one filter per channel):
    //      x [batch, w.channels, w.height, w.width], weight [w.channels, w.kernelH, w.kernelW],
    //      y/dy [batch, w.channels, w.outH, w.outW]; taps that fall in the padding add nothing ----

    /**
     * y[n, c] = min(max(x[n, c] cross-correlated with weight[c], plus bias[c] unless bias is null,
     * lo), hi), as convForward's tail (a NaN stays NaN; -inf and inf: no clamp; MobileNet's ReLU6).
     */
    @Check("depthwiseFits(w, batch); clampRange(lo, hi)")
    void depthwiseForward(Window w, int batch, @In("batch * w.inputSize()") Ptr x, @In("w.colRows()") Ptr weight,
                          @In(value = "w.channels()", optional = true) Ptr bias, float lo, float hi, @Out("batch * w.outputSize()") Ptr y);

    /** dx (overwritten) = the gradient of depthwiseForward's y with respect to x, given dy. */
    @Check("depthwiseFits(w, batch)")
    void depthwiseBackwardData(Window w, int batch, @In("w.colRows()") Ptr weight, @In("batch * w.outputSize()") Ptr dy,
                               @Out("batch * w.inputSize()") Ptr dx);

    /** dweight (overwritten) = the gradient of depthwiseForward's y with respect to weight, given dy, summed over the batch. */
    @Check("depthwiseFits(w, batch)")
    void depthwiseBackwardFilter(Window w, int batch, @In("batch * w.inputSize()") Ptr x, @In("batch * w.outputSize()") Ptr dy,
                                 @Out("w.colRows()") Ptr dweight);

    // ---- pooling over w.channels() planes ------------------------------------------------------

    /** Max over each window, padding excluded. */
    @Check("poolWindow(w)")
    void maxPoolForward(Window w, @In("w.inputSize()") Ptr x, @Out("w.outputSize()") Ptr y);

    /** dx (overwritten) receives dy at the first maximum of each window, in scan order. */
    @Check("poolWindow(w)")
    void maxPoolBackward(Window w, @In("w.inputSize()") Ptr x, @In("w.outputSize()") Ptr dy, @Out("w.inputSize()") Ptr dx);

    /** Mean over each window; padding counts as zeros (divisor kernelH * kernelW). */
    @Check("poolWindow(w)")
    void avgPoolForward(Window w, @In("w.inputSize()") Ptr x, @Out("w.outputSize()") Ptr y);

    /** dx (overwritten) = the backward of {@link #avgPoolForward}. */
    @Check("poolWindow(w)")
    void avgPoolBackward(Window w, @In("w.outputSize()") Ptr dy, @Out("w.inputSize()") Ptr dx);

    /**
     * PyTorch's adaptive average pooling of {@code planes} planes [height, width] to [outH, outW]:
     * output (i, j) is the mean of rows floor(i·height/outH) .. ceil((i+1)·height/outH) - 1 and the
     * columns likewise (windows may overlap), summed in double — so an inf or NaN reaches only the
     * windows that hold it.
     */
    @Check("adaptivePool(planes, height, width, outH, outW)")
    void adaptiveAvgPoolForward(int planes, int height, int width, int outH, int outW, @In("(long) planes * height * width") Ptr x,
                                @Out("(long) planes * outH * outW") Ptr y);

    /** dx (overwritten) = the backward of {@link #adaptiveAvgPoolForward}: each pixel sums dy / window area over the windows holding it. */
    @Check("adaptivePool(planes, height, width, outH, outW)")
    void adaptiveAvgPoolBackward(int planes, int height, int width, int outH, int outW, @In("(long) planes * outH * outW") Ptr dy,
                                 @Out("(long) planes * height * width") Ptr dx);

    // ---- activations ---------------------------------------------------------------------------

    void sigmoidForward(long n, @In("n") Ptr x, @Out(value = "n", inPlace = "x") Ptr y);

    /** dx = dy * y * (1 - y), from the forward output y. */
    void sigmoidBackward(long n, @In("n") Ptr y, @In("n") Ptr dy, @Out(value = "n", inPlace = {"y", "dy"}) Ptr dx);

    void reluForward(long n, @In("n") Ptr x, @Out(value = "n", inPlace = "x") Ptr y);

    /** dx = x > 0 ? dy : 0, from the forward input x. */
    void reluBackward(long n, @In("n") Ptr x, @In("n") Ptr dy, @Out(value = "n", inPlace = {"x", "dy"}) Ptr dx);

    void tanhForward(long n, @In("n") Ptr x, @Out(value = "n", inPlace = "x") Ptr y);

    /** dx = dy * (1 - y^2), from the forward output y. */
    void tanhBackward(long n, @In("n") Ptr y, @In("n") Ptr dy, @Out(value = "n", inPlace = {"y", "dy"}) Ptr dx);

    // ---- softmax family, over each of {@code rows} rows of {@code cols} -----------------------

    void softmaxForward(int rows, int cols, @In("(long) rows * cols") Ptr x, @Out(value = "(long) rows * cols", inPlace = "x") Ptr y);

    /** dx = y * (dy - sum(dy * y)), from the forward output y. */
    void softmaxBackward(int rows, int cols, @In("(long) rows * cols") Ptr y, @In("(long) rows * cols") Ptr dy,
                         @Out(value = "(long) rows * cols", inPlace = {"y", "dy"}) Ptr dx);

    void logSoftmaxForward(int rows, int cols, @In("(long) rows * cols") Ptr x, @Out(value = "(long) rows * cols", inPlace = "x") Ptr y);

    /** dx = dy - exp(y) * sum(dy), from the forward output y. */
    void logSoftmaxBackward(int rows, int cols, @In("(long) rows * cols") Ptr y, @In("(long) rows * cols") Ptr dy,
                            @Out(value = "(long) rows * cols", inPlace = {"y", "dy"}) Ptr dx);

    /**
     * Softmax of the logits into probs and, per row, loss = -log softmax(logits)[label], with
     * labels holding class indices as floats (Caffe convention).
     */
    @Check(leased = "hostLabels(rows, cols, labels)")
    void softmaxCrossEntropyForward(int rows, int cols, @In("(long) rows * cols") Ptr logits, @In("rows") Ptr labels,
                                    @Out("(long) rows * cols") Ptr probs, @Out("rows") Ptr loss);

    /** dx = scale * (probs - onehot(labels)). */
    @Check(leased = "hostLabels(rows, cols, labels)")
    void softmaxCrossEntropyBackward(int rows, int cols, @In("(long) rows * cols") Ptr probs, @In("rows") Ptr labels,
                                     @Finite float scale, @Out(value = "(long) rows * cols", inPlace = "probs") Ptr dx);

    // ---- fused scaled dot-product attention over batch · heads items (b, h), each q [queries, e],
    //      k [keys, e], v [keys, ev], out and dOut [queries, ev], laid out as PyTorch's
    //      [batch, positions, heads, features] with row strides: q's row i of item (b, h) at
    //      q[(b·queries + i)·ld + h·e], k's likewise (keys rows), v's at (b·keys + j)·ldv + h·ev,
    //      out's and dOut's at (b·queries + i)·ldo + h·ev. heads = 1 with ld = e, ldv = ldo = ev is
    //      [batch, L, e] contiguous; a packed projection [batch, L, 3·heads·e] is read in place
    //      (ld = ldv = 3·heads·e, k and v pointing into it). lse, dq, dk and dv are contiguous, item after item:
    //      [batch·heads, rows, features]. Query row i attends to the keys j < n(i): all of them,
    //      or with causal (PyTorch's is_causal, aligned at the top left) those with j <= i; the
    //      other scores are neither computed nor read, so a NaN or inf in q, k or v reaches only
    //      the rows that attend to it. No output overlaps an input or another output.

    /**
     * out = P·v with P = softmax over {@code j < n(i)} of scale·q_i·k_j (PyTorch's
     * {@code F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)}); lse[i] =
     * log Σ_j e^(scale·q_i·k_j), kept for the backward, which recomputes P from it. A row with no
     * key (keys = 0) has out 0 and lse -inf; a row whose scores are all -inf, or hold +inf or NaN, is NaN.
     */
    @Check("attentionLayout(heads, e, ev, ld, ldv, ldo)")
    void attentionForward(int batch, int heads, int queries, int keys, int e, int ev, @Finite float scale, boolean causal,
                          @In("span((long) batch * queries, (long) heads * e, ld)") Ptr q,
                          @In("span((long) batch * keys, (long) heads * e, ld)") Ptr k, int ld,
                          @In("span((long) batch * keys, (long) heads * ev, ldv)") Ptr v, int ldv,
                          @Out("span((long) batch * queries, (long) heads * ev, ldo)") Ptr out, int ldo,
                          @Out("(long) batch * heads * queries") Ptr lse);

    /**
     * Its backward from the forward's inputs, out and lse, given dOut (FlashAttention's): P_ij =
     * e^(scale·q_i·k_j - lse_i), dP = dOut·vᵀ, D_i = Σ dOut_i∘out_i, dS = P∘(dP - D); dq =
     * scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dOut (all overwritten; a key no row attends to gets 0).
     */
    @Check("attentionLayout(heads, e, ev, ld, ldv, ldo)")
    void attentionBackward(int batch, int heads, int queries, int keys, int e, int ev, @Finite float scale, boolean causal,
                           @In("span((long) batch * queries, (long) heads * e, ld)") Ptr q,
                           @In("span((long) batch * keys, (long) heads * e, ld)") Ptr k, int ld,
                           @In("span((long) batch * keys, (long) heads * ev, ldv)") Ptr v, int ldv,
                           @In("span((long) batch * queries, (long) heads * ev, ldo)") Ptr out,
                           @In("span((long) batch * queries, (long) heads * ev, ldo)") Ptr dOut, int ldo,
                           @In("(long) batch * heads * queries") Ptr lse,
                           @Out("(long) batch * heads * queries * e") Ptr dq, @Out("(long) batch * heads * keys * e") Ptr dk,
                           @Out("(long) batch * heads * keys * ev") Ptr dv);

    // ---- elementwise ---------------------------------------------------------------------------

    /** y = a + b. */
    void add(long n, @In("n") Ptr a, @In("n") Ptr b, @Out(value = "n", inPlace = {"a", "b"}) Ptr y);

    /** y = a * b. */
    void mul(long n, @In("n") Ptr a, @In("n") Ptr b, @Out(value = "n", inPlace = {"a", "b"}) Ptr y);

    /** y = alpha * x. */
    void scale(long n, float alpha, @In("n") Ptr x, @Out(value = "n", inPlace = "x") Ptr y);

    /** y += alpha * x. */
    void axpy(long n, float alpha, @In("n") Ptr x, @InOut(value = "n", inPlace = "x") Ptr y);

    /** y = value. */
    void fill(long n, float value, @Out("n") Ptr y);

    /** y[o, c, i] += bias[c] for y laid out outer x channels x inner. */
    void biasAdd(int outer, int channels, int inner, @In("channels") Ptr bias, @InOut("layout(outer, channels, inner)") Ptr y);

    /** db[c] = sum over o, i of dy[o, c, i] (overwritten). */
    void biasGrad(int outer, int channels, int inner, @In("layout(outer, channels, inner)") Ptr dy, @Out("channels") Ptr db);

    // ---- reductions ----------------------------------------------------------------------------

    /** out[0] = sum of x[0..n). */
    void sum(long n, @In("n") Ptr x, @Out("1") Ptr out);

    /** y = a == b ? 1 : 0, elementwise (NaN equals nothing). */
    void equal(long n, @In("n") Ptr a, @In("n") Ptr b, @Out(value = "n", inPlace = {"a", "b"}) Ptr y);

    /** out[r] = index of the first maximum of row r (NaN counts as the maximum), as a float. */
    @Check("nonEmptyRows(cols)")
    void argmax(int rows, int cols, @In("(long) rows * cols") Ptr x, @Out("rows") Ptr out);

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
    @Check("writesOnce(shape, dstStrides)")
    void copyStrided(long[] shape, long[] srcStrides, @In("strided(\"src\", shape, srcStrides)") Ptr src,
                     long[] dstStrides, @Out("strided(\"dst\", shape, dstStrides)") Ptr dst);

    /**
     * {@code y[i] = op(a[Σ i_d·aStrides_d], b[Σ i_d·bStrides_d])} for every index i below shape,
     * y contiguous (row-major) in shape: a broadcast binary op, a broadcast axis having stride 0.
     * y does not overlap a or b.
     */
    void binary(BinaryOp op, long[] shape, long[] aStrides, @In("strided(\"a\", shape, aStrides)") Ptr a,
                long[] bStrides, @In("strided(\"b\", shape, bStrides)") Ptr b, @Out("numel(shape)") Ptr y);

    /** y = op(x) elementwise with settings p1, p2 ({@link UnaryOp}); y may be x (in place). */
    @Check("unarySettings(op, p1, p2)")
    void unary(UnaryOp op, long n, float p1, float p2, @In("n") Ptr x, @Out(value = "n", inPlace = "x") Ptr y);

    /** dx = dy · op'(x) elementwise, from the forward input x; dx may be dy (in place). */
    @Check("unarySettings(op, p1, p2)")
    void unaryBackward(UnaryOp op, long n, float p1, float p2, @In("n") Ptr x, @In("n") Ptr dy,
                       @Out(value = "n", inPlace = "dy") Ptr dx);

    /**
     * y[o, i] = op over j &lt; len of x[o, j, i], x laid out [outer, len, inner] and y [outer, inner]
     * (indices as floats for ARGMAX and ARGMIN). y does not overlap x.
     */
    @Check("reduceAxis(op, outer, len, inner)")
    void reduce(ReduceOp op, long outer, long len, long inner, @In("layout(outer, len, inner)") Ptr x,
                @Out("layout(outer, 1, inner)") Ptr y);

    /**
     * y[o, j, i] = x[o, index[o·is0 + j·is1 + i·is2], i] for y [outer, count, inner] and x
     * [outer, len, inner]: index_select (strides 0, 1, 0), torch.gather (count·inner, inner, 1)
     * and the embedding lookup. Indices are integers in [0, len) stored as floats. y overlaps
     * neither x nor index.
     */
    @Check(leased = "hostIndices(index, len, outer, count, inner, is0, is1, is2)")
    void gather(long outer, long len, long inner, long count, @In("layout(outer, len, inner)") Ptr x,
                @In("indexSpan(outer, count, inner, is0, is1, is2)") Ptr index, long is0, long is1, long is2,
                @Out("layout(outer, count, inner)") Ptr y);

    /**
     * The backward of {@link #gather}: dx[o, index[o·is0 + j·is1 + i·is2], i] += dy[o, j, i]
     * (dx accumulates; repeated indices add up). dx overlaps neither dy nor index.
     */
    @Check(leased = "hostIndices(index, len, outer, count, inner, is0, is1, is2)")
    void scatterAdd(long outer, long len, long inner, long count, @In("indexSpan(outer, count, inner, is0, is1, is2)") Ptr index,
                    long is0, long is1, long is2, @In("layout(outer, count, inner)") Ptr dy,
                    @InOut("layout(outer, len, inner)") Ptr dx);

    /**
     * {@link #gemm} on {@code batch} matrix triples, the b-th at a + b·strideA, b + b·strideB and
     * c + b·strideC: {@code C_b = alpha · op(A_b) · op(B_b) + beta · C_b}. strideA or strideB may
     * be 0 (one matrix for every product); the C_b do not overlap each other, A or B.
     */
    @Check("batchedMatrices(transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch)")
    void gemmBatched(boolean transA, boolean transB, int m, int n, int k, @Finite float alpha,
                     @In(value = "batched(transA ? k : m, transA ? m : k, lda, strideA, batch)", as = "A") Ptr a, int lda, long strideA,
                     @In(value = "batched(transB ? n : k, transB ? k : n, ldb, strideB, batch)", as = "B") Ptr b, int ldb, long strideB,
                     @Finite float beta, @InOut(value = "batched(m, n, ldc, strideC, batch)", as = "C") Ptr c, int ldc, long strideC,
                     int batch);

    // ---- recurrent cells -----------------------------------------------------------------------

    // --- layer normalisation
    // Over each of {@code rows} rows of {@code cols} (the normalised trailing axes flattened), the
    // statistics of a row computed before it is normalised; weight and bias [cols] optional
    // (null: ones, zeros). No output overlaps an input or another output.

    /**
     * LayerNorm (PyTorch's F.layer_norm): mean[r] = Σx/cols, rstd[r] = 1/sqrt(Σ(x - mean)²/cols +
     * eps) (the biased variance), y = (x - mean)·rstd·weight + bias; mean and rstd are kept for the
     * backward.
     */
    @Check("normRows(rows, cols, eps)")
    void layerNormForward(int rows, int cols, float eps, @In("(long) rows * cols") Ptr x, @In(value = "cols", optional = true) Ptr weight,
                          @In(value = "cols", optional = true) Ptr bias, @Out("(long) rows * cols") Ptr y, @Out("rows") Ptr mean,
                          @Out("rows") Ptr rstd);

    /**
     * Its backward from x and the forward's mean and rstd, given dy: with x̂ = (x - mean)·rstd and
     * g = dy·weight, dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) (means over the row); dweight[j] =
     * Σ_r dy·x̂ and dbias[j] = Σ_r dy (both overwritten; zeros when rows is 0).
     */
    @Check("normRows(rows, cols, 0f)")
    void layerNormBackward(int rows, int cols, @In("(long) rows * cols") Ptr x, @In(value = "cols", optional = true) Ptr weight,
                           @In("rows") Ptr mean, @In("rows") Ptr rstd, @In("(long) rows * cols") Ptr dy,
                           @Out("(long) rows * cols") Ptr dx, @Out("cols") Ptr dweight, @Out("cols") Ptr dbias);

    /**
     * RMSNorm (PyTorch's nn.RMSNorm): rstd[r] = 1/sqrt(Σx²/cols + eps), y = x·rstd·weight; rstd is
     * kept for the backward.
     */
    @Check("normRows(rows, cols, eps)")
    void rmsNormForward(int rows, int cols, float eps, @In("(long) rows * cols") Ptr x, @In(value = "cols", optional = true) Ptr weight,
                        @Out("(long) rows * cols") Ptr y, @Out("rows") Ptr rstd);

    /**
     * Its backward from x and the forward's rstd, given dy: with x̂ = x·rstd and g = dy·weight,
     * dx = rstd·(g - x̂·mean(g·x̂)); dweight[j] = Σ_r dy·x̂ (overwritten; zeros when rows is 0).
     */
    @Check("normRows(rows, cols, 0f)")
    void rmsNormBackward(int rows, int cols, @In("(long) rows * cols") Ptr x, @In(value = "cols", optional = true) Ptr weight,
                         @In("rows") Ptr rstd, @In("(long) rows * cols") Ptr dy, @Out("(long) rows * cols") Ptr dx,
                         @Out("cols") Ptr dweight);

    /**
     * One LSTM step for {@code batch} rows of {@code hidden} units (PyTorch's gate order i, f, g, o):
     * gates [batch, 4·hidden] holds the pre-activations x·W_ih + h_prev·W_hh + b; writes
     * act [batch, 4·hidden] = σ(i), σ(f), tanh(g), σ(o) (kept for the backward),
     * c = σ(f)·cPrev + σ(i)·tanh(g) and h = σ(o)·tanh(c), each [batch, hidden].
     * No output overlaps an input or another output.
     */
    @Check("lstmStep(batch, hidden)")
    void lstmCellForward(int batch, int hidden, @In("4L * batch * hidden") Ptr gates, @In("(long) batch * hidden") Ptr cPrev,
                         @Out("4L * batch * hidden") Ptr act, @Out("(long) batch * hidden") Ptr c, @Out("(long) batch * hidden") Ptr h);

    /**
     * Its backward, from the forward's act, cPrev and c: given dh and dc (the gradients of h and c
     * from above; dc from the next step, zeros at the last), writes dGates [batch, 4·hidden] (the
     * gradient of the pre-activations) and dcPrev [batch, hidden]:
     * t = tanh(c); dcTotal = dc + dh·σo·(1 - t²); di = dcTotal·tanh(g)·σi(1-σi);
     * df = dcTotal·cPrev·σf(1-σf); dg = dcTotal·σi·(1 - tanh(g)²); do = dh·t·σo(1-σo);
     * dcPrev = dcTotal·σf. No output overlaps an input or the other output.
     */
    @Check("lstmStep(batch, hidden)")
    void lstmCellBackward(int batch, int hidden, @In("4L * batch * hidden") Ptr act, @In("(long) batch * hidden") Ptr cPrev,
                          @In("(long) batch * hidden") Ptr c, @In("(long) batch * hidden") Ptr dh, @In("(long) batch * hidden") Ptr dc,
                          @Out("4L * batch * hidden") Ptr dGates, @Out("(long) batch * hidden") Ptr dcPrev);

    // --- batch normalisation
    //     x, y, dy [n, channels, spatial] (PyTorch's BatchNorm1d/2d: spatial = H·W, or 1); m = n·spatial;
    //     weight and bias [channels] or null (1 and 0); statistics [channels]; sums in double.

    /**
     * Training mode: per channel c, in one pass over x, mean = Σ x / m and the biased variance
     * var = Σ (x - mean)² / m; then y = (x - mean)·invstd·weight[c] + bias[c] with invstd =
     * 1 / sqrt(var + eps). Writes saveMean and saveInvstd (for the backward) and updates the running
     * statistics as PyTorch: runningMean = (1 - momentum)·runningMean + momentum·mean, runningVar
     * likewise with the unbiased variance var·m / (m - 1) (NaN where m is 1; every statistic NaN
     * where m is 0). No output overlaps an input or another output.
     */
    void batchNormForward(long n, int channels, long spatial, @Finite float eps, @Finite float momentum,
                          @In("layout(n, channels, spatial)") Ptr x, @In(value = "channels", optional = true) Ptr weight,
                          @In(value = "channels", optional = true) Ptr bias, @InOut("channels") Ptr runningMean,
                          @InOut("channels") Ptr runningVar, @Out("layout(n, channels, spatial)") Ptr y,
                          @Out("channels") Ptr saveMean, @Out("channels") Ptr saveInvstd);

    /**
     * Eval mode, from the running statistics: invstd[c] = 1 / sqrt(runningVar[c] + eps) (written
     * for the backward) and y = (x - runningMean[c])·invstd[c]·weight[c] + bias[c]. No output
     * overlaps an input or the other output.
     */
    void batchNormInference(long n, int channels, long spatial, @Finite float eps, @In("layout(n, channels, spatial)") Ptr x,
                            @In(value = "channels", optional = true) Ptr weight, @In(value = "channels", optional = true) Ptr bias,
                            @In("channels") Ptr runningMean, @In("channels") Ptr runningVar,
                            @Out("layout(n, channels, spatial)") Ptr y, @Out("channels") Ptr invstd);

    /**
     * The backward of either forward, from x, dy and the forward's mean and invstd (saveMean and
     * saveInvstd in training mode; runningMean and the inference's invstd in eval mode):
     * xhat = (x - mean)·invstd, dbias = Σ dy, dweight = Σ dy·xhat (per channel, over n and
     * spatial); dx = weight·invstd·(dy - dbias / m - xhat·dweight / m) in training mode (the batch
     * statistics depend on x), dx = weight·invstd·dy in eval mode. No output overlaps an input or
     * another output.
     */
    void batchNormBackward(long n, int channels, long spatial, boolean training, @In("layout(n, channels, spatial)") Ptr x,
                           @In("layout(n, channels, spatial)") Ptr dy, @In(value = "channels", optional = true) Ptr weight,
                           @In("channels") Ptr mean, @In("channels") Ptr invstd, @Out("layout(n, channels, spatial)") Ptr dx,
                           @Out("channels") Ptr dweight, @Out("channels") Ptr dbias);

    // ---- random numbers ------------------------------------------------------------------------

    /**
     * y[i] = the i-th uniform float in [0, 1) of the SplitMix64 stream whose state is
     * {@code state} ({@link SplitMix64#floatAt}): the values {@code new Rng(state).nextFloat()}
     * returns, in order, on every backend.
     */
    void rand(long n, @AnyValue long state, @Out("n") Ptr y);

    // ---- optimizer updates ---------------------------------------------------------------------

    /**
     * Caffe/Mocha SGD with momentum: {@code v = momentum * v - lr * (g + weightDecay * w)};
     * {@code w += v}, or with Nesterov {@code w += (1 + momentum) * v - momentum * vPrev}.
     */
    void sgdMomentum(long n, @Finite float lr, @Finite float momentum, @Finite float weightDecay, boolean nesterov,
                     @InOut("n") Ptr w, @In("n") Ptr g, @InOut("n") Ptr v);

    /**
     * Adam (Kingma and Ba) with bias correction at {@code step} (1-based) and L2 weight decay
     * added to the gradient: {@code w -= lr * mHat / (sqrt(vHat) + eps)}.
     */
    @Check("adamSettings(beta1, beta2, eps, step)")
    void adam(long n, @Finite float lr, float beta1, float beta2, float eps, @Finite float weightDecay, @AnyValue long step,
              @InOut("n") Ptr w, @In("n") Ptr g, @InOut("n") Ptr m, @InOut("n") Ptr v);
}
