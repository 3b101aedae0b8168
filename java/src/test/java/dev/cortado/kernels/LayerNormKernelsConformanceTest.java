package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The fused normalisation kernels (layerNormForward / layerNormBackward, rmsNormForward /
 * rmsNormBackward): each target equals the java reference on at least 150 random cases each on
 * cpu, its share of them elsewhere (rows and cols 1, primes, the vector widths and their
 * neighbours, rows past a warp's 1024 and a block's 16384 values; with and without weight and
 * bias; eps from 0 to 0.1; inputs in [-4, 4] around a random offset, some cases with NaN and
 * infinities; outputs poisoned with NaN, one float longer than needed: NaN matches only NaN); on
 * cpu 1 and 2 threads give identical bits; the reference forward is PyTorch's formula written out
 * here in double, and the reference backward the gradient of the reference forward (central
 * differences). (That the checks refuse bad arguments by name is {@link CheckedKernelsTest}'s and
 * the ops' tests'.)
 */
class LayerNormKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 160;
    private static final double REL = 1e-5;

    LayerNormKernelsConformanceTest() {
        super(20_261_206);
    }

    // ---- values and shapes -----------------------------------------------------------------------

    private static final int[] SIZES = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97, 127, 128, 129, 257, 300,
        768, 1023, 1024, 1025, 1500};

    /** {rows, cols} of case t: the edges and the warp / block limits first, then random. */
    private int[] shape(int t) {
        int[][] fixed = {{1, 1}, {1, 2}, {16, 1}, {3, 17}, {2, 1024}, {2, 1025}, {3, 20_000}, {300, 65}, {64, 257}, {33, 128}};
        if (t < fixed.length) return fixed[t];
        int rows = SIZES[rng.nextInt(SIZES.length)], cols = SIZES[rng.nextInt(SIZES.length)];
        while ((long) rows * cols > 40_000) rows = Math.max(1, rows / 2);
        return new int[] {rows, cols};
    }

    /** Whether case t has NaN and infinities among its inputs (about one case in six). */
    private static int specials(int t) {
        return t % 6 == 5 ? 15 : 0;
    }

    private float eps(int t) {
        return new float[] {1e-5f, 1e-6f, 0.1f, Math.ulp(1f), 0f}[t % 5];
    }

    /** weight (t % 4 of 1, 3), bias (2, 3): null or random around 1 and 0. */
    private float[] weight(int t, int cols) {
        return t % 4 == 1 || t % 4 == 3 ? values(cols, 1f, 1.5f, specials(t)) : null;
    }

    private float[] bias(int t, int cols) {
        return t % 4 >= 2 ? values(cols, 0f, 2f, specials(t)) : null;
    }

    /** A copy of v in k's memory, or null for null. */
    private Ptr optional(KernelSet k, float[] v) {
        return v == null ? null : put(k, v);
    }

    private static String what(String kernel, int rows, int cols, float eps, float[] w, float[] b, int sp) {
        return kernel + " rows " + rows + " cols " + cols + " eps " + eps + (w == null ? "" : " weight") + (b == null ? "" : " bias")
                + (sp > 0 ? " (NaN, inf)" : "");
    }

    // ---- forward ---------------------------------------------------------------------------------

    @OnEveryTarget
    void layerNormForwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] s = shape(t);
            int rows = s[0], cols = s[1];
            long n = (long) rows * cols;
            float eps = eps(t);
            float[] x = values(n, 3f * (2 * rng.nextFloat() - 1), 4f, specials(t)), w = weight(t, cols), b = bias(t, cols);
            String what = what("layerNormForward", rows, cols, eps, w, b, specials(t));
            float[][][] out = new float[2][][];
            for (int i = 0; i < 2; i++) {
                KernelSet k = i == 0 ? REF : target.kernels();
                Ptr px = put(k, x), pw = optional(k, w), pb = optional(k, b);
                Ptr y = put(k, poison(n + 1)), mean = put(k, poison(rows + 1)), rstd = put(k, poison(rows + 1));
                k.layerNormForward(rows, cols, eps, px, pw, pb, y, mean, rstd);
                out[i] = new float[][] {get(y), get(mean), get(rstd)};
            }
            assertMatchesReference(out[0][0], out[1][0], REL, what + " y");
            assertMatchesReference(out[0][1], out[1][1], REL, what + " mean");
            assertMatchesReference(out[0][2], out[1][2], REL, what + " rstd");
            assertTrue(Float.isNaN(out[1][0][(int) n]) && Float.isNaN(out[1][1][rows]) && Float.isNaN(out[1][2][rows]),
                    what + ": wrote past its outputs");
        }
    }

    @OnEveryTarget
    void rmsNormForwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] s = shape(t);
            int rows = s[0], cols = s[1];
            long n = (long) rows * cols;
            float eps = eps(t);
            float[] x = values(n, 3f * (2 * rng.nextFloat() - 1), 4f, specials(t)), w = weight(t, cols);
            String what = what("rmsNormForward", rows, cols, eps, w, null, specials(t));
            float[][][] out = new float[2][][];
            for (int i = 0; i < 2; i++) {
                KernelSet k = i == 0 ? REF : target.kernels();
                Ptr px = put(k, x), pw = optional(k, w), y = put(k, poison(n + 1)), rstd = put(k, poison(rows + 1));
                k.rmsNormForward(rows, cols, eps, px, pw, y, rstd);
                out[i] = new float[][] {get(y), get(rstd)};
            }
            assertMatchesReference(out[0][0], out[1][0], REL, what + " y");
            assertMatchesReference(out[0][1], out[1][1], REL, what + " rstd");
            assertTrue(Float.isNaN(out[1][0][(int) n]) && Float.isNaN(out[1][1][rows]), what + ": wrote past its outputs");
        }
    }

    // ---- backward --------------------------------------------------------------------------------

    @OnEveryTarget
    void layerNormBackwardMatchesTheReference(ConformanceTarget target) {
        backwardMatchesTheReference(target, true);
    }

    @OnEveryTarget
    void rmsNormBackwardMatchesTheReference(ConformanceTarget target) {
        backwardMatchesTheReference(target, false);
    }

    private void backwardMatchesTheReference(ConformanceTarget target, boolean layer) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] s = shape(t);
            int rows = s[0], cols = s[1];
            long n = (long) rows * cols;
            int sp = specials(t);
            float eps = eps(t) == 0f ? 1e-5f : eps(t);
            // mean and rstd as the forward makes them; then NaN and infinities in every input of the special cases
            float[] x = values(n, 3f * (2 * rng.nextFloat() - 1), 4f, 0), w = weight(t, cols), dy = values(n, 0f, 3f, sp);
            float[][] stats = forwardStats(layer, rows, cols, eps, x);
            float[] mean = stats[0], rstd = stats[1];
            if (sp > 0) {
                for (float[] a : new float[][] {x, mean, rstd}) {
                    for (int i = 0; i < a.length; i++) if (rng.nextInt(sp) == 0) a[i] = SPECIAL[rng.nextInt(3)];
                }
            }
            String what = what(layer ? "layerNormBackward" : "rmsNormBackward", rows, cols, eps, w, null, sp);
            float[][][] out = new float[2][][];
            for (int i = 0; i < 2; i++) {
                KernelSet k = i == 0 ? REF : target.kernels();
                Ptr px = put(k, x), pw = optional(k, w), pr = put(k, rstd), pdy = put(k, dy);
                Ptr dx = put(k, poison(n + 1)), dw = put(k, poison(cols + 1)), db = put(k, poison(cols + 1));
                if (layer) k.layerNormBackward(rows, cols, px, pw, put(k, mean), pr, pdy, dx, dw, db);
                else k.rmsNormBackward(rows, cols, px, pw, pr, pdy, dx, dw);
                out[i] = new float[][] {get(dx), get(dw), get(db)};
            }
            assertMatchesReference(out[0][0], out[1][0], REL, what + " dx");
            assertMatchesReference(out[0][1], out[1][1], REL, what + " dweight");
            assertTrue(Float.isNaN(out[1][0][(int) n]) && Float.isNaN(out[1][1][cols]), what + ": wrote past its outputs");
            if (layer) {
                assertMatchesReference(out[0][2], out[1][2], REL, what + " dbias");
                assertTrue(Float.isNaN(out[1][2][cols]), what + ": wrote past dbias");
            }
        }
    }

    /** {mean, rstd} of the reference forward (mean zeros for RMSNorm). */
    private float[][] forwardStats(boolean layer, int rows, int cols, float eps, float[] x) {
        long n = (long) rows * cols;
        if (layer) {
            float[][] f = run(REF, new float[][] {x, new float[(int) n], new float[rows], new float[rows]},
                    (k, p) -> k.layerNormForward(rows, cols, eps, p[0], null, null, p[1], p[2], p[3]));
            return new float[][] {f[2], f[3]};
        }
        float[][] f = run(REF, new float[][] {x, new float[(int) n], new float[rows]},
                (k, p) -> k.rmsNormForward(rows, cols, eps, p[0], null, p[1], p[2]));
        return new float[][] {new float[rows], f[2]};
    }

    // ---- the reference against PyTorch's formulas ---------------------------------------------------

    @Test
    void referenceForwardIsPyTorchsFormula() {
        // F.layer_norm: (x - mean) / sqrt(var_biased + eps) * w + b; F.rms_norm: x / sqrt(mean(x²) + eps) * w
        int rows = 3, cols = 7;
        float eps = 1e-3f;
        float[] x = values(rows * cols, 0.5f, 2f, 0), w = values(cols, 1f, 0.5f, 0), b = values(cols, 0f, 1f, 0);
        float[][] ln = run(REF, new float[][] {x, w, b, poison(rows * cols), poison(rows), poison(rows)},
                (k, p) -> k.layerNormForward(rows, cols, eps, p[0], p[1], p[2], p[3], p[4], p[5]));
        float[][] rms = run(REF, new float[][] {x, w, poison(rows * cols), poison(rows)},
                (k, p) -> k.rmsNormForward(rows, cols, eps, p[0], p[1], p[2], p[3]));
        for (int r = 0; r < rows; r++) {
            double mean = 0, sq = 0, var = 0;
            for (int j = 0; j < cols; j++) {
                mean += x[r * cols + j] / (double) cols;
                sq += (double) x[r * cols + j] * x[r * cols + j] / cols;
            }
            for (int j = 0; j < cols; j++) var += Math.pow(x[r * cols + j] - mean, 2) / cols;
            assertEquals(mean, ln[4][r], 1e-6, "mean of row " + r);
            assertEquals(1 / Math.sqrt(var + eps), ln[5][r], 1e-6 * ln[5][r], "rstd of row " + r);
            assertEquals(1 / Math.sqrt(sq + eps), rms[3][r], 1e-6 * rms[3][r], "rms rstd of row " + r);
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                assertEquals((x[i] - mean) / Math.sqrt(var + eps) * w[j] + b[j], ln[3][i], 1e-6, "layer_norm y[" + i + "]");
                assertEquals(x[i] / Math.sqrt(sq + eps) * w[j], rms[2][i], 1e-6, "rms_norm y[" + i + "]");
            }
        }
    }

    /** Σ s·y in double from the reference forward (LayerNorm with bias when layer, else RMSNorm). */
    private double objective(boolean layer, int rows, int cols, float eps, float[] x, float[] w, float[] b, float[] s) {
        float[][] out = layer
                ? run(REF, new float[][] {x, w, b, new float[rows * cols], new float[rows], new float[rows]},
                        (k, p) -> k.layerNormForward(rows, cols, eps, p[0], p[1], p[2], p[3], p[4], p[5]))
                : run(REF, new float[][] {x, w, new float[rows * cols], new float[rows]},
                        (k, p) -> k.rmsNormForward(rows, cols, eps, p[0], p[1], p[2], p[3]));
        double sum = 0;
        for (int i = 0; i < rows * cols; i++) sum += (double) s[i] * out[layer ? 3 : 2][i];
        return sum;
    }

    private static void close(double numeric, double analytic, String what) {
        assertTrue(Math.abs(numeric - analytic) <= 2e-3 * Math.max(1, Math.abs(numeric)),
                what + ": analytic " + analytic + " numeric " + numeric);
    }

    @Test
    void referenceBackwardIsTheGradientOfTheReferenceForward() {
        int[][] shapes = {{1, 2}, {2, 3}, {3, 5}, {1, 8}, {4, 1}};
        double step = 1e-2;
        for (boolean layer : new boolean[] {true, false}) {
            for (int[] sh : shapes) {
                releaseAll();
                int rows = sh[0], cols = sh[1], n = rows * cols;
                float eps = 0.05f;
                float[] x = values(n, 0.3f, 2f, 0), w = values(cols, 1f, 0.5f, 0), b = values(cols, 0f, 1f, 0), s = values(n, 0f, 1f, 0);
                float[][] stats = run(REF, new float[][] {x, w, b, new float[n], new float[rows], new float[rows]},
                        (k, p) -> k.layerNormForward(rows, cols, eps, p[0], p[1], p[2], p[3], p[4], p[5]));
                float[][] rstats = run(REF, new float[][] {x, w, new float[n], new float[rows]},
                        (k, p) -> k.rmsNormForward(rows, cols, eps, p[0], p[1], p[2], p[3]));
                float[][] bwd = layer
                        ? run(REF, new float[][] {x, w, stats[4], stats[5], s, poison(n), poison(cols), poison(cols)},
                                (k, p) -> k.layerNormBackward(rows, cols, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]))
                        : run(REF, new float[][] {x, w, rstats[3], s, poison(n), poison(cols)},
                                (k, p) -> k.rmsNormBackward(rows, cols, p[0], p[1], p[2], p[3], p[4], p[5]));
                int dx = layer ? 5 : 4, dw = dx + 1, db = dx + 2;
                String what = (layer ? "layerNorm" : "rmsNorm") + " rows " + rows + " cols " + cols;
                DoubleSupplier loss = () -> objective(layer, rows, cols, eps, x, w, b, s);
                for (int i = 0; i < n; i++) close(centralDifference(x, i, step, loss), bwd[dx][i], what + " dx[" + i + "]");
                for (int j = 0; j < cols; j++) close(centralDifference(w, j, step, loss), bwd[dw][j], what + " dweight[" + j + "]");
                if (layer) {
                    for (int j = 0; j < cols; j++) close(centralDifference(b, j, step, loss), bwd[db][j], what + " dbias[" + j + "]");
                }
            }
        }
    }

    // ---- threads ---------------------------------------------------------------------------------

    @OnEveryTarget
    void oneAndTwoThreadsGiveTheSameBits(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        int[][] shapes = {{97, 300}, {2, 5000}, {1000, 33}, {64, 257}, {5, 1}, {4096, 64}};
        List<float[]> inputs = new ArrayList<>();
        for (int[] s : shapes) {
            long n = (long) s[0] * s[1];
            inputs.add(values(n, 1f, 4f, 50));
            inputs.add(values(s[1], 1f, 1f, 0));
            inputs.add(values(s[1], 0f, 1f, 0));
            inputs.add(values(n, 0f, 4f, 50));
        }
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                int rows = shapes[i][0], cols = shapes[i][1];
                long n = (long) rows * cols;
                Ptr x = put(k, inputs.get(4 * i)), w = put(k, inputs.get(4 * i + 1)), b = put(k, inputs.get(4 * i + 2));
                Ptr dy = put(k, inputs.get(4 * i + 3));
                Ptr y = put(k, poison(n)), mean = put(k, poison(rows)), rstd = put(k, poison(rows));
                Ptr dx = put(k, poison(n)), dw = put(k, poison(cols)), db = put(k, poison(cols));
                k.layerNormForward(rows, cols, 1e-5f, x, w, b, y, mean, rstd);
                k.layerNormBackward(rows, cols, x, w, mean, rstd, dy, dx, dw, db);
                Ptr ry = put(k, poison(n)), rr = put(k, poison(rows)), rdx = put(k, poison(n)), rdw = put(k, poison(cols));
                k.rmsNormForward(rows, cols, 1e-5f, x, w, ry, rr);
                k.rmsNormBackward(rows, cols, x, w, rr, dy, rdx, rdw);
                outs.addAll(List.of(y, mean, rstd, dx, dw, db, ry, rr, rdx, rdw));
            }
            return outs;
        });
    }

    // ---- empty ---------------------------------------------------------------------------------

    @OnEveryTarget
    void noRowsGiveZeroWeightGradients(ConformanceTarget target) {
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr none = put(k, new float[0]);
            k.layerNormForward(0, 7, 1e-5f, none, null, null, none, none, none);
            k.rmsNormForward(0, 7, 1e-5f, none, null, none, none);
            Ptr dw = put(k, poison(7)), db = put(k, poison(7)), rdw = put(k, poison(7));
            k.layerNormBackward(0, 7, none, null, none, none, none, none, dw, db);
            k.rmsNormBackward(0, 7, none, null, none, none, none, rdw);
            for (Ptr p : new Ptr[] {dw, db, rdw}) {
                float[] v = get(p);
                for (float f : v) assertEquals(0f, f, k.name() + ": the weight gradients of no rows are zeros");
            }
        }
    }
}
