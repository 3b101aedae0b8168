package dev.cortado.data;

import java.util.Arrays;

/** Checks that a sample is an image [..., H, W] for the image transforms. */
final class ImageShape {

    private ImageShape() {
    }

    /** {H, W} of {@code shape}, or an IllegalArgumentException naming the transform. */
    static int[] heightWidth(int[] shape, float[] sample, String transform) {
        if (shape == null || sample == null) throw new IllegalArgumentException(transform + ": sample or shape is null");
        if (shape.length < 2) throw new IllegalArgumentException(transform + " needs image samples [C, H, W] or [H, W], got " + Arrays.toString(shape));
        long n = 1;
        for (int d : shape) n *= d;
        if (n != sample.length) throw new IllegalArgumentException(transform + ": " + sample.length + " values are not a sample of " + Arrays.toString(shape));
        return new int[] {shape[shape.length - 2], shape[shape.length - 1]};
    }
}
