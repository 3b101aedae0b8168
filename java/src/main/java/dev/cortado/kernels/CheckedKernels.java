package dev.cortado.kernels;

import dev.cortado.memory.Device;
import dev.cortado.memory.Leases;
import dev.cortado.memory.Ptr;
import java.util.Arrays;

/**
 * Validates every argument of every kernel in Java, then delegates, holding a lease on every
 * operand's memory until the kernel returns (a close on another thread waits for the call). A bad
 * index or freed memory in native code is a SIGSEGV that kills the user's JVM; here it is an
 * exception that names the argument.
 * Every backend is reached through this wrapper ({@link Backends}).
 */
public final class CheckedKernels implements KernelSet {

    private final KernelSet impl;

    public CheckedKernels(KernelSet impl) {
        if (impl == null) throw new IllegalArgumentException("kernel set is null");
        this.impl = impl;
    }

    /** The unchecked implementation, for benchmarks that measure the kernel alone. */
    public KernelSet unchecked() {
        return impl;
    }

    @Override
    public String name() {
        return impl.name();
    }

    @Override
    public Device.Kind deviceKind() {
        return impl.deviceKind();
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Ptr a, int lda, Ptr b, int ldb, float beta, Ptr c, int ldc) {
        nonNegative("m", m);
        nonNegative("n", n);
        nonNegative("k", k);
        finite("alpha", alpha);
        finite("beta", beta);
        matrix("A", a, transA ? k : m, transA ? m : k, lda);
        matrix("B", b, transB ? n : k, transB ? k : n, ldb);
        matrix("C", c, m, n, ldc);
        noOverlap("C", c, span(m, n, ldc), "A", a, span(transA ? k : m, transA ? m : k, lda));
        noOverlap("C", c, span(m, n, ldc), "B", b, span(transB ? n : k, transB ? k : n, ldb));
        try (Leases l = Leases.of(a, b, c)) {
            impl.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    @Override
    public void im2col(Window w, int batch, Ptr images, Ptr col) {
        long colSize = colSize(w, batch), imSize = batch * w.inputSize();
        check("images", images, imSize);
        check("col", col, colSize);
        noOverlap("col", col, colSize, "images", images, imSize);
        try (Leases l = Leases.of(images, col)) {
            impl.im2col(w, batch, images, col);
        }
    }

    @Override
    public void col2im(Window w, int batch, Ptr col, Ptr images) {
        long colSize = colSize(w, batch), imSize = batch * w.inputSize();
        check("col", col, colSize);
        check("images", images, imSize);
        noOverlap("images", images, imSize, "col", col, colSize);
        try (Leases l = Leases.of(col, images)) {
            impl.col2im(w, batch, col, images);
        }
    }

    @Override
    public void convForward(Window w, int batch, int filters, Ptr x, Ptr weight, Ptr bias, Ptr y) {
        long[] n = convSizes(w, batch, filters); // {x, weight, y}
        check("x", x, n[0]);
        check("weight", weight, n[1]);
        if (bias != null) check("bias", bias, filters);
        check("y", y, n[2]);
        noOverlap("y", y, n[2], "x", x, n[0]);
        noOverlap("y", y, n[2], "weight", weight, n[1]);
        if (bias != null) noOverlap("y", y, n[2], "bias", bias, filters);
        try (Leases l = Leases.of(x, weight, bias, y)) {
            impl.convForward(w, batch, filters, x, weight, bias, y);
        }
    }

    @Override
    public void convBackwardData(Window w, int batch, int filters, Ptr weight, Ptr dy, Ptr dx) {
        long[] n = convSizes(w, batch, filters);
        check("weight", weight, n[1]);
        check("dy", dy, n[2]);
        check("dx", dx, n[0]);
        noOverlap("dx", dx, n[0], "weight", weight, n[1]);
        noOverlap("dx", dx, n[0], "dy", dy, n[2]);
        try (Leases l = Leases.of(weight, dy, dx)) {
            impl.convBackwardData(w, batch, filters, weight, dy, dx);
        }
    }

    @Override
    public void convBackwardFilter(Window w, int batch, int filters, Ptr x, Ptr dy, Ptr dweight) {
        long[] n = convSizes(w, batch, filters);
        check("x", x, n[0]);
        check("dy", dy, n[2]);
        check("dweight", dweight, n[1]);
        noOverlap("dweight", dweight, n[1], "x", x, n[0]);
        noOverlap("dweight", dweight, n[1], "dy", dy, n[2]);
        try (Leases l = Leases.of(x, dy, dweight)) {
            impl.convBackwardFilter(w, batch, filters, x, dy, dweight);
        }
    }

    /** Floats in x, weight and y of a convolution; each must stay below 2^31. */
    private static long[] convSizes(Window w, int batch, int filters) {
        window(w);
        nonNegative("batch", batch);
        nonNegative("filters", filters);
        long[] n = {batch * w.inputSize(), (long) filters * w.colRows(), (long) batch * filters * w.colCols()};
        for (long v : n) {
            if (v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("convolution of batch " + batch + ", " + filters + " filters over " + w
                        + " addresses more than 2^31 elements");
            }
        }
        return n;
    }

    private static long colSize(Window w, int batch) {
        window(w);
        nonNegative("batch", batch);
        long size = (long) w.colRows() * batch * w.colCols();
        if (batch * w.inputSize() > Integer.MAX_VALUE || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch of " + batch + " for " + w + " addresses more than 2^31 elements");
        }
        return size;
    }

    @Override
    public void maxPoolForward(Window w, Ptr x, Ptr y) {
        poolWindow(w);
        check("x", x, w.inputSize());
        check("y", y, w.outputSize());
        noOverlap("y", y, w.outputSize(), "x", x, w.inputSize());
        try (Leases l = Leases.of(x, y)) {
            impl.maxPoolForward(w, x, y);
        }
    }

    @Override
    public void maxPoolBackward(Window w, Ptr x, Ptr dy, Ptr dx) {
        poolWindow(w);
        check("x", x, w.inputSize());
        check("dy", dy, w.outputSize());
        check("dx", dx, w.inputSize());
        noOverlap("dx", dx, w.inputSize(), "x", x, w.inputSize());
        noOverlap("dx", dx, w.inputSize(), "dy", dy, w.outputSize());
        try (Leases l = Leases.of(x, dy, dx)) {
            impl.maxPoolBackward(w, x, dy, dx);
        }
    }

    @Override
    public void avgPoolForward(Window w, Ptr x, Ptr y) {
        poolWindow(w);
        check("x", x, w.inputSize());
        check("y", y, w.outputSize());
        noOverlap("y", y, w.outputSize(), "x", x, w.inputSize());
        try (Leases l = Leases.of(x, y)) {
            impl.avgPoolForward(w, x, y);
        }
    }

    @Override
    public void avgPoolBackward(Window w, Ptr dy, Ptr dx) {
        poolWindow(w);
        check("dy", dy, w.outputSize());
        check("dx", dx, w.inputSize());
        noOverlap("dx", dx, w.inputSize(), "dy", dy, w.outputSize());
        try (Leases l = Leases.of(dy, dx)) {
            impl.avgPoolBackward(w, dy, dx);
        }
    }

    @Override
    public void sigmoidForward(long n, Ptr x, Ptr y) {
        elementwise(n, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.sigmoidForward(n, x, y);
        }
    }

    @Override
    public void sigmoidBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        elementwise(n, "y", y, "dy", dy, "dx", dx);
        try (Leases l = Leases.of(y, dy, dx)) {
            impl.sigmoidBackward(n, y, dy, dx);
        }
    }

    @Override
    public void reluForward(long n, Ptr x, Ptr y) {
        elementwise(n, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.reluForward(n, x, y);
        }
    }

    @Override
    public void reluBackward(long n, Ptr x, Ptr dy, Ptr dx) {
        elementwise(n, "x", x, "dy", dy, "dx", dx);
        try (Leases l = Leases.of(x, dy, dx)) {
            impl.reluBackward(n, x, dy, dx);
        }
    }

    @Override
    public void tanhForward(long n, Ptr x, Ptr y) {
        elementwise(n, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.tanhForward(n, x, y);
        }
    }

    @Override
    public void tanhBackward(long n, Ptr y, Ptr dy, Ptr dx) {
        elementwise(n, "y", y, "dy", dy, "dx", dx);
        try (Leases l = Leases.of(y, dy, dx)) {
            impl.tanhBackward(n, y, dy, dx);
        }
    }

    @Override
    public void softmaxForward(int rows, int cols, Ptr x, Ptr y) {
        rows(rows, cols, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.softmaxForward(rows, cols, x, y);
        }
    }

    @Override
    public void softmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        rows(rows, cols, "y", y, "dy", dy, "dx", dx);
        try (Leases l = Leases.of(y, dy, dx)) {
            impl.softmaxBackward(rows, cols, y, dy, dx);
        }
    }

    @Override
    public void logSoftmaxForward(int rows, int cols, Ptr x, Ptr y) {
        rows(rows, cols, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.logSoftmaxForward(rows, cols, x, y);
        }
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, Ptr y, Ptr dy, Ptr dx) {
        rows(rows, cols, "y", y, "dy", dy, "dx", dx);
        try (Leases l = Leases.of(y, dy, dx)) {
            impl.logSoftmaxBackward(rows, cols, y, dy, dx);
        }
    }

    @Override
    public void softmaxCrossEntropyForward(int rows, int cols, Ptr logits, Ptr labels, Ptr probs, Ptr loss) {
        rows(rows, cols, "logits", logits, "probs", probs);
        check("labels", labels, rows);
        check("loss", loss, rows);
        noOverlap("probs", probs, (long) rows * cols, "logits", logits, (long) rows * cols);
        noOverlap("loss", loss, rows, "probs", probs, (long) rows * cols);
        try (Leases l = Leases.of(logits, labels, probs, loss)) {
            hostLabels(rows, cols, labels);
            impl.softmaxCrossEntropyForward(rows, cols, logits, labels, probs, loss);
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(int rows, int cols, Ptr probs, Ptr labels, float scale, Ptr dx) {
        rows(rows, cols, "probs", probs, "dx", dx);
        check("labels", labels, rows);
        finite("scale", scale);
        try (Leases l = Leases.of(probs, labels, dx)) {
            hostLabels(rows, cols, labels);
            impl.softmaxCrossEntropyBackward(rows, cols, probs, labels, scale, dx);
        }
    }

    @Override
    public void add(long n, Ptr a, Ptr b, Ptr y) {
        elementwise(n, "a", a, "b", b, "y", y);
        try (Leases l = Leases.of(a, b, y)) {
            impl.add(n, a, b, y);
        }
    }

    @Override
    public void mul(long n, Ptr a, Ptr b, Ptr y) {
        elementwise(n, "a", a, "b", b, "y", y);
        try (Leases l = Leases.of(a, b, y)) {
            impl.mul(n, a, b, y);
        }
    }

    @Override
    public void scale(long n, float alpha, Ptr x, Ptr y) {
        elementwise(n, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.scale(n, alpha, x, y);
        }
    }

    @Override
    public void axpy(long n, float alpha, Ptr x, Ptr y) {
        elementwise(n, "x", x, "y", y);
        try (Leases l = Leases.of(x, y)) {
            impl.axpy(n, alpha, x, y);
        }
    }

    @Override
    public void fill(long n, float value, Ptr y) {
        nonNegative("n", n);
        check("y", y, n);
        try (Leases l = Leases.of(y)) {
            impl.fill(n, value, y);
        }
    }

    @Override
    public void biasAdd(int outer, int channels, int inner, Ptr bias, Ptr y) {
        long size = layout(outer, channels, inner);
        check("bias", bias, channels);
        check("y", y, size);
        noOverlap("y", y, size, "bias", bias, channels);
        try (Leases l = Leases.of(bias, y)) {
            impl.biasAdd(outer, channels, inner, bias, y);
        }
    }

    @Override
    public void biasGrad(int outer, int channels, int inner, Ptr dy, Ptr db) {
        long size = layout(outer, channels, inner);
        check("dy", dy, size);
        check("db", db, channels);
        noOverlap("db", db, channels, "dy", dy, size);
        try (Leases l = Leases.of(dy, db)) {
            impl.biasGrad(outer, channels, inner, dy, db);
        }
    }

    @Override
    public void sum(long n, Ptr x, Ptr out) {
        nonNegative("n", n);
        check("x", x, n);
        check("out", out, 1);
        noOverlap("out", out, 1, "x", x, n);
        try (Leases l = Leases.of(x, out)) {
            impl.sum(n, x, out);
        }
    }

    @Override
    public void equal(long n, Ptr a, Ptr b, Ptr y) {
        elementwise(n, "a", a, "b", b, "y", y);
        try (Leases l = Leases.of(a, b, y)) {
            impl.equal(n, a, b, y);
        }
    }

    @Override
    public void copyStrided(long[] shape, long[] srcStrides, Ptr src, long[] dstStrides, Ptr dst) {
        long srcSpan = strided("src", src, shape, srcStrides), dstSpan = strided("dst", dst, shape, dstStrides);
        if (dstSpan > 0) distinctWrites(shape, dstStrides); // an empty copy writes nothing (its strides may repeat)
        noOverlap("dst", dst, dstSpan, "src", src, srcSpan);
        try (Leases l = Leases.of(src, dst)) {
            impl.copyStrided(shape, srcStrides, src, dstStrides, dst);
        }
    }

    @Override
    public void binary(BinaryOp op, long[] shape, long[] aStrides, Ptr a, long[] bStrides, Ptr b, Ptr y) {
        if (op == null) throw new IllegalArgumentException("binary op is null");
        long aSpan = strided("a", a, shape, aStrides), bSpan = strided("b", b, shape, bStrides);
        long n = numel(shape);
        check("y", y, n);
        noOverlap("y", y, n, "a", a, aSpan);
        noOverlap("y", y, n, "b", b, bSpan);
        try (Leases l = Leases.of(a, b, y)) {
            impl.binary(op, shape, aStrides, a, bStrides, b, y);
        }
    }

    @Override
    public void unary(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr y) {
        unarySettings(op, p1, p2);
        elementwise(n, "x", x, "y", y);
        inPlaceOrApart(n, "y", y, "x", x);
        try (Leases l = Leases.of(x, y)) {
            impl.unary(op, n, p1, p2, x, y);
        }
    }

    @Override
    public void unaryBackward(UnaryOp op, long n, float p1, float p2, Ptr x, Ptr dy, Ptr dx) {
        unarySettings(op, p1, p2);
        elementwise(n, "x", x, "dy", dy, "dx", dx);
        inPlaceOrApart(n, "dx", dx, "dy", dy);
        noOverlap("dx", dx, n, "x", x, n);
        try (Leases l = Leases.of(x, dy, dx)) {
            impl.unaryBackward(op, n, p1, p2, x, dy, dx);
        }
    }

    @Override
    public void reduce(ReduceOp op, long outer, long len, long inner, Ptr x, Ptr y) {
        if (op == null) throw new IllegalArgumentException("reduce op is null");
        long xn = layout(outer, len, inner), yn = layout(outer, 1, inner);
        if (len == 0 && yn > 0 && op.needsElements()) throw new IllegalArgumentException(op + " over an axis of length 0");
        check("x", x, xn);
        check("y", y, yn);
        noOverlap("y", y, yn, "x", x, xn);
        try (Leases l = Leases.of(x, y)) {
            impl.reduce(op, outer, len, inner, x, y);
        }
    }

    @Override
    public void gather(long outer, long len, long inner, long count, Ptr x, Ptr index, long is0, long is1, long is2, Ptr y) {
        long xn = layout(outer, len, inner), yn = layout(outer, count, inner);
        long indexSpan = indexSpan(outer, count, inner, is0, is1, is2);
        check("x", x, xn);
        check("index", index, indexSpan);
        check("y", y, yn);
        noOverlap("y", y, yn, "x", x, xn);
        noOverlap("y", y, yn, "index", index, indexSpan);
        try (Leases l = Leases.of(x, index, y)) {
            hostIndices(index, len, new long[] {outer, count, inner}, new long[] {is0, is1, is2});
            impl.gather(outer, len, inner, count, x, index, is0, is1, is2, y);
        }
    }

    @Override
    public void scatterAdd(long outer, long len, long inner, long count, Ptr index, long is0, long is1, long is2, Ptr dy, Ptr dx) {
        long dxn = layout(outer, len, inner), dyn = layout(outer, count, inner);
        long indexSpan = indexSpan(outer, count, inner, is0, is1, is2);
        check("index", index, indexSpan);
        check("dy", dy, dyn);
        check("dx", dx, dxn);
        noOverlap("dx", dx, dxn, "dy", dy, dyn);
        noOverlap("dx", dx, dxn, "index", index, indexSpan);
        try (Leases l = Leases.of(index, dy, dx)) {
            hostIndices(index, len, new long[] {outer, count, inner}, new long[] {is0, is1, is2});
            impl.scatterAdd(outer, len, inner, count, index, is0, is1, is2, dy, dx);
        }
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            Ptr a, int lda, long strideA, Ptr b, int ldb, long strideB,
                            float beta, Ptr c, int ldc, long strideC, int batch) {
        nonNegative("m", m);
        nonNegative("n", n);
        nonNegative("k", k);
        nonNegative("batch", batch);
        nonNegative("strideA", strideA);
        nonNegative("strideB", strideB);
        finite("alpha", alpha);
        finite("beta", beta);
        long aSpan = batchedMatrix("A", a, transA ? k : m, transA ? m : k, lda, strideA, batch);
        long bSpan = batchedMatrix("B", b, transB ? n : k, transB ? k : n, ldb, strideB, batch);
        long cOne = span(m, n, ldc);
        if (batch > 1 && cOne > 0 && strideC < cOne) {
            throw new IllegalArgumentException("strideC " + strideC + " makes the C matrices (" + m + " x " + n + ", ld " + ldc
                    + ", " + cOne + " floats each) overlap");
        }
        long cSpan = batchedMatrix("C", c, m, n, ldc, strideC, batch);
        noOverlap("C", c, cSpan, "A", a, aSpan);
        noOverlap("C", c, cSpan, "B", b, bSpan);
        try (Leases l = Leases.of(a, b, c)) {
            impl.gemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
        }
    }

    @Override
    public void lstmCellForward(int batch, int hidden, Ptr gates, Ptr cPrev, Ptr act, Ptr c, Ptr h) {
        long n = lstmUnits(batch, hidden), n4 = 4 * n;
        check("gates", gates, n4);
        check("cPrev", cPrev, n);
        check("act", act, n4);
        check("c", c, n);
        check("h", h, n);
        Object[] outputs = {"act", act, n4, "c", c, n, "h", h, n};
        apart(outputs, new Object[] {"gates", gates, n4, "cPrev", cPrev, n});
        try (Leases l = Leases.of(gates, cPrev, act, c, h)) {
            impl.lstmCellForward(batch, hidden, gates, cPrev, act, c, h);
        }
    }

    @Override
    public void lstmCellBackward(int batch, int hidden, Ptr act, Ptr cPrev, Ptr c, Ptr dh, Ptr dc, Ptr dGates, Ptr dcPrev) {
        long n = lstmUnits(batch, hidden), n4 = 4 * n;
        check("act", act, n4);
        check("cPrev", cPrev, n);
        check("c", c, n);
        check("dh", dh, n);
        check("dc", dc, n);
        check("dGates", dGates, n4);
        check("dcPrev", dcPrev, n);
        Object[] outputs = {"dGates", dGates, n4, "dcPrev", dcPrev, n};
        apart(outputs, new Object[] {"act", act, n4, "cPrev", cPrev, n, "c", c, n, "dh", dh, n, "dc", dc, n});
        try (Leases l = Leases.of(act, cPrev, c, dh, dc, dGates, dcPrev)) {
            impl.lstmCellBackward(batch, hidden, act, cPrev, c, dh, dc, dGates, dcPrev);
        }
    }

    /** batch · hidden, the units of one LSTM step; its gates (4 per unit) must stay below 2^31 floats. */
    private static long lstmUnits(int batch, int hidden) {
        nonNegative("batch", batch);
        nonNegative("hidden", hidden);
        long n = (long) batch * hidden;
        if (4 * n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an LSTM step of batch " + batch + " and hidden " + hidden
                    + " has more than 2^31 gate values");
        }
        return n;
    }

    /**
     * Outputs (triples of name, Ptr, length) overlap no input and no other output: a fused kernel
     * reads its inputs after writing some outputs.
     */
    private static void apart(Object[] outputs, Object[] inputs) {
        for (int i = 0; i < outputs.length; i += 3) {
            String name = (String) outputs[i];
            Ptr p = (Ptr) outputs[i + 1];
            long len = (Long) outputs[i + 2];
            for (int j = 0; j < inputs.length; j += 3) {
                noOverlap(name, p, len, (String) inputs[j], (Ptr) inputs[j + 1], (Long) inputs[j + 2]);
            }
            for (int j = i + 3; j < outputs.length; j += 3) {
                noOverlap(name, p, len, (String) outputs[j], (Ptr) outputs[j + 1], (Long) outputs[j + 2]);
            }
        }
    }

    @Override
    public void rand(long n, long state, Ptr y) {
        nonNegative("n", n);
        check("y", y, n);
        try (Leases l = Leases.of(y)) {
            impl.rand(n, state, y);
        }
    }

    @Override
    public void argmax(int rows, int cols, Ptr x, Ptr out) {
        rows(rows, cols, "x", x);
        if (cols == 0) throw new IllegalArgumentException("argmax over rows of 0 columns");
        check("out", out, rows);
        noOverlap("out", out, rows, "x", x, (long) rows * cols);
        try (Leases l = Leases.of(x, out)) {
            impl.argmax(rows, cols, x, out);
        }
    }

    @Override
    public void sgdMomentum(long n, float lr, float momentum, float weightDecay, boolean nesterov, Ptr w, Ptr g, Ptr v) {
        finite("lr", lr);
        finite("momentum", momentum);
        finite("weightDecay", weightDecay);
        elementwise(n, "w", w, "g", g, "v", v);
        distinct(n, "w", w, "g", g, "v", v);
        try (Leases l = Leases.of(w, g, v)) {
            impl.sgdMomentum(n, lr, momentum, weightDecay, nesterov, w, g, v);
        }
    }

    @Override
    public void adam(long n, float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                     Ptr w, Ptr g, Ptr m, Ptr v) {
        finite("lr", lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("eps must be > 0 and finite, got " + eps);
        finite("weightDecay", weightDecay);
        if (step < 1) throw new IllegalArgumentException("adam step is 1-based, got " + step);
        elementwise(n, "w", w, "g", g, "m", m, "v", v);
        distinct(n, "w", w, "g", g, "m", m, "v", v);
        try (Leases l = Leases.of(w, g, m, v)) {
            impl.adam(n, lr, beta1, beta2, eps, weightDecay, step, w, g, m, v);
        }
    }

    // ---- checks --------------------------------------------------------------------------------

    private void check(String name, Ptr p, long needed) {
        if (p == null) throw new IllegalArgumentException(name + " is null");
        if (p.storage().isFreed()) throw new IllegalStateException(name + " was freed (tensor used after close)");
        if (p.device().kind() != impl.deviceKind()) {
            throw new IllegalArgumentException(name + " is on " + p.device() + " but the " + impl.name()
                    + " kernels run on " + impl.deviceKind());
        }
        if (needed > p.remaining()) {
            throw new IllegalArgumentException(name + " needs " + needed + " floats but only " + p.remaining()
                    + " lie behind it (" + p + ")");
        }
    }

    private void elementwise(long n, Object... namesAndPtrs) {
        nonNegative("n", n);
        for (int i = 0; i < namesAndPtrs.length; i += 2) check((String) namesAndPtrs[i], (Ptr) namesAndPtrs[i + 1], n);
    }

    private void rows(int rows, int cols, Object... namesAndPtrs) {
        nonNegative("rows", rows);
        nonNegative("cols", cols);
        elementwise((long) rows * cols, namesAndPtrs);
    }

    /** Labels are validated here (under the call's lease) where the host can read them; device kernels guard their own reads. */
    private static void hostLabels(int rows, int cols, Ptr labels) {
        if (labels.device().isCpu()) Labels.check(labels.host(), rows, cols);
    }

    private void matrix(String name, Ptr p, long rows, long cols, int ld) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("leading dimension of " + name + " is " + ld + " but its rows hold " + cols + " columns");
        }
        check(name, p, 0);
        long needed = span(rows, cols, ld);
        if (needed > p.remaining()) {
            throw new IllegalArgumentException(name + " (" + rows + " x " + cols + ", ld " + ld + ") needs " + needed
                    + " floats but only " + p.remaining() + " lie behind it");
        }
    }

    /** The floats {@code batch} matrices at stride {@code stride} reach from p; checks p holds them. */
    private long batchedMatrix(String name, Ptr p, long rows, long cols, int ld, long stride, int batch) {
        matrix(name, p, batch == 0 ? 0 : rows, cols, ld); // an empty batch reads nothing
        long one = span(rows, cols, ld);
        long all = batch == 0 || one == 0 ? 0 : Math.addExact(Math.multiplyExact(batch - 1L, stride), one);
        if (all > p.remaining()) {
            throw new IllegalArgumentException(name + " (" + batch + " matrices of " + rows + " x " + cols + ", ld " + ld + ", stride "
                    + stride + ") needs " + all + " floats but only " + p.remaining() + " lie behind it");
        }
        return all;
    }

    /** Elements in shape, which must have at most MAX_RANK non-negative extents. */
    private static long numel(long[] shape) {
        if (shape == null) throw new IllegalArgumentException("shape is null");
        if (shape.length > MAX_RANK) throw new IllegalArgumentException("rank " + shape.length + " exceeds " + MAX_RANK);
        long n = 1;
        for (long d : shape) {
            nonNegative("extent", d);
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Checks p holds a strided array of shape and returns its span: 1 + Σ (shape_d - 1)·strides_d, or 0 when empty. */
    private long strided(String name, Ptr p, long[] shape, long[] strides) {
        long n = numel(shape);
        if (strides == null || strides.length != shape.length) {
            throw new IllegalArgumentException(name + " strides " + Arrays.toString(strides) + " do not match shape "
                    + Arrays.toString(shape));
        }
        long last = 0;
        for (int d = 0; d < shape.length; d++) {
            nonNegative(name + " stride", strides[d]);
            if (shape[d] > 0) last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, strides[d]));
        }
        long span = n == 0 ? 0 : last + 1;
        check(name, p, span);
        return span;
    }

    /**
     * A destination writes each element once: ordered by stride, each axis of extent above 1
     * steps past every position the smaller axes reach (a mixed-radix numbering; interleaved
     * layouts such as every third column of rows of 4 qualify).
     */
    private static void distinctWrites(long[] shape, long[] strides) {
        int[] axes = new int[shape.length]; // by stride: an insertion sort of at most MAX_RANK axes
        for (int d = 0; d < axes.length; d++) {
            int i = d;
            for (; i > 0 && strides[axes[i - 1]] > strides[d]; i--) axes[i] = axes[i - 1];
            axes[i] = d;
        }
        long reach = 0; // the farthest offset the smaller axes reach
        for (int d : axes) {
            if (shape[d] <= 1) continue;
            if (strides[d] <= reach) {
                throw new IllegalArgumentException("dst strides " + Arrays.toString(strides) + " write some elements of shape "
                        + Arrays.toString(shape) + " twice");
            }
            reach += (shape[d] - 1) * strides[d];
        }
    }

    private static void unarySettings(UnaryOp op, float p1, float p2) {
        if (op == null) throw new IllegalArgumentException("unary op is null");
        if (Float.isNaN(p1) || Float.isNaN(p2)) throw new IllegalArgumentException(op + " settings must not be NaN, got " + p1 + ", " + p2);
        if (op == UnaryOp.CLAMP && p1 > p2) throw new IllegalArgumentException("clamp min " + p1 + " exceeds max " + p2);
        if (op == UnaryOp.SOFTPLUS && !(p1 > 0 && Float.isFinite(p1))) {
            throw new IllegalArgumentException("softplus beta must be > 0 and finite, got " + p1);
        }
    }

    /** An elementwise output either is its input (in place) or lies apart from it. */
    private static void inPlaceOrApart(long n, String outName, Ptr out, String inName, Ptr in) {
        if (out.storage() == in.storage() && out.offset() == in.offset()) return;
        noOverlap(outName, out, n, inName, in, n);
    }

    /** Floats from an index array's first element to its last read one. */
    private static long indexSpan(long outer, long count, long inner, long is0, long is1, long is2) {
        nonNegative("index stride 0", is0);
        nonNegative("index stride 1", is1);
        nonNegative("index stride 2", is2);
        if (outer == 0 || count == 0 || inner == 0) return 0;
        return Math.addExact(Math.addExact(Math.multiplyExact(outer - 1, is0), Math.multiplyExact(count - 1, is1)),
                Math.multiplyExact(inner - 1, is2)) + 1;
    }

    /** Indices are validated here (under the call's lease) where the host can read them; device kernels guard their own reads. */
    private static void hostIndices(Ptr index, long len, long[] shape, long[] strides) {
        if (!index.device().isCpu()) return;
        long[] distinct = shape.clone();
        for (int d = 0; d < shape.length; d++) if (strides[d] == 0) distinct[d] = Math.min(1, shape[d]); // repeats read one element
        Labels.checkIndices(index.host(), distinct, strides, len);
    }

    private static long span(long rows, long cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    private static long layout(long outer, long channels, long inner) {
        nonNegative("outer", outer);
        nonNegative("channels", channels);
        nonNegative("inner", inner);
        return Math.multiplyExact(Math.multiplyExact(outer, channels), inner);
    }

    private static void window(Window w) {
        if (w == null) throw new IllegalArgumentException("window is null");
    }

    private static void poolWindow(Window w) {
        window(w);
        if (w.padH() >= w.kernelH() || w.padW() >= w.kernelW()) {
            throw new IllegalArgumentException("pooling padding " + w.padH() + "x" + w.padW()
                    + " must be smaller than the kernel " + w.kernelH() + "x" + w.kernelW());
        }
    }

    private static void noOverlap(String outName, Ptr out, long outLen, String inName, Ptr in, long inLen) {
        if (out.storage() != in.storage() || outLen == 0 || inLen == 0) return;
        if (out.offset() < in.offset() + inLen && in.offset() < out.offset() + outLen) {
            throw new IllegalArgumentException(outName + " overlaps " + inName + " (this kernel does not work in place)");
        }
    }

    /** Optimizer state must not alias: each array is read and written per element. */
    private static void distinct(long n, Object... namesAndPtrs) {
        for (int i = 0; i < namesAndPtrs.length; i += 2) {
            for (int j = i + 2; j < namesAndPtrs.length; j += 2) {
                noOverlap((String) namesAndPtrs[i], (Ptr) namesAndPtrs[i + 1], n,
                        (String) namesAndPtrs[j], (Ptr) namesAndPtrs[j + 1], n);
            }
        }
    }

    private static void nonNegative(String name, long v) {
        if (v < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + v);
    }

    private static void finite(String name, float v) {
        if (!Float.isFinite(v)) throw new IllegalArgumentException(name + " must be finite, got " + v);
    }
}
