package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batch normalisation kernels (batchNormForward, batchNormInference, batchNormBackward): each
 * target equals the java reference on at least 150 random cases each on cpu, its share of them
 * elsewhere (n, channels and spatial 1, primes, the vector widths 8 and 16 and their neighbours, up
 * to a few hundred; values in [-4, 4] around a channel mean up to ±60 in some cases, weight and bias
 * null in some, NaN and infinities in some; outputs poisoned with NaN, one float longer than
 * needed, before each call: NaN matches only NaN); on cpu 1 and 2 threads give identical bits; the
 * reference's statistics are PyTorch's formulas (checked in double here) and its backward is the
 * gradient of its forward (central differences in double), in training and eval mode.
 */
class BatchNormKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 160;
    private static final double REL = 2e-5;

    BatchNormKernelsConformanceTest() {
        super(20_261_206);
    }

    private static final int[] SIZES = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 49, 63, 64, 65, 97, 128, 129, 257, 300};

    /** {n, channels, spatial} of case t: the edges and the 1d/2d layouts first, then random, at most 40,000 floats. */
    private int[] shape(int t) {
        int[][] fixed = {{1, 1, 1}, {2, 1, 1}, {1, 3, 1}, {1, 1, 16}, {7, 5, 1}, {64, 300, 1}, {3, 16, 49}, {2, 5, 257}, {128, 2, 17},
            {1, 300, 2}, {32, 16, 15}, {5, 33, 64}};
        if (t < fixed.length) return fixed[t];
        int n = SIZES[rng.nextInt(SIZES.length)], c = SIZES[rng.nextInt(SIZES.length)];
        int s = t % 3 == 0 ? 1 : SIZES[rng.nextInt(SIZES.length)];
        while ((long) n * c * s > 40_000) {
            if (n > 1) n = Math.max(1, n / 2);
            else if (s > 1) s = Math.max(1, s / 2);
            else c = Math.max(1, c / 2);
        }
        return new int[] {n, c, s};
    }

    /** About one case in six has NaN and infinities among its inputs. */
    private static int specials(int t) {
        return t % 6 == 5 ? 40 : 0;
    }

    /** x [n, c, s] in [-4, 4] plus, in every other case, a channel mean up to ±60 (the variance must keep its digits). */
    private float[] input(int n, int c, int s, int t) {
        float[] x = Buffers.values(rng, (long) n * c * s, 4f, specials(t), SPECIAL);
        if (t % 2 == 1) {
            float[] offset = Buffers.values(rng, c, 60f, 0, SPECIAL);
            for (int i = 0; i < x.length; i++) x[i] += offset[(i / s) % c];
        }
        return x;
    }

    private float[] positive(int c) {
        float[] v = new float[c];
        for (int i = 0; i < c; i++) v[i] = 0.05f + 2 * rng.nextFloat();
        return v;
    }

    // ---- forward ---------------------------------------------------------------------------------

    @OnEveryTarget
    void forwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] sh = shape(t);
            int n = sh[0], c = sh[1], s = sh[2];
            int len = n * c * s;
            boolean affine = t % 4 != 2;
            float eps = t % 2 == 0 ? 1e-5f : 1e-3f, momentum = rng.nextFloat();
            float[][] in = {input(n, c, s, t), Buffers.values(rng, c, 2f, 0, SPECIAL), Buffers.values(rng, c, 2f, 0, SPECIAL),
                Buffers.values(rng, c, 1f, 0, SPECIAL), positive(c), poison(len + 1), poison(c + 1), poison(c + 1)};
            Call call = (k, p) -> k.batchNormForward(n, c, s, eps, momentum, p[0], affine ? p[1] : null, affine ? p[2] : null, p[3], p[4],
                    p[5], p[6], p[7]);
            float[][] j = run(REF, in, call), got = run(target.kernels(), in, call);
            String what = "batchNormForward [" + n + ", " + c + ", " + s + "]" + (affine ? "" : " no affine") + (specials(t) > 0 ? " (NaN, inf)" : "");
            assertMatchesReference(j[5], got[5], REL, what + " y");
            assertMatchesReference(j[6], got[6], REL, what + " saveMean");
            assertMatchesReference(j[7], got[7], REL, what + " saveInvstd");
            assertMatchesReference(j[3], got[3], REL, what + " runningMean");
            assertMatchesReference(j[4], got[4], REL, what + " runningVar");
            assertTrue(Float.isNaN(got[5][len]) && Float.isNaN(got[6][c]) && Float.isNaN(got[7][c]), what + ": wrote past its outputs");
        }
    }

    @Test
    void referenceStatisticsArePyTorchs() {
        // x [3, 2, 2]: per channel the mean, the biased variance in invstd, the unbiased one in runningVar
        float[] x = {1, 2, 10, 20, 3, 5, 30, 60, -1, 0, 0, 10};
        float eps = 1e-5f, momentum = 0.1f;
        float[][] out = run(REF, new float[][] {x, {2f, 0.5f}, {1f, -1f}, {0.5f, -0.5f}, {1f, 2f}, poison(12), poison(2), poison(2)},
                (k, p) -> k.batchNormForward(3, 2, 2, eps, momentum, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]));
        double[][] ch = {{1, 2, 3, 5, -1, 0}, {10, 20, 30, 60, 0, 10}};
        double[] w = {2, 0.5}, b = {1, -1}, rm = {0.5, -0.5}, rv = {1, 2};
        for (int c = 0; c < 2; c++) {
            double mean = 0, var = 0;
            for (double v : ch[c]) mean += v / 6;
            for (double v : ch[c]) var += (v - mean) * (v - mean) / 6;
            double invstd = 1 / Math.sqrt(var + eps);
            assertEquals(mean, out[6][c], 1e-5 * Math.abs(mean), "saveMean " + c);
            assertEquals(invstd, out[7][c], 1e-6 * invstd, "saveInvstd " + c);
            assertEquals(0.9 * rm[c] + 0.1 * mean, out[3][c], 1e-5, "runningMean " + c);
            assertEquals(0.9 * rv[c] + 0.1 * var * 6 / 5, out[4][c], 1e-4, "runningVar (unbiased) " + c);
            for (int i = 0; i < 3; i++) {
                for (int s = 0; s < 2; s++) {
                    double v = x[(i * 2 + c) * 2 + s], y = (v - mean) * invstd * w[c] + b[c];
                    assertEquals(y, out[5][(i * 2 + c) * 2 + s], 1e-5 * Math.max(1, Math.abs(y)), "y");
                }
            }
        }
    }

    @OnEveryTarget
    void inferenceMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] sh = shape(t);
            int n = sh[0], c = sh[1], s = sh[2];
            int len = n * c * s;
            boolean affine = t % 4 != 2;
            float eps = t % 2 == 0 ? 1e-5f : 0f;
            float[] runningVar = positive(c);
            if (specials(t) > 0) runningVar[0] = Float.NaN;
            float[][] in = {input(n, c, s, t), Buffers.values(rng, c, 2f, 0, SPECIAL), Buffers.values(rng, c, 2f, 0, SPECIAL),
                Buffers.values(rng, c, 3f, 0, SPECIAL), runningVar, poison(len + 1), poison(c + 1)};
            Call call = (k, p) -> k.batchNormInference(n, c, s, eps, p[0], affine ? p[1] : null, affine ? p[2] : null, p[3], p[4], p[5], p[6]);
            float[][] j = run(REF, in, call), got = run(target.kernels(), in, call);
            String what = "batchNormInference [" + n + ", " + c + ", " + s + "]" + (affine ? "" : " no affine");
            assertMatchesReference(j[5], got[5], REL, what + " y");
            assertMatchesReference(j[6], got[6], REL, what + " invstd");
            assertTrue(Float.isNaN(got[5][len]) && Float.isNaN(got[6][c]), what + ": wrote past its outputs");
        }
    }

    // ---- backward --------------------------------------------------------------------------------

    @OnEveryTarget
    void backwardMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            int[] sh = shape(t);
            int n = sh[0], c = sh[1], s = sh[2];
            int len = n * c * s;
            boolean affine = t % 4 != 2, training = t % 3 != 1;
            float[] x = input(n, c, s, t), weight = Buffers.values(rng, c, 2f, 0, SPECIAL);
            // mean and invstd as the reference forward makes them
            float[][] fwd = run(REF, new float[][] {x, weight, new float[c], new float[c], positive(c), new float[len], new float[c], new float[c]},
                    (k, p) -> k.batchNormForward(n, c, s, 1e-5f, 0.1f, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]));
            float[][] in = {x, Buffers.values(rng, len, 2f, specials(t), SPECIAL), weight, fwd[6], fwd[7], poison(len + 1), poison(c + 1),
                poison(c + 1)};
            Call call = (k, p) -> k.batchNormBackward(n, c, s, training, p[0], p[1], affine ? p[2] : null, p[3], p[4], p[5], p[6], p[7]);
            float[][] j = run(REF, in, call), got = run(target.kernels(), in, call);
            String what = "batchNormBackward [" + n + ", " + c + ", " + s + "]" + (training ? " training" : " eval")
                    + (affine ? "" : " no affine") + (specials(t) > 0 ? " (NaN, inf)" : "");
            assertMatchesReference(j[5], got[5], 1e-4, what + " dx");
            assertMatchesReference(j[6], got[6], REL, what + " dweight");
            assertMatchesReference(j[7], got[7], REL, what + " dbias");
            assertTrue(Float.isNaN(got[5][len]) && Float.isNaN(got[6][c]) && Float.isNaN(got[7][c]), what + ": wrote past its outputs");
        }
    }

    // ---- threads ---------------------------------------------------------------------------------

    @OnEveryTarget
    void oneAndTwoThreadsGiveTheSameBits(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        int[][] shapes = {{128, 64, 64}, {256, 300, 1}, {2, 8, 5000}, {64, 16, 3}, {5, 1, 1}};
        List<float[]> inputs = new ArrayList<>();
        for (int[] s : shapes) {
            inputs.add(input(s[0], s[1], s[2], 1));
            inputs.add(Buffers.values(rng, (long) s[0] * s[1] * s[2], 2f, 0, SPECIAL));
            inputs.add(positive(s[1]));
            inputs.add(positive(s[1]));
        }
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                int n = shapes[i][0], c = shapes[i][1], s = shapes[i][2];
                int len = n * c * s;
                Ptr x = put(k, inputs.get(4 * i)), dy = put(k, inputs.get(4 * i + 1)), w = put(k, inputs.get(4 * i + 2));
                Ptr rm = put(k, new float[c]), rv = put(k, inputs.get(4 * i + 3)), y = put(k, poison(len)), mean = put(k, poison(c)), inv = put(k, poison(c));
                Ptr dx = put(k, poison(len)), dw = put(k, poison(c)), db = put(k, poison(c));
                k.batchNormForward(n, c, s, 1e-5f, 0.1f, x, w, w, rm, rv, y, mean, inv);
                k.batchNormBackward(n, c, s, true, x, dy, w, mean, inv, dx, dw, db);
                outs.addAll(List.of(rm, rv, y, mean, inv, dx, dw, db));
            }
            return outs;
        });
    }

    // ---- the reference backward is the forward's gradient ------------------------------------------

    /** Σ r·y in double from the reference forward (training: batch statistics; eval: the given mean and var). */
    private double objective(boolean training, int n, int c, int s, float[] x, float[] w, float[] b, float[] rm, float[] rv, float[] r) {
        int len = n * c * s;
        float[][] out = training
                ? run(REF, new float[][] {x, w, b, rm.clone(), rv.clone(), new float[len], new float[c], new float[c]},
                    (k, p) -> k.batchNormForward(n, c, s, 1e-3f, 0.1f, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]))
                : run(REF, new float[][] {x, w, b, rm, rv, new float[len], new float[c]}, (k, p) -> k.batchNormInference(n, c, s, 1e-3f, p[0], p[1], p[2], p[3], p[4], p[5], p[6]));
        double sum = 0;
        for (int i = 0; i < len; i++) sum += (double) r[i] * out[5][i];
        return sum;
    }

    @Test
    void referenceBackwardIsTheGradientOfTheReferenceForward() {
        int[][] shapes = {{2, 1, 1}, {3, 2, 1}, {2, 3, 4}, {4, 2, 3}, {1, 2, 5}};
        double eps = 1e-2;
        for (boolean training : new boolean[] {true, false}) {
            for (int[] sh : shapes) {
                releaseAll();
                int n = sh[0], c = sh[1], s = sh[2], len = n * c * s;
                float[] x = Buffers.values(rng, len, 2f, 0, SPECIAL), w = Buffers.values(rng, c, 2f, 0, SPECIAL);
                float[] b = Buffers.values(rng, c, 1f, 0, SPECIAL), rm = Buffers.values(rng, c, 1f, 0, SPECIAL), rv = positive(c);
                float[] r = Buffers.values(rng, len, 1f, 0, SPECIAL);
                float[][] fwd = training
                        ? run(REF, new float[][] {x, w, b, rm.clone(), rv.clone(), new float[len], new float[c], new float[c]},
                            (k, p) -> k.batchNormForward(n, c, s, 1e-3f, 0.1f, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]))
                        : run(REF, new float[][] {x, w, b, rm, rv, new float[len], new float[c]},
                            (k, p) -> k.batchNormInference(n, c, s, 1e-3f, p[0], p[1], p[2], p[3], p[4], p[5], p[6]));
                float[] mean = training ? fwd[6] : rm, invstd = training ? fwd[7] : fwd[6];
                float[][] bwd = run(REF, new float[][] {x, r, w, mean, invstd, poison(len), poison(c), poison(c)},
                        (k, p) -> k.batchNormBackward(n, c, s, training, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]));
                String what = (training ? "training" : "eval") + " [" + n + ", " + c + ", " + s + "]";
                float[][] params = {x, w, b};
                String[] names = {"dx", "dweight", "dbias"};
                for (int q = 0; q < 3; q++) {
                    float[] v = params[q];
                    for (int i = 0; i < v.length; i++) {
                        double numeric = centralDifference(v, i, eps, () -> objective(training, n, c, s, x, w, b, rm, rv, r));
                        double analytic = bwd[5 + q][i];
                        assertTrue(Math.abs(numeric - analytic) <= 2e-3 * Math.max(1, Math.abs(numeric)),
                                what + ": " + names[q] + "[" + i + "] analytic " + analytic + " numeric " + numeric);
                    }
                }
            }
        }
    }

    // ---- empty ---------------------------------------------------------------------------------

    @OnEveryTarget
    void emptyBatchesWriteNothing(ConformanceTarget target) {
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr none = put(k, new float[0]);
            k.batchNormForward(3, 0, 4, 1e-5f, 0.1f, none, null, null, none, none, none, none, none);
            k.batchNormInference(0, 5, 4, 1e-5f, put(k, new float[0]), null, null, put(k, new float[5]), put(k, positive(5)), none,
                    put(k, poison(5)));
            k.batchNormBackward(3, 0, 4, true, none, none, null, none, none, none, none, none);
        }
    }
}
