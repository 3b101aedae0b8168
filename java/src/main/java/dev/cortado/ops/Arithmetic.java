package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.BinaryOp;
import dev.cortado.kernels.UnaryOp;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Tensor;
import java.util.function.BinaryOperator;

/**
 * Elementwise arithmetic with NumPy broadcasting (shapes aligned at the right; an axis of 1
 * repeats), as PyTorch's add, sub, mul, div, pow, maximum, minimum and comparisons; a float on
 * either side acts as a 0-d tensor. The gradient of a broadcast input is summed over the axes
 * it was repeated along.
 */
public final class Arithmetic {

    private Arithmetic() {
    }

    /** op(a, b) broadcast, not recorded. */
    static Tensor apply(String name, BinaryOp op, Tensor a, Tensor b) {
        Checks.notNull(name, "a", a);
        Checks.notNull(name, "b", b);
        Checks.sameDevice(name, a, b);
        int[] shape = Strides.broadcast(name, a.shape(), b.shape());
        Tensor y = Tensor.empty(a.device(), shape);
        if (y.numel() == 0) return y;
        long[][] m = Strides.merge(shape, Strides.broadcastStrides(a.shape(), shape), Strides.broadcastStrides(b.shape(), shape));
        a.kernels().binary(op, m[0], m[1], a.ptr(), m[2], b.ptr(), y.ptr());
        return y;
    }

    /** A 0-d tensor holding c on x's device: a float operand. */
    static Tensor scalar(Tensor x, float c) {
        return scalar("scalar", x, c);
    }

    private static Tensor scalar(String op, Tensor x, float c) {
        Checks.notNull(op, "x", x);
        return Tensor.full(x.device(), c);
    }

    /**
     * op(x, c), or op(c, x) when scalarFirst, with the float c as a 0-d tensor on x's device,
     * closed after unless the result's graph holds it; reported (in errors and {@code gradFn})
     * as {@code name}, the method the user called, e.g. {@code rdiv}.
     */
    public static Tensor withScalar(String name, BinaryOperator<Tensor> op, Tensor x, float c, boolean scalarFirst) {
        Tensor s = scalar(name, x, c);
        Tensor y = scalarFirst ? op.apply(s, x) : op.apply(x, s);
        Autograd.closeUnlessRecorded(y, s);
        return Autograd.named(y, name);
    }

    /** a + b. */
    public static Tensor add(Tensor a, Tensor b) {
        Tensor y = apply("add", BinaryOp.ADD, a, b);
        return Autograd.record(y, "add", g -> new Tensor[] {
            a.requiresGrad() ? Strides.sumTo(g, a.shape()) : null,
            b.requiresGrad() ? Strides.sumTo(g, b.shape()) : null}, a, b);
    }

    /** a - b. */
    public static Tensor sub(Tensor a, Tensor b) {
        Tensor y = apply("sub", BinaryOp.SUB, a, b);
        return Autograd.record(y, "sub", g -> new Tensor[] {
            a.requiresGrad() ? Strides.sumTo(g, a.shape()) : null,
            b.requiresGrad() ? negSumTo(g, b.shape()) : null}, a, b);
    }

    /** a * b, elementwise (Hadamard). */
    public static Tensor mul(Tensor a, Tensor b) {
        Tensor y = apply("mul", BinaryOp.MUL, a, b);
        return Autograd.record(y, "mul", Autograd.saves(a, b), g -> new Tensor[] {
            a.requiresGrad() ? product(g, b, a.shape()) : null,
            b.requiresGrad() ? product(g, a, b.shape()) : null}, a, b);
    }

    /** a / b (true division). */
    public static Tensor div(Tensor a, Tensor b) {
        Tensor y = apply("div", BinaryOp.DIV, a, b);
        return Autograd.record(y, "div", Autograd.saves(b, y), g -> {
            Tensor ga = null, gb = null;
            if (a.requiresGrad()) {
                try (Tensor q = apply("div", BinaryOp.DIV, g, b)) {
                    ga = Strides.sumTo(q, a.shape());
                }
            }
            if (b.requiresGrad()) { // -g · y / b
                try (Tensor gy = apply("div", BinaryOp.MUL, g, y); Tensor q = apply("div", BinaryOp.DIV, gy, b)) {
                    gb = negSumTo(q, b.shape());
                }
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /**
     * a to the power b. Gradients as PyTorch gives them: b · a^(b-1) (0 where b is 0) for a, and
     * y · ln a for b (0 where a is 0 and b >= 0; -inf at 0 to a negative power).
     */
    public static Tensor pow(Tensor a, Tensor b) {
        Tensor y = apply("pow", BinaryOp.POW, a, b);
        return Autograd.record(y, "pow", Autograd.saves(a, b, y), g -> {
            Tensor ga = null, gb = null;
            if (a.requiresGrad()) { // g · b · a^(b - 1 + [b == 0])
                try (Tensor one = scalar(a, 1f); Tensor zero = scalar(a, 0f);
                     Tensor isZero = apply("pow", BinaryOp.EQ, b, zero); Tensor bm1 = apply("pow", BinaryOp.SUB, b, one);
                     Tensor e = apply("pow", BinaryOp.ADD, bm1, isZero); Tensor p = apply("pow", BinaryOp.POW, a, e);
                     Tensor bp = apply("pow", BinaryOp.MUL, b, p)) {
                    ga = product(g, bp, a.shape());
                }
            }
            if (b.requiresGrad()) { // g · y · ln(a + [a == 0 and b >= 0]): 0 there, and -inf at 0 ** negative, as PyTorch
                try (Tensor zero = scalar(a, 0f); Tensor isZero = apply("pow", BinaryOp.EQ, a, zero);
                     Tensor bNonNegative = apply("pow", BinaryOp.GE, b, zero); Tensor masked = apply("pow", BinaryOp.MUL, isZero, bNonNegative);
                     Tensor safe = apply("pow", BinaryOp.ADD, a, masked); Tensor ln = UnaryMath.apply(UnaryOp.LOG, safe, 0f, 0f);
                     Tensor yl = apply("pow", BinaryOp.MUL, y, ln)) {
                    gb = product(g, yl, b.shape());
                }
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** The larger of a and b elementwise (NaN if either is); where they tie each gets half the gradient, as in PyTorch. */
    public static Tensor maximum(Tensor a, Tensor b) {
        return extreme("maximum", BinaryOp.MAX, BinaryOp.GT, a, b);
    }

    /** The smaller of a and b elementwise (NaN if either is); ties split the gradient. */
    public static Tensor minimum(Tensor a, Tensor b) {
        return extreme("minimum", BinaryOp.MIN, BinaryOp.LT, a, b);
    }

    private static Tensor extreme(String name, BinaryOp op, BinaryOp wins, Tensor a, Tensor b) {
        Tensor y = apply(name, op, a, b);
        return Autograd.record(y, name, Autograd.saves(a, b), g -> new Tensor[] {
            a.requiresGrad() ? share(name, wins, a, b, g, a.shape()) : null,
            b.requiresGrad() ? share(name, wins, b, a, g, b.shape()) : null}, a, b);
    }

    /** g · ([x wins over other] + 0.5 · [x == other]), summed to shape. */
    private static Tensor share(String name, BinaryOp wins, Tensor x, Tensor other, Tensor g, int[] shape) {
        try (Tensor w = apply(name, wins, x, other); Tensor tie = apply(name, BinaryOp.EQ, x, other);
             Tensor half = scalar(x, 0.5f); Tensor t = apply(name, BinaryOp.MUL, tie, half);
             Tensor m = apply(name, BinaryOp.ADD, w, t)) {
            return product(g, m, shape);
        }
    }

    /** a == b as 1 or 0 (not differentiable). */
    public static Tensor eq(Tensor a, Tensor b) {
        return apply("eq", BinaryOp.EQ, a, b);
    }

    /** a != b as 1 or 0. */
    public static Tensor ne(Tensor a, Tensor b) {
        return apply("ne", BinaryOp.NE, a, b);
    }

    /** a &lt; b as 1 or 0. */
    public static Tensor lt(Tensor a, Tensor b) {
        return apply("lt", BinaryOp.LT, a, b);
    }

    /** a &lt;= b as 1 or 0. */
    public static Tensor le(Tensor a, Tensor b) {
        return apply("le", BinaryOp.LE, a, b);
    }

    /** a &gt; b as 1 or 0. */
    public static Tensor gt(Tensor a, Tensor b) {
        return apply("gt", BinaryOp.GT, a, b);
    }

    /** a &gt;= b as 1 or 0. */
    public static Tensor ge(Tensor a, Tensor b) {
        return apply("ge", BinaryOp.GE, a, b);
    }

    /** g · other summed to shape (the gradient of a product's factor). */
    private static Tensor product(Tensor g, Tensor other, int[] shape) {
        try (Tensor p = apply("mul", BinaryOp.MUL, g, other)) {
            return Strides.sumTo(p, shape);
        }
    }

    /** -g summed to shape. */
    private static Tensor negSumTo(Tensor g, int[] shape) {
        try (Tensor s = Strides.sumTo(g, shape)) {
            return scale(s, -1f);
        }
    }

    /** alpha * x. */
    public static Tensor scale(Tensor x, float alpha) {
        return scale("scale", x, alpha);
    }

    /**
     * alpha * x, reported (in errors and {@code gradFn}) as {@code op}, the method the user
     * called: {@code mul} for {@code x.mul(2f)}.
     */
    public static Tensor scale(String op, Tensor x, float alpha) {
        Checks.notNull(op, "x", x);
        Tensor y = Tensor.empty(x.device(), x.shape());
        x.kernels().scale(x.numel(), alpha, x.ptr(), y.ptr());
        return Autograd.record(y, op, g -> new Tensor[] {scale(g, alpha)}, x);
    }

    /** x + c for a scalar c. */
    public static Tensor addScalar(Tensor x, float c) {
        return addScalar("add", x, c);
    }

    /** x + c for a scalar c, reported as {@code op} (e.g. {@code sub} for {@code x.sub(1f)}). */
    public static Tensor addScalar(String op, Tensor x, float c) {
        Checks.notNull(op, "x", x);
        Tensor y = Tensor.full(x.device(), c, x.shape());
        x.kernels().axpy(x.numel(), 1f, x.ptr(), y.ptr());
        return Autograd.record(y, op, g -> new Tensor[] {g}, x);
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
