package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/** Matrix products: matmul with optional transposes, and linear (fully connected). */
public final class Linalg {

    private Linalg() {
    }

    /** a · b for 2-D a [m, k] and b [k, n]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, false, b, false);
    }

    /** op(a) · op(b), where op transposes when its flag is set (no copy is made). */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        Checks.rank("matmul", "a", a, 2);
        Checks.rank("matmul", "b", b, 2);
        Checks.sameDevice("matmul", a, b);
        int m = transA ? a.size(1) : a.size(0), ka = transA ? a.size(0) : a.size(1);
        int kb = transB ? b.size(1) : b.size(0), n = transB ? b.size(0) : b.size(1);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + (transA ? "a^T" : "a") + " is " + m + "x" + ka
                    + " (a " + Shape.str(a.shape()) + "), " + (transB ? "b^T" : "b") + " is " + kb + "x" + n
                    + " (b " + Shape.str(b.shape()) + ")");
        }
        Tensor c = Tensor.empty(a.device(), m, n);
        a.kernels().gemm(transA, transB, m, n, ka, 1f, a.ptr(), a.size(1), b.ptr(), b.size(1), 0f, c.ptr(), n);
        return Autograd.record(c, "matmul", Autograd.saves(a, b), g -> new Tensor[] {
            !a.requiresGrad() ? null : transA ? matmul(b, transB, g, true) : matmul(g, false, b, !transB),
            !b.requiresGrad() ? null : transB ? matmul(g, true, a, transA) : matmul(a, !transA, g, false)}, a, b);
    }

    /**
     * Fully connected layer, Caffe's InnerProduct / PyTorch's linear: {@code y = x · wᵀ + bias}
     * with x [batch, in], w [out, in], bias [out] or null.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Checks.rank("linear", "x", x, 2);
        Checks.rank("linear", "w", w, 2);
        Checks.sameDevice("linear", x, w);
        int batch = x.size(0), in = x.size(1), out = w.size(0);
        if (w.size(1) != in) {
            throw new IllegalArgumentException("linear: x " + Shape.str(x.shape()) + " has " + in + " features but w "
                    + Shape.str(w.shape()) + " expects " + w.size(1));
        }
        Checks.bias("linear", x, bias, out, "outputs");
        Tensor y = Tensor.empty(x.device(), batch, out);
        x.kernels().gemm(false, true, batch, out, in, 1f, x.ptr(), in, w.ptr(), in, 0f, y.ptr(), out);
        if (bias != null) x.kernels().biasAdd(batch, out, 1, bias.ptr(), y.ptr());
        return Autograd.record(y, "linear", Autograd.saves(x, w), g -> new Tensor[] {
            x.requiresGrad() ? matmul(g, w) : null,
            w.requiresGrad() ? matmul(g, true, x, false) : null,
            bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, batch, out, 1) : null}, x, w, bias);
    }
}
