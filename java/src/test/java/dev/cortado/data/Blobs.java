package dev.cortado.data;

import dev.cortado.tensor.Rng;

/** A small seeded classification set for training tests: 3 Gaussian blobs in 6 dimensions. */
public final class Blobs {

    private Blobs() {
    }

    /** {@code n} samples of 6 features; class c has feature c shifted by +2. */
    public static Dataset of(int n) {
        Rng rng = new Rng(3);
        float[] x = new float[n * 6], y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
            for (int j = 0; j < 6; j++) x[i * 6 + j] = (float) rng.nextGaussian() + (j == y[i] ? 2f : 0f);
        }
        return new Dataset(x, new int[] {6}, y);
    }
}
