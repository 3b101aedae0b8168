package dev.cortado.kernels;

import dev.cortado.memory.Device;
import dev.cortado.memory.Leases;
import dev.cortado.memory.Ptr;

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

    private static long span(long rows, long cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    private static long layout(int outer, int channels, int inner) {
        nonNegative("outer", outer);
        nonNegative("channels", channels);
        nonNegative("inner", inner);
        return (long) outer * channels * inner;
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
