package dev.cortado.nn;

import dev.cortado.tensor.Rng;
import java.util.Arrays;

/**
 * Drawing the next token from a language model's logits, as nanoGPT's generate does: divide by the
 * temperature, keep the top k (ties at the k-th value kept), softmax in double, draw from
 * {@code rng}. Temperature 0 takes the largest logit (the first of equals).
 */
public final class Sampling {

    private Sampling() {
    }

    public static int sample(float[] logits, double temperature, int topK, Rng rng) {
        if (logits == null || logits.length == 0) throw new IllegalArgumentException("sample: no logits");
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("sample: temperature must be >= 0 and finite, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("sample: topK must be >= 0 (0: all), got " + topK);
        if (rng == null) throw new IllegalArgumentException("sample: rng is null");
        int best = 0;
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i])) throw new IllegalArgumentException("sample: logit " + i + " is NaN");
            if (logits[i] > logits[best]) best = i;
        }
        if (logits[best] == Float.NEGATIVE_INFINITY) throw new IllegalArgumentException("sample: every logit is -inf");
        if (temperature == 0 || topK == 1 || logits[best] == Float.POSITIVE_INFINITY) return best;
        double cut = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < logits.length) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            cut = sorted[sorted.length - topK];
        }
        double total = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            if (logits[i] >= cut) total += p[i] = Math.exp(((double) logits[i] - logits[best]) / temperature);
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0 && p[i] > 0) return i;
        }
        return best; // rounding left u at the end: the largest is the safe answer
    }
}
