package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Tensor;

/** Elementwise arithmetic on same-shape tensors: add, sub, mul, scale, add-scalar. */
public final class Arithmetic {

    private Arithmetic() {
    }

    /** a + b. */
    public static Tensor add(Tensor a, Tensor b) {
        Checks.sameShape("add", a, b);
        Tensor y = Tensor.empty(a.device(), a.shape());
        a.kernels().add(a.numel(), a.ptr(), b.ptr(), y.ptr());
        return Autograd.record(y, "add", g -> new Tensor[] {g, g}, a, b);
    }

    /** a - b. */
    public static Tensor sub(Tensor a, Tensor b) {
        Checks.sameShape("sub", a, b);
        Tensor y = Tensor.empty(a.device(), a.shape());
        a.kernels().scale(a.numel(), 1f, a.ptr(), y.ptr());
        a.kernels().axpy(a.numel(), -1f, b.ptr(), y.ptr());
        return Autograd.record(y, "sub", g -> new Tensor[] {g, b.requiresGrad() ? scale(g, -1f) : null}, a, b);
    }

    /** a * b, elementwise (Hadamard). */
    public static Tensor mul(Tensor a, Tensor b) {
        Checks.sameShape("mul", a, b);
        Tensor y = Tensor.empty(a.device(), a.shape());
        a.kernels().mul(a.numel(), a.ptr(), b.ptr(), y.ptr());
        return Autograd.record(y, "mul", g -> new Tensor[] {
            a.requiresGrad() ? mul(g, b) : null,
            b.requiresGrad() ? mul(g, a) : null}, a, b);
    }

    /** alpha * x. */
    public static Tensor scale(Tensor x, float alpha) {
        Checks.notNull("scale", "x", x);
        Tensor y = Tensor.empty(x.device(), x.shape());
        x.kernels().scale(x.numel(), alpha, x.ptr(), y.ptr());
        return Autograd.record(y, "scale", g -> new Tensor[] {scale(g, alpha)}, x);
    }

    /** x + c for a scalar c. */
    public static Tensor addScalar(Tensor x, float c) {
        Checks.notNull("addScalar", "x", x);
        Tensor y = Tensor.full(x.device(), c, x.shape());
        x.kernels().axpy(x.numel(), 1f, x.ptr(), y.ptr());
        return Autograd.record(y, "add_scalar", g -> new Tensor[] {g}, x);
    }

    /**
     * s · x for a one-element tensor s, read on the device (no host read of s): a rank-1 GEMM,
     * [1 x 1] times x as [1 x n], as Caffe multiplies by a device scalar. Not recorded.
     */
    static Tensor scaleBy(Tensor x, Tensor s) {
        Checks.sameDevice("scaleBy", x, s);
        if (s.numel() != 1) throw new IllegalArgumentException("scaleBy: the scale must have one element, got " + s.numel());
        int n = (int) x.numel();
        Tensor y = Tensor.empty(x.device(), x.shape());
        if (n > 0) x.kernels().gemm(false, false, 1, n, 1, 1f, s.ptr(), 1, x.ptr(), n, 0f, y.ptr(), n);
        return y;
    }
}
