package dev.cortado.kernels;

/**
 * The SplitMix64 generator as a pure function of (state, index): the i-th output of a stream
 * whose state is {@code s} is {@code mix(s + (i + 1) * GAMMA)}. Being counter-based, any kernel
 * set (java, native, CUDA) can produce any stretch of the stream in parallel and get the same
 * numbers as {@link dev.cortado.tensor.Rng}, which is this stream read one value at a time.
 */
public final class SplitMix64 {

    public static final long GAMMA = 0x9E3779B97F4A7C15L;

    private SplitMix64() {
    }

    /** The output function applied to a counter value. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The i-th (0-based) long of the stream whose state is {@code state}. */
    public static long longAt(long state, long i) {
        return mix(state + (i + 1) * GAMMA);
    }

    /** The i-th float of the stream: uniform in [0, 1) with 24 random bits. */
    public static float floatAt(long state, long i) {
        return (longAt(state, i) >>> 40) * 0x1.0p-24f;
    }
}
