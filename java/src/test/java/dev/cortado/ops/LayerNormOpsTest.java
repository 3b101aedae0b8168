package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leafIn;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cortado.kernels.PerBackend;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.RMSNorm;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * layerNorm and rmsNorm (and the LayerNorm / RMSNorm layers): values against PyTorch's formulas
 * written out in double, gradient checks of x, weight and bias, with and without the affine
 * parameters and over one and two trailing axes; bad shapes refused by name; per backend.
 */
abstract class LayerNormOpsTest extends PerBackend {

    static final class JavaTest extends LayerNormOpsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends LayerNormOpsTest {
        CpuTest() {
            super("cpu");
        }
    }

    LayerNormOpsTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(21);

    /**
     * PyTorch's F.layer_norm (centred) or F.rms_norm in double over rows of cols:
     * (x - mean) / sqrt(var_biased + eps) · w + b, or x / sqrt(mean(x²) + eps) · w.
     */
    private static double[] pytorch(boolean centred, float[] x, int cols, float[] w, float[] b, float eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double mean = 0, var = 0;
            if (centred) {
                for (int j = 0; j < cols; j++) mean += x[r * cols + j];
                mean /= cols;
            }
            for (int j = 0; j < cols; j++) var += (x[r * cols + j] - mean) * (x[r * cols + j] - mean);
            var /= cols;
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                y[i] = (x[i] - mean) / Math.sqrt(var + eps) * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
            }
        }
        return y;
    }

    private static void near(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-6 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    @Test
    void layerNormIsPyTorchsFormula() {
        Tensor x = Tensor.uniform(rng, -3, 5, 4, 3, 5), w = Tensor.uniform(rng, 0.5f, 1.5f, 3, 5), b = Tensor.uniform(rng, -1, 1, 3, 5);
        // normalized_shape (3, 5): rows of 15
        near(pytorch(true, x.toArray(), 15, w.toArray(), b.toArray(), 1e-5f),
                LayerNormalization.layerNorm(x, new int[] {3, 5}, w, b, 1e-5f).toArray(), "layer_norm over (3, 5)");
        // normalized_shape (5,), no affine, a larger eps
        near(pytorch(true, x.toArray(), 5, null, null, 0.25f),
                LayerNormalization.layerNorm(x, new int[] {5}, null, null, 0.25f).toArray(), "layer_norm over (5,)");
        // a hand-computed row: [1, 2, 3, 4] has mean 2.5, variance 1.25
        float[] y = LayerNormalization.layerNorm(Tensor.of(new float[] {1, 2, 3, 4}, 4), new int[] {4}, null, null, 0f).toArray();
        double s = Math.sqrt(1.25);
        assertArrayEquals(new float[] {(float) (-1.5 / s), (float) (-0.5 / s), (float) (0.5 / s), (float) (1.5 / s)}, y, 1e-6f);
    }

    @Test
    void rmsNormIsPyTorchsFormula() {
        Tensor x = Tensor.uniform(rng, -3, 5, 4, 3, 5), w = Tensor.uniform(rng, 0.5f, 1.5f, 5);
        near(pytorch(false, x.toArray(), 5, w.toArray(), null, 1e-6f), LayerNormalization.rmsNorm(x, new int[] {5}, w, 1e-6f).toArray(),
                "rms_norm over (5,)");
        near(pytorch(false, x.toArray(), 15, null, null, LayerNormalization.RMS_NORM_EPS),
                LayerNormalization.rmsNorm(x, new int[] {3, 5}, null, LayerNormalization.RMS_NORM_EPS).toArray(), "rms_norm over (3, 5)");
        // [3, 4]: mean of squares 12.5
        float[] y = LayerNormalization.rmsNorm(Tensor.of(new float[] {3, 4}, 2), new int[] {2}, null, 0f).toArray();
        assertArrayEquals(new float[] {(float) (3 / Math.sqrt(12.5)), (float) (4 / Math.sqrt(12.5))}, y, 1e-6f);
        assertEquals(1.1920929e-07f, LayerNormalization.RMS_NORM_EPS, "torch.finfo(torch.float32).eps");
    }

    @Test
    void layerNormGradients() {
        gradOk("x, weight, bias over (5,)", in -> LayerNormalization.layerNorm(in[0], new int[] {5}, in[1], in[2], 1e-5f),
                leafIn(rng, -2, 2, 3, 5), leafIn(rng, 0.5f, 1.5f, 5), leafIn(rng, -1, 1, 5));
        gradOk("x, weight, bias over (2, 3)", in -> LayerNormalization.layerNorm(in[0], new int[] {2, 3}, in[1], in[2], 1e-3f),
                leafIn(rng, -2, 2, 2, 2, 3), leafIn(rng, 0.5f, 1.5f, 2, 3), leafIn(rng, -1, 1, 2, 3));
        gradOk("x alone", in -> LayerNormalization.layerNorm(in[0], new int[] {4}, null, null, 1e-5f), leafIn(rng, -2, 2, 3, 4));
        Tensor fixed = Tensor.uniform(rng, -2, 2, 3, 4);
        gradOk("weight alone", in -> LayerNormalization.layerNorm(fixed, new int[] {4}, in[0], null, 1e-5f), leafIn(rng, 0.5f, 1.5f, 4));
    }

    @Test
    void rmsNormGradients() {
        gradOk("x, weight over (5,)", in -> LayerNormalization.rmsNorm(in[0], new int[] {5}, in[1], 1e-6f),
                leafIn(rng, -2, 2, 3, 5), leafIn(rng, 0.5f, 1.5f, 5));
        gradOk("x, weight over (2, 3)", in -> LayerNormalization.rmsNorm(in[0], new int[] {2, 3}, in[1], 1e-6f),
                leafIn(rng, -2, 2, 2, 2, 3), leafIn(rng, 0.5f, 1.5f, 2, 3));
        gradOk("x alone", in -> LayerNormalization.rmsNorm(in[0], new int[] {4}, null, 1e-6f), leafIn(rng, -2, 2, 3, 4));
    }

    @Test
    void badShapesAreNamed() {
        Tensor x = Tensor.zeros(2, 3, 4);
        rejects("layer_norm: x [2, 3, 4] does not end with normalized_shape [3]", () -> LayerNormalization.layerNorm(x, new int[] {3}, null, null, 1e-5f));
        rejects("layer_norm: x [2, 3, 4] does not end with normalized_shape [1, 2, 3, 4]",
                () -> LayerNormalization.layerNorm(x, new int[] {1, 2, 3, 4}, null, null, 1e-5f));
        rejects("layer_norm: normalized_shape must name at least one axis", () -> LayerNormalization.layerNorm(x, new int[0], null, null, 1e-5f));
        rejects("layer_norm: weight [3] does not match normalized_shape [4]",
                () -> LayerNormalization.layerNorm(x, new int[] {4}, Tensor.ones(3), null, 1e-5f));
        rejects("layer_norm: bias [4, 1] does not match normalized_shape [4]",
                () -> LayerNormalization.layerNorm(x, new int[] {4}, null, Tensor.zeros(4, 1), 1e-5f));
        rejects("layer_norm: eps must be >= 0 and finite, got -1.0", () -> LayerNormalization.layerNorm(x, new int[] {4}, null, null, -1f));
        rejects("rms_norm: x [2, 3, 4] does not end with normalized_shape [3, 3]", () -> LayerNormalization.rmsNorm(x, new int[] {3, 3}, null, 1e-5f));
        rejects("rms_norm: weight [3, 4] does not match normalized_shape [4]",
                () -> LayerNormalization.rmsNorm(x, new int[] {4}, Tensor.ones(3, 4), 1e-5f));
        rejects("rms_norm: eps must be >= 0 and finite, got NaN", () -> LayerNormalization.rmsNorm(x, new int[] {4}, null, Float.NaN));
        rejects("LayerNorm: normalized_shape [4, 0] has a size below 1", () -> new LayerNorm(4, 0));
        rejects("RMSNorm: normalized_shape must name at least one axis", () -> new RMSNorm());
    }

    @Test
    void layersHavePyTorchsParametersAndDefaults() {
        try (LayerNorm ln = new LayerNorm(3, 4); RMSNorm rms = new RMSNorm(4)) {
            assertEquals(List.of("weight", "bias"), List.copyOf(ln.namedParameters().keySet()));
            assertEquals(List.of("weight"), List.copyOf(rms.namedParameters().keySet()));
            assertArrayEquals(new int[] {3, 4}, ln.weight.shape());
            assertArrayEquals(new float[] {1, 1, 1, 1}, rms.weight.toArray());
            assertArrayEquals(new float[12], ln.bias.toArray());
            Tensor x = Tensor.uniform(rng, -2, 2, 2, 3, 4);
            near(pytorch(true, x.toArray(), 12, null, null, 1e-5f), ln.forward(x).toArray(), "LayerNorm(3, 4)");
            near(pytorch(false, x.toArray(), 4, null, null, Math.ulp(1f)), rms.forward(x).toArray(), "RMSNorm(4)");
            // the layer's parameters receive their gradients
            ln.forward(x).mul(x).sum().backward();
            assertArrayEquals(new int[] {3, 4}, ln.bias.grad().shape());
        }
        try (LayerNorm plain = new LayerNorm(new int[] {4}, 1e-5f, false, false); LayerNorm noBias = new LayerNorm(new int[] {4}, 1e-5f, true, false)) {
            assertEquals(0, plain.parameterCount());
            assertNull(plain.weight);
            assertEquals(List.of("weight"), List.copyOf(noBias.namedParameters().keySet()));
        }
    }

    @Test
    void emptyBatchesGiveEmptyOutputsAndZeroWeightGradients() {
        Tensor x = Tensor.zeros(0, 4).requiresGrad(true), w = Tensor.ones(4).requiresGrad(true), b = Tensor.zeros(4).requiresGrad(true);
        Tensor y = LayerNormalization.layerNorm(x, new int[] {4}, w, b, 1e-5f);
        assertArrayEquals(new int[] {0, 4}, y.shape());
        y.sum().backward();
        assertArrayEquals(new float[4], w.grad().toArray());
        assertArrayEquals(new float[4], b.grad().toArray());
    }
}
