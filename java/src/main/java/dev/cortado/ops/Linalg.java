package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.UnaryOp;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** Matrix products: matmul with optional transposes, and linear (fully connected). */
public final class Linalg {

    private Linalg() {
    }

    /**
     * a · b as PyTorch's matmul: 2-D matrices; 1-D vectors (a dot product, or a row or column
     * that is dropped again); and batches [..., m, k] · [..., k, n] whose batch axes broadcast,
     * one strided-batch GEMM call.
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        Checks.notNull("matmul", "a", a);
        Checks.notNull("matmul", "b", b);
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least 1 dimension, got " + Shape.str(a.shape()) + " and "
                    + Shape.str(b.shape()));
        }
        if (a.dim() >= 2 && b.dim() >= 2) return matmul(a, false, b, false);
        // vectors: a [k] is a row [1, k], b [k] a column [k, 1]; the added axis is dropped after
        Tensor a2 = a.dim() == 1 ? a.reshape(1, a.size(0)) : a, b2 = b.dim() == 1 ? b.reshape(b.size(0), 1) : b;
        Tensor c = matmul(a2, false, b2, false);
        int[] s = c.shape();
        int keep = s.length - (a.dim() == 1 ? 1 : 0) - (b.dim() == 1 ? 1 : 0);
        int[] out = new int[keep];
        for (int d = 0, i = 0; d < s.length; d++) {
            boolean dropped = (a.dim() == 1 && d == s.length - 2) || (b.dim() == 1 && d == s.length - 1);
            if (!dropped) out[i++] = s[d];
        }
        Tensor y = c.reshape(out);
        Autograd.closeUnlessRecorded(y, a2 == a ? null : a2, b2 == b ? null : b2, c);
        return y;
    }

    /**
     * op(a) · op(b) for a and b of at least 2 dimensions, op transposing the last two axes when
     * its flag is set (no copy is made); batch axes broadcast.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        Checks.notNull("matmul", "a", a);
        Checks.notNull("matmul", "b", b);
        if (a.dim() < 2 || b.dim() < 2) {
            throw new IllegalArgumentException("matmul: with transposes both operands need at least 2 dimensions, got "
                    + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        }
        Checks.sameDevice("matmul", a, b);
        int ra = a.size(-2), ca = a.size(-1), rb = b.size(-2), cb = b.size(-1);
        int m = transA ? ca : ra, ka = transA ? ra : ca;
        int kb = transB ? cb : rb, n = transB ? rb : cb;
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + (transA ? "a^T" : "a") + " is " + m + "x" + ka
                    + " (a " + Shape.str(a.shape()) + "), " + (transB ? "b^T" : "b") + " is " + kb + "x" + n
                    + " (b " + Shape.str(b.shape()) + ")");
        }
        Tensor c;
        if (a.dim() == 2 && b.dim() == 2) {
            c = Tensor.empty(a.device(), m, n);
            a.kernels().gemm(transA, transB, m, n, ka, 1f, a.ptr(), ca, b.ptr(), cb, 0f, c.ptr(), n);
        } else {
            c = batched(a, transA, b, transB, m, n, ka);
        }
        return Autograd.record(c, "matmul", Autograd.saves(a, b), g -> new Tensor[] {
            !a.requiresGrad() ? null : reduced(transA ? matmul(b, transB, g, true) : matmul(g, false, b, !transB), a.shape()),
            !b.requiresGrad() ? null : reduced(transB ? matmul(g, true, a, transA) : matmul(a, !transA, g, false), b.shape())}, a, b);
    }

    /** The batched product: batch axes broadcast; an operand with one matrix is read at stride 0, others expanded first. */
    private static Tensor batched(Tensor a, boolean transA, Tensor b, boolean transB, int m, int n, int k) {
        int[] as = a.shape(), bs = b.shape();
        int[] batch = Strides.broadcast("matmul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        long count = Shape.numel(batch);
        int[] cs = Arrays.copyOf(batch, batch.length + 2);
        cs[batch.length] = m;
        cs[batch.length + 1] = n;
        Tensor c = Tensor.empty(a.device(), cs);
        if (c.numel() == 0) return c;
        try (Tensor ae = batchOf(a, batch); Tensor be = batchOf(b, batch)) {
            long sa = ae.dim() == 2 ? 0 : (long) as[as.length - 2] * as[as.length - 1];
            long sb = be.dim() == 2 ? 0 : (long) bs[bs.length - 2] * bs[bs.length - 1];
            if (sb == 0 && sa != 0 && !transA) {
                // one B for every product: the stacked A matrices are one [count·m, k] matrix, C one [count·m, n] (one GEMM)
                a.kernels().gemm(false, transB, (int) (count * m), n, k, 1f, ae.ptr(), as[as.length - 1], be.ptr(), bs[bs.length - 1],
                        0f, c.ptr(), n);
            } else {
                a.kernels().gemmBatched(transA, transB, m, n, k, 1f, ae.ptr(), as[as.length - 1], sa, be.ptr(), bs[bs.length - 1], sb,
                        0f, c.ptr(), n, (long) m * n, (int) count);
            }
        }
        return c;
    }

    /** x as matrices for each batch index: x itself as one matrix (read at stride 0), as it is, or repeated to the batch. */
    private static Tensor batchOf(Tensor x, int[] batch) {
        int[] s = x.shape();
        int[] own = Arrays.copyOf(s, s.length - 2);
        if (Shape.numel(own) == 1) {
            try (Tensor d = x.detach()) {
                return d.reshape(s[s.length - 2], s[s.length - 1]);
            }
        }
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = s[s.length - 2];
        full[batch.length + 1] = s[s.length - 1];
        if (Arrays.equals(own, batch)) return x.detach();
        return Strides.expand(x, full);
    }

    /** A gradient with the broadcast batch axes summed back to the operand's shape. */
    private static Tensor reduced(Tensor g, int[] shape) {
        if (Arrays.equals(g.shape(), shape)) return g;
        try (g) {
            return Strides.sumTo(g, shape);
        }
    }

    /**
     * Fully connected layer, Caffe's InnerProduct / PyTorch's linear: {@code y = x · wᵀ + bias}
     * with x [batch, in], w [out, in], bias [out] or null; the bias added in the GEMM's tail.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Checks.rank("linear", "x", x, 2);
        return linearFused("linear", x, w, true, bias, null, UnaryOp.CLAMP, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /**
     * {@code y = min(max(x · op(w) + bias, lo), hi)}, one GEMM with the bias and the clamp in its
     * tail (ONNX Runtime's fused MatMul, Add and Relu): x [..., k] (its leading axes are the rows),
     * w [k, n], or [n, k] with transW (PyTorch's linear layout), bias [n] or null; y [..., n].
     * lo = -inf, hi = inf clamp nothing, lo = 0, hi = inf is ReLU. Differentiable (the clamp then
     * applied as an activation of its own).
     */
    public static Tensor linearFused(Tensor x, Tensor w, boolean transW, Tensor bias, float lo, float hi) {
        return linearFused("linearFused", x, w, transW, bias, null, UnaryOp.CLAMP, lo, hi);
    }

    /**
     * {@code y = act(x · op(w) + bias + residual)} with the activation {@code act} and its
     * settings p1, p2 ({@link UnaryOp}; CLAMP(lo, hi) as above), computed in the GEMM's tail: a
     * transformer's {@code gelu(c_fc(x))} or {@code h + c_proj(x)} in one pass instead of two.
     * residual (y's shape) may be null. The same values as the linear layer followed by the add
     * and {@link UnaryMath}'s op. Differentiable (an activation other than the identity is then
     * applied as an op of its own, whose backward needs its input).
     */
    public static Tensor linearFused(Tensor x, Tensor w, boolean transW, Tensor bias, Tensor residual, UnaryOp act, float p1, float p2) {
        if (act == null) throw new IllegalArgumentException("linearFused: act is null");
        return linearFused("linearFused", x, w, transW, bias, residual, act, p1, p2);
    }

    private static Tensor linearFused(String op, Tensor x, Tensor w, boolean transW, Tensor bias, Tensor residual, UnaryOp act, float p1,
                                      float p2) {
        Checks.notNull(op, "x", x);
        Checks.notNull(op, "w", w);
        if (act == UnaryOp.CLAMP) Checks.clampRange(op, p1, p2);
        else UnaryMath.checkSettings(op + " " + act, act, p1, p2);
        if (x.dim() < 1) throw new IllegalArgumentException(op + ": x needs at least 1 dimension, got " + Shape.str(x.shape()));
        Checks.rank(op, "w", w, 2);
        Checks.sameDevice(op, x, w);
        int in = x.size(-1), out = transW ? w.size(0) : w.size(1);
        if ((transW ? w.size(1) : w.size(0)) != in) {
            throw new IllegalArgumentException(op + ": x " + Shape.str(x.shape()) + " has " + in + " features but w "
                    + Shape.str(w.shape()) + " expects " + (transW ? w.size(1) : w.size(0)));
        }
        Checks.bias(op, x, bias, out, "outputs");
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = out;
        if (residual != null) {
            Checks.sameDevice(op, x, residual);
            if (!Arrays.equals(residual.shape(), shape)) {
                throw new IllegalArgumentException(op + ": residual " + Shape.str(residual.shape()) + " is not the output's shape "
                        + Shape.str(shape));
            }
        }
        boolean identity = act == UnaryOp.CLAMP && p1 == Float.NEGATIVE_INFINITY && p2 == Float.POSITIVE_INFINITY;
        if (!identity && Autograd.needsGrad(x, w, bias, residual)) {
            Tensor y = linearFused(op, x, w, transW, bias, residual, UnaryOp.CLAMP, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            return act == UnaryOp.CLAMP ? Activations.clampActivation(y, p1, p2) : UnaryMath.of(act, y, p1, p2);
        }
        int rows = (int) Shape.numel(Arrays.copyOf(x.shape(), x.dim() - 1)); // (x's leading axes; also where in is 0)
        Tensor y = Tensor.empty(x.device(), shape);
        int lda = Math.max(1, in), ldb = Math.max(1, transW ? in : out), ldc = Math.max(1, out); // (a leading dimension is at least 1)
        x.kernels().gemmBias(false, transW, rows, out, in, x.ptr(), lda, w.ptr(), ldb, bias == null ? null : bias.ptr(),
                residual == null ? null : residual.ptr(), act, p1, p2, y.ptr(), ldc);
        return Autograd.record(y, op, Autograd.saves(x, w), g -> {
            try (Tensor g2 = g.reshape(rows, out); Tensor x2 = x.reshape(rows, in)) { // (backward runs with GradMode off)
                Tensor dx = null;
                if (x.requiresGrad()) {
                    try (Tensor d = transW ? matmul(g2, w) : matmul(g2, false, w, true)) {
                        dx = d.reshape(x.shape());
                    }
                }
                Tensor dw = !w.requiresGrad() ? null : transW ? matmul(g2, true, x2, false) : matmul(x2, true, g2, false);
                Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g2, rows, out, 1) : null;
                Tensor dz = residual != null && residual.requiresGrad() ? Strides.sumTo(g, residual.shape()) : null;
                return new Tensor[] {dx, dw, db, dz};
            }
        }, x, w, bias, residual);
    }
}
