package dev.cortado.data;

import dev.cortado.tensor.Rng;
import java.util.Arrays;

/** See {@link Transform#randomCrop}: samples [..., H, W] shifted by up to {@code padding} in each direction, zeros filling in. */
public record RandomCrop(int padding) implements Transform {

    public RandomCrop {
        if (padding < 0) throw new IllegalArgumentException("padding must be >= 0, got " + padding);
    }

    @Override
    public void apply(float[] sample, int[] shape, Rng rng) {
        int[] hw = ImageShape.heightWidth(shape, sample, "randomCrop");
        int h = hw[0], w = hw[1];
        int dy = rng.nextInt(2 * padding + 1) - padding, dx = rng.nextInt(2 * padding + 1) - padding;
        if (dy == 0 && dx == 0) return;
        float[] plane = new float[h * w];
        for (int base = 0; base < sample.length; base += h * w) {
            Arrays.fill(plane, 0f);
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                if (sy < 0 || sy >= h) continue;
                for (int x = 0; x < w; x++) {
                    int sx = x + dx;
                    if (sx >= 0 && sx < w) plane[y * w + x] = sample[base + sy * w + sx];
                }
            }
            System.arraycopy(plane, 0, sample, base, h * w);
        }
    }
}
