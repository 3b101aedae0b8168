package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Normalization.batchNorm against PyTorch's F.batch_norm written out in double (training: batch
 * mean and biased variance, running statistics updated with momentum and the unbiased variance;
 * eval: the running statistics), gradient-checked in x, weight and bias in both modes, bad shapes
 * refused by name; per backend.
 */
abstract class NormalizationTest extends PerBackend {

    static final class JavaTest extends NormalizationTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends NormalizationTest {
        CpuTest() {
            super("cpu");
        }
    }

    NormalizationTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(21);

    /** PyTorch's batch norm in double: {y, new running mean, new running var}; mean/var the batch's in training, else rm/rv. */
    private static double[][] reference(float[] x, int[] shape, float[] w, float[] b, float[] rm, float[] rv, boolean training,
                                        double momentum, double eps) {
        int n = shape[0], c = shape[1], s = (int) Shape.numel(Arrays.copyOfRange(shape, 2, shape.length));
        double m = (double) n * s;
        double[] y = new double[x.length], newRm = new double[c], newRv = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < s; j++) mean += x[(i * c + ch) * s + j];
            mean /= m;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    double d = x[(i * c + ch) * s + j] - mean;
                    var += d * d;
                }
            }
            var /= m;
            if (rm != null) {
                newRm[ch] = training ? (1 - momentum) * rm[ch] + momentum * mean : rm[ch];
                newRv[ch] = training ? (1 - momentum) * rv[ch] + momentum * var * m / (m - 1) : rv[ch];
            }
            double mu = training ? mean : rm[ch], v = training ? var : rv[ch];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < s; j++) {
                    int at = (i * c + ch) * s + j;
                    y[at] = (x[at] - mu) / Math.sqrt(v + eps) * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                }
            }
        }
        return new double[][] {y, newRm, newRv};
    }

    private static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + " at " + i);
        }
    }

    @Test
    void matchesPyTorchsFormulaInBothModes() {
        int[][] shapes = {{8, 3}, {5, 4, 7}, {4, 3, 5, 6}, {2, 16, 3, 3}, {3, 1, 1, 17}};
        for (int[] shape : shapes) {
            for (boolean training : new boolean[] {true, false}) {
                for (boolean affine : new boolean[] {true, false}) {
                    int c = shape[1];
                    Tensor x = Tensor.uniform(rng, -3, 5, shape);
                    Tensor w = affine ? Tensor.uniform(rng, 0.5f, 2, c) : null, b = affine ? Tensor.uniform(rng, -1, 1, c) : null;
                    Tensor rm = Tensor.uniform(rng, -1, 1, c), rv = Tensor.uniform(rng, 0.5f, 2, c);
                    float[] rm0 = rm.toArray(), rv0 = rv.toArray();
                    Tensor y = Normalization.batchNorm(x, rm, rv, w, b, training, 0.3f, 1e-5f);
                    double[][] ref = reference(x.toArray(), shape, affine ? w.toArray() : null, affine ? b.toArray() : null, rm0, rv0, training,
                            0.3f, 1e-5f);
                    String what = Shape.str(shape) + (training ? " training" : " eval") + (affine ? "" : " no affine");
                    assertArrayEquals(shape, y.shape(), what);
                    assertClose(ref[0], y.toArray(), 2e-5, what + " y");
                    assertClose(ref[1], rm.toArray(), 2e-6, what + " runningMean");
                    assertClose(ref[2], rv.toArray(), 2e-6, what + " runningVar");
                }
            }
        }
    }

    @Test
    void runningStatisticsFollowMomentumOverSteps() {
        // x [4, 1]: mean 2.5, biased var 1.25, unbiased 5/3; momentum 0.1 from (0, 1), twice
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 4, 1), rm = Tensor.zeros(1), rv = Tensor.ones(1);
        Normalization.batchNorm(x, rm, rv, null, null, true, 0.1f, 1e-5f);
        Normalization.batchNorm(x, rm, rv, null, null, true, 0.1f, 1e-5f);
        assertEquals(0.9 * 0.25 + 0.1 * 2.5, rm.item(), 1e-6);
        assertEquals(0.9 * (0.9 + 0.1 * 5.0 / 3) + 0.1 * 5.0 / 3, rv.item(), 1e-6);
        Normalization.batchNorm(x, rm, rv, null, null, false, 0.1f, 1e-5f); // eval does not update
        assertEquals(0.9 * 0.25 + 0.1 * 2.5, rm.item(), 1e-6);
        Tensor y = Normalization.batchNorm(x, null, null, null, null, true, 0.1f, 0f); // no running statistics: batch's only
        assertArrayEquals(new float[] {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f}, y.toArray(), 1e-6f);
    }

    @Test
    void gradientsInTrainingMode() {
        gradOk("2d", t -> Normalization.batchNorm(t[0], null, null, t[1], t[2], true, 0.1f, 1e-3f), leaf(rng, 3, 2, 2, 3),
                OpsTesting.leafIn(rng, 0.5f, 2, 2), leaf(rng, 2));
        gradOk("1d", t -> Normalization.batchNorm(t[0], null, null, t[1], t[2], true, 0.1f, 1e-3f), leaf(rng, 6, 4),
                OpsTesting.leafIn(rng, 0.5f, 2, 4), leaf(rng, 4));
        gradOk("no affine", t -> Normalization.batchNorm(t[0], null, null, null, null, true, 0.1f, 1e-3f), leaf(rng, 4, 3, 5));
        Tensor rm = Tensor.zeros(2), rv = Tensor.ones(2);
        gradOk("with running statistics", t -> Normalization.batchNorm(t[0], rm, rv, t[1], t[2], true, 0.1f, 1e-3f), leaf(rng, 5, 2, 3),
                leaf(rng, 2), leaf(rng, 2));
    }

    @Test
    void gradientsInEvalMode() {
        Tensor rm = Tensor.uniform(rng, -1, 1, 3), rv = Tensor.uniform(rng, 0.5f, 2, 3);
        gradOk("2d", t -> Normalization.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1f, 1e-5f), leaf(rng, 2, 3, 2, 2), leaf(rng, 3),
                leaf(rng, 3));
        gradOk("1d", t -> Normalization.batchNorm(t[0], rm, rv, t[1], null, false, 0.1f, 1e-5f), leaf(rng, 4, 3), leaf(rng, 3));
    }

    @Test
    void noGradModeRecordsNothing() {
        Tensor x = leaf(rng, 3, 2);
        try (GradMode off = GradMode.off()) {
            assertNull(Normalization.batchNorm(x, null, null, null, null, true, 0.1f, 1e-5f).gradFn());
        }
    }

    /** conv2d with the folded weights equals conv2d then eval-mode batchNorm, with and without biases and affine parameters. */
    @Test
    void foldingIntoAConvolutionGivesTheNormalisedConvolution() {
        for (boolean convBias : new boolean[] {true, false}) {
            for (boolean affine : new boolean[] {true, false}) {
                Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 6, 5), w = Tensor.uniform(rng, -1, 1, 4, 3, 3, 3);
                Tensor b = convBias ? Tensor.uniform(rng, -1, 1, 4) : null;
                Tensor gamma = affine ? Tensor.uniform(rng, 0.5f, 2, 4) : null, beta = affine ? Tensor.uniform(rng, -1, 1, 4) : null;
                Tensor rm = Tensor.uniform(rng, -1, 1, 4), rv = Tensor.uniform(rng, 0.2f, 2, 4);
                Tensor expected = Normalization.batchNorm(Convolution.conv2d(x, w, b, 1, 1), rm, rv, gamma, beta, false, 0.1f, 1e-3f);
                Tensor[] folded = Normalization.foldIntoConvolution(w, b, rm, rv, gamma, beta, 1e-3f);
                float[] e = expected.toArray(), a = Convolution.conv2d(x, folded[0], folded[1], 1, 1).toArray();
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], 2e-5 * Math.max(1, Math.abs(e[i])), (convBias ? "bias" : "no bias") + (affine ? ", affine" : "") + " at " + i);
                }
            }
        }
    }

    @Test
    void foldingIsDifferentiableInTheWeightsAndTheAffineParameters() {
        Tensor rm = Tensor.uniform(rng, -1, 1, 3), rv = Tensor.uniform(rng, 0.5f, 2, 3);
        gradOk("folded weights", t -> Normalization.foldIntoConvolution(t[0], t[1], rm, rv, t[2], t[3], 1e-5f)[0], leaf(rng, 3, 2, 2, 2),
                leaf(rng, 3), leaf(rng, 3), leaf(rng, 3));
        gradOk("folded bias", t -> Normalization.foldIntoConvolution(t[0], t[1], rm, rv, t[2], t[3], 1e-5f)[1], leaf(rng, 3, 2, 2, 2),
                leaf(rng, 3), leaf(rng, 3), leaf(rng, 3));
        rejects("foldIntoConvolution: [4] does not match the 3 filters of w [3, 2, 2, 2]",
                () -> Normalization.foldIntoConvolution(Tensor.ones(3, 2, 2, 2), null, Tensor.ones(4), rv, null, null, 1e-5f));
        rejects("foldIntoConvolution: needs runningMean and runningVar",
                () -> Normalization.foldIntoConvolution(Tensor.ones(3, 2, 2, 2), null, null, rv, null, null, 1e-5f));
    }

    @Test
    void badShapes() {
        Tensor x = Tensor.ones(4, 3, 2, 2), c3 = Tensor.ones(3);
        rejects("batchNorm: x must be [N, C, ...] with at least 2 dimensions, got [5]",
                () -> Normalization.batchNorm(Tensor.ones(5), null, null, null, null, true, 0.1f, 1e-5f));
        rejects("batchNorm: weight [4] does not match the 3 channels of x [4, 3, 2, 2]",
                () -> Normalization.batchNorm(x, null, null, Tensor.ones(4), c3, true, 0.1f, 1e-5f));
        rejects("batchNorm: bias must be 1-D", () -> Normalization.batchNorm(x, null, null, c3, Tensor.ones(3, 1), true, 0.1f, 1e-5f));
        rejects("batchNorm: runningVar [2] does not match the 3 channels",
                () -> Normalization.batchNorm(x, c3, Tensor.ones(2), null, null, true, 0.1f, 1e-5f));
        rejects("batchNorm: runningMean and runningVar must both be given or both be null",
                () -> Normalization.batchNorm(x, c3, null, null, null, true, 0.1f, 1e-5f));
        rejects("batchNorm: eval mode needs runningMean and runningVar",
                () -> Normalization.batchNorm(x, null, null, null, null, false, 0.1f, 1e-5f));
        rejects("batchNorm: expected more than 1 value per channel when training, got x [1, 3]",
                () -> Normalization.batchNorm(Tensor.ones(1, 3), null, null, null, null, true, 0.1f, 1e-5f));
        rejects("batchNorm: eps must be >= 0 and finite", () -> Normalization.batchNorm(x, null, null, null, null, true, 0.1f, -1f));
        rejects("batchNorm: momentum must be finite", () -> Normalization.batchNorm(x, null, null, null, null, true, Float.NaN, 1e-5f));
    }
}
