package dev.cortado.data;

import dev.cortado.tensor.Rng;

/** See {@link Transform#horizontalFlip(double)}: samples [..., H, W] mirrored left-right with probability {@code p}. */
public record HorizontalFlip(double p) implements Transform {

    public HorizontalFlip {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("flip probability must be in [0, 1], got " + p);
    }

    @Override
    public void apply(float[] sample, int[] shape, Rng rng) {
        int w = ImageShape.heightWidth(shape, sample, "horizontalFlip")[1];
        if (rng.nextDouble() >= p) return;
        for (int row = 0; row < sample.length; row += w) {
            for (int i = row, j = row + w - 1; i < j; i++, j--) {
                float t = sample[i];
                sample[i] = sample[j];
                sample[j] = t;
            }
        }
    }
}
