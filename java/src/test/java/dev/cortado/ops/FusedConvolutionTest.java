package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Convolution.conv2dFused (the convolution, bias, add and clamp in one kernel call) against the
 * same three ops one by one: in inference (one pass, nothing recorded) and with gradients (the
 * composition, recorded and gradient-checked); bad tails refused. Per backend.
 */
abstract class FusedConvolutionTest extends PerBackend {

    static final class JavaTest extends FusedConvolutionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends FusedConvolutionTest {
        CpuTest() {
            super("cpu");
        }
    }

    FusedConvolutionTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(23);

    /** clamp(conv2d(x, w, b) + z, lo, hi) from the separate ops, NaN kept. */
    private static float[] separately(Tensor x, Tensor w, Tensor b, Tensor z, int stride, int pad, float lo, float hi) {
        Tensor y = Convolution.conv2d(x, w, b, stride, pad);
        float[] v = (z == null ? y : y.add(z)).toArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
        return v;
    }

    @Test
    void inferenceWritesTheSameAsTheOpsOneByOne() {
        float inf = Float.POSITIVE_INFINITY;
        float[][] tails = {{0f, inf}, {0f, 6f}, {-0.5f, 0.25f}, {-inf, inf}};
        int[][] shapes = {{2, 3, 9, 7, 5, 3, 1, 1}, {1, 16, 8, 8, 16, 3, 1, 1}, {3, 4, 11, 10, 6, 1, 2, 0}, {2, 1, 12, 12, 4, 5, 1, 0}};
        try (GradMode off = GradMode.off()) {
            for (int[] s : shapes) {
                for (float[] tail : tails) {
                    for (boolean withZ : new boolean[] {true, false}) {
                        Tensor x = Tensor.uniform(rng, -1, 1, s[0], s[1], s[2], s[3]), w = Tensor.uniform(rng, -1, 1, s[4], s[1], s[5], s[5]);
                        Tensor b = Tensor.uniform(rng, -1, 1, s[4]);
                        int o1 = (s[2] + 2 * s[7] - s[5]) / s[6] + 1, o2 = (s[3] + 2 * s[7] - s[5]) / s[6] + 1;
                        float[] zv = Tensor.uniform(rng, -2, 2, s[0], s[4], o1, o2).toArray();
                        zv[zv.length / 3] = Float.NaN;
                        Tensor z = withZ ? Tensor.of(zv, s[0], s[4], o1, o2) : null;
                        float[] expected = separately(x, w, b, z, s[6], s[7], tail[0], tail[1]);
                        Tensor y = Convolution.conv2dFused(x, w, b, z, s[6], s[6], s[7], s[7], tail[0], tail[1]);
                        assertNull(y.gradFn());
                        float[] got = y.toArray();
                        String what = "x " + java.util.Arrays.toString(s) + " tail [" + tail[0] + ", " + tail[1] + "]" + (withZ ? " with z" : "");
                        for (int i = 0; i < got.length; i++) {
                            if (Float.isNaN(expected[i])) assertTrue(Float.isNaN(got[i]), what + ": NaN expected at " + i + ", got " + got[i]);
                            else assertEquals(expected[i], got[i], 1e-5 * Math.max(1, Math.abs(expected[i])), what + " at " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void withGradientsItIsTheCompositionAndDifferentiable() {
        Tensor x = leaf(rng, 2, 3, 5, 4), w = leaf(rng, 4, 3, 3, 3), b = leaf(rng, 4), z = leaf(rng, 2, 4, 5, 4);
        Tensor y = Convolution.conv2dFused(x, w, b, z, 1, 1, 1, 1, 0f, Float.POSITIVE_INFINITY);
        assertNotNull(y.gradFn());
        float[] expected = separately(x, w, b, z, 1, 1, 0f, Float.POSITIVE_INFINITY), got = y.toArray();
        for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-6, "at " + i);
        gradOk("conv + bias + z", t -> Convolution.conv2dFused(t[0], t[1], t[2], t[3], 1, 1, 1, 1, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY),
                leaf(rng, 2, 3, 5, 4), leaf(rng, 4, 3, 3, 3), leaf(rng, 4), leaf(rng, 2, 4, 5, 4));
        gradOk("conv + z, clamped", t -> Convolution.conv2dFused(t[0], t[1], null, t[2], 2, 2, 0, 0, -0.5f, 0.5f), leaf(rng, 1, 2, 7, 7),
                leaf(rng, 3, 2, 3, 3), leaf(rng, 1, 3, 3, 3));
    }

    @Test
    void badTailsAreRefused() {
        Tensor x = Tensor.ones(1, 2, 5, 5), w = Tensor.ones(3, 2, 3, 3);
        try (GradMode off = GradMode.off()) {
            rejects("conv2dFused: z [1, 3, 5, 5] is not the output's shape [1, 3, 3, 3]",
                    () -> Convolution.conv2dFused(x, w, null, Tensor.ones(1, 3, 5, 5), 1, 1, 0, 0, 0f, Float.POSITIVE_INFINITY));
            rejects("conv2dFused: clamp range [1.0, 0.0] is not lo <= hi", () -> Convolution.conv2dFused(x, w, null, null, 1, 1, 0, 0, 1f, 0f));
            rejects("conv2dFused: clamp range [NaN", () -> Convolution.conv2dFused(x, w, null, null, 1, 1, 0, 0, Float.NaN, 1f));
        }
    }
}
