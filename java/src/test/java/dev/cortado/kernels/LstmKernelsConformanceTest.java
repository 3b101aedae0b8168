package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused LSTM cell kernels (lstmCellForward, lstmCellBackward): each target equals the java
 * reference on at least 150 random cases each on cpu, its share of them elsewhere (batch and
 * hidden 1, primes, the vector widths 8 and 16 and their neighbours, up to a few hundred; inputs
 * in [-4, 4], some cases with NaN and infinities; outputs poisoned with NaN, one float longer than
 * needed, before each call: NaN matches only NaN); on cpu 1 and 2 threads give identical bits; the
 * reference backward is the gradient of the reference forward (central differences in double).
 * (That the checks refuse bad arguments by name is {@link CheckedKernelsTest}'s.)
 */
class LstmKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 160;
    private static final double REL = 1e-5;

    LstmKernelsConformanceTest() {
        super(20_261_202);
    }

    // ---- shapes ----------------------------------------------------------------------------------

    /** 1, primes, the vector widths (8, 16 floats) and their neighbours, up to a few hundred. */
    private static final int[] SIZES = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97, 127, 128,
        129, 257, 300};

    /** {batch, hidden} of case t: the first ones fixed (the edges, and shapes that split over 2 threads), then random. */
    private int[] shape(int t) {
        int[][] fixed = {{1, 1}, {1, 16}, {16, 1}, {3, 17}, {2, 15}, {1, 300}, {300, 1}, {64, 257}, {33, 300}, {300, 65}};
        if (t < fixed.length) return fixed[t];
        int batch = SIZES[rng.nextInt(SIZES.length)], hidden = SIZES[rng.nextInt(SIZES.length)];
        while ((long) batch * hidden > 40_000) batch = Math.max(1, batch / 2);
        return new int[] {batch, hidden};
    }

    /** Whether case t has NaN and infinities among its inputs (about one case in six). */
    private static int specials(int t) {
        return t % 6 == 5 ? 15 : 0;
    }

    // ---- forward ---------------------------------------------------------------------------------

    @OnEveryTarget
    void forwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] s = shape(t);
            int batch = s[0], hidden = s[1];
            long n = (long) batch * hidden;
            float[] gates = values(4 * n, 0f, 4f, specials(t)), cPrev = values(n, 0f, 4f, specials(t));
            float[][] in = {gates, cPrev, poison(4 * n + 1), poison(n + 1), poison(n + 1)};
            Call call = (k, p) -> k.lstmCellForward(batch, hidden, p[0], p[1], p[2], p[3], p[4]);
            float[][] j = run(REF, in, call), c = run(target.kernels(), in, call);
            String what = "lstmCellForward batch " + batch + " hidden " + hidden + (specials(t) > 0 ? " (NaN, inf)" : "");
            assertMatchesReference(j[2], c[2], REL, what + " act");
            assertMatchesReference(j[3], c[3], REL, what + " c");
            assertMatchesReference(j[4], c[4], REL, what + " h");
            assertTrue(Float.isNaN(c[2][(int) (4 * n)]) && Float.isNaN(c[3][(int) n]) && Float.isNaN(c[4][(int) n]),
                    what + ": wrote past its outputs");
        }
    }

    @OnEveryTarget
    void forwardAtTheEdgesOfItsFunctions(ConformanceTarget target) {
        // σ and tanh at 0, ±inf, NaN, and far out (where they saturate); cPrev ±inf meets σ(f) = 0 and 1
        float[] edge = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 30f, -30f, 1e-6f, -1e-6f, 9f, -9f, 0.3f};
        int hidden = edge.length;
        float[] gates = new float[4 * hidden], cPrev = new float[hidden];
        for (int g = 0; g < 4; g++) {
            for (int j = 0; j < hidden; j++) gates[g * hidden + j] = edge[(j + 5 * g) % hidden];
        }
        for (int j = 0; j < hidden; j++) cPrev[j] = edge[(j + 2) % hidden];
        float[][] in = {gates, cPrev, poison(4 * hidden), poison(hidden), poison(hidden)};
        Call call = (k, p) -> k.lstmCellForward(1, hidden, p[0], p[1], p[2], p[3], p[4]);
        float[][] j = run(REF, in, call), c = run(target.kernels(), in, call);
        assertMatchesReference(j[2], c[2], REL, "edges act");
        assertMatchesReference(j[3], c[3], REL, "edges c");
        assertMatchesReference(j[4], c[4], REL, "edges h");
        assertEquals(0.5f, c[2][0], "σ(0)");
        assertEquals(Float.floatToIntBits(j[2][2]), Float.floatToIntBits(c[2][2]), "σ(+inf)");
        assertEquals(0f, c[2][3], "σ(-inf)");
        assertEquals(1f, c[2][2 * hidden + 4], "tanh(+inf)"); // g block: gates[2 hidden + 4] = edge[(4 + 10) % 12] = +inf
        assertEquals(-1f, c[2][2 * hidden + 5], "tanh(-inf)");
    }

    // ---- backward --------------------------------------------------------------------------------

    @OnEveryTarget
    void backwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] s = shape(t);
            int batch = s[0], hidden = s[1];
            long n = (long) batch * hidden;
            // act and c as a forward makes them (from gates in [-4, 4]), the gradients from above random
            float[] cPrev = values(n, 0f, 4f, 0);
            float[][] fwd = run(REF, new float[][] {values(4 * n, 0f, 4f, 0), cPrev, new float[(int) (4 * n)], new float[(int) n],
                new float[(int) n]}, (k, p) -> k.lstmCellForward(batch, hidden, p[0], p[1], p[2], p[3], p[4]));
            float[] act = fwd[2], c = fwd[3];
            int sp = specials(t);
            if (sp > 0) { // NaN and infinities in every input, and the saturated activations 0, 1 and ±1
                for (float[] a : new float[][] {act, c, cPrev}) {
                    for (int i = 0; i < a.length; i++) {
                        if (rng.nextInt(sp) == 0) a[i] = SPECIAL[rng.nextInt(3)];
                        else if (a == act && rng.nextInt(sp) == 0) a[i] = new float[] {0f, 1f, -1f}[rng.nextInt(3)];
                    }
                }
            }
            float[] dh = values(n, 0f, 4f, sp), dc = values(n, 0f, 4f, sp);
            float[][] in = {act, cPrev, c, dh, dc, poison(4 * n + 1), poison(n + 1)};
            Call call = (k, p) -> k.lstmCellBackward(batch, hidden, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
            float[][] j = run(REF, in, call), nat = run(target.kernels(), in, call);
            String what = "lstmCellBackward batch " + batch + " hidden " + hidden + (sp > 0 ? " (NaN, inf)" : "");
            assertMatchesReference(j[5], nat[5], REL, what + " dGates");
            assertMatchesReference(j[6], nat[6], REL, what + " dcPrev");
            assertTrue(Float.isNaN(nat[5][(int) (4 * n)]) && Float.isNaN(nat[6][(int) n]), what + ": wrote past its outputs");
        }
    }

    @OnEveryTarget
    void backwardWhereTanhOfCSaturates(ConformanceTarget target) {
        // 1 - tanh²(c) for |c| up to 9 (where float's 1 - t·t has lost every digit; beyond, double's too): against the reference to 1e-5 of dh
        int hidden = 61;
        float[] act = new float[4 * hidden], c = new float[hidden], cPrev = new float[hidden], dh = new float[hidden];
        for (int j = 0; j < hidden; j++) {
            c[j] = (j - 30) * 0.3f;
            dh[j] = 1f;
            for (int g = 0; g < 4; g++) act[g * hidden + j] = g == 2 ? 0.25f : 0.75f;
        }
        float[][] in = {act, cPrev, c, dh, new float[hidden], poison(4 * hidden), poison(hidden)};
        Call call = (k, p) -> k.lstmCellBackward(1, hidden, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        float[][] j = run(REF, in, call), nat = run(target.kernels(), in, call);
        for (int i = 0; i < hidden; i++) {
            double e = j[6][i], a = nat[6][i]; // dcPrev = dh σo (1 - t²) σf: relative accuracy kept
            assertTrue(Math.abs(a - e) <= 1e-5 * Math.abs(e), "dcPrev at c = " + c[i] + ": java " + e + " " + target + " " + a);
        }
        assertMatchesReference(j[5], nat[5], REL, "saturated dGates");
    }

    // ---- threads ---------------------------------------------------------------------------------

    @OnEveryTarget
    void oneAndTwoThreadsGiveTheSameBits(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        int[][] shapes = {{97, 300}, {2, 5000}, {1000, 33}, {64, 257}, {5, 1}};
        List<float[]> inputs = new ArrayList<>();
        for (int[] s : shapes) {
            long n = (long) s[0] * s[1];
            inputs.add(values(4 * n, 0f, 4f, 50));
            inputs.add(values(n, 0f, 4f, 50));
            inputs.add(values(n, 0f, 4f, 50));
            inputs.add(values(n, 0f, 4f, 50));
        }
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                int batch = shapes[i][0], hidden = shapes[i][1];
                long n = (long) batch * hidden;
                Ptr gates = put(k, inputs.get(4 * i)), cPrev = put(k, inputs.get(4 * i + 1));
                Ptr act = put(k, poison(4 * n)), c = put(k, poison(n)), h = put(k, poison(n)), dGates = put(k, poison(4 * n)), dcPrev = put(k, poison(n));
                k.lstmCellForward(batch, hidden, gates, cPrev, act, c, h);
                k.lstmCellBackward(batch, hidden, act, cPrev, c, put(k, inputs.get(4 * i + 2)), put(k, inputs.get(4 * i + 3)), dGates, dcPrev);
                outs.addAll(List.of(act, c, h, dGates, dcPrev));
            }
            return outs;
        });
    }

    // ---- the reference backward is the forward's gradient ------------------------------------------

    /** Σ r·h + Σ s·c in double, from the reference forward at gates and cPrev. */
    private double objective(int batch, int hidden, float[] gates, float[] cPrev, float[] r, float[] s) {
        long n = (long) batch * hidden;
        float[][] out = run(REF, new float[][] {gates, cPrev, new float[(int) (4 * n)], new float[(int) n], new float[(int) n]},
                (k, p) -> k.lstmCellForward(batch, hidden, p[0], p[1], p[2], p[3], p[4]));
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) r[i] * out[4][i] + (double) s[i] * out[3][i];
        return sum;
    }

    @Test
    void referenceBackwardIsTheGradientOfTheReferenceForward() {
        int[][] shapes = {{1, 1}, {2, 3}, {3, 5}, {1, 8}, {4, 2}};
        double eps = 1e-2;
        for (int[] sh : shapes) {
            releaseAll();
            int batch = sh[0], hidden = sh[1];
            int n = batch * hidden;
            float[] gates = values(4L * n, 0f, 2f, 0), cPrev = values(n, 0f, 2f, 0), r = values(n, 0f, 1f, 0), s = values(n, 0f, 1f, 0);
            float[][] fwd = run(REF, new float[][] {gates, cPrev, new float[4 * n], new float[n], new float[n]},
                    (k, p) -> k.lstmCellForward(batch, hidden, p[0], p[1], p[2], p[3], p[4]));
            float[][] bwd = run(REF, new float[][] {fwd[2], cPrev, fwd[3], r, s, poison(4L * n), poison(n)},
                    (k, p) -> k.lstmCellBackward(batch, hidden, p[0], p[1], p[2], p[3], p[4], p[5], p[6]));
            String what = "batch " + batch + " hidden " + hidden;
            for (int i = 0; i < 4 * n; i++) {
                double numeric = centralDifference(gates, i, eps, () -> objective(batch, hidden, gates, cPrev, r, s));
                double analytic = bwd[5][i];
                assertTrue(Math.abs(numeric - analytic) <= 1e-3 * Math.max(1, Math.abs(numeric)),
                        what + ": dGates[" + i + "] analytic " + analytic + " numeric " + numeric);
            }
            for (int i = 0; i < n; i++) {
                double numeric = centralDifference(cPrev, i, eps, () -> objective(batch, hidden, gates, cPrev, r, s));
                double analytic = bwd[6][i];
                assertTrue(Math.abs(numeric - analytic) <= 1e-3 * Math.max(1, Math.abs(numeric)),
                        what + ": dcPrev[" + i + "] analytic " + analytic + " numeric " + numeric);
            }
        }
    }

    // ---- empty steps -----------------------------------------------------------------------------

    @OnEveryTarget
    void emptyStepsWriteNothing(ConformanceTarget target) {
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr none = put(k, new float[0]);
            k.lstmCellForward(0, 7, none, none, none, none, none);
            k.lstmCellForward(5, 0, none, none, none, none, none);
            k.lstmCellBackward(0, 7, none, none, none, none, none, none, none);
            k.lstmCellBackward(3, 0, none, none, none, none, none, none, none);
        }
    }
}
