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
        checkSettings("clamp", UnaryOp.CLAMP, min, max);
        return op(UnaryOp.CLAMP, "clamp", x, min, max);
    }

    /** log(1 + e^(beta x)) / beta, and x where beta x > threshold (PyTorch's defaults: beta 1, threshold 20). */
    public static Tensor softplus(Tensor x, float beta, float threshold) {
        checkSettings("softplus", UnaryOp.SOFTPLUS, beta, threshold);
        return op(UnaryOp.SOFTPLUS, "softplus", x, beta, threshold);
    }

    /** x for x > 0, else slope · x (PyTorch's default slope: 0.01). */
    public static Tensor leakyRelu(Tensor x, float slope) {
        checkSettings("leaky_relu", UnaryOp.LEAKY_RELU, slope, 0f);
        return op(UnaryOp.LEAKY_RELU, "leaky_relu", x, slope, 0f);
    }

    /** x for x > 0, else alpha · (e^x - 1) (PyTorch's default alpha: 1). */
    public static Tensor elu(Tensor x, float alpha) {
        checkSettings("elu", UnaryOp.ELU, alpha, 0f);
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

    /**
     * The settings p1, p2 of {@code act} as its function above takes them (clamp's range,
     * softplus's beta and threshold, leaky_relu's slope, elu's alpha).
     *
     * @throws IllegalArgumentException prefixed with {@code op}, naming the setting
     */
    static void checkSettings(String op, UnaryOp act, float p1, float p2) {
        String bad = switch (act) {
            case CLAMP -> Float.isNaN(p1) || Float.isNaN(p2) || p1 > p2 ? "min " + p1 + " and max " + p2 + " do not form a range" : null;
            case SOFTPLUS -> !(p1 > 0) || Float.isInfinite(p1) ? "beta must be > 0 and finite, got " + p1
                    : Float.isNaN(p2) ? "threshold is NaN" : null;
            case LEAKY_RELU -> Float.isFinite(p1) ? null : "slope must be finite, got " + p1;
            case ELU -> Float.isFinite(p1) ? null : "alpha must be finite, got " + p1;
            default -> null;
        };
        if (bad != null) throw new IllegalArgumentException(op + ": " + bad);
    }

    /** act(x) with its settings, recorded under its PyTorch name (settings checked by the caller). */
    static Tensor of(UnaryOp act, Tensor x, float p1, float p2) {
        return op(act, act == UnaryOp.GELU_ERF ? "gelu" : act.name().toLowerCase(java.util.Locale.ROOT), x, p1, p2);
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
