package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.rejects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.kernels.PerBackend;
import dev.cortado.kernels.UnaryOp;
import org.junit.jupiter.api.Test;

/** Forward values of each op on hand-computed or independently computed cases, and bad input; per backend. */
abstract class OpsTest extends PerBackend {

    static final class JavaTest extends OpsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends OpsTest {
        CpuTest() {
            super("cpu");
        }
    }

    OpsTest(String backend) {
        super(backend);
    }

    private static Tensor t(float[] v, int... shape) {
        return Tensor.of(v, shape);
    }


    @Test
    void arithmetic() {
        Tensor a = t(new float[] {1, 2, 3, 4}, 2, 2), b = t(new float[] {5, 6, 7, 8}, 2, 2);
        assertArrayEquals(new float[] {6, 8, 10, 12}, a.add(b).toArray());
        assertArrayEquals(new float[] {-4, -4, -4, -4}, a.sub(b).toArray());
        assertArrayEquals(new float[] {5, 12, 21, 32}, a.mul(b).toArray());
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, a.mul(0.5f).toArray());
        assertArrayEquals(new float[] {11, 12, 13, 14}, a.add(10f).toArray());
        assertArrayEquals(new float[] {0, -1, -2, -3}, a.rsub(1f).toArray());
        rejects("add: shapes [2, 2] and [4] do not broadcast", () -> a.add(Tensor.ones(4)));
        rejects("mul: shapes [2, 2] and [2, 3] do not broadcast", () -> a.mul(Tensor.ones(2, 3)));
        assertArrayEquals(new float[] {0, 1, 2, 3}, a.sub(Tensor.ones(1)).toArray()); // broadcasts
    }

    @Test
    void matmulAndLinear() {
        Tensor a = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), b = t(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertArrayEquals(new float[] {58, 64, 139, 154}, a.matmul(b).toArray());
        // bᵀ·aᵀ = (a·b)ᵀ
        assertArrayEquals(new float[] {58, 139, 64, 154}, Linalg.matmul(b, true, a, true).toArray());
        // aᵀ·a = [17 22 27; 22 29 36; 27 36 45]
        assertArrayEquals(new float[] {17, 22, 27, 22, 29, 36, 27, 36, 45}, Linalg.matmul(a, true, a, false).toArray());
        // a·aᵀ = [14 32; 32 77]
        assertArrayEquals(new float[] {14, 32, 32, 77}, Linalg.matmul(a, false, a, true).toArray());
        rejects("matmul: inner dimensions differ: a is 2x3", () -> a.matmul(a));
        rejects("matmul: inner dimensions differ: a is 1x6 (a [1, 6])", () -> Tensor.ones(6).matmul(a)); // a vector is a row
        rejects("matmul: both operands need at least 1 dimension", () -> Tensor.scalar(2f).matmul(a));

        // linear: x [1,3] · wᵀ (w [2,3]) + bias
        Tensor x = t(new float[] {1, 2, 3}, 1, 3), w = t(new float[] {1, 0, -1, 2, 2, 2}, 2, 3);
        assertArrayEquals(new float[] {-2 + 0.5f, 12 - 1}, Linalg.linear(x, w, t(new float[] {0.5f, -1}, 2)).toArray());
        rejects("linear: x [1, 3] has 3 features but w [2, 4] expects 4", () -> Linalg.linear(x, Tensor.ones(2, 4), null));
        rejects("linear: bias [3] does not match 2 outputs", () -> Linalg.linear(x, w, Tensor.ones(3)));

        // linearFused: x [2, 1, 3] · w [3, 2] + bias, clamped to [-1, 5]: rows (1, 2, 3) and (0, 1, -1)
        Tensor x3 = t(new float[] {1, 2, 3, 0, 1, -1}, 2, 1, 3), wt = t(new float[] {1, 2, 0, 2, -1, 2}, 3, 2), bias = t(new float[] {0.5f, -1}, 2);
        Tensor y = Linalg.linearFused(x3, wt, false, bias, -1f, 5f);
        assertArrayEquals(new int[] {2, 1, 2}, y.shape());
        // row 1: (1 + 0 - 3 + 0.5, 2 + 4 + 6 - 1) = (-1.5, 11) -> (-1, 5); row 2: (0 + 0 + 1 + 0.5, 0 + 2 - 2 - 1) = (1.5, -1)
        assertArrayEquals(new float[] {-1, 5, 1.5f, -1}, y.toArray());
        assertArrayEquals(new float[] {-1.5f, 11, 1.5f, -1}, Linalg.linearFused(x3, wt, false, bias, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY).toArray());
        assertArrayEquals(new float[] {0, 11, 1.5f, 0}, Linalg.linearFused(x3, wt, false, bias, 0f, Float.POSITIVE_INFINITY).toArray());
        rejects("linearFused: x [2, 1, 3] has 3 features but w [2, 3] expects 2", () -> Linalg.linearFused(x3, w, false, null, 0f, 1f));
        rejects("linearFused: clamp range [1.0, 0.0] is not lo <= hi", () -> Linalg.linearFused(x3, wt, false, null, 1f, 0f));
        rejects("linearFused: bias [3] does not match 2 outputs", () -> Linalg.linearFused(x3, wt, false, Tensor.ones(3), 0f, 1f));
        // with an activation: GELU (tanh form) of the rows above, PyTorch's 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
        float[] pre = {-1.5f, 11, 1.5f, -1}, gelu = new float[4];
        for (int i = 0; i < 4; i++) {
            double v = pre[i];
            gelu[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
        assertArrayEquals(gelu, Linalg.linearFused(x3, wt, false, bias, null, UnaryOp.GELU, 0f, 0f).toArray(), 1e-6f);
        assertArrayEquals(new float[] {-0.15f, 11, 1.5f, -0.1f}, Linalg.linearFused(x3, wt, false, bias, null, UnaryOp.LEAKY_RELU, 0.1f, 0f).toArray(),
                1e-6f);
        assertArrayEquals(new float[] {-1, 5, 1.5f, -1}, Linalg.linearFused(x3, wt, false, bias, null, UnaryOp.CLAMP, -1f, 5f).toArray());
        rejects("linearFused LEAKY_RELU: slope must be finite, got NaN", () -> Linalg.linearFused(x3, wt, false, bias, null, UnaryOp.LEAKY_RELU,
                Float.NaN, 0f));
        rejects("linearFused: clamp range [1.0, 0.0] is not lo <= hi", () -> Linalg.linearFused(x3, wt, false, bias, null, UnaryOp.CLAMP, 1f, 0f));
        // with a residual: y + r, then the activation
        Tensor r = t(new float[] {1, -20, 0.5f, 2}, 2, 1, 2);
        assertArrayEquals(new float[] {-0.5f, -9, 2, 1}, Linalg.linearFused(x3, wt, false, bias, r, UnaryOp.CLAMP, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY).toArray());
        assertArrayEquals(new float[] {0, 0, 2, 1}, Linalg.linearFused(x3, wt, false, bias, r, UnaryOp.CLAMP, 0f, Float.POSITIVE_INFINITY)
                .toArray());
        rejects("linearFused: residual [2, 2] is not the output's shape [2, 1, 2]", () -> Linalg.linearFused(x3, wt, false, bias,
                Tensor.ones(2, 2), UnaryOp.CLAMP, 0f, 1f));
        rejects("linearFused: act is null", () -> Linalg.linearFused(x3, wt, false, bias, null, null, 0f, 0f));
        // no input features: every output is its bias, clamped
        assertArrayEquals(new float[] {0.5f, 0, 0.5f, 0, 0.5f, 0}, Linalg.linearFused(Tensor.zeros(3, 0), Tensor.zeros(0, 2), false, bias, 0f, 1f)
                .toArray());
    }

    /** Direct 7-loop convolution: an independent check of the im2col + GEMM composition. */
    private static float[] directConv(float[] x, float[] w, float[] b, int n, int c, int h, int wd, int f, int k, int s, int p) {
        int oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
        float[] y = new float[n * f * oh * ow];
        for (int in = 0; in < n; in++)
            for (int o = 0; o < f; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ch = 0; ch < c; ch++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++) {
                                    int yy = i * s - p + ki, xx = j * s - p + kj;
                                    if (yy >= 0 && yy < h && xx >= 0 && xx < wd) {
                                        acc += x[((in * c + ch) * h + yy) * wd + xx] * w[((o * c + ch) * k + ki) * k + kj];
                                    }
                                }
                        y[((in * f + o) * oh + i) * ow + j] = (float) acc;
                    }
        return y;
    }

    @Test
    void conv2dMatchesDirectConvolution() {
        // huge padding and stride once overflowed int into a wrong output shape; now a clear error
        rejects("padded input 3000000010x3000000010 exceeds 2^31 - 1", () -> Convolution.conv2d(Tensor.zeros(1, 1, 10, 10),
                Tensor.zeros(1, 1, 3, 3), null, 2_000_000_000, 1_500_000_000));
        Rng rng = new Rng(7);
        int[][] cases = {{1, 1, 5, 5, 1, 3, 1, 0}, {2, 3, 7, 6, 4, 3, 2, 1}, {3, 2, 9, 9, 5, 5, 1, 2}, {1, 1, 28, 28, 20, 5, 1, 0}};
        for (int[] c : cases) {
            Tensor x = Tensor.uniform(rng, -1, 1, c[0], c[1], c[2], c[3]);
            Tensor w = Tensor.uniform(rng, -1, 1, c[4], c[1], c[5], c[5]);
            Tensor b = Tensor.uniform(rng, -1, 1, c[4]);
            float[] expected = directConv(x.toArray(), w.toArray(), b.toArray(), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
            Tensor y = Convolution.conv2d(x, w, b, c[6], c[7]);
            assertArrayEquals(expected, y.toArray(), 1e-4f, java.util.Arrays.toString(c));
            assertEquals(c[4], y.size(1));
        }
        Tensor x = Tensor.ones(1, 2, 5, 5);
        rejects("conv2d: x [1, 2, 5, 5] has 2 channels but w [3, 1, 3, 3] expects 1",
                () -> Convolution.conv2d(x, Tensor.ones(3, 1, 3, 3), null, 1, 0));
        rejects("conv2d: bias [2] does not match 3 filters", () -> Convolution.conv2d(x, Tensor.ones(3, 2, 3, 3), Tensor.ones(2), 1, 0));
        rejects("larger than the padded input", () -> Convolution.conv2d(x, Tensor.ones(3, 2, 7, 7), null, 1, 0));
        rejects("strideH must be > 0", () -> Convolution.conv2d(x, Tensor.ones(3, 2, 3, 3), null, 0, 0));
        rejects("conv2d: x must be 4-D, got shape [2, 5, 5]", () -> Convolution.conv2d(Tensor.ones(2, 5, 5), Tensor.ones(3, 2, 3, 3), null, 1, 0));
    }

    @Test
    void pooling() {
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4);
        Tensor m = Pooling.maxPool2d(x, 2, 2);
        assertArrayEquals(new int[] {1, 1, 2, 2}, m.shape());
        assertArrayEquals(new float[] {6, 8, 14, 16}, m.toArray());
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, Pooling.avgPool2d(x, 2, 2).toArray());
        // 3x3 stride 1 pad 1 keeps the size
        assertArrayEquals(new int[] {1, 1, 4, 4}, Pooling.maxPool2d(x, 3, 3, 1, 1, 1, 1).shape());
        rejects("max_pool2d: padding 2x2 must be smaller than the kernel 2x2", () -> Pooling.maxPool2d(x, 2, 2, 2, 2, 2, 2));
        rejects("max_pool2d: x must be 4-D", () -> Pooling.maxPool2d(Tensor.ones(4, 4), 2, 2));
        rejects("avg_pool2d on x [1, 1, 4, 4]: kernel 5x5 is larger", () -> Pooling.avgPool2d(x, 5, 1));
    }

    @Test
    void activationsAndSoftmax() {
        Tensor x = t(new float[] {-1, 0, 2}, 3);
        assertArrayEquals(new float[] {0, 0, 2}, x.relu().toArray());
        assertArrayEquals(new float[] {(float) Math.tanh(-1), 0, (float) Math.tanh(2)}, x.tanh().toArray(), 1e-7f);
        assertArrayEquals(new float[] {(float) (1 / (1 + Math.E)), 0.5f, (float) (1 / (1 + Math.exp(-2)))}, x.sigmoid().toArray(), 1e-7f);
        Tensor logits = t(new float[] {0, (float) Math.log(3), 0, 0}, 2, 2);
        assertArrayEquals(new float[] {0.25f, 0.75f, 0.5f, 0.5f}, logits.softmax().toArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.log(0.25), (float) Math.log(0.75), (float) Math.log(0.5), (float) Math.log(0.5)},
                logits.logSoftmax().toArray(), 1e-6f);
        // mean of -log 0.75 and -log 0.5
        Tensor loss = Softmax.crossEntropy(logits, t(new float[] {1, 0}, 2));
        assertEquals((float) ((-Math.log(0.75) - Math.log(0.5)) / 2), loss.item(), 1e-6f);
        rejects("cross_entropy: labels [3] do not match logits [2, 2]", () -> Softmax.crossEntropy(logits, Tensor.zeros(3)));
        rejects("label 2.0 at row 0 is not a class index in [0, 2)", () -> Softmax.crossEntropy(logits, t(new float[] {2, 0}, 2)));
    }

    @Test
    void reductions() {
        Tensor x = t(new float[] {1, 5, 2, 7, 3, 0}, 2, 3);
        assertEquals(18f, x.sum().item());
        assertEquals(3f, x.mean().item());
        assertArrayEquals(new float[] {1, 0}, x.argmax().toArray());
        assertArrayEquals(new int[] {2}, x.argmax().shape());
    }
}
