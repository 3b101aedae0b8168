package dev.cortado.tensor;

import dev.cortado.kernels.SplitMix64;

/**
 * A small seeded random generator (SplitMix64) whose whole state is one long, so a run can save
 * and restore it exactly. The same seed gives the same numbers on every machine and backend.
 */
public final class Rng {

    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    /** The current state; {@code new Rng(state())} continues the same sequence. */
    public long state() {
        return state;
    }

    public long nextLong() {
        return SplitMix64.mix(state += SplitMix64.GAMMA);
    }

    /**
     * Skips {@code n} values and returns the state before them: a kernel then draws exactly
     * those n values ({@link dev.cortado.kernels.KernelSet#rand}), on any device.
     */
    public long take(long n) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        long before = state;
        state += n * SplitMix64.GAMMA;
        return before;
    }

    /** Uniform in [0, 1) with 24 random bits (every float of that form is equally likely). */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be > 0, got " + bound);
        return (int) ((nextLong() >>> 33) % bound);
    }

    /** Standard normal (Box-Muller; uses two uniforms per call). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
