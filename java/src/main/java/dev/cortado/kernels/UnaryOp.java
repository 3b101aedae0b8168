package dev.cortado.kernels;

/**
 * The elementwise unary ops of {@link KernelSet#unary} and their derivatives
 * ({@link KernelSet#unaryBackward}). Two float parameters p1, p2 carry the ops' settings; ops
 * without settings ignore them. The ordinal is the op's code in the native ABI
 * (CORTADO_UNARY_* in native/include/cortado_kernels.h): append, never reorder.
 */
public enum UnaryOp {
    /** e^x */
    EXP,
    /** ln x (NaN below 0, -inf at 0) */
    LOG,
    /** sqrt x */
    SQRT,
    /** 1 / sqrt x */
    RSQRT,
    /** |x|; its derivative is sign(x), 0 at 0 */
    ABS,
    /** -x */
    NEG,
    /** x * x */
    SQUARE,
    /** min(max(x, p1), p2), NaN staying NaN; the gradient passes where p1 &lt;= x &lt;= p2 (PyTorch's clamp) */
    CLAMP,
    /** log(1 + e^(p1 x)) / p1, and x itself where p1 x &gt; p2 (PyTorch's softplus(beta = p1, threshold = p2)) */
    SOFTPLUS,
    /** x for x &gt; 0, else p1 x */
    LEAKY_RELU,
    /** x for x &gt; 0, else p1 (e^x - 1) */
    ELU,
    /** 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): GELU, tanh form (PyTorch's approximate='tanh') */
    GELU,
    /** x Φ(x) = 0.5 x (1 + erf(x / sqrt 2)): GELU, exact (erf) form (PyTorch's default approximate='none') */
    GELU_ERF;

    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    /** The op at x, in the reference's precision (double, rounded once to float). */
    public float apply(float xf, float p1, float p2) {
        double x = xf;
        return (float) switch (this) {
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case NEG -> -x;
            case SQUARE -> x * x;
            case CLAMP -> Math.min(Math.max(x, p1), p2); // NaN stays NaN
            case SOFTPLUS -> p1 * x > p2 ? x : Math.log1p(Math.exp(p1 * x)) / p1;
            case LEAKY_RELU -> x > 0 ? x : p1 * x;
            case ELU -> x > 0 ? x : p1 * Math.expm1(x);
            case GELU -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
            case GELU_ERF -> x * normalCdf(x);
        };
    }

    /** d op / dx at x, times dy. */
    public float derivative(float xf, float dyf, float p1, float p2) {
        double x = xf, dy = dyf;
        return (float) switch (this) {
            case EXP -> dy * Math.exp(x);
            case LOG -> dy / x;
            case SQRT -> dy * 0.5 / Math.sqrt(x);
            case RSQRT -> dy * -0.5 / (x * Math.sqrt(x));
            case ABS -> dy * Math.signum(x);
            case NEG -> -dy;
            case SQUARE -> dy * 2 * x;
            case CLAMP -> x >= p1 && x <= p2 ? dy : 0;
            case SOFTPLUS -> p1 * x > p2 ? dy : dy / (1 + Math.exp(-p1 * x));
            case LEAKY_RELU -> x > 0 ? dy : dy * p1;
            case ELU -> x > 0 ? dy : dy * p1 * Math.exp(x);
            case GELU -> {
                double u = GELU_C * (x + 0.044715 * x * x * x), t = Math.tanh(u);
                double du = GELU_C * (1 + 3 * 0.044715 * x * x);
                yield dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du);
            }
            case GELU_ERF -> dy * (normalCdf(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI);
        };
    }

    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

    /**
     * Φ(x) = 0.5 (1 + erf(x / sqrt 2)), the standard normal distribution function, to about 1e-15
     * relative (Java has no erf): 1 + erf(z) from erf's series where |z| &lt; 2.5, else from erfc's
     * continued fraction (so that the lower tail keeps its relative accuracy).
     */
    public static double normalCdf(double x) {
        double z = x * Math.sqrt(0.5);
        if (Double.isNaN(z)) return z;
        if (Math.abs(z) < 2.5) return 0.5 * (1 + erfSeries(z));
        return z > 0 ? 1 - 0.5 * erfcFraction(z) : 0.5 * erfcFraction(-z);
    }

    /** erf(z) = 2/sqrt(pi) e^(-z²) Σ (2z²)^n z / (1·3·…·(2n+1)): positive terms, no cancellation. */
    private static double erfSeries(double z) {
        double term = z, sum = z, z2 = 2 * z * z;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
            term *= z2 / (2 * n + 1);
            sum += term;
        }
        return 2 * INV_SQRT_PI * Math.exp(-z * z) * sum;
    }

    /** erfc(z) for z >= 2.5: e^(-z²)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), from the bottom up. */
    private static double erfcFraction(double z) {
        if (z == Double.POSITIVE_INFINITY) return 0;
        double f = z;
        for (int k = 120; k >= 1; k--) f = z + 0.5 * k / f;
        return Math.exp(-z * z) * INV_SQRT_PI / f;
    }
}
