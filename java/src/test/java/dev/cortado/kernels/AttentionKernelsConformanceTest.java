package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The fused attention kernels (attentionForward / attentionBackward): each target equals the java
 * reference on 120 random cases each on cpu, its share of them elsewhere (queries and keys from
 * {1, 2, 7, 31, 64, 65, 100}, e and ev from {1, 3, 8, 32, 33, 64}, 1 to 3 items, causal on and
 * off, queries != keys both ways, the GPT's 64 x 64 x 32 and 4 items; inputs around random
 * offsets, one case in five with NaN and infinities; outputs poisoned with NaN, one float longer
 * than needed: NaN matches only NaN); on cpu 1 and 2 threads give identical bits; the reference
 * forward is PyTorch's formula (masked_fill of the causal mask, softmax, product) written out here
 * in double, its backward the gradient of the reference forward (central differences); no key
 * gives out 0 and zero gradients; bad arguments are refused by name.
 */
class AttentionKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 120;
    private static final double REL = 2e-4;
    private static final int[] POSITIONS = {1, 2, 7, 31, 64, 65, 100};
    private static final int[] WIDTHS = {1, 3, 8, 32, 33, 64};

    AttentionKernelsConformanceTest() {
        super(20_261_207);
    }

    /**
     * One call's shape, layout and inputs: heads per batch item, q's and k's rows ld apart, v's
     * ldv, out's and dOut's ldo (KernelSet's [batch, positions, heads, features]; the floats
     * between rows stay poisoned).
     */
    private record Case(int batch, int heads, int l, int s, int e, int ev, int ld, int ldv, int ldo, boolean causal, float scale,
                        int specials) {
        /** Contiguous: one head, rows packed. */
        Case(int batch, int l, int s, int e, int ev, boolean causal, float scale, int specials) {
            this(batch, 1, l, s, e, ev, e, ev, ev, causal, scale, specials);
        }

        private static long span(long rows, long cols, int ld) {
            return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
        }

        long q() {
            return span((long) batch * l, (long) heads * e, ld);
        }

        long k() {
            return span((long) batch * s, (long) heads * e, ld);
        }

        long v() {
            return span((long) batch * s, (long) heads * ev, ldv);
        }

        long out() {
            return span((long) batch * l, (long) heads * ev, ldo);
        }

        long rows() {
            return (long) batch * heads * l;
        }

        long dq() {
            return rows() * e;
        }

        long dk() {
            return (long) batch * heads * s * e;
        }

        long dv() {
            return (long) batch * heads * s * ev;
        }

        void forward(KernelSet k, Ptr q, Ptr kk, Ptr v, Ptr out, Ptr lse) {
            k.attentionForward(batch, heads, l, s, e, ev, scale, causal, q, kk, ld, v, ldv, out, ldo, lse);
        }

        void backward(KernelSet k, Ptr q, Ptr kk, Ptr v, Ptr out, Ptr lse, Ptr dOut, Ptr dq, Ptr dk, Ptr dv) {
            k.attentionBackward(batch, heads, l, s, e, ev, scale, causal, q, kk, ld, v, ldv, out, dOut, ldo, lse, dq, dk, dv);
        }

        @Override
        public String toString() {
            return "batch " + batch + " heads " + heads + " queries " + l + " keys " + s + " e " + e + " ev " + ev + " ld " + ld + " ldv "
                    + ldv + " ldo " + ldo + (causal ? " causal" : "") + " scale " + scale + (specials > 0 ? " (NaN, inf)" : "");
        }
    }

    private int pick(int[] from) {
        return from[rng.nextInt(from.length)];
    }

    /** Case t: fixed edges first (L != S both ways, the GPT's shape, its heads packed as [B, L, 3, H, D]), then random. */
    private Case shape(int t) {
        int[][] fixed = {{1, 1, 1, 1, 1}, {1, 2, 7, 3, 8}, {2, 7, 2, 8, 3}, {4, 64, 64, 32, 32}, {1, 100, 65, 33, 1}, {1, 65, 100, 1, 33},
            {2, 31, 31, 64, 64}};
        boolean causal = t % 2 == 0;
        int specials = t % 5 == 4 ? 40 : 0;
        if (t < 2 * fixed.length) {
            int[] f = fixed[t / 2];
            causal = t % 2 == 1;
            return new Case(f[0], f[1], f[2], f[3], f[4], causal, (float) (1 / Math.sqrt(f[3])), specials);
        }
        if (t < 2 * fixed.length + 2) { // the GPT's attention: 4 heads of 32 read from the packed projection [B, L, 3·128]
            return new Case(3, 4, 64, 64, 32, 32, 384, 384, 128, t % 2 == 0, (float) (1 / Math.sqrt(32)), specials);
        }
        int l = pick(POSITIONS), s = pick(POSITIONS), e = pick(WIDTHS), ev = pick(WIDTHS), batch = 1 + rng.nextInt(3);
        int heads = t % 3 == 0 ? 1 : 1 + rng.nextInt(3);
        int ld = heads * e + (rng.nextInt(2) == 0 ? 0 : rng.nextInt(7)), ldv = heads * ev + (rng.nextInt(2) == 0 ? 0 : rng.nextInt(7));
        int ldo = heads * ev + (rng.nextInt(2) == 0 ? 0 : rng.nextInt(7));
        float scale = rng.nextInt(4) == 0 ? 2f * rng.nextFloat() - 0.5f : (float) (1 / Math.sqrt(e));
        return new Case(batch, heads, l, s, e, ev, ld, ldv, ldo, causal, scale, specials);
    }

    private float[] input(long n, int specials) {
        return values(n, 0.5f * (2 * rng.nextFloat() - 1), 1f, specials);
    }

    private static void forward(KernelSet k, Case c, Ptr[] p) {
        c.forward(k, p[0], p[1], p[2], p[3], p[4]);
    }

    /** {out, lse} of the reference forward. */
    private float[][] referenceForward(Case c, float[] q, float[] k, float[] v) {
        float[][] f = run(REF, new float[][] {q, k, v, poison(c.out()), poison(c.rows())}, (ks, p) -> forward(ks, c, p));
        return new float[][] {f[3], f[4]};
    }

    // ---- forward and backward against the reference ---------------------------------------------------

    @OnEveryTarget
    void forwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            Case c = shape(t);
            float[] q = input(c.q(), c.specials), k = input(c.k(), c.specials), v = input(c.v(), c.specials);
            float[][][] out = both(target, new float[][] {q, k, v, poison(c.out() + 1), poison(c.rows() + 1)}, (ks, p) -> forward(ks, c, p));
            assertMatchesReference(out[0][3], out[1][3], REL, "attentionForward " + c + " out");
            assertMatchesReference(out[0][4], out[1][4], REL, "attentionForward " + c + " lse");
            assertTrue(Float.isNaN(out[1][3][(int) c.out()]) && Float.isNaN(out[1][4][(int) c.rows()]),
                    "attentionForward " + c + ": wrote past its outputs");
        }
    }

    @OnEveryTarget
    void backwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            Case c = shape(t);
            float[] q = input(c.q(), c.specials), k = input(c.k(), c.specials), v = input(c.v(), c.specials);
            float[] dout = input(c.out(), c.specials);
            float[][] f = referenceForward(c, q, k, v);
            float[][][] out = both(target, new float[][] {q, k, v, f[0], f[1], dout, poison(c.dq() + 1), poison(c.dk() + 1),
                poison(c.dv() + 1)}, (ks, p) -> c.backward(ks, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]));
            String what = "attentionBackward " + c;
            assertMatchesReference(out[0][6], out[1][6], REL, what + " dq");
            assertMatchesReference(out[0][7], out[1][7], REL, what + " dk");
            assertMatchesReference(out[0][8], out[1][8], REL, what + " dv");
            assertTrue(Float.isNaN(out[1][6][(int) c.dq()]) && Float.isNaN(out[1][7][(int) c.dk()]) && Float.isNaN(out[1][8][(int) c.dv()]),
                    what + ": wrote past its outputs");
        }
    }

    @OnEveryTarget
    void noKeysGiveZeroOutputAndNoQueriesZeroKeyGradients(ConformanceTarget target) {
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            // keys = 0: every row attends to nothing
            float[][] f = run(k, new float[][] {input(2 * 3 * 4, 0), new float[0], new float[0], poison(2 * 3 * 5), poison(2 * 3)},
                    (ks, p) -> ks.attentionForward(2, 1, 3, 0, 4, 5, 0.5f, false, p[0], p[1], 4, p[2], 5, p[3], 5, p[4]));
            for (float x : f[3]) assertEquals(0f, x, k.name() + ": out of a row with no key");
            for (float x : f[4]) assertEquals(Float.NEGATIVE_INFINITY, x, k.name() + ": lse of a row with no key");
            float[][] b = run(k, new float[][] {input(2 * 3 * 4, 0), new float[0], new float[0], f[3], f[4], input(2 * 3 * 5, 0),
                poison(2 * 3 * 4), new float[0], new float[0]},
                    (ks, p) -> ks.attentionBackward(2, 1, 3, 0, 4, 5, 0.5f, true, p[0], p[1], 4, p[2], 5, p[3], p[5], 5, p[4], p[6], p[7],
                            p[8]));
            for (float x : b[6]) assertEquals(0f, x, k.name() + ": dq of a row with no key");
            // queries = 0: no row attends to any key
            float[][] g = run(k, new float[][] {new float[0], input(2 * 3 * 4, 0), input(2 * 3 * 5, 0), new float[0], new float[0],
                new float[0], new float[0], poison(2 * 3 * 4), poison(2 * 3 * 5)},
                    (ks, p) -> ks.attentionBackward(2, 1, 0, 3, 4, 5, 0.5f, false, p[0], p[1], 4, p[2], 5, p[3], p[5], 5, p[4], p[6], p[7],
                            p[8]));
            for (float x : g[7]) assertEquals(0f, x, k.name() + ": dk of a key nobody attends to");
            for (float x : g[8]) assertEquals(0f, x, k.name() + ": dv of a key nobody attends to");
        }
    }

    // ---- threads ---------------------------------------------------------------------------------

    @OnEveryTarget
    void oneAndTwoThreadsGiveTheSameBits(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        Case[] cases = {new Case(32, 64, 64, 32, 32, true, 0.17f, 0), new Case(7, 65, 31, 33, 8, false, 0.2f, 50),
            new Case(3, 100, 100, 64, 64, true, 0.125f, 0), new Case(8, 4, 64, 64, 32, 32, 384, 384, 128, true, 0.17f, 0)};
        List<float[]> inputs = new ArrayList<>();
        for (Case c : cases) {
            inputs.add(input(c.q(), c.specials));
            inputs.add(input(c.k(), c.specials));
            inputs.add(input(c.v(), c.specials));
            inputs.add(input(c.out(), c.specials));
        }
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < cases.length; i++) {
                Case c = cases[i];
                Ptr q = put(k, inputs.get(4 * i)), kk = put(k, inputs.get(4 * i + 1)), v = put(k, inputs.get(4 * i + 2));
                Ptr dout = put(k, inputs.get(4 * i + 3));
                Ptr out = put(k, poison(c.out())), lse = put(k, poison(c.rows()));
                Ptr dq = put(k, poison(c.dq())), dk = put(k, poison(c.dk())), dv = put(k, poison(c.dv()));
                c.forward(k, q, kk, v, out, lse);
                c.backward(k, q, kk, v, out, lse, dout, dq, dk, dv);
                outs.addAll(List.of(out, lse, dq, dk, dv));
            }
            return outs;
        });
    }

    // ---- the reference against PyTorch's formula ---------------------------------------------------

    /**
     * PyTorch's math path in double for one item: scores = scale·q·kᵀ, masked_fill(-inf) above the
     * diagonal when causal (a masked NaN is replaced, not added to), softmax, ·v; and logsumexp of
     * the masked scores. Returns {out [l·ev], lse [l]}.
     */
    static double[][] pytorch(float[] q, float[] k, float[] v, int l, int s, int e, int ev, float scale, boolean causal) {
        double[] out = new double[l * ev], lse = new double[l];
        for (int i = 0; i < l; i++) {
            double[] sc = new double[s];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s; j++) {
                double dot = 0;
                for (int c = 0; c < e; c++) dot += (double) q[i * e + c] * k[j * e + c];
                sc[j] = causal && j > i ? Double.NEGATIVE_INFINITY : scale * dot;
                max = Math.max(max, sc[j]);
            }
            double sum = 0;
            for (int j = 0; j < s; j++) sum += Math.exp(sc[j] - max);
            lse[i] = max + Math.log(sum);
            for (int j = 0; j < s; j++) {
                double w = Math.exp(sc[j] - max) / sum;
                for (int c = 0; c < ev; c++) out[i * ev + c] += w * v[j * ev + c];
            }
        }
        return new double[][] {out, lse};
    }

    @Test
    void referenceForwardIsPyTorchsFormula() {
        int[][] shapes = {{3, 5, 4, 2}, {5, 3, 2, 6}, {6, 6, 8, 8}, {1, 4, 3, 1}};
        for (int[] sh : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                releaseAll();
                int l = sh[0], s = sh[1], e = sh[2], ev = sh[3];
                float scale = 0.7f;
                float[] q = values(2 * l * e, 0.2f, 1.5f, 0), k = values(2 * s * e, -0.1f, 1.5f, 0), v = values(2 * s * ev, 0f, 2f, 0);
                Case c = new Case(2, l, s, e, ev, causal, scale, 0);
                float[][] f = referenceForward(c, q, k, v);
                for (int b = 0; b < 2; b++) {
                    double[][] want = pytorch(slice(q, b * l * e, l * e), slice(k, b * s * e, s * e), slice(v, b * s * ev, s * ev), l, s, e, ev,
                            scale, causal);
                    for (int x = 0; x < l * ev; x++) {
                        assertEquals(want[0][x], f[0][b * l * ev + x], 1e-6 * Math.max(1, Math.abs(want[0][x])), c + " out[" + b + "][" + x + "]");
                    }
                    for (int i = 0; i < l; i++) assertEquals(want[1][i], f[1][b * l + i], 1e-6 * Math.max(1, Math.abs(want[1][i])), c + " lse");
                }
            }
        }
    }

    @Test
    void referenceMaskedPositionsReachNoRow() {
        // causal, keys 3: a NaN in k at key 2 is masked_fill'ed away from rows 0 and 1 (PyTorch's formula: only row 2 is NaN)
        int l = 3, s = 3, e = 2, ev = 2;
        Case c = new Case(1, l, s, e, ev, true, 0.5f, 0);
        float[] q = values(l * e, 0f, 1f, 0), k = values(s * e, 0f, 1f, 0), v = values(s * ev, 0f, 1f, 0);
        float[] kNaN = k.clone();
        kNaN[2 * e] = Float.NaN;
        float[] got = referenceForward(c, q, kNaN, v)[0];
        double[] want = pytorch(q, kNaN, v, l, s, e, ev, 0.5f, true)[0];
        for (int x = 0; x < l * ev; x++) {
            if (x < 2 * ev) assertEquals(want[x], got[x], 1e-6, "out[" + x + "]: rows 0 and 1 do not attend to key 2");
            else assertTrue(Double.isNaN(want[x]) && Float.isNaN(got[x]), "out[" + x + "]: row 2 attends to key 2");
        }
        // a NaN in v at key 2 reaches row 2 only too: the masked weights are not multiplied at all (PyTorch's math path
        // multiplies them, 0·NaN, and makes every row NaN; its fused kernels skip masked blocks, as this one)
        float[] vNaN = v.clone();
        vNaN[2 * ev + 1] = Float.NaN;
        got = referenceForward(c, q, k, vNaN)[0];
        want = pytorch(q, k, v, l, s, e, ev, 0.5f, true)[0];
        for (int x = 0; x < 2 * ev; x++) assertEquals(want[x], got[x], 1e-6, "out[" + x + "]: rows 0 and 1 do not attend to key 2");
        assertTrue(Float.isNaN(got[2 * ev + 1]), "row 2 attends to key 2's NaN");
    }

    /** Σ r·out in double from the reference forward. */
    private double objective(Case c, float[] q, float[] k, float[] v, float[] r) {
        float[] out = referenceForward(c, q, k, v)[0];
        double sum = 0;
        for (int i = 0; i < out.length; i++) sum += (double) r[i] * out[i];
        return sum;
    }

    @Test
    void referenceBackwardIsTheGradientOfTheReferenceForward() {
        int[][] shapes = {{2, 3, 2, 3}, {3, 2, 3, 2}, {4, 4, 1, 2}, {1, 5, 3, 1}};
        for (int[] sh : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                releaseAll();
                Case c = new Case(2, sh[0], sh[1], sh[2], sh[3], causal, 0.8f, 0);
                float[] q = values(c.q(), 0f, 1f, 0), k = values(c.k(), 0f, 1f, 0), v = values(c.v(), 0f, 1f, 0);
                float[] r = values(c.out(), 0f, 1f, 0);
                float[][] f = referenceForward(c, q, k, v);
                float[][] g = run(REF, new float[][] {q, k, v, f[0], f[1], r, poison(c.dq()), poison(c.dk()), poison(c.dv())},
                        (ks, p) -> c.backward(ks, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]));
                DoubleSupplier loss = () -> objective(c, q, k, v, r);
                float[][] inputs = {q, k, v};
                String[] names = {"dq", "dk", "dv"};
                for (int in = 0; in < 3; in++) {
                    for (int i = 0; i < inputs[in].length; i++) {
                        double numeric = centralDifference(inputs[in], i, 1e-2, loss), analytic = g[6 + in][i];
                        assertTrue(Math.abs(numeric - analytic) <= 2e-3 * Math.max(1, Math.abs(numeric)),
                                c + " " + names[in] + "[" + i + "]: analytic " + analytic + " numeric " + numeric);
                    }
                }
            }
        }
    }

    private static float[] slice(float[] a, int from, int n) {
        float[] r = new float[n];
        System.arraycopy(a, from, r, 0, n);
        return r;
    }

    // ---- arguments -------------------------------------------------------------------------------

    @OnEveryTarget
    void badArgumentsAreRefusedByName(ConformanceTarget target) {
        KernelSet k = target.kernels();
        Ptr q = put(target.kernels(), new float[2 * 3 * 4]), kk = put(target.kernels(), new float[2 * 5 * 4]);
        Ptr v = put(target.kernels(), new float[2 * 5 * 6]), out = put(target.kernels(), new float[2 * 3 * 6]);
        Ptr lse = put(target.kernels(), new float[2 * 3]);
        k.attentionForward(2, 1, 3, 5, 4, 6, 0.5f, true, q, kk, 4, v, 6, out, 6, lse);
        assertThrows(IllegalArgumentException.class, () -> k.attentionForward(2, 1, 3, 6, 4, 6, 0.5f, true, q, kk, 4, v, 6, out, 6, lse),
                "k too short");
        assertThrows(IllegalArgumentException.class, () -> k.attentionForward(2, 1, -3, 5, 4, 6, 0.5f, true, q, kk, 4, v, 6, out, 6, lse),
                "queries < 0");
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> k.attentionForward(2, 1, 3, 5, 4, 6, Float.NaN, true, q, kk, 4, v, 6, out, 6, lse));
        assertTrue(nan.getMessage().contains("scale"), nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.attentionForward(2, 1, 3, 5, 4, 6, 0.5f, true, q, kk, 4, v, 6, q, 6, lse),
                "out overlaps q");
        String[][] layouts = {{"0", "4", "6", "6", "attention heads must be >= 1, got 0"}, {"1", "3", "6", "6", "attention ld 3 is less than heads x e = 4"},
            {"1", "4", "5", "6", "attention ldv 5 is less than heads x ev = 6"}, {"1", "4", "6", "5", "attention ldo 5 is less than heads x ev = 6"}};
        for (String[] bad : layouts) {
            int heads = Integer.parseInt(bad[0]), ld = Integer.parseInt(bad[1]), ldv = Integer.parseInt(bad[2]), ldo = Integer.parseInt(bad[3]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.attentionForward(2, heads, 3, 5, 4, 6, 0.5f, true, q, kk, ld, v, ldv, out, ldo, lse), bad[4]);
            assertTrue(e.getMessage().contains(bad[4]), e.getMessage());
        }
    }
}
