package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import org.junit.jupiter.api.Test;

class SamplingTest {

    @Test
    void drawsInProportionToTheSoftmaxOfTheKeptLogits() {
        float[] logits = {1, 2, 0, 3};
        Rng rng = new Rng(5);
        int[] counts = new int[4];
        int n = 200_000;
        for (int i = 0; i < n; i++) counts[Sampling.sample(logits, 1.0, 0, rng)]++;
        double z = Math.exp(1) + Math.exp(2) + Math.exp(0) + Math.exp(3);
        for (int i = 0; i < 4; i++) {
            double p = Math.exp(logits[i]) / z, sd = Math.sqrt(n * p * (1 - p));
            assertEquals(n * p, counts[i], 5 * sd, "logit " + i);
        }
        // top-2 at temperature 2: only logits 3 and 2 remain, in ratio e^(1/2)
        int[] top = new int[4];
        for (int i = 0; i < n; i++) top[Sampling.sample(logits, 2.0, 2, rng)]++;
        assertEquals(0, top[0] + top[2], "outside the top 2");
        double p3 = 1 / (1 + Math.exp(-0.5));
        assertEquals(n * p3, top[3], 5 * Math.sqrt(n * p3 * (1 - p3)));
    }

    @Test
    void greedyAndRefusals() {
        Rng rng = new Rng(1);
        assertEquals(3, Sampling.sample(new float[] {1, 2, 0, 3}, 0, 0, rng), "temperature 0: the largest");
        assertEquals(1, Sampling.sample(new float[] {1, 5, 5}, 1, 1, rng), "top-1: the first largest");
        assertEquals(2, Sampling.sample(new float[] {Float.NEGATIVE_INFINITY, 0, Float.POSITIVE_INFINITY}, 1, 0, rng));
        for (int i = 0; i < 100; i++) assertTrue(Sampling.sample(new float[] {Float.NEGATIVE_INFINITY, 0, 1}, 1, 0, rng) > 0, "-inf is never drawn");
        assertThrows(IllegalArgumentException.class, () -> Sampling.sample(new float[] {Float.NaN, 1}, 1, 0, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.sample(new float[] {Float.NEGATIVE_INFINITY}, 1, 0, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.sample(new float[] {1}, -1, 0, rng));
        assertThrows(IllegalArgumentException.class, () -> Sampling.sample(new float[] {1}, 1, -1, rng));
    }
}
