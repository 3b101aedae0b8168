package dev.cortado.optim;

/** Momentum policies of Mocha, as functions of the iteration (0-based). */
@FunctionalInterface
public interface Momentum {

    double at(long iteration);

    static Momentum fixed(double value) {
        return it -> value;
    }

    /** base · gamma^floor(iteration / stepSize), capped at max. */
    static Momentum step(double base, double gamma, long stepSize, double max) {
        if (stepSize < 1) throw new IllegalArgumentException("stepSize must be >= 1, got " + stepSize);
        return it -> Math.min(max, base * Math.pow(gamma, Math.floor((double) it / stepSize)));
    }

    /** base + step · floor(iteration / stepSize), capped at max. */
    static Momentum linear(double base, double step, long stepSize, double max) {
        if (stepSize < 1) throw new IllegalArgumentException("stepSize must be >= 1, got " + stepSize);
        return it -> Math.min(max, base + step * Math.floor((double) it / stepSize));
    }
}
