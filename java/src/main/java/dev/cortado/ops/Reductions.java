package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.BinaryOp;
import dev.cortado.kernels.ReduceOp;
import dev.cortado.kernels.UnaryOp;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import dev.cortado.tensor.ValuesIndices;
import java.util.Arrays;

/**
 * Reductions, over all elements or along axes with PyTorch's keepdim: sum, mean, max, min,
 * argmax, argmin, var, std, logsumexp.
 */
public final class Reductions {

    private Reductions() {
    }

    /** Sum of all elements, as a 0-d tensor. */
    public static Tensor sum(Tensor x) {
        Checks.notNull("sum", "x", x);
        Tensor y = Tensor.empty(x.device());
        x.kernels().sum(x.numel(), x.ptr(), y.ptr());
        return Autograd.record(y, "sum", g -> new Tensor[] {Strides.expand(g, x.shape())}, x);
    }

    /** Mean of all elements, as a 0-d tensor. */
    public static Tensor mean(Tensor x) {
        Checks.notNull("mean", "x", x);
        if (x.numel() == 0) throw new IllegalArgumentException("mean: tensor has no elements");
        Tensor s = sum(x), y = Arithmetic.scale("mean", s, 1f / x.numel());
        Autograd.closeUnlessRecorded(y, s);
        return Autograd.named(y, "mean");
    }

    /** Sum over {@code dims} (each once; negative counts from the end); keepdim keeps them with size 1. */
    public static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        return linear("sum", ReduceOp.SUM, x, dims, keepdim);
    }

    /** Mean over {@code dims}; NaN where they hold no elements. */
    public static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        return linear("mean", ReduceOp.MEAN, x, dims, keepdim);
    }

    /** Sum and mean: the backward repeats g (over the count, for the mean) along the reduced axes. */
    private static Tensor linear(String op, ReduceOp kind, Tensor x, int[] dims, boolean keepdim) {
        boolean[] axes = axes(op, x, dims);
        Tensor kept = Strides.reduce(kind, x, axes);
        long count = x.numel() / Math.max(1, kept.numel());
        int[] keptShape = kept.shape();
        Tensor y = shaped(kept, axes, keepdim);
        return Autograd.record(y, op, g -> {
            try (Tensor gk = g.reshape(keptShape)) {
                Tensor dx = Strides.expand(gk, x.shape());
                if (kind == ReduceOp.MEAN && count != 1) x.kernels().scale(dx.numel(), 1f / count, dx.ptr(), dx.ptr());
                return new Tensor[] {dx};
            }
        }, x);
    }

    /** Maximum along dim (NaN if the axis holds one); the gradient goes to the first maximum, as PyTorch's max(dim). */
    public static Tensor max(Tensor x, int dim, boolean keepdim) {
        return extreme("max", ReduceOp.MAX, ReduceOp.ARGMAX, x, dim, keepdim, false).values();
    }

    /** Minimum along dim; the gradient goes to the first minimum. */
    public static Tensor min(Tensor x, int dim, boolean keepdim) {
        return extreme("min", ReduceOp.MIN, ReduceOp.ARGMIN, x, dim, keepdim, false).values();
    }

    /** {@link #max} without dim, and the index of each first maximum (torch.max(x, dim)). */
    public static ValuesIndices maxWithIndices(Tensor x, int dim) {
        return extreme("max", ReduceOp.MAX, ReduceOp.ARGMAX, x, dim, false, true);
    }

    /** {@link #min} without dim, and the index of each first minimum (torch.min(x, dim)). */
    public static ValuesIndices minWithIndices(Tensor x, int dim) {
        return extreme("min", ReduceOp.MIN, ReduceOp.ARGMIN, x, dim, false, true);
    }

    /** The values along dim, and their indices when asked for (else null); the indices route the gradient. */
    private static ValuesIndices extreme(String op, ReduceOp value, ReduceOp index, Tensor x, int dim, boolean keepdim, boolean withIndices) {
        Checks.notNull(op, "x", x);
        int d = Strides.axis(op, dim, x.shape());
        nonEmpty(op, x, d);
        boolean[] axes = one(x, d);
        Tensor y = shaped(Strides.reduce(value, x, axes), axes, keepdim);
        boolean grad = Autograd.needsGrad(x);
        if (!grad && !withIndices) return new ValuesIndices(y, null);
        Tensor at = Strides.reduce(index, x, axes); // where each gradient goes
        Tensor indices = withIndices ? shaped(at.detach(), axes, keepdim) : null;
        if (!grad) {
            at.close();
            return new ValuesIndices(y, indices);
        }
        Autograd.record(y, op, Autograd.saves(at), g -> {
            int[] s = x.shape();
            long outer = Strides.prod(s, 0, d), len = s[d], inner = Strides.prod(s, d + 1, s.length);
            Tensor dx = Tensor.zeros(x.device(), s);
            x.kernels().scatterAdd(outer, len, inner, 1, at.ptr(), inner, 0, 1, g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
        return new ValuesIndices(y, indices);
    }

    /** Index of the first maximum along dim, as floats (not differentiable). */
    public static Tensor argmax(Tensor x, int dim, boolean keepdim) {
        return index("argmax", ReduceOp.ARGMAX, x, dim, keepdim);
    }

    /** Index of the first minimum along dim, as floats. */
    public static Tensor argmin(Tensor x, int dim, boolean keepdim) {
        return index("argmin", ReduceOp.ARGMIN, x, dim, keepdim);
    }

    private static Tensor index(String op, ReduceOp kind, Tensor x, int dim, boolean keepdim) {
        Checks.notNull(op, "x", x);
        int d = Strides.axis(op, dim, x.shape());
        nonEmpty(op, x, d);
        boolean[] axes = one(x, d);
        return shaped(Strides.reduce(kind, x, axes), axes, keepdim);
    }

    /** Index of the maximum along the last dimension, as floats; shape drops the last dimension. */
    public static Tensor argmax(Tensor x) {
        int[] rc = Checks.rowsCols("argmax", x);
        if (rc[1] == 0) throw new IllegalArgumentException("argmax: rows of 0 columns, shape " + Shape.str(x.shape()));
        int[] shape = x.shape();
        Tensor y = Tensor.empty(x.device(), Arrays.copyOf(shape, shape.length - 1));
        x.kernels().argmax(rc[0], rc[1], x.ptr(), y.ptr());
        return y;
    }

    /**
     * Variance over dims with Bessel's correction {@code correction} (PyTorch's default 1: the
     * sum of squared deviations over count - correction).
     */
    public static Tensor var(Tensor x, int[] dims, int correction, boolean keepdim) {
        boolean[] axes = axes("var", x, dims);
        if (correction < 0) throw new IllegalArgumentException("var: correction must be >= 0, got " + correction);
        long count = 1;
        for (int d = 0; d < axes.length; d++) if (axes[d]) count *= x.size(d);
        int[] all = reducedDims(axes);
        Tensor mu = mean(x, all, true), dev = Arithmetic.sub(x, mu), sq = UnaryMath.square(dev), ss = sum(sq, all, keepdim);
        Tensor v = Arithmetic.scale("var", ss, 1f / Math.max(0, count - correction));
        Autograd.closeUnlessRecorded(v, mu, dev, sq, ss);
        return Autograd.named(v, "var");
    }

    /** Standard deviation: the square root of {@link #var}. */
    public static Tensor std(Tensor x, int[] dims, int correction, boolean keepdim) {
        Tensor v = var(x, dims, correction, keepdim), s = UnaryMath.sqrt(v);
        Autograd.closeUnlessRecorded(s, v);
        return Autograd.named(s, "std");
    }

    /** log Σ e^x along dim, computed stably; -inf over an empty axis. */
    public static Tensor logsumexp(Tensor x, int dim, boolean keepdim) {
        Checks.notNull("logsumexp", "x", x);
        boolean[] axes = one(x, Strides.axis("logsumexp", dim, x.shape()));
        Tensor kept = Strides.reduce(ReduceOp.LOGSUMEXP, x, axes);
        int[] keptShape = kept.shape();
        Tensor y = shaped(kept, axes, keepdim);
        return Autograd.record(y, "logsumexp", Autograd.saves(x, y), g -> { // g · e^(x - y)
            try (Tensor gk = g.reshape(keptShape); Tensor yk = y.reshape(keptShape);
                 Tensor d = Arithmetic.apply("logsumexp", BinaryOp.SUB, x, yk); Tensor e = UnaryMath.apply(UnaryOp.EXP, d, 0f, 0f)) {
                return new Tensor[] {Arithmetic.apply("logsumexp", BinaryOp.MUL, e, gk)};
            }
        }, x);
    }

    /** Bias gradient: sums g laid out [outer, channels, inner] over outer and inner (not recorded). */
    static Tensor biasGrad(Tensor g, int outer, int channels, int inner) {
        Tensor db = Tensor.empty(g.device(), channels);
        g.kernels().biasGrad(outer, channels, inner, g.ptr(), db.ptr());
        return db;
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** The marked axes of x for dims (each once). */
    private static boolean[] axes(String op, Tensor x, int[] dims) {
        Checks.notNull(op, "x", x);
        if (dims == null) throw new IllegalArgumentException(op + ": dims is null");
        boolean[] axes = new boolean[x.dim()];
        for (int dim : dims) {
            int d = Strides.axis(op, dim, x.shape());
            if (axes[d]) throw new IllegalArgumentException(op + ": dim " + dim + " appears twice in " + Arrays.toString(dims));
            axes[d] = true;
        }
        return axes;
    }

    private static boolean[] one(Tensor x, int d) {
        boolean[] axes = new boolean[x.dim()];
        axes[d] = true;
        return axes;
    }

    private static int[] reducedDims(boolean[] axes) {
        int n = 0;
        for (boolean a : axes) if (a) n++;
        int[] dims = new int[n];
        for (int d = 0, i = 0; d < axes.length; d++) if (axes[d]) dims[i++] = d;
        return dims;
    }

    private static void nonEmpty(String op, Tensor x, int d) {
        if (x.size(d) == 0) {
            throw new IllegalArgumentException(op + ": dim " + d + " of shape " + Shape.str(x.shape()) + " is empty");
        }
    }

    /** The keepdim result as the caller asked for it: as it is, or without the reduced axes (a view). */
    private static Tensor shaped(Tensor kept, boolean[] axes, boolean keepdim) {
        if (keepdim) return kept;
        int[] s = kept.shape();
        int n = 0;
        for (int d = 0; d < s.length; d++) if (!axes[d]) s[n++] = s[d];
        Tensor y = kept.reshape(Arrays.copyOf(s, n));
        kept.close();
        return y;
    }
}
