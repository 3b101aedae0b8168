package dev.cortado.kernels;

/**
 * The elementwise binary ops of {@link KernelSet#binary}. The ordinal is the op's code in the
 * native ABI (CORTADO_BINARY_* in native/include/cortado_kernels.h): append, never reorder.
 * Comparisons give 1 or 0 (NaN compares false, except NE); MAX and MIN propagate NaN, as
 * PyTorch's maximum and minimum do.
 */
public enum BinaryOp {
    /** a + b */
    ADD,
    /** a - b */
    SUB,
    /** a * b */
    MUL,
    /** a / b */
    DIV,
    /** a to the power b, as C's pow: 1 to any power and -1 to an infinite power are 1 (Java's Math.pow gives NaN there) */
    POW,
    /** the larger of a and b; NaN if either is NaN */
    MAX,
    /** the smaller of a and b; NaN if either is NaN */
    MIN,
    /** a == b */
    EQ,
    /** a != b */
    NE,
    /** a &lt; b */
    LT,
    /** a &lt;= b */
    LE,
    /** a &gt; b */
    GT,
    /** a &gt;= b */
    GE;

    /** The op applied to one pair, in the reference's precision (double, rounded once to float). */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> (float) ((double) a + b);
            case SUB -> (float) ((double) a - b);
            case MUL -> (float) ((double) a * b);
            case DIV -> (float) ((double) a / b);
            case POW -> a == 1f || (a == -1f && Float.isInfinite(b)) ? 1f : (float) Math.pow(a, b);
            case MAX -> Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.max(a, b);
            case MIN -> Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.min(a, b);
            case EQ -> a == b ? 1f : 0f;
            case NE -> a != b ? 1f : 0f;
            case LT -> a < b ? 1f : 0f;
            case LE -> a <= b ? 1f : 0f;
            case GT -> a > b ? 1f : 0f;
            case GE -> a >= b ? 1f : 0f;
        };
    }
}
