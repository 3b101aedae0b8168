package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** Sum, mean and argmax. */
public final class Reductions {

    private Reductions() {
    }

    /** Sum of all elements, as a 0-d tensor. */
    public static Tensor sum(Tensor x) {
        Checks.notNull("sum", "x", x);
        Tensor y = Tensor.empty(x.device());
        x.kernels().sum(x.numel(), x.ptr(), y.ptr());
        return Autograd.record(y, "sum", g -> new Tensor[] {broadcast(g, x.shape())}, x);
    }

    /** A tensor of {@code shape} holding the one value of {@code scalar} everywhere, read on the device (not recorded). */
    static Tensor broadcast(Tensor scalar, int[] shape) {
        Tensor out = Tensor.zeros(scalar.device(), shape);
        scalar.kernels().biasAdd(1, 1, (int) out.numel(), scalar.ptr(), out.ptr());
        return out;
    }

    /** Mean of all elements, as a 0-d tensor. */
    public static Tensor mean(Tensor x) {
        Checks.notNull("mean", "x", x);
        if (x.numel() == 0) throw new IllegalArgumentException("mean: tensor has no elements");
        return Arithmetic.scale(sum(x), 1f / x.numel());
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

    /** Bias gradient: sums g laid out [outer, channels, inner] over outer and inner (not recorded). */
    static Tensor biasGrad(Tensor g, int outer, int channels, int inner) {
        Tensor db = Tensor.empty(g.device(), channels);
        g.kernels().biasGrad(outer, channels, inner, g.ptr(), db.ptr());
        return db;
    }
}
