package dev.cortado.kernels;

/**
 * The reductions along one axis of {@link KernelSet#reduce}. The ordinal is the op's code in the
 * native ABI (CORTADO_REDUCE_* in native/include/cortado_kernels.h): append, never reorder.
 * MAX and MIN propagate NaN; ARGMAX and ARGMIN give the first extreme (the first NaN when there
 * is one) as a float index. Over an empty axis SUM is 0, MEAN is NaN, LOGSUMEXP is -inf, and the
 * others are refused.
 */
public enum ReduceOp {
    SUM,
    MEAN,
    MAX,
    MIN,
    ARGMAX,
    ARGMIN,
    /** log sum e^x, computed as m + log sum e^(x - m) with m the maximum (m itself when m is infinite) */
    LOGSUMEXP;

    /** Whether the op is undefined over an empty axis. */
    public boolean needsElements() {
        return this == MAX || this == MIN || this == ARGMAX || this == ARGMIN;
    }
}
