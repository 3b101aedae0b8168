package dev.cortado.autograd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.PerBackend;
import dev.cortado.kernels.UnaryOp;
import dev.cortado.ops.Convolution;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Pooling;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** A central-difference gradient check for every differentiable op, on random shapes, per backend. */
abstract class GradCheckTest extends PerBackend {

    static final class JavaTest extends GradCheckTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends GradCheckTest {
        CpuTest() {
            super("cpu");
        }
    }

    GradCheckTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(2024);
    private final GradCheck checker = new GradCheck();

    private Tensor param(int... shape) {
        return Tensor.uniform(rng, -1f, 1f, shape).requiresGrad(true);
    }

    private int between(int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }

    private void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        GradCheck.Result r = checker.check(f, inputs);
        assertTrue(r.ok(), what + ": " + r);
        assertTrue(r.checked() > 0, what + ": nothing was checked");
    }

    @Test
    void checkerCatchesAWrongGradient() {
        Tensor x = param(5);
        // forward 3x, backward claims 2x: the checker must fail it
        GradCheck.Result r = checker.check(in -> Autograd.record(in[0].detach().mul(3f), "wrong",
                g -> new Tensor[] {g.mul(2f)}, in[0]), x);
        assertFalse(r.ok(), r.toString());
    }

    @Test
    void arithmetic() {
        for (int t = 0; t < 3; t++) {
            int[] shape = {between(1, 4), between(1, 5)};
            check("add", in -> in[0].add(in[1]), param(shape), param(shape));
            check("sub", in -> in[0].sub(in[1]), param(shape), param(shape));
            check("mul", in -> in[0].mul(in[1]), param(shape), param(shape));
            check("scale", in -> in[0].mul(-1.7f), param(shape));
            check("add scalar / rsub", in -> in[0].add(0.3f).rsub(2f), param(shape));
            check("copy", in -> in[0].copy(), param(shape));
        }
        Tensor same = param(3);
        check("x * x (one input used twice)", in -> in[0].mul(in[0]), same);
    }

    @Test
    void matmulAllTransposes() {
        for (int t = 0; t < 3; t++) {
            int m = between(1, 7), k = between(1, 7), n = between(1, 7);
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = ta ? param(k, m) : param(m, k);
                    Tensor b = tb ? param(n, k) : param(k, n);
                    check("matmul " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb,
                            in -> Linalg.matmul(in[0], ta, in[1], tb), a, b);
                }
            }
        }
    }

    @Test
    void linearWithAndWithoutBias() {
        for (int t = 0; t < 3; t++) {
            int batch = between(1, 5), in = between(1, 6), out = between(1, 4);
            check("linear", v -> Linalg.linear(v[0], v[1], v[2]), param(batch, in), param(out, in), param(out));
            check("linear no bias", v -> Linalg.linear(v[0], v[1], null), param(batch, in), param(out, in));
            int lead = between(1, 3);
            check("linearFused x [lead, batch, in] · w [in, out]", v -> Linalg.linearFused(v[0], v[1], false, v[2], Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY), param(lead, batch, in), param(in, out), param(out));
            check("linearFused x [lead, batch, in] · w [out, in]ᵀ, no bias", v -> Linalg.linearFused(v[0], v[1], true, null,
                    Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY), param(lead, batch, in), param(out, in));
            check("linearFused with GELU", v -> Linalg.linearFused(v[0], v[1], true, v[2], null, UnaryOp.GELU, 0f, 0f), param(lead, batch, in),
                    param(out, in), param(out));
            check("linearFused with softplus", v -> Linalg.linearFused(v[0], v[1], false, v[2], null, UnaryOp.SOFTPLUS, 2f, 20f),
                    param(batch, in), param(in, out), param(out));
            check("linearFused with a residual", v -> Linalg.linearFused(v[0], v[1], true, v[2], v[3], UnaryOp.CLAMP, Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY), param(lead, batch, in), param(out, in), param(out), param(lead, batch, out));
            check("linearFused with a residual and GELU", v -> Linalg.linearFused(v[0], v[1], false, null, v[2], UnaryOp.GELU, 0f, 0f),
                    param(batch, in), param(in, out), param(batch, out));
        }
    }

    @Test
    void conv2dStrideAndPaddingVariants() {
        int[][] cases = { // batch, C, H, W, F, k, stride, pad
            {1, 1, 5, 5, 1, 3, 1, 0},
            {2, 2, 6, 5, 3, 3, 1, 1},
            {1, 3, 7, 6, 2, 2, 2, 0},
            {2, 1, 5, 7, 2, 3, 2, 1},
            {1, 2, 4, 4, 2, 1, 1, 0},
            {1, 1, 3, 3, 2, 3, 1, 2},
        };
        for (int[] c : cases) {
            check("conv2d " + java.util.Arrays.toString(c),
                    v -> Convolution.conv2d(v[0], v[1], v[2], c[6], c[7]),
                    param(c[0], c[1], c[2], c[3]), param(c[4], c[1], c[5], c[5]), param(c[4]));
        }
        check("conv2d rectangular stride/pad, no bias",
                v -> Convolution.conv2d(v[0], v[1], null, 2, 1, 0, 1), param(1, 2, 5, 4), param(2, 2, 3, 2));
    }

    /** Distinct values at least 0.05 apart: no ties within the checker's ±0.01 steps. */
    private Tensor distinct(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.05f - n * 0.025f;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float tmp = v[i];
            v[i] = v[j];
            v[j] = tmp;
        }
        return Tensor.of(v, shape).requiresGrad(true);
    }

    @Test
    void poolingVariants() {
        int[][] cases = { // batch, C, H, W, k, stride, pad
            {1, 1, 4, 4, 2, 2, 0},
            {2, 2, 5, 5, 2, 2, 0},
            {1, 2, 5, 6, 3, 2, 1},
            {2, 1, 6, 5, 3, 1, 1},
            {1, 1, 7, 7, 2, 3, 1},
        };
        for (int[] c : cases) {
            check("max pool " + java.util.Arrays.toString(c),
                    v -> Pooling.maxPool2d(v[0], c[4], c[4], c[5], c[5], c[6], c[6]), distinct(c[0], c[1], c[2], c[3]));
            check("avg pool " + java.util.Arrays.toString(c),
                    v -> Pooling.avgPool2d(v[0], c[4], c[4], c[5], c[5], c[6], c[6]), param(c[0], c[1], c[2], c[3]));
        }
    }

    @Test
    void activations() {
        for (int t = 0; t < 3; t++) {
            int[] shape = {between(1, 4), between(1, 6)};
            check("sigmoid", in -> in[0].sigmoid(), param(shape));
            check("tanh", in -> in[0].tanh(), param(shape));
            Tensor x = param(shape);
            try (dev.cortado.autograd.GradMode off = dev.cortado.autograd.GradMode.off()) {
                float[] v = x.toArray(); // keep ReLU inputs away from the kink at 0
                for (int i = 0; i < v.length; i++) v[i] = v[i] >= 0 ? v[i] + 0.05f : v[i] - 0.05f;
                Tensor moved = Tensor.of(v, shape);
                x.fill(0f).addInPlace(moved);
            }
            check("relu", in -> in[0].relu(), x);
        }
    }

    @Test
    void softmaxFamily() {
        for (int t = 0; t < 3; t++) {
            int rows = between(1, 5), cols = between(1, 7);
            check("softmax", in -> in[0].softmax(), param(rows, cols));
            check("log softmax", in -> in[0].logSoftmax(), param(rows, cols));
            float[] labels = new float[rows];
            for (int i = 0; i < rows; i++) labels[i] = rng.nextInt(cols);
            Tensor y = Tensor.of(labels, rows);
            check("cross entropy", in -> Softmax.crossEntropy(in[0].mul(3f), y), param(rows, cols));
        }
        check("softmax over the last of 3 dims", in -> in[0].softmax(), param(2, 3, 4));
    }

    @Test
    void reductionsAndShapes() {
        check("sum", in -> in[0].sum(), param(3, 4));
        check("mean", in -> in[0].mean(), param(2, 5));
        check("reshape", in -> in[0].reshape(4, 3).mul(in[1]), param(2, 6), param(4, 3));
        check("flatten", in -> in[0].flatten().sigmoid(), param(2, 3, 2));
    }

    @Test
    void smallNetworkEndToEnd() {
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 1, 6, 6);
        Tensor labels = Tensor.of(new float[] {1, 0}, 2);
        check("conv -> relu -> maxpool -> linear -> cross entropy",
                v -> Softmax.crossEntropy(Linalg.linear(
                        Pooling.maxPool2d(Convolution.conv2d(x, v[0], v[1], 1, 0).tanh(), 2, 2).flatten(), v[2], v[3]), labels),
                param(3, 1, 3, 3), param(3), param(2, 12), param(2));
    }
}
