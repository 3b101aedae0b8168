package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.UnaryOp;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Tensor;

/**
 * Elementwise math with PyTorch's names and defaults: exp, log, sqrt, rsqrt, abs, neg, square,
 * clamp, softplus, leaky_relu, elu and gelu (exact erf form, or tanh form). One kernel pair serves them all
 * ({@link UnaryOp}); each backward reads the forward input.
 */
public final class UnaryMath {

    private UnaryMath() {
    }

    public static Tensor exp(Tensor x) {
        return op(UnaryOp.EXP, "exp", x, 0f, 0f);
    }

    public static Tensor log(Tensor x) {
        return op(UnaryOp.LOG, "log", x, 0f, 0f);
    }

    public static Tensor sqrt(Tensor x) {
        return op(UnaryOp.SQRT, "sqrt", x, 0f, 0f);
    }

    public static Tensor rsqrt(Tensor x) {
        return op(UnaryOp.RSQRT, "rsqrt", x, 0f, 0f);
    }

    public static Tensor abs(Tensor x) {
        return op(UnaryOp.ABS, "abs", x, 0f, 0f);
    }

    public static Tensor neg(Tensor x) {
        return op(UnaryOp.NEG, "neg", x, 0f, 0f);
    }

    public static Tensor square(Tensor x) {
        return op(UnaryOp.SQUARE, "square", x, 0f, 0f);
    }

    /** min(max(x, min), max); either bound may be infinite (clamp_min: max = +inf). */
    public static Tensor clamp(Tensor x, float min, float max) {
        if (Float.isNaN(min) || Float.isNaN(max) || min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " and max " + max + " do not form a range");
        }
        return op(UnaryOp.CLAMP, "clamp", x, min, max);
    }

    /** log(1 + e^(beta x)) / beta, and x where beta x > threshold (PyTorch's defaults: beta 1, threshold 20). */
    public static Tensor softplus(Tensor x, float beta, float threshold) {
        if (!(beta > 0) || Float.isInfinite(beta)) throw new IllegalArgumentException("softplus: beta must be > 0 and finite, got " + beta);
        if (Float.isNaN(threshold)) throw new IllegalArgumentException("softplus: threshold is NaN");
        return op(UnaryOp.SOFTPLUS, "softplus", x, beta, threshold);
    }

    /** x for x > 0, else slope · x (PyTorch's default slope: 0.01). */
    public static Tensor leakyRelu(Tensor x, float slope) {
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("leaky_relu: slope must be finite, got " + slope);
        return op(UnaryOp.LEAKY_RELU, "leaky_relu", x, slope, 0f);
    }

    /** x for x > 0, else alpha · (e^x - 1) (PyTorch's default alpha: 1). */
    public static Tensor elu(Tensor x, float alpha) {
        if (!Float.isFinite(alpha)) throw new IllegalArgumentException("elu: alpha must be finite, got " + alpha);
        return op(UnaryOp.ELU, "elu", x, alpha, 0f);
    }

    /** GELU in its exact form x Φ(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's default, gelu(approximate='none')). */
    public static Tensor gelu(Tensor x) {
        return gelu(x, false);
    }

    /** GELU in its tanh form when approximateTanh (PyTorch's gelu(approximate='tanh')), else exact. */
    public static Tensor gelu(Tensor x, boolean approximateTanh) {
        return approximateTanh ? op(UnaryOp.GELU, "gelu", x, 0f, 0f) : op(UnaryOp.GELU_ERF, "gelu", x, 0f, 0f);
    }

    /** GELU by PyTorch's {@code approximate} argument: "none" (exact, erf) or "tanh". */
    public static Tensor gelu(Tensor x, String approximate) {
        if ("none".equals(approximate)) return gelu(x, false);
        if ("tanh".equals(approximate)) return gelu(x, true);
        throw new IllegalArgumentException("gelu: approximate must be 'none' or 'tanh', got " + (approximate == null ? "null" : "'" + approximate + "'"));
    }

    private static Tensor op(UnaryOp op, String name, Tensor x, float p1, float p2) {
        Checks.notNull(name, "x", x);
        Tensor y = apply(op, x, p1, p2);
        return Autograd.record(y, name, Autograd.saves(x), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            x.kernels().unaryBackward(op, x.numel(), p1, p2, x.ptr(), g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    /** op(x) into a new tensor, not recorded. */
    static Tensor apply(UnaryOp op, Tensor x, float p1, float p2) {
        Tensor y = Tensor.empty(x.device(), x.shape());
        x.kernels().unary(op, x.numel(), p1, p2, x.ptr(), y.ptr());
        return y;
    }
}
