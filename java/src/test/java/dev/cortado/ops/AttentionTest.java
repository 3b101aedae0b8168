package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static dev.cortado.ops.OpsTesting.rejects;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class AttentionTest extends PerBackend {

    static final class JavaTest extends AttentionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends AttentionTest {
        CpuTest() {
            super("cpu");
        }
    }

    AttentionTest(String backend) {
        super(backend);
    }

    /** PyTorch's formula in double: softmax(q kᵀ / sqrt(E) + mask) for one [L, E] x [S, E] pair. */
    static double[][] weights(float[] q, float[] k, int l, int s, int e, boolean causal) {
        double[][] w = new double[l][s];
        for (int i = 0; i < l; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                double dot = 0;
                for (int c = 0; c < e; c++) dot += (double) q[i * e + c] * k[j * e + c];
                w[i][j] = causal && j > i ? Double.NEGATIVE_INFINITY : dot / Math.sqrt(e);
                max = Math.max(max, w[i][j]);
            }
            double sum = 0;
            for (int j = 0; j < s; j++) sum += w[i][j] = Math.exp(w[i][j] - max);
            for (int j = 0; j < s; j++) w[i][j] /= sum;
        }
        return w;
    }

    /** weights · v in double, for v [S, Ev]. */
    static double[] attend(double[][] w, float[] v, int ev) {
        int l = w.length, s = w[0].length;
        double[] out = new double[l * ev];
        for (int i = 0; i < l; i++) for (int j = 0; j < s; j++) for (int c = 0; c < ev; c++) out[i * ev + c] += w[i][j] * v[j * ev + c];
        return out;
    }

    static float[] slice(float[] a, int from, int n) {
        float[] r = new float[n];
        System.arraycopy(a, from, r, 0, n);
        return r;
    }

    @Test
    void weightsByHandOnATwoByTwo() {
        // q = [[1, 0], [0, 1]], k = [[1, 0], [1, 1]]: scores/sqrt(2) = [[1, 1], [0, 1]] / sqrt(2)
        Tensor q = Tensor.of(new float[] {1, 0, 0, 1}, 2, 2), k = Tensor.of(new float[] {1, 0, 1, 1}, 2, 2);
        Tensor v = Tensor.of(new float[] {10, 20, 30, 40}, 2, 2);
        float[] w = Attention.attentionWeights(q, k, false).toArray();
        double a = 1 / (1 + Math.exp(1 / Math.sqrt(2))); // row 1: softmax(0, 1/sqrt 2)
        assertArrayEquals(new float[] {0.5f, 0.5f, (float) a, (float) (1 - a)}, w, 1e-6f);
        float[] out = Attention.scaledDotProductAttention(q, k, v, false, 0f, null).toArray();
        assertArrayEquals(new float[] {20, 30, (float) (10 * a + 30 * (1 - a)), (float) (20 * a + 40 * (1 - a))}, out, 1e-5f);
        // causal: row 0 sees only position 0
        float[] wc = Attention.attentionWeights(q, k, true).toArray();
        assertArrayEquals(new float[] {1, 0, (float) a, (float) (1 - a)}, wc, 1e-6f);
        assertArrayEquals(new float[] {10, 20}, slice(Attention.scaledDotProductAttention(q, k, v, true, 0f, null).toArray(), 0, 2), 1e-6f);
    }

    @Test
    void batchedValuesMatchTheFormulaForRectangularShapes() {
        Rng rng = new Rng(7);
        int b = 2, h = 3, l = 5, s = 7, e = 4, ev = 3;
        for (boolean causal : new boolean[] {false, true}) {
            Tensor q = Tensor.uniform(rng, -2, 2, b, h, l, e), k = Tensor.uniform(rng, -2, 2, b, h, s, e), v = Tensor.uniform(rng, -1, 1, b, h, s, ev);
            float[] qa = q.toArray(), ka = k.toArray(), va = v.toArray();
            float[] w = Attention.attentionWeights(q, k, causal).toArray();
            float[] out = Attention.scaledDotProductAttention(q, k, v, causal, 0f, null).toArray();
            assertEquals(b * h * l * ev, out.length);
            for (int m = 0; m < b * h; m++) {
                double[][] ew = weights(slice(qa, m * l * e, l * e), slice(ka, m * s * e, s * e), l, s, e, causal);
                double[] eo = attend(ew, slice(va, m * s * ev, s * ev), ev);
                for (int i = 0; i < l; i++) {
                    for (int j = 0; j < s; j++) {
                        double got = w[(m * l + i) * s + j];
                        assertEquals(ew[i][j], got, 1e-6, "weight " + m + "," + i + "," + j);
                        if (causal && j > i) assertEquals(0f, (float) got, 0f, "masked weight must be exactly 0");
                    }
                }
                for (int i = 0; i < l * ev; i++) assertEquals(eo[i], out[m * l * ev + i], 1e-5 * (1 + Math.abs(eo[i])), "out " + m + "," + i);
            }
        }
    }

    @Test
    void kAndVBroadcastOverTheBatch() {
        Rng rng = new Rng(8);
        Tensor q = Tensor.uniform(rng, -1, 1, 3, 4, 2), k = Tensor.uniform(rng, -1, 1, 5, 2), v = Tensor.uniform(rng, -1, 1, 5, 3);
        float[] out = Attention.scaledDotProductAttention(q, k, v, false, 0f, null).toArray();
        float[] qa = q.toArray();
        for (int m = 0; m < 3; m++) {
            double[] e = attend(weights(slice(qa, m * 8, 8), k.toArray(), 4, 5, 2, false), v.toArray(), 3);
            for (int i = 0; i < 12; i++) assertEquals(e[i], out[m * 12 + i], 1e-5);
        }
    }

    @Test
    void dropoutZeroesWeightsAndScalesTheRest() {
        Rng data = new Rng(9);
        int l = 16, s = 16, e = 4;
        Tensor q = Tensor.uniform(data, -1, 1, l, e), k = Tensor.uniform(data, -1, 1, s, e);
        // v = identity: the output is the (dropped) weight matrix itself
        float[] eye = new float[s * s];
        for (int i = 0; i < s; i++) eye[i * s + i] = 1;
        Tensor v = Tensor.of(eye, s, s);
        float p = 0.25f;
        float[] w = Attention.attentionWeights(q, k, false).toArray();
        float[] out = Attention.scaledDotProductAttention(q, k, v, false, p, new Rng(3)).toArray();
        int zeros = 0;
        for (int i = 0; i < w.length; i++) {
            if (out[i] == 0) zeros++;
            else assertEquals(w[i] / (1 - p), out[i], 1e-6, "kept weights scale by 1/(1-p)");
        }
        assertTrue(zeros > 0.15 * w.length && zeros < 0.35 * w.length, zeros + " of " + w.length + " dropped at p=0.25");
        // the same seed gives the same mask
        assertArrayEquals(out, Attention.scaledDotProductAttention(q, k, v, false, p, new Rng(3)).toArray(), 0f);
    }

    @Test
    void gradientsThroughQKV() {
        Rng rng = new Rng(10);
        for (boolean causal : new boolean[] {false, true}) {
            Tensor q = leaf(rng, 2, 3, 2), k = leaf(rng, 2, 4, 2), v = leaf(rng, 2, 4, 3);
            gradOk("sdpa causal=" + causal, in -> Attention.scaledDotProductAttention(in[0], in[1], in[2], causal, 0f, null), q, k, v);
        }
        // with dropout: the same mask on every evaluation (a fresh generator of one seed)
        Tensor q = leaf(rng, 3, 2), k = leaf(rng, 3, 2), v = leaf(rng, 3, 2);
        gradOk("sdpa dropout", in -> Attention.scaledDotProductAttention(in[0], in[1], in[2], true, 0.3f, new Rng(5)), q, k, v);
    }

    @Test
    void badShapesAreNamed() {
        Tensor q = Tensor.zeros(2, 3, 4), k = Tensor.zeros(2, 5, 4), v = Tensor.zeros(2, 5, 6);
        rejects("differ in the embedding size", () -> Attention.scaledDotProductAttention(q, Tensor.zeros(2, 5, 3), v, false, 0f, null));
        rejects("v [2, 4, 6] has 4 positions but k [2, 5, 4] has 5",
                () -> Attention.scaledDotProductAttention(q, k, Tensor.zeros(2, 4, 6), false, 0f, null));
        rejects("q needs at least 2 dimensions", () -> Attention.scaledDotProductAttention(Tensor.zeros(4), k, v, false, 0f, null));
        rejects("dropoutP must be in [0, 1)", () -> Attention.scaledDotProductAttention(q, k, v, false, 1f, new Rng(1)));
        rejects("needs a random generator", () -> Attention.scaledDotProductAttention(q, k, v, false, 0.1f, null));
        rejects("do not broadcast", () -> Attention.scaledDotProductAttention(q, Tensor.zeros(3, 5, 4), Tensor.zeros(3, 5, 6), false, 0f, null));
    }
}
