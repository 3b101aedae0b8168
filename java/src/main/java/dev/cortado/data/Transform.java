package dev.cortado.data;

import dev.cortado.tensor.Rng;

/**
 * A random change of one sample, for data augmentation in a {@link DataLoader} (which runs it in
 * its prefetch thread). It must depend only on the sample and {@code rng}: the loader seeds the
 * rng from its seed and the sample's stream position, so a resumed run sees the same changes.
 */
@FunctionalInterface
public interface Transform {

    /**
     * Changes {@code sample} (the values of one sample of {@code shape}) in place, drawing any
     * randomness from {@code rng}.
     */
    void apply(float[] sample, int[] shape, Rng rng);

    /** This transform, then {@code next}. */
    default Transform andThen(Transform next) {
        if (next == null) throw new IllegalArgumentException("next transform is null");
        return (sample, shape, rng) -> {
            apply(sample, shape, rng);
            next.apply(sample, shape, rng);
        };
    }

    /**
     * Pads the last two dimensions (H, W) by {@code padding} zeros on every side and crops a
     * random H x W window back out (torchvision's RandomCrop(size, padding)).
     */
    static Transform randomCrop(int padding) {
        return new RandomCrop(padding);
    }

    /** Mirrors the last dimension (W) with probability 0.5. */
    static Transform horizontalFlip() {
        return new HorizontalFlip(0.5);
    }

    /** Mirrors the last dimension (W) with probability {@code p}. */
    static Transform horizontalFlip(double p) {
        return new HorizontalFlip(p);
    }
}
