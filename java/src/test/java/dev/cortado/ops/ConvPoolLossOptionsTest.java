package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.distinct;
import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.iota;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Convolution with dilation and groups, conv1d, pooling with ceil mode, count_include_pad=false
 * and adaptive sizes, cross-entropy with class weights, ignore_index and label smoothing, NLL:
 * against hand-computed values or a direct transcription of PyTorch's loops, gradient checks,
 * bad input; per backend.
 */
abstract class ConvPoolLossOptionsTest extends PerBackend {

    static final class JavaTest extends ConvPoolLossOptionsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends ConvPoolLossOptionsTest {
        CpuTest() {
            super("cpu");
        }
    }

    ConvPoolLossOptionsTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(5);






    // ---- convolution ---------------------------------------------------------------------------

    @Test
    void dilatedConvolution() {
        // y[i, j] = x[i, j]·1 + x[i, j+2]·2 + x[i+2, j]·3 + x[i+2, j+2]·4 with x[i][j] = 4i + j
        Tensor y = Convolution.conv2d(iota(1, 1, 4, 4), Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2), null, 1, 1, 0, 0, 2, 2, 1);
        assertArrayEquals(new float[] {68, 78, 108, 118}, y.toArray());
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
    }

    @Test
    void groupedConvolutionIsOneConvolutionPerGroup() {
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 6, 5, 5), w = Tensor.uniform(rng, -1, 1, 4, 3, 3, 3), b = Tensor.uniform(rng, -1, 1, 4);
        Tensor y = Convolution.conv2d(x, w, b, 1, 2, 1, 0, 1, 1, 2);
        Tensor y0 = Convolution.conv2d(x.narrow(1, 0, 3), w.narrow(0, 0, 2), b.narrow(0, 0, 2), 1, 2, 1, 0);
        Tensor y1 = Convolution.conv2d(x.narrow(1, 3, 3), w.narrow(0, 2, 2), b.narrow(0, 2, 2), 1, 2, 1, 0);
        assertArrayEquals(Tensor.concat(1, y0, y1).toArray(), y.toArray(), 1e-6f);
        // depthwise: groups = channels, one filter each: channel c convolved with filter c
        Tensor wd = Tensor.uniform(rng, -1, 1, 6, 1, 3, 3);
        Tensor yd = Convolution.conv2d(x, wd, null, 1, 1, 1, 1, 1, 1, 6);
        for (int c = 0; c < 6; c++) {
            Tensor one = Convolution.conv2d(x.narrow(1, c, 1), wd.narrow(0, c, 1), null, 1, 1);
            assertArrayEquals(one.toArray(), yd.narrow(1, c, 1).toArray(), 1e-6f);
        }
    }

    @Test
    void conv1dIsARowConvolution() {
        Tensor y = Convolution.conv1d(iota(1, 1, 5), Tensor.of(new float[] {1, 0, -1}, 1, 1, 3), null, 1, 0, 1, 1);
        assertArrayEquals(new float[] {-2, -2, -2}, y.toArray());
        Tensor yd = Convolution.conv1d(iota(1, 1, 7), Tensor.of(new float[] {1, 0, -1}, 1, 1, 3), Tensor.of(new float[] {10}, 1), 2, 1, 2, 1);
        // padded x: [0, 0..6, 0]; taps at 0, 2, 4 from each start 0, 2, 4: x'[s] - x'[s+4]
        assertArrayEquals(new float[] {10 + 0 - 3, 10 + 1 - 5, 10 + 3 - 0}, yd.toArray());
    }

    @Test
    void convolutionOptionGradients() {
        gradOk(t -> Convolution.conv2d(t[0], t[1], t[2], 1, 1, 1, 1, 2, 2, 1), leaf(rng, 2, 2, 6, 6), leaf(rng, 3, 2, 2, 3), leaf(rng, 3));
        gradOk(t -> Convolution.conv2d(t[0], t[1], t[2], 2, 1, 1, 0, 1, 2, 2), leaf(rng, 2, 4, 5, 6), leaf(rng, 4, 2, 3, 2), leaf(rng, 4));
        gradOk(t -> Convolution.conv2d(t[0], t[1], null, 1, 1, 1, 1, 1, 1, 3), leaf(rng, 1, 3, 4, 4), leaf(rng, 6, 1, 3, 3)); // depthwise x2
        gradOk(t -> Convolution.conv1d(t[0], t[1], t[2], 2, 1, 2, 1), leaf(rng, 2, 3, 9), leaf(rng, 2, 3, 3), leaf(rng, 2));
    }

    @Test
    void badConvolutionOptions() {
        Tensor x = Tensor.ones(1, 4, 5, 5);
        rejects("conv2d: groups 3 must divide the 4 channels of x [1, 4, 5, 5]", () -> Convolution.conv2d(x, Tensor.ones(3, 1, 3, 3), null, 1, 1, 0, 0, 1, 1, 3));
        rejects("conv2d: w [4, 4, 3, 3] expects 4 channels per group", () -> Convolution.conv2d(x, Tensor.ones(4, 4, 3, 3), null, 1, 1, 0, 0, 1, 1, 2));
        rejects("conv2d: dilation 0x1 must be >= 1", () -> Convolution.conv2d(x, Tensor.ones(4, 4, 3, 3), null, 1, 1, 0, 0, 0, 1, 1));
        rejects("conv1d: x must be 3-D", () -> Convolution.conv1d(x, Tensor.ones(1, 4, 3), null, 1, 0, 1, 1));
    }

    // ---- pooling -------------------------------------------------------------------------------

    /** PyTorch's avg_pool2d loop (aten/src/ATen/native/cpu/AvgPoolKernel.cpp), transcribed, for one plane. */
    private static float[] torchAvgPool(float[] x, int h, int w, int k, int s, int p, boolean ceil, boolean includePad) {
        int oh = outSize(h, k, s, p, ceil), ow = outSize(w, k, s, p, ceil);
        float[] y = new float[oh * ow];
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                int hs = i * s - p, ws = j * s - p;
                int he = Math.min(hs + k, h + p), we = Math.min(ws + k, w + p);
                int poolSize = (he - hs) * (we - ws);
                hs = Math.max(hs, 0);
                ws = Math.max(ws, 0);
                he = Math.min(he, h);
                we = Math.min(we, w);
                double sum = 0;
                for (int r = hs; r < he; r++) for (int c = ws; c < we; c++) sum += x[r * w + c];
                y[i * ow + j] = (float) (sum / (includePad ? poolSize : (he - hs) * (we - ws)));
            }
        }
        return y;
    }

    /** PyTorch's pooling_output_shape. */
    private static int outSize(int in, int k, int s, int p, boolean ceil) {
        int out = Math.floorDiv(in + 2 * p - k + (ceil ? s - 1 : 0), s) + 1;
        if (ceil && (out - 1) * s >= in + p) out--;
        return out;
    }

    @Test
    void ceilModeAndCountIncludePad() {
        Tensor x = iota(1, 1, 5, 5);
        assertArrayEquals(new float[] {6, 8, 9, 16, 18, 19, 21, 23, 24}, Pooling.maxPool2d(x, 2, 2, 2, 2, 0, 0, true).toArray());
        assertArrayEquals(new float[] {3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24}, Pooling.avgPool2d(x, 2, 2, 2, 2, 0, 0, true, true).toArray());
        float[] v = Tensor.uniform(rng, -1, 1, 7, 6).toArray();
        Tensor plane = Tensor.of(v, 1, 1, 7, 6);
        int[][] geometries = {{3, 2, 1}, {2, 2, 1}, {3, 3, 1}, {2, 1, 0}, {3, 2, 0}};
        for (int[] g : geometries) {
            for (boolean ceil : new boolean[] {false, true}) {
                for (boolean include : new boolean[] {false, true}) {
                    float[] want = torchAvgPool(v, 7, 6, g[0], g[1], g[2], ceil, include);
                    Tensor y = Pooling.avgPool2d(plane, g[0], g[0], g[1], g[1], g[2], g[2], ceil, include);
                    assertArrayEquals(new int[] {1, 1, outSize(7, g[0], g[1], g[2], ceil), outSize(6, g[0], g[1], g[2], ceil)}, y.shape());
                    assertArrayEquals(want, y.toArray(), 1e-6f, "k s p " + java.util.Arrays.toString(g) + " ceil " + ceil + " include " + include);
                }
                int oh = outSize(7, g[0], g[1], g[2], ceil), ow = outSize(6, g[0], g[1], g[2], ceil);
                assertArrayEquals(new int[] {1, 1, oh, ow}, Pooling.maxPool2d(plane, g[0], g[0], g[1], g[1], g[2], g[2], ceil).shape());
            }
        }
    }

    @Test
    void adaptiveAveragePooling() {
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 5, 7);
        float[] v = x.toArray();
        Tensor y = Pooling.adaptiveAvgPool2d(x, 3, 4);
        assertArrayEquals(new int[] {2, 3, 3, 4}, y.shape());
        float[] got = y.toArray();
        for (int plane = 0; plane < 6; plane++) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    int r0 = i * 5 / 3, r1 = ((i + 1) * 5 + 2) / 3, c0 = j * 7 / 4, c1 = ((j + 1) * 7 + 3) / 4;
                    double sum = 0;
                    for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) sum += v[plane * 35 + r * 7 + c];
                    assertEquals(sum / ((r1 - r0) * (c1 - c0)), got[plane * 12 + i * 4 + j], 1e-6, "plane " + plane + " cell " + i + "," + j);
                }
            }
        }
        assertArrayEquals(x.mean(new int[] {2, 3}, true).toArray(), Pooling.adaptiveAvgPool2d(x, 1, 1).toArray(), 1e-6f);
        // an inf or NaN reaches only the windows that hold it, as in PyTorch (the averaging matrices once spread 0·inf = NaN)
        Tensor special = Tensor.of(new float[] {Float.POSITIVE_INFINITY, 1, 2, 3, Float.NaN, 1, 2, 3}, 1, 2, 1, 4);
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 2.5f, Float.NaN, 2.5f}, Pooling.adaptiveAvgPool2d(special, 1, 2).toArray());
        // divisible sizes: the same as the plain average pool
        Tensor z = Tensor.uniform(rng, -1, 1, 1, 2, 6, 4);
        assertArrayEquals(Pooling.avgPool2d(z, 2, 2).toArray(), Pooling.adaptiveAvgPool2d(z, 3, 2).toArray(), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> Pooling.adaptiveAvgPool2d(z, 0, 2));
        // found by the fuzzer: an output this large ran the heap out (when averaging matrices computed it)
        rejects("adaptive_avg_pool2d: an output of 1073741824x2 from x [1, 2, 6, 4] has more than 2^31 elements", () -> Pooling.adaptiveAvgPool2d(z, 1 << 30, 2));
        rejects("adaptive_avg_pool2d: x [1, 2, 0, 4] has an empty plane", () -> Pooling.adaptiveAvgPool2d(Tensor.zeros(1, 2, 0, 4), 1, 1));
    }

    @Test
    void poolingOptionGradients() {
        gradOk(t -> Pooling.maxPool2d(t[0], 3, 3, 2, 2, 1, 1, true), distinct(rng, 2, 2, 6, 7));
        gradOk(t -> Pooling.avgPool2d(t[0], 3, 3, 2, 2, 1, 1, true, false), leaf(rng, 2, 2, 6, 7));
        gradOk(t -> Pooling.avgPool2d(t[0], 2, 2, 2, 2, 1, 1, false, false), leaf(rng, 1, 2, 5, 5));
        gradOk(t -> Pooling.avgPool2d(t[0], 2, 2, 2, 2, 0, 0, true, true), leaf(rng, 1, 2, 5, 5));
        gradOk(t -> Pooling.adaptiveAvgPool2d(t[0], 3, 2), leaf(rng, 2, 2, 5, 7));
        gradOk(t -> Pooling.adaptiveAvgPool2d(t[0], 1, 1), leaf(rng, 2, 2, 3, 3));
        gradOk("overlapping windows", t -> Pooling.adaptiveAvgPool2d(t[0], 4, 5), leaf(rng, 1, 2, 3, 3));
    }

    // ---- losses --------------------------------------------------------------------------------

    /** PyTorch's cross_entropy (mean reduction) in double, written from its definition. */
    private static double torchCrossEntropy(float[] logits, int rows, int classes, float[] labels, float[] weight, int ignore, double eps) {
        double nll = 0, smooth = 0, wsum = 0;
        for (int r = 0; r < rows; r++) {
            int t = (int) labels[r];
            if (t == ignore) continue;
            double m = Double.NEGATIVE_INFINITY, z = 0;
            for (int c = 0; c < classes; c++) m = Math.max(m, logits[r * classes + c]);
            for (int c = 0; c < classes; c++) z += Math.exp(logits[r * classes + c] - m);
            double wt = weight == null ? 1 : weight[t];
            nll -= wt * (logits[r * classes + t] - m - Math.log(z));
            for (int c = 0; c < classes; c++) smooth -= (weight == null ? 1 : weight[c]) * (logits[r * classes + c] - m - Math.log(z));
            wsum += wt;
        }
        return (1 - eps) * nll / wsum + eps / classes * smooth / wsum;
    }

    @Test
    void crossEntropyOptionsMatchPyTorchsDefinition() {
        float[] logits = Tensor.uniform(rng, -2, 2, 6, 4).toArray();
        float[] labels = {0, 3, -100, 2, 1, 3};
        float[] weight = {0.5f, 2f, 1f, 3f};
        Tensor x = Tensor.of(logits, 6, 4), y = Tensor.of(labels, 6), w = Tensor.of(weight, 4);
        for (double eps : new double[] {0, 0.1, 1}) {
            assertEquals(torchCrossEntropy(logits, 6, 4, labels, weight, -100, eps),
                    Softmax.crossEntropy(x, y, w, -100, (float) eps).item(), 1e-5, "weighted, eps " + eps);
            assertEquals(torchCrossEntropy(logits, 6, 4, labels, null, -100, eps),
                    Softmax.crossEntropy(x, y, null, -100, (float) eps).item(), 1e-5, "unweighted, eps " + eps);
        }
        // ignore_index may be a class: rows labelled 3 count for nothing
        float[] noIgnore = {0, 3, 1, 2, 1, 3};
        Tensor y2 = Tensor.of(noIgnore, 6);
        assertEquals(torchCrossEntropy(logits, 6, 4, noIgnore, null, 3, 0), Softmax.crossEntropy(x, y2, null, 3, 0f).item(), 1e-5);
        // defaults equal the fused kernel
        assertEquals(Softmax.crossEntropy(x, y2).item(), Softmax.crossEntropy(x, y2, null, -100, 0f).item(), 1e-6);
        // nll_loss on log-probabilities
        assertEquals(torchCrossEntropy(logits, 6, 4, labels, weight, -100, 0),
                Softmax.nllLoss(x.logSoftmax(), y, w, -100).item(), 1e-5);
        // every row ignored: NaN, as PyTorch
        assertTrue(Float.isNaN(Softmax.crossEntropy(x, Tensor.full(-100f, 6), null, -100, 0f).item()));
    }

    @Test
    void lossOptionGradients() {
        Tensor labels = Tensor.of(new float[] {0, 3, -100, 2, 1}, 5), weight = Tensor.of(new float[] {0.5f, 2f, 1f, 3f}, 4);
        gradOk(t -> Softmax.crossEntropy(t[0], labels, weight, -100, 0.2f), leaf(rng, 5, 4));
        gradOk(t -> Softmax.crossEntropy(t[0], labels, null, -100, 0f), leaf(rng, 5, 4));
        gradOk(t -> Softmax.nllLoss(t[0], labels, weight, -100), leaf(rng, 5, 4));
        gradOk(t -> Softmax.crossEntropy(t[0], labels, t[1], -100, 0.1f), leaf(rng, 5, 4), Tensor.uniform(rng, 0.5f, 2, 4).requiresGrad(true));
    }

    @Test
    void badLossArguments() {
        Tensor x = Tensor.ones(3, 4), y = Tensor.zeros(3);
        rejects("cross_entropy: weight [3] does not match the 4 classes of input [3, 4]", () -> Softmax.crossEntropy(x, y, Tensor.ones(3), -100, 0f));
        rejects("cross_entropy: label_smoothing must be in [0, 1], got 1.5", () -> Softmax.crossEntropy(x, y, null, -100, 1.5f));
        rejects("nll_loss: labels [2] do not match input [3, 4]", () -> Softmax.nllLoss(x, Tensor.zeros(2), null, -100));
        rejects("index 7.0", () -> Softmax.crossEntropy(x, Tensor.of(new float[] {0, 7, 1}, 3), null, -100, 0f));
    }
}
