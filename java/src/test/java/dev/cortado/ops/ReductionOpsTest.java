package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.distinct;
import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.iota;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Reductions along axes, softmax along any axis and batched matmul: hand-computed values, gradient checks, bad input; per backend. */
abstract class ReductionOpsTest extends PerBackend {

    static final class JavaTest extends ReductionOpsTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends ReductionOpsTest {
        CpuTest() {
            super("cpu");
        }
    }

    ReductionOpsTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(11);






    @Test
    void axisReductionValues() {
        Tensor x = iota(2, 3, 4);
        assertArrayEquals(new float[] {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, x.sum(0, false).toArray());
        assertArrayEquals(new float[] {12, 15, 18, 21, 48, 51, 54, 57}, x.sum(1, false).toArray());
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(1, true).shape());
        assertArrayEquals(new float[] {6, 22, 38, 54, 70, 86}, x.sum(-1, false).toArray());
        assertArrayEquals(new float[] {60, 66, 72, 78}, x.sum(new int[] {0, 1}, false).toArray());
        assertArrayEquals(new float[] {66, 210}, x.sum(new int[] {2, 1}, false).toArray()); // adjacent axes: one run
        assertArrayEquals(new float[] {60, 92, 124}, x.sum(new int[] {0, 2}, false).toArray()); // two runs
        assertArrayEquals(new float[] {1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f}, x.mean(2, false).toArray());
        assertArrayEquals(new float[] {8, 9, 10, 11, 20, 21, 22, 23}, x.max(1, false).toArray());
        assertArrayEquals(new float[] {0, 4, 8, 12, 16, 20}, x.min(2, false).toArray());
        assertEquals(23f, x.max().item());
        assertEquals(0f, x.min().item());
        Tensor y = Tensor.of(new float[] {3, 1, 3, 0, 5, 5, Float.NaN, 2}, 2, 4);
        assertArrayEquals(new float[] {0, 2}, y.argmax(1, false).toArray()); // first maximum; a NaN wins
        assertArrayEquals(new float[] {3, 2}, y.argmin(1, false).toArray());
        assertArrayEquals(new float[] {3, Float.NaN}, y.max(1, false).toArray());
        assertArrayEquals(new int[] {2, 1}, y.argmax(1, true).shape());
        // var/std with Bessel's correction: of 0,1,2,3: mean 1.5, squared deviations 5, var 5/3
        assertArrayEquals(new float[] {5f / 3, 5f / 3}, iota(2, 4).var(1, false).toArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) Math.sqrt(5.0 / 3), (float) Math.sqrt(5.0 / 3)}, iota(2, 4).std(-1, false).toArray(), 1e-6f);
        assertArrayEquals(new float[] {1.25f}, Reductions.var(iota(4), new int[] {0}, 0, false).toArray(), 1e-6f);
        // logsumexp: stable for large values
        Tensor big = Tensor.of(new float[] {1000, 1000, -5, Float.NEGATIVE_INFINITY}, 2, 2);
        assertArrayEquals(new float[] {1000 + (float) Math.log(2), -5}, big.logsumexp(1, false).toArray(), 1e-3f);
        // empty axes: sum 0, mean NaN, logsumexp -inf; max refuses
        Tensor empty = Tensor.zeros(2, 0);
        assertArrayEquals(new float[] {0, 0}, empty.sum(1, false).toArray());
        assertArrayEquals(new float[] {Float.NaN, Float.NaN}, empty.mean(1, false).toArray());
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, empty.logsumexp(1, false).toArray());
        rejects("max: dim 1 of shape [2, 0] is empty", () -> empty.max(1, false));
    }

    @Test
    void badAxesNameTheShape() {
        Tensor x = Tensor.ones(2, 3);
        rejects("sum: dim 2 out of range for shape [2, 3] (expected -2 to 1)", () -> x.sum(2, false));
        rejects("max: dim -3 out of range", () -> x.max(-3, true));
        rejects("sum: dim -1 appears twice in [1, -1]", () -> x.sum(new int[] {1, -1}, false));
        rejects("softmax: dim 5 out of range", () -> x.softmax(5));
        rejects("var: correction must be >= 0", () -> Reductions.var(x, new int[] {0}, -1, false));
    }

    @Test
    void softmaxAlongEveryAxis() {
        Tensor x = Tensor.uniform(rng, -2, 2, 2, 3, 4);
        for (int d = 0; d < 3; d++) {
            Tensor s = x.softmax(d);
            Tensor ones = s.sum(d, false);
            for (float v : ones.toArray()) assertEquals(1f, v, 1e-6f);
            // log-softmax = x - logsumexp(x)
            assertArrayEquals(x.sub(x.logsumexp(d, true)).toArray(), x.logSoftmax(d).toArray(), 1e-5f);
            assertArrayEquals(x.logSoftmax(d).exp().toArray(), s.toArray(), 1e-6f);
        }
        assertArrayEquals(x.softmax(-1).toArray(), x.softmax().toArray());
    }

    @Test
    void reductionGradients() {
        int[][] shapes = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}, {1, 1}};
        for (int[] s : shapes) {
            for (int d = -s.length; d < s.length; d++) {
                final int dim = d;
                gradOk(in -> in[0].sum(dim, false), leaf(rng, s));
                gradOk(in -> in[0].mean(dim, true), leaf(rng, s));
                gradOk(in -> in[0].max(dim, false), distinct(rng, s));
                gradOk(in -> in[0].min(dim, true), distinct(rng, s));
                gradOk(in -> in[0].logsumexp(dim, false), leaf(rng, s));
                gradOk(in -> in[0].softmax(dim), leaf(rng, s));
                gradOk(in -> in[0].logSoftmax(dim), leaf(rng, s));
                if (s[(dim + s.length) % s.length] > 1) {
                    gradOk(in -> in[0].var(dim, false), leaf(rng, s));
                    gradOk(in -> in[0].std(dim, true), leaf(rng, s));
                }
            }
        }
        gradOk(in -> in[0].sum(new int[] {0, 2}, true), leaf(rng, 2, 3, 4));
        gradOk(in -> in[0].mean(new int[] {0, 1, 2}, false), leaf(rng, 2, 3, 4));
        gradOk(in -> in[0].max(), distinct(rng, 3, 4));
        gradOk(in -> in[0].sum(1, false), Tensor.zeros(3, 0).requiresGrad(true)); // empty axis: nothing to check, must not fail
    }

    @Test
    void batchedMatmulValues() {
        Tensor a = iota(2, 2, 3), b = iota(3, 2);
        // batch 0: [[0,1,2],[3,4,5]]·[[0,1],[2,3],[4,5]] = [[10,13],[28,40]]; batch 1: [[6,7,8],[9,10,11]]·b = [[46,67],[64,94]]
        assertArrayEquals(new float[] {10, 13, 28, 40, 46, 67, 64, 94}, a.matmul(b).toArray());
        assertArrayEquals(new int[] {2, 2, 2}, a.matmul(b).shape());
        // broadcast batch axes: [2, 1, 2, 3] · [3, 3, 2] -> [2, 3, 2, 2]
        Tensor c = iota(2, 1, 2, 3).matmul(iota(3, 3, 2));
        assertArrayEquals(new int[] {2, 3, 2, 2}, c.shape());
        Tensor a1 = iota(2, 1, 2, 3).view(6, 2, 3), b2 = iota(3, 3, 2).view(12, 3, 2); // batch [1, 2] of the result
        assertArrayEquals(a1.matmul(b2).toArray(), java.util.Arrays.copyOfRange(c.toArray(), 20, 24));
        // vectors
        Tensor v = Tensor.of(new float[] {1, 2, 3}, 3);
        assertEquals(14f, v.matmul(v).item());
        assertArrayEquals(new float[] {8, 26}, iota(2, 3).matmul(v).toArray());
        assertArrayEquals(new float[] {16, 22}, v.matmul(iota(3, 2)).toArray());
        assertArrayEquals(new int[] {2, 2}, iota(2, 2, 3).matmul(v).shape());
        // transposes apply to the last two axes
        float[] t = new float[12]; // iota(2, 3, 2) with each matrix transposed
        for (int q = 0; q < 2; q++) for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) t[q * 6 + j * 3 + i] = q * 6 + i * 2 + j;
        assertArrayEquals(Tensor.of(t, 2, 2, 3).matmul(iota(2, 3, 4)).toArray(), Linalg.matmul(iota(2, 3, 2), true, iota(2, 3, 4), false).toArray());
        rejects("matmul: inner dimensions differ", () -> iota(2, 2, 3).matmul(iota(2, 2, 3)));
        rejects("matmul: shapes [2] and [3] do not broadcast", () -> iota(2, 2, 3).matmul(iota(3, 3, 2)));
    }

    @Test
    void batchedMatmulGradients() {
        int[][][] pairs = {{{2, 3, 4}, {2, 4, 5}}, {{2, 3, 4}, {4, 5}}, {{3, 4}, {2, 4, 5}}, {{2, 1, 3, 4}, {3, 4, 2}},
            {{4}, {2, 4, 3}}, {{2, 3, 4}, {4}}, {{4}, {4}}};
        for (int[][] p : pairs) gradOk(in -> in[0].matmul(in[1]), leaf(rng, p[0]), leaf(rng, p[1]));
        gradOk(in -> Linalg.matmul(in[0], true, in[1], true), leaf(rng, 2, 4, 3), leaf(rng, 5, 4));
        gradOk(in -> Linalg.matmul(in[0], true, in[1], false), leaf(rng, 3, 2), leaf(rng, 2, 3, 4));
    }
}
