package dev.cortado.optim;

/**
 * Learning-rate policies of Mocha/Caffe (and PyTorch's StepLR, ExponentialLR, CosineAnnealingLR
 * and linear warm-up), as functions of the iteration (0-based): the optimizer's step count.
 */
@FunctionalInterface
public interface LearningRate {

    double at(long iteration);

    /** Called with each validation result (higher is better); only DecayOnValidation listens. */
    default void onValidation(double performance) {
    }

    static LearningRate fixed(double base) {
        return it -> base;
    }

    /** base · gamma^floor(iteration / stepSize). */
    static LearningRate step(double base, double gamma, long stepSize) {
        if (stepSize < 1) throw new IllegalArgumentException("stepSize must be >= 1, got " + stepSize);
        return it -> base * Math.pow(gamma, Math.floor((double) it / stepSize));
    }

    /** base · gamma^iteration. */
    static LearningRate exp(double base, double gamma) {
        return it -> base * Math.pow(gamma, it);
    }

    /**
     * Cosine annealing (PyTorch's CosineAnnealingLR): from base at iteration 0 down to min at
     * iteration {@code period}, following half a cosine, and min after it.
     */
    static LearningRate cosine(double base, double min, long period) {
        if (period < 1) throw new IllegalArgumentException("cosine: period must be >= 1, got " + period);
        return it -> it >= period ? min : min + (base - min) * (1 + Math.cos(Math.PI * it / period)) / 2;
    }

    /**
     * Linear warm-up: rises from {@code after.at(0) / warmup} at iteration 0 to {@code after.at(0)}
     * at iteration {@code warmup - 1}; from iteration {@code warmup} on, {@code after} runs,
     * counting its iterations from 0.
     */
    static LearningRate warmup(long warmup, LearningRate after) {
        if (warmup < 1) throw new IllegalArgumentException("warmup: iterations must be >= 1, got " + warmup);
        if (after == null) throw new IllegalArgumentException("warmup: the schedule after it is null");
        return it -> it < warmup ? after.at(0) * (it + 1) / warmup : after.at(it - warmup);
    }

    /** base · (1 + gamma · iteration)^(-power) (Mocha's Inv, used by the LeNet example). */
    static LearningRate inv(double base, double gamma, double power) {
        return it -> base * Math.pow(1 + gamma * it, -power);
    }

    /**
     * Staged: {@code stages[i]} runs for {@code durations[i]} iterations and the last stage runs
     * on forever (so there is one duration fewer than stages); each stage counts iterations from
     * its own start.
     */
    static LearningRate staged(long[] durations, LearningRate[] stages) {
        if (stages.length == 0 || durations.length != stages.length - 1) {
            throw new IllegalArgumentException("staged: " + durations.length + " durations for " + stages.length + " stages");
        }
        return it -> {
            long start = 0;
            for (int i = 0; i < stages.length - 1; i++) {
                if (it < start + durations[i]) return stages[i].at(it - start);
                start += durations[i];
            }
            return stages[stages.length - 1].at(it - start);
        };
    }

    /** Starts at base; multiplies by ratio each time a validation result is not better than the best so far. */
    static LearningRate decayOnValidation(double base, double ratio) {
        return new LearningRate() {
            private double rate = base;
            private double best = Double.NEGATIVE_INFINITY;

            @Override
            public double at(long iteration) {
                return rate;
            }

            @Override
            public void onValidation(double performance) {
                if (performance > best) best = performance;
                else rate *= ratio;
            }
        };
    }
}
