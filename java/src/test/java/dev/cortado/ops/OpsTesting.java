package dev.cortado.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradCheck;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;

/** Inputs and assertions the op tests share. */
final class OpsTesting {

    private OpsTesting() {
    }

    /** Values 0 .. n-1 in row-major order. */
    static Tensor iota(int... shape) {
        float[] v = new float[(int) Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.of(v, shape);
    }

    /** A leaf uniform in [-1, 1). */
    static Tensor leaf(Rng rng, int... shape) {
        return leafIn(rng, -1, 1, shape);
    }

    /** A leaf uniform in [lo, hi). */
    static Tensor leafIn(Rng rng, float lo, float hi, int... shape) {
        return Tensor.uniform(rng, lo, hi, shape).requiresGrad(true);
    }

    /** A leaf of distinct values (a shuffled grid 0.1 apart): no maximum lies within the check's step of a tie. */
    static Tensor distinct(Rng rng, int... shape) {
        int n = (int) Shape.numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i - n / 2) * 0.1f;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape).requiresGrad(true);
    }

    /** The central-difference check of f at inputs passes. */
    static void gradOk(Function<Tensor[], Tensor> f, Tensor... inputs) {
        gradOk("", f, inputs);
    }

    static void gradOk(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        GradCheck.Result r = new GradCheck().check(f, inputs);
        assertTrue(r.ok(), what.isEmpty() ? r.toString() : what + ": " + r);
    }

    /** Equal within 1e-5 of the reference's largest magnitude (the sums run in another order); NaN fails. */
    static void closeToScale(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        float scale = 1;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (!(Math.abs(e - a) <= 1e-5f * scale)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e + " (of " + expected.length + ")");
            }
        }
    }

    /** call throws an IllegalArgumentException whose message contains fragment. */
    static void rejects(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
