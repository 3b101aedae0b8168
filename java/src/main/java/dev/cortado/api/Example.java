package dev.cortado.api;

/** One training example for {@link Classify} (a label of any type) or {@link Predict} (a number). */
public record Example<T>(double[] features, T target) {

    public static <T> Example<T> of(double[] features, T target) {
        return new Example<>(features, target);
    }
}
