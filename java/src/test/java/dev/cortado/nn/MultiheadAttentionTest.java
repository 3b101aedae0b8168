package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.autograd.GradCheck;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class MultiheadAttentionTest extends PerBackend {

    static final class JavaTest extends MultiheadAttentionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends MultiheadAttentionTest {
        CpuTest() {
            super("cpu");
        }
    }

    MultiheadAttentionTest(String backend) {
        super(backend);
    }

    /** x · Wᵀ + b in double for x [n, in], W [out, in]. */
    static double[] linear(double[] x, int n, int in, float[] w, float[] b, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int c = 0; c < in; c++) acc += x[r * in + c] * w[o * in + c];
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    /**
     * PyTorch's multi_head_attention_forward written out per head, in double, for one sequence
     * x [L, E]: q, k, v = x·W_{q,k,v}ᵀ + b; head h attends with its D = E/H columns at scale
     * 1/sqrt(D); the heads' outputs are concatenated and projected by out_proj.
     */
    static double[] reference(MultiheadAttention mha, double[] x, int l, boolean causal) {
        int e = mha.embedDim(), heads = mha.numHeads(), d = e / heads;
        double[] qkv = linear(x, l, e, mha.inProjWeight.toArray(), mha.inProjBias.toArray(), 3 * e);
        double[] concat = new double[l * e];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < l; i++) {
                double[] s = new double[l];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < l; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += qkv[i * 3 * e + h * d + c] * qkv[j * 3 * e + e + h * d + c];
                    s[j] = causal && j > i ? Double.NEGATIVE_INFINITY : dot / Math.sqrt(d);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < l; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int j = 0; j < l; j++) {
                    for (int c = 0; c < d; c++) concat[i * e + h * d + c] += s[j] / sum * qkv[j * 3 * e + 2 * e + h * d + c];
                }
            }
        }
        return linear(concat, l, e, mha.outProj.weight.toArray(), mha.outProj.bias.toArray(), e);
    }

    static double[] doubles(float[] a, int from, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = a[from + i];
        return r;
    }

    static MultiheadAttention withBiases(int e, int heads, boolean causal, float dropout, Rng rng) {
        MultiheadAttention mha = new MultiheadAttention(e, heads, causal, dropout, rng);
        try (GradMode off = GradMode.off()) {
            mha.inProjBias.copyFrom(Tensor.uniform(rng, -0.5f, 0.5f, 3 * e).toArray());
            mha.outProj.bias.copyFrom(Tensor.uniform(rng, -0.5f, 0.5f, e).toArray());
        }
        return mha;
    }

    @Test
    void parametersHavePyTorchsNamesAndShapes() {
        MultiheadAttention mha = new MultiheadAttention(8, 2, new Rng(1));
        assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"), List.copyOf(mha.namedParameters().keySet()));
        assertArrayEquals(new int[] {24, 8}, mha.inProjWeight.shape());
        assertArrayEquals(new int[] {24}, mha.inProjBias.shape());
        assertArrayEquals(new int[] {8, 8}, mha.outProj.weight.shape());
        assertEquals(3 * 64 + 24 + 64 + 8, mha.parameterCount());
        // xavier_uniform_ bound sqrt(6 / (E + 3E))
        double bound = Math.sqrt(6.0 / 32);
        for (float w : mha.inProjWeight.toArray()) assertTrue(Math.abs(w) <= bound);
    }

    @Test
    void matchesTheExplicitPerHeadComputation() {
        Rng rng = new Rng(2);
        int b = 3, l = 5, e = 12;
        for (int heads : new int[] {1, 3, 4}) {
            for (boolean causal : new boolean[] {false, true}) {
                MultiheadAttention mha = withBiases(e, heads, causal, 0f, rng);
                Tensor x = Tensor.uniform(rng, -1, 1, b, l, e);
                float[] xa = x.toArray(), y = mha.forward(x).toArray();
                assertEquals(b * l * e, y.length);
                for (int n = 0; n < b; n++) {
                    double[] want = reference(mha, doubles(xa, n * l * e, l * e), l, causal);
                    for (int i = 0; i < l * e; i++) {
                        assertEquals(want[i], y[n * l * e + i], 1e-5 * (1 + Math.abs(want[i])), "heads " + heads + " causal " + causal + " at " + n + "," + i);
                    }
                }
                // the unbatched form [L, E] is the same computation
                float[] one = mha.forward(x.select(0, 1)).toArray();
                assertArrayEquals(java.util.Arrays.copyOfRange(y, l * e, 2 * l * e), one, 1e-6f);
                // forward(x, causal) overrides the constructed flag
                double[] other = reference(mha, doubles(xa, 0, l * e), l, !causal);
                float[] y2 = mha.forward(x, !causal).toArray();
                for (int i = 0; i < l * e; i++) assertEquals(other[i], y2[i], 1e-5 * (1 + Math.abs(other[i])));
            }
        }
    }

    @Test
    void dropoutOnlyInTraining() {
        Rng rng = new Rng(3);
        MultiheadAttention mha = withBiases(8, 2, true, 0.5f, rng);
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 6, 8);
        mha.eval();
        float[] y = mha.forward(x).toArray();
        double[] want = reference(mha, doubles(x.toArray(), 0, 48), 6, true);
        for (int i = 0; i < 48; i++) assertEquals(want[i], y[i], 1e-5 * (1 + Math.abs(want[i])));
        mha.train();
        float[] dropped = mha.forward(x).toArray();
        boolean differs = false;
        for (int i = 0; i < y.length; i++) differs |= Math.abs(dropped[i] - y[i]) > 1e-4;
        assertTrue(differs, "training mode drops attention weights");
    }

    @Test
    void gradientsThroughInputAndEveryParameter() {
        Rng rng = new Rng(4);
        for (boolean causal : new boolean[] {false, true}) {
            MultiheadAttention mha = withBiases(4, 2, causal, 0f, rng);
            Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 4).requiresGrad(true);
            GradCheck.Result r = new GradCheck().check(in -> mha.forward(x), x, mha.inProjWeight, mha.inProjBias, mha.outProj.weight,
                    mha.outProj.bias);
            assertTrue(r.ok(), "causal " + causal + ": " + r);
        }
    }

    @Test
    void badShapesAndSizesAreNamed() {
        MultiheadAttention mha = new MultiheadAttention(8, 2, new Rng(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mha.forward(Tensor.zeros(2, 3, 6)));
        assertTrue(e.getMessage().contains("[batch, L, 8]") && e.getMessage().contains("[2, 3, 6]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> mha.forward(Tensor.zeros(1, 2, 3, 8)));
        e = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3, new Rng(1)));
        assertTrue(e.getMessage().contains("divisible by heads 3"), e.getMessage());
    }
}
