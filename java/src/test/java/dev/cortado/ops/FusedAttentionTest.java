package dev.cortado.ops;

import static dev.cortado.ops.OpsTesting.gradOk;
import static dev.cortado.ops.OpsTesting.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.kernels.PerBackend;
import dev.cortado.memory.Device;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * scaledDotProductAttention without dropout, which runs the fused attention kernels: equal to the
 * composition it replaces (batched GEMM, scale, mask, softmax, GEMM) in value and gradient on
 * rank 3 and 4 inputs, broadcast k and v, queries != keys both ways; central differences of the
 * fused op; NaN and infinities where the composition puts them (and, with the causal mask, only in
 * the rows that attend to them); no keys; one forward and one backward kernel call, no GEMM. Runs
 * on the java reference kernels and on the cpu kernels. (The kernels against the reference:
 * AttentionKernelsConformanceTest; values against PyTorch's formula: AttentionTest.)
 */
abstract class FusedAttentionTest extends PerBackend {

    static final class JavaTest extends FusedAttentionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends FusedAttentionTest {
        CpuTest() {
            super("cpu");
        }
    }

    FusedAttentionTest(String backend) {
        super(backend);
    }

    private static Tensor fused(Tensor q, Tensor k, Tensor v, boolean causal) {
        return Attention.scaledDotProductAttention(q, k, v, causal, 0f, null);
    }

    /** The composition scaledDotProductAttention was before the fused kernels (and still is with dropout). */
    private static Tensor composed(Tensor q, Tensor k, Tensor v, boolean causal) {
        return Linalg.matmul(Attention.attentionWeights(q, k, causal), false, v, false);
    }

    /** {q, k, v} shapes: rank 3 and 4, queries != keys both ways, k and v broadcast over q's batch, e = 1, the GPT's head. */
    private static final int[][][] SHAPES = {
        {{2, 5, 4}, {2, 7, 4}, {2, 7, 3}},
        {{2, 7, 4}, {2, 5, 4}, {2, 5, 6}},
        {{2, 3, 6, 8}, {2, 3, 6, 8}, {2, 3, 6, 8}},
        {{3, 4, 2}, {5, 2}, {5, 3}},
        {{2, 1, 4, 3}, {3, 4, 3}, {1, 3, 4, 2}},
        {{2, 9, 1}, {2, 9, 1}, {2, 9, 1}},
        {{1, 2, 64, 32}, {1, 2, 64, 32}, {1, 2, 64, 32}},
    };

    @Test
    void valuesAndGradientsEqualTheComposition() {
        Rng rng = new Rng(21);
        for (int[][] sh : SHAPES) {
            for (boolean causal : new boolean[] {false, true}) {
                String what = Arrays.deepToString(sh) + (causal ? " causal" : "");
                sameValuesAndGradients(what, rng, new Tensor[] {leaf(rng, sh[0]), leaf(rng, sh[1]), leaf(rng, sh[2])},
                        in -> fused(in[0], in[1], in[2], causal), ref -> composed(ref[0], ref[1], ref[2], causal));
            }
        }
    }

    /**
     * selfAttention on a packed projection [batch, L, 3·heads·D] equals the heads split out
     * ([batch, L, 3, heads, D] permuted to [3, batch, heads, L, D]), attended and merged back, in
     * value and gradient (the GPT's 4 heads of 32 among the shapes), also with a scale of its own;
     * central differences; its shape and scale errors are named.
     */
    @Test
    void selfAttentionOnThePackedProjectionEqualsTheHeadsSplitOut() {
        Rng rng = new Rng(27);
        int[][] shapes = {{2, 5, 2, 3}, {1, 7, 1, 4}, {3, 1, 3, 2}, {2, 64, 4, 32}}; // batch, L, heads, D
        for (int[] sh : shapes) {
            int b = sh[0], l = sh[1], heads = sh[2], d = sh[3], embed = heads * d;
            for (boolean causal : new boolean[] {false, true}) {
                String what = "selfAttention " + Arrays.toString(sh) + (causal ? " causal" : "");
                sameValuesAndGradients(what, rng, new Tensor[] {leaf(rng, b, l, 3 * embed)}, in -> Attention.selfAttention(in[0], heads, causal),
                        ref -> {
                            Tensor qkv = ref[0].reshape(b, l, 3, heads, d).permute(2, 0, 3, 1, 4);
                            Tensor att = composed(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), causal);
                            return att.permute(0, 2, 1, 3).reshape(b, l, embed);
                        });
            }
        }
        float scale = 0.3f; // a scale of its own (the ONNX import's): as q·scale·sqrt(D) under the default 1/sqrt(D)
        sameValuesAndGradients("selfAttention scale 0.3", rng, new Tensor[] {leaf(rng, 2, 5, 18)}, in -> Attention.selfAttention(in[0], 2, true, scale),
                ref -> {
                    Tensor qkv = ref[0].reshape(2, 5, 3, 2, 3).permute(2, 0, 3, 1, 4);
                    Tensor q = qkv.select(0, 0).mul((float) (scale * Math.sqrt(3)));
                    return composed(q, qkv.select(0, 1), qkv.select(0, 2), true).permute(0, 2, 1, 3).reshape(2, 5, 6);
                });
        assertEquals("self_attention: scale must be finite, got NaN", org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Attention.selfAttention(leaf(rng, 2, 4, 12), 2, false, Float.NaN)).getMessage());
        gradOk("selfAttention causal", x -> Attention.selfAttention(x[0], 2, true), leaf(rng, 2, 4, 3 * 2 * 2));
        gradOk("selfAttention", x -> Attention.selfAttention(x[0], 3, false), leaf(rng, 1, 3, 3 * 3 * 1));
        for (Object[] bad : new Object[][] {{leaf(rng, 2, 4, 12), 0, "self_attention: heads must be >= 1, got 0"},
            {leaf(rng, 2, 4, 10), 2, "self_attention: qkv must be [batch, L, 3 x heads x D] with 2 heads, got [2, 4, 10]"},
            {leaf(rng, 8, 12), 2, "self_attention: qkv must be [batch, L, 3 x heads x D] with 2 heads, got [8, 12]"}}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Attention.selfAttention((Tensor) bad[0], (Integer) bad[1], false));
            assertEquals(bad[2], e.getMessage());
        }
    }

    /** f and its reference on copies of the same inputs: equal values, and equal gradients for one random upstream gradient. */
    private static void sameValuesAndGradients(String what, Rng rng, Tensor[] in, Function<Tensor[], Tensor> f,
                                               Function<Tensor[], Tensor> reference) {
        Tensor[] ref = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) ref[i] = Tensor.of(in[i].toArray(), in[i].shape()).requiresGrad(true);
        Tensor y = f.apply(in), yRef = reference.apply(ref);
        assertEquals(Arrays.toString(yRef.shape()), Arrays.toString(y.shape()), what + " shape");
        closeToScale(what + " out", yRef.toArray(), y.toArray());
        Tensor g = Tensor.uniform(rng, -1, 1, y.shape());
        y.backward(g);
        yRef.backward(g);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < in.length; i++) closeToScale(what + " " + names[i], ref[i].grad().toArray(), in[i].grad().toArray());
    }

    /** Equal within 1e-5 of the largest magnitude of expected: the sums run in other orders. */
    private static void closeToScale(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 1;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-5 * scale,
                    what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
        }
    }

    /**
     * An explicit scale (PyTorch's scale argument; what ONNX import passes) equals softmax(scale·q·kᵀ
     * + mask)·v composed of ops, in value and gradient, central differences hold, and a scale that
     * is not finite is refused by name.
     */
    @Test
    void anExplicitScaleEqualsTheCompositionWithIt() {
        Rng rng = new Rng(23);
        for (float scale : new float[] {0.3f, 2.5f, -0.7f}) {
            for (boolean causal : new boolean[] {false, true}) {
                String what = "scale " + scale + (causal ? " causal" : "");
                sameValuesAndGradients(what, rng, new Tensor[] {leaf(rng, 2, 5, 3), leaf(rng, 2, 6, 3), leaf(rng, 2, 6, 4)},
                        in -> Attention.scaledDotProductAttention(in[0], in[1], in[2], causal, 0f, null, scale), ref -> {
                            Tensor scores = Linalg.matmul(ref[0], false, ref[1], true).mul(scale);
                            if (causal) {
                                float[] m = new float[5 * 6];
                                for (int i = 0; i < 5; i++) for (int j = i + 1; j < 6; j++) m[i * 6 + j] = Float.NEGATIVE_INFINITY;
                                scores = Arithmetic.add(scores, Tensor.of(m, 5, 6));
                            }
                            return Linalg.matmul(Softmax.softmax(scores, -1), false, ref[2], false);
                        });
                Function<Tensor[], Tensor> f = x -> Attention.scaledDotProductAttention(x[0], x[1], x[2], causal, 0f, null, scale);
                gradOk("fused sdpa " + what, f, leaf(rng, 2, 3, 2), leaf(rng, 2, 4, 2), leaf(rng, 2, 4, 3));
            }
        }
        Tensor q = leaf(rng, 2, 3, 2);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Attention.scaledDotProductAttention(q, q, q, false, 0f, null, bad));
            assertTrue(e.getMessage().contains("scale must be finite"), e.getMessage());
        }
    }

    @Test
    void centralDifferences() {
        Rng rng = new Rng(22);
        int[][][] shapes = {{{2, 3, 2}, {2, 4, 2}, {2, 4, 3}}, {{2, 5, 3}, {2, 2, 3}, {2, 2, 2}}, {{2, 2, 3, 4}, {3, 4}, {3, 1}},
            {{4, 1}, {4, 1}, {4, 2}}};
        for (int[][] sh : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                Tensor q = leaf(rng, sh[0]), k = leaf(rng, sh[1]), v = leaf(rng, sh[2]);
                Function<Tensor[], Tensor> f = in -> fused(in[0], in[1], in[2], causal);
                gradOk("fused sdpa " + Arrays.deepToString(sh) + " causal=" + causal, f, q, k, v);
            }
        }
    }

    private static boolean[] nanMask(float[] a) {
        boolean[] m = new boolean[a.length];
        for (int i = 0; i < a.length; i++) m[i] = Float.isNaN(a[i]);
        return m;
    }

    @Test
    void nonFiniteInputsPropagateAsInTheComposition() {
        Rng rng = new Rng(23);
        int l = 4, s = 5, e = 3;
        float[][] specials = {{Float.NaN}, {Float.POSITIVE_INFINITY}, {Float.NEGATIVE_INFINITY}};
        for (float[] sp : specials) {
            for (int which = 0; which < 3; which++) {
                float[] q = Tensor.uniform(rng, -1, 1, l, e).toArray(), k = Tensor.uniform(rng, -1, 1, s, e).toArray();
                float[] v = Tensor.uniform(rng, -1, 1, s, 2).toArray();
                (which == 0 ? q : which == 1 ? k : v)[which == 0 ? 4 : 7] = sp[0];
                Tensor tq = Tensor.of(q, l, e), tk = Tensor.of(k, s, e), tv = Tensor.of(v, s, 2);
                float[] want = composed(tq, tk, tv, false).toArray(), got = fused(tq, tk, tv, false).toArray();
                String what = sp[0] + " in " + "qkv".charAt(which);
                assertTrue(Arrays.equals(nanMask(want), nanMask(got)), what + ": NaN where the composition has them");
                for (int i = 0; i < want.length; i++) {
                    if (!Float.isNaN(want[i])) assertEquals(want[i], got[i], 1e-5, what + " element " + i);
                }
            }
        }
    }

    @Test
    void withTheCausalMaskANonFiniteKeyReachesOnlyTheRowsAttendingToIt() {
        // the composition adds -inf above the diagonal, so a NaN score there stays NaN and spoils every row; the fused
        // kernels never compute it (PyTorch's masked_fill, and its fused kernels): rows before key 3 are as without the NaN
        Rng rng = new Rng(24);
        int l = 5, s = 5, e = 2;
        Tensor q = Tensor.uniform(rng, -1, 1, l, e), k = Tensor.uniform(rng, -1, 1, s, e), v = Tensor.uniform(rng, -1, 1, s, 3);
        float[] clean = fused(q, k, v, true).toArray();
        for (int which = 1; which < 3; which++) {
            float[] kk = k.toArray(), vv = v.toArray();
            if (which == 1) kk[3 * e] = Float.NaN;
            else vv[3 * 3 + 1] = Float.NaN;
            float[] got = fused(q, Tensor.of(kk, s, e), Tensor.of(vv, s, 3), true).toArray();
            for (int i = 0; i < l; i++) {
                for (int c = 0; c < 3; c++) {
                    float x = got[i * 3 + c];
                    if (i < 3) assertEquals(clean[i * 3 + c], x, 0f, "row " + i + " does not attend to key 3");
                    else if (which == 1 || c == 1) assertTrue(Float.isNaN(x), "row " + i + " attends to key 3's NaN");
                }
            }
        }
    }

    @Test
    void noKeysGiveZerosAndZeroGradients() {
        Tensor q = Tensor.uniform(new Rng(25), -1, 1, 2, 3, 4).requiresGrad(true);
        Tensor k = Tensor.zeros(2, 0, 4).requiresGrad(true), v = Tensor.zeros(2, 0, 5).requiresGrad(true);
        for (boolean causal : new boolean[] {false, true}) {
            Tensor y = fused(q, k, v, causal);
            assertEquals("[2, 3, 5]", Arrays.toString(y.shape()));
            for (float x : y.toArray()) assertEquals(0f, x);
            q.zeroGrad();
            y.backward(Tensor.ones(2, 3, 5));
            for (float x : q.grad().toArray()) assertEquals(0f, x);
        }
    }

    @Test
    void oneFusedKernelEachWayAndNoGraphWithoutGrad() {
        Rng rng = new Rng(26);
        Tensor q = leaf(rng, 2, 2, 8, 4), k = leaf(rng, 2, 2, 8, 4), v = leaf(rng, 2, 2, 8, 4);
        KernelProfiler profiler = new KernelProfiler(Backends.of(Device.CPU));
        try (Backends.Selection use = Backends.use(profiler.kernels())) {
            Tensor y = fused(q, k, v, true);
            assertEquals("scaled_dot_product_attention", y.gradFn());
            y.backward(Tensor.ones(y.shape()));
        }
        String report = profiler.report(1);
        assertTrue(report.contains("attentionForward(4,1,8,8,4,4,T,4,4,4)") && report.contains("attentionBackward(4,1,8,8,4,4,T,4,4,4)"), report);
        assertTrue(!report.contains("gemm") && !report.contains("softmax"), "no GEMM or softmax kernel:\n" + report);
        Tensor plain = fused(q.detach(), k.detach(), v.detach(), false);
        assertNull(plain.gradFn(), "no graph when no input requires grad");
    }
}
