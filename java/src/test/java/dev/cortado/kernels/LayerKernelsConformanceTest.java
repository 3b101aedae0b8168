package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertClose;
import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.kernels.ConformanceTarget.Variant;
import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every layer kernel (gemm, im2col/col2im, convolution, pooling, activations, elementwise,
 * optimizers, the softmax family, bias, sum, argmax, equal, rand) of each target equals the java
 * reference on at least 200 random cases (cpu; a target's share of them otherwise): sizes 1,
 * primes, non-multiples of every register and cache block, all transposes, leading dimensions
 * larger than the matrix, padding and stride; outputs poisoned with NaN before each call, NaN
 * never passes; equal and rand bit-identical to it; on cpu every GEMM micro-kernel, and 1 and 2
 * threads give identical bits.
 */
class LayerKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 200;

    LayerKernelsConformanceTest() {
        super(99);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Sizes that stress blocking: 1, primes, block sizes ± 1 (MR 4/6/12, NR 8/16/32, MC 128/144/192, KC 256/384). */
    private static final int[] EDGE = {1, 2, 3, 5, 7, 11, 13, 17, 31, 33, 37, 63, 97, 127, 129, 143, 145, 191, 193, 255, 257, 383, 385, 509, 1000};

    private int dim(int max) {
        int d = rng.nextInt(4) == 0 ? EDGE[rng.nextInt(EDGE.length)] : 1 + rng.nextInt(64);
        return Math.min(d, max);
    }

    private float[] random(long n, float scale) {
        return Buffers.values(rng, n, scale, 0, null);
    }

    // ---- GEMM ----------------------------------------------------------------------------------

    private record GemmCase(boolean ta, boolean tb, int m, int n, int k, int lda, int ldb, int ldc, float alpha, float beta) {
    }

    private GemmCase gemmCase() {
        // one case in three has at most 8 rows (the few-rows path: a layer at a small batch)
        int m = rng.nextInt(3) == 0 ? 1 + rng.nextInt(8) : dim(1000), n = dim(1000), k = dim(1000);
        while ((long) m * n * k > 12_000_000) { // keep the java reference quick
            if (m >= n && m >= k) m /= 2;
            else if (n >= k) n /= 2;
            else k /= 2;
        }
        boolean ta = rng.nextInt(2) == 0, tb = rng.nextInt(2) == 0;
        int pad = rng.nextInt(3) == 0 ? 1 + rng.nextInt(17) : 0;
        float[] alphas = {1f, -0.5f, 2.5f}, betas = {0f, 1f, 0.7f};
        return new GemmCase(ta, tb, m, n, k, (ta ? m : k) + pad, (tb ? k : n) + pad, n + pad,
                alphas[rng.nextInt(3)], betas[rng.nextInt(3)]);
    }

    /** C after gemm on ks (A, B and C0 copied to its device). */
    private float[] runGemm(KernelSet ks, GemmCase c, float[] a, float[] b, float[] c0) {
        return run(ks, new float[][] {a, b, c0},
                (k, p) -> k.gemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, p[0], c.lda, p[1], c.ldb, c.beta, p[2], c.ldc))[2];
    }

    @OnEveryTarget
    void gemmMatchesReferenceOnEveryMicroKernel(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            GemmCase c = t < FIXED_GEMMS.length ? FIXED_GEMMS[t] : gemmCase();
            int aRows = c.ta ? c.k : c.m, bRows = c.tb ? c.n : c.k;
            float[] a = random((long) (aRows - 1) * c.lda + (c.ta ? c.m : c.k), 1f);
            float[] b = random((long) (bRows - 1) * c.ldb + (c.tb ? c.k : c.n), 1f);
            long cLen = (long) (c.m - 1) * c.ldc + c.n;
            // beta = 0 must never read C: poison it; otherwise start from random values
            float[] c0 = c.beta == 0 ? poison(cLen) : random(cLen, 1f);
            float[] expected = runGemm(REF, c, a, b, c0);
            double atol = 2e-6 * c.k * Math.abs(c.alpha) + 1e-6;
            for (Variant v : target.variants()) {
                v.select().run();
                assertC(c, c0, expected, runGemm(target.kernels(), c, a, b, c0), atol, v + " " + c + " on " + target);
            }
        }
    }

    /**
     * C as the java reference has it, within atol + 1e-5 relative (NaN only where the reference has
     * NaN), and the padding between C's rows (not C) untouched.
     */
    private static void assertC(GemmCase c, float[] c0, float[] expected, float[] got, double atol, String what) {
        long cLen = (long) (c.m - 1) * c.ldc + c.n;
        for (int i = 0; i < c.m; i++) {
            for (int j = 0; j < c.ldc && (long) i * c.ldc + j < cLen; j++) {
                int at = i * c.ldc + j;
                if (j >= c.n) {
                    assertEquals(Float.floatToIntBits(c0[at]), Float.floatToIntBits(got[at]), "C padding changed " + what);
                    continue;
                }
                double r = expected[at], g = got[at];
                boolean ok = Double.isNaN(r) ? Double.isNaN(g) : !Double.isNaN(g) && Math.abs(g - r) <= atol + 1e-5 * Math.abs(r);
                if (!ok) fail(what + ": C[" + i + "," + j + "] java " + r + ", got " + g);
            }
        }
    }

    /** Corner shapes: 1x1x1, tall-thin transposed, small C over a long k (the split-k path), few rows. */
    private static final GemmCase[] FIXED_GEMMS = {
        new GemmCase(false, false, 1, 1, 1, 1, 1, 1, 1f, 0f),
        new GemmCase(true, true, 1000, 3, 257, 1000, 257, 3, 1f, 0f),
        new GemmCase(false, true, 20, 25, 9000, 9000, 9000, 25, 1f, 0f),
        new GemmCase(true, false, 7, 3, 8193, 7, 3, 5, -0.5f, 0.7f),
        new GemmCase(false, false, 64, 64, 16385, 16390, 64, 64, 2.5f, 1f),
        // C over 2 MiB (kc doubled), taller than wide (row blocks taken by the threads), two passes
        // over k, a partial row block and a partial panel
        new GemmCase(true, false, 730, 725, 600, 733, 725, 728, 1f, 0.7f),
        // few rows (B read unpacked): LeNet's first linear layer at batch 1 and 8, on both threads;
        // odd column counts and k past a vector, every transpose, padded leading dimensions
        new GemmCase(false, true, 1, 500, 800, 800, 800, 500, 1f, 0f),
        new GemmCase(false, true, 8, 500, 800, 800, 800, 500, 1f, 1f),
        new GemmCase(true, true, 3, 37, 1001, 3 + 5, 1001 + 2, 37 + 3, -0.5f, 0.7f),
        new GemmCase(false, false, 5, 1000, 333, 340, 1000, 1001, 2.5f, 0f),
        new GemmCase(true, false, 7, 33, 17, 7, 35, 33, 1f, 0.7f),
        new GemmCase(false, false, 2, 9000, 31, 31, 9000, 9000, 1f, 0f),
    };

    @OnEveryTarget
    void gemmGivesTheSameBitsOnOneAndTwoThreads(ConformanceTarget target) {
        target.assumeThreadControl();
        for (int t = 0; t < FIXED_GEMMS.length + 14; t++) {
            GemmCase c = t < FIXED_GEMMS.length ? FIXED_GEMMS[t] : gemmCase();
            int aRows = c.ta ? c.k : c.m, bRows = c.tb ? c.n : c.k;
            float[] a = random((long) (aRows - 1) * c.lda + (c.ta ? c.m : c.k), 1f);
            float[] b = random((long) (bRows - 1) * c.ldb + (c.tb ? c.k : c.n), 1f);
            float[] c0 = random((long) (c.m - 1) * c.ldc + c.n, 1f);
            target.setThreads(1);
            float[] one = runGemm(target.kernels(), c, a, b, c0);
            target.setThreads(2);
            float[] two = runGemm(target.kernels(), c, a, b, c0);
            assertArrayEquals(one, two, c.toString());
        }
    }

    /**
     * gemmBias: the GEMM cases above (alpha 1, beta 0) with a column bias or none, a residual laid
     * out as C or none, and an activation:
     * a clamp of none, ReLU or [-0.5, 0.5], or GELU (both forms) or leaky ReLU, which give the bits
     * of gemmBias without them followed by the unary kernel; C poisoned (never read); a NaN planted
     * in A now and then stays NaN through the clamp (it fails the comparison); 1 and 2 threads give
     * identical bits.
     */
    @OnEveryTarget
    void gemmBiasMatchesReference(ConformanceTarget target) {
        record Act(UnaryOp op, float p1, float p2) {
        }
        float inf = Float.POSITIVE_INFINITY;
        Act[] acts = {new Act(UnaryOp.CLAMP, -inf, inf), new Act(UnaryOp.CLAMP, 0f, inf), new Act(UnaryOp.CLAMP, -0.5f, 0.5f),
            new Act(UnaryOp.GELU, 0f, 0f), new Act(UnaryOp.GELU_ERF, 0f, 0f), new Act(UnaryOp.LEAKY_RELU, 0.1f, 0f)};
        for (int t = 0; t < target.cases(CASES / 2); t++) {
            GemmCase c = t < FIXED_GEMMS.length ? FIXED_GEMMS[t] : gemmCase();
            int aRows = c.ta ? c.k : c.m, bRows = c.tb ? c.n : c.k;
            float[] a = random((long) (aRows - 1) * c.lda + (c.ta ? c.m : c.k), 1f);
            if (t % 5 == 4) a[rng.nextInt(a.length)] = Float.NaN;
            float[] b = random((long) (bRows - 1) * c.ldb + (c.tb ? c.k : c.n), 1f);
            float[] bias = t % 4 == 3 ? null : random(c.n, 2f);
            Act act = acts[t % acts.length];
            long cLen = (long) (c.m - 1) * c.ldc + c.n;
            float[] c0 = poison(cLen);
            float[] residual = t % 3 == 1 ? random(cLen, 2f) : null; // laid out as C
            float[][] in = residual != null ? new float[][] {a, b, c0, bias == null ? new float[1] : bias, residual}
                    : bias == null ? new float[][] {a, b, c0} : new float[][] {a, b, c0, bias};
            java.util.function.BiFunction<KernelSet, Act, float[]> call = (ks, f) -> run(ks, in, (k, p) -> k.gemmBias(c.ta, c.tb, c.m,
                    c.n, c.k, p[0], c.lda, p[1], c.ldb, bias == null ? null : p[3], residual == null ? null : p[4], f.op, f.p1, f.p2, p[2],
                    c.ldc))[2];
            float[] expected = call.apply(REF, act);
            double atol = 2e-6 * c.k + 1e-6;
            String what = c + " bias " + (bias != null) + " residual " + (residual != null) + " " + act;
            for (Variant v : target.variants()) {
                v.select().run();
                float[] got = call.apply(target.kernels(), act);
                assertC(c, c0, expected, got, atol, v + " " + what + " on " + target);
                if (act.op != UnaryOp.CLAMP) {
                    float[] linear = call.apply(target.kernels(), acts[0]);
                    float[] unfused = run(target.kernels(), new float[][] {linear}, (k, p) -> k.unary(act.op, cLen, act.p1, act.p2, p[0], p[0]))[0];
                    for (int i = 0; i < c.m; i++) {
                        for (int j = 0; j < c.n; j++) {
                            int at = i * c.ldc + j;
                            assertEquals(Float.floatToIntBits(unfused[at]), Float.floatToIntBits(got[at]),
                                    "C[" + i + "," + j + "] fused vs gemmBias then unary, " + v + " " + what + " on " + target);
                        }
                    }
                }
            }
            if (t < 16 && target.hasThreadControl()) {
                target.setThreads(1);
                float[] one = call.apply(target.kernels(), act);
                target.setThreads(2);
                assertArrayEquals(one, call.apply(target.kernels(), act), "threads " + what);
            }
        }
    }

    // ---- windows: im2col, col2im, pooling ------------------------------------------------------

    private Window window(boolean pooling) {
        for (;;) {
            int kh = 1 + rng.nextInt(7), kw = rng.nextInt(3) == 0 ? 1 + rng.nextInt(7) : kh;
            int ph = rng.nextInt(4), pw = rng.nextInt(4);
            if (pooling && (ph >= kh || pw >= kw)) continue;
            int h = rng.nextInt(5) == 0 ? 1 + rng.nextInt(60) : 1 + rng.nextInt(20);
            int w = rng.nextInt(5) == 0 ? 1 + rng.nextInt(60) : 1 + rng.nextInt(20);
            if (h + 2 * ph < kh || w + 2 * pw < kw) continue;
            return new Window(1 + rng.nextInt(8), h, w, kh, kw, 1 + rng.nextInt(3), 1 + rng.nextInt(3), ph, pw);
        }
    }

    @OnEveryTarget
    void im2colAndCol2imOnBatches(ConformanceTarget target) {
        List<Variant> variants = target.variants();
        for (int t = 0; t < target.cases(CASES); t++) {
            Window w = window(false);
            int batch = 1 + rng.nextInt(5);
            Variant v = variants.get(t % variants.size());
            long colSize = (long) w.colRows() * batch * w.colCols(), imSize = batch * w.inputSize();
            float[][] in = {random(imSize, 1f), random(colSize, 1f), poison(colSize), poison(imSize)};
            v.select().run();
            float[][][] r = both(target, in, (k, p) -> {
                k.im2col(w, batch, p[0], p[2]);
                k.col2im(w, batch, p[1], p[3]);
            });
            assertClose(r[0][2], r[1][2], 0, 0, "im2col batch " + batch + " " + v + " " + w);
            assertClose(r[0][3], r[1][3], 1e-5, 1e-5, "col2im batch " + batch + " " + v + " " + w);
        }
    }

    private record ConvCase(Window w, int batch, int filters) {
    }

    /**
     * LeNet's two layers at a small batch (tiles that divide the pixels evenly); small filter banks
     * over at least 8192 pixels (the direct filter-gradient path: a 16-pixel tail, padding, row
     * stride 2, filters and taps that do not fill its 4 x 5 blocks); padded windows of more taps (a
     * zero-padded copy of x); then random windows.
     */
    private ConvCase convCase(int t) {
        if (t == 0) return new ConvCase(Window.square(1, 28, 28, 5, 1, 0), 3, 20);
        if (t == 1) return new ConvCase(Window.square(20, 12, 12, 5, 1, 0), 4, 50);
        if (t == 2) return new ConvCase(Window.square(1, 28, 28, 5, 1, 0), 16, 20);
        if (t == 3) return new ConvCase(new Window(3, 37, 41, 3, 3, 1, 1, 1, 1), 6, 7);
        if (t == 4) return new ConvCase(new Window(2, 45, 30, 4, 7, 2, 1, 2, 3), 12, 5);
        if (t == 5) return new ConvCase(new Window(16, 14, 13, 3, 3, 1, 1, 1, 1), 3, 16); // ResNet's: through a padded copy of x
        if (t == 6) return new ConvCase(new Window(5, 11, 9, 3, 5, 2, 1, 2, 1), 2, 9);     // row stride 2, uneven padding, padded copy
        // unit strides: the direct kernels (conv_direct.cpp), with filter and channel counts that do
        // not fill their 4- or 8-filter blocks and a 25-tap window that does not fill 3-tap blocks
        if (t == 7) return new ConvCase(new Window(19, 7, 7, 3, 3, 1, 1, 1, 1), 5, 13);    // ResNet's last stage: half the lanes dropped
        if (t == 8) return new ConvCase(new Window(6, 20, 17, 5, 5, 1, 1, 2, 2), 2, 10);   // 5x5, padding 2
        if (t == 9) return new ConvCase(new Window(3, 12, 30, 3, 1, 1, 1, 0, 0), 1, 70);   // one image, its filter groups split
        // 48 channels and 49+ filters: Winograd on every machine (where 512-bit FMAs run at half rate, 32 go direct)
        if (t == 10) return new ConvCase(new Window(48, 9, 11, 3, 3, 1, 1, 1, 1), 4, 49);  // Winograd F(2x2, 3x3), odd planes
        if (t == 11) return new ConvCase(new Window(48, 30, 19, 3, 3, 1, 1, 1, 1), 4, 56); // Winograd in chunks of tile rows
        if (t == 12) return new ConvCase(new Window(40, 3, 4, 1, 1, 1, 1, 0, 0), 2, 9);    // 1x1 over a small plane: tiles across two images
        // 1x1, x read as the GEMM's B: full 6x16 tiles take the tail in the micro-kernel's registers
        if (t == 13) return new ConvCase(new Window(24, 9, 10, 1, 1, 1, 1, 0, 0), 3, 18);  // ReLU6, no z
        if (t == 14) return new ConvCase(new Window(17, 8, 8, 1, 1, 1, 1, 0, 0), 2, 25);   // two-sided clamp with z
        if (t == 15) return new ConvCase(new Window(48, 22, 21, 3, 3, 1, 1, 1, 1), 1, 53); // Winograd on one image, its filter groups split
        if (t == 16) return new ConvCase(new Window(256, 5, 5, 3, 3, 1, 1, 1, 1), 1, 9);   // many channels, small plane: the GEMM forward
        // column strides above 1, packed from a padded copy (runs of 19: two vectors and a tail)
        if (t == 17) return new ConvCase(new Window(3, 23, 37, 7, 7, 2, 2, 3, 3), 2, 10);  // a ResNet stem
        if (t == 18) return new ConvCase(new Window(4, 17, 20, 3, 3, 3, 3, 1, 1), 2, 7);   // stride 3
        if (t == 19) return new ConvCase(new Window(6, 9, 40, 3, 3, 2, 2, 0, 0), 3, 5);    // no padding: x itself, to its last float
        // few pixels, many filters: the GEMM computes y's transpose, stored back through the tail
        if (t == 20) return new ConvCase(new Window(40, 7, 7, 1, 1, 1, 1, 0, 0), 1, 70);   // MobileNet's 7x7 1x1, z
        if (t == 21) return new ConvCase(new Window(12, 13, 13, 3, 3, 2, 2, 1, 1), 2, 64); // stride 2 to 7x7, two images
        // 1x1 with few filters: x read in place by the micro-kernels, panels across two images packed
        if (t == 22) return new ConvCase(new Window(48, 15, 15, 1, 1, 1, 1, 0, 0), 3, 40);
        // 1x1, few pixels, many filters: the transposed product reads x^T in place as its A (a panel
        // across the two images packed)
        if (t == 23) return new ConvCase(new Window(37, 7, 7, 1, 1, 1, 1, 0, 0), 2, 160);
        // 3x3, few pixels, many filters: the transposed product reads its A as windows of the padded
        // images (panels of pixels along one output row: 7 of a 14-wide row, over k longer than one
        // cache block; 10 or 5 of a 10-wide row, two images); case 21 has stride 2
        if (t == 24) return new ConvCase(new Window(58, 14, 14, 3, 3, 1, 1, 1, 1), 1, 96);
        if (t == 25) return new ConvCase(new Window(20, 10, 10, 3, 3, 1, 1, 1, 1), 2, 64);
        for (;;) {
            Window w = window(false);
            int batch = 1 + rng.nextInt(4), filters = dim(70);
            long macs = (long) batch * filters * w.colCols() * w.colRows();
            if (macs <= 400_000) return new ConvCase(w, batch, filters);
        }
    }

    /** The fused tails tried in turn: ReLU with z, ReLU6 without, a two-sided clamp with z, none without. */
    private static final float[][] TAILS = {{0f, Float.POSITIVE_INFINITY}, {0f, 6f}, {-0.3f, 0.4f}, {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}};

    /**
     * p: x, weight, bias, dy, then the outputs y (with bias), y (without), dx, dweight, then z and
     * the fused output clamp(y + bias + z, tail) (without z for odd t).
     */
    private static void convAll(KernelSet k, ConvCase c, int t, Ptr[] p) {
        k.convForward(c.w, c.batch, c.filters, p[0], p[1], null, p[2], null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[4]);
        k.convForward(c.w, c.batch, c.filters, p[0], p[1], null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[5]);
        k.convBackwardData(c.w, c.batch, c.filters, p[1], p[3], p[6]);
        k.convBackwardFilter(c.w, c.batch, c.filters, p[0], p[3], p[7]);
        float[] tail = TAILS[t % TAILS.length];
        k.convForward(c.w, c.batch, c.filters, p[0], p[1], null, p[2], t % 2 == 0 ? p[8] : null, tail[0], tail[1], p[9]);
    }

    @OnEveryTarget
    void convolutionMatchesReferenceOnEveryMicroKernel(ConformanceTarget target) {
        List<Variant> variants = target.variants();
        for (int t = 0; t < target.cases(CASES); t++) {
            ConvCase c = convCase(t);
            long x = c.batch * c.w.inputSize(), wt = (long) c.filters * c.w.colRows(), y = (long) c.batch * c.filters * c.w.colCols();
            float[] z = random(y, 2f);
            z[(int) (y / 2)] = Float.NaN; // a NaN in z stays NaN, clamped or not
            float[][] in = {random(x, 1f), random(wt, 1f), random(c.filters, 1f), random(y, 1f), poison(y), poison(y), poison(x), poison(wt),
                    z, poison(y)};
            Variant v = variants.get(t % variants.size());
            v.select().run();
            int tt = t;
            float[][][] r = both(target, in, (k, p) -> convAll(k, c, tt, p));
            // a sum of n products of numbers in [-1, 1]: float error grows with n
            double forward = 2e-6 * c.w.colRows() + 1e-6, data = 2e-6 * c.filters * c.w.kernelH() * c.w.kernelW() + 1e-6;
            double filter = 2e-6 * c.batch * c.w.colCols() + 1e-6;
            String what = " " + v + " " + c;
            assertClose(r[0][4], r[1][4], forward, 1e-5, "convForward with bias" + what);
            assertClose(r[0][5], r[1][5], forward, 1e-5, "convForward" + what);
            assertClose(r[0][6], r[1][6], data, 1e-5, "convBackwardData" + what);
            assertClose(r[0][7], r[1][7], filter, 1e-5, "convBackwardFilter" + what);
            float[] tail = TAILS[t % TAILS.length];
            assertMatchesReference(r[0][9], r[1][9], forward + 1e-5, "convForward with bias, " + (t % 2 == 0 ? "z, " : "") + "clamp to ["
                    + tail[0] + ", " + tail[1] + "]" + what);
        }
    }

    /**
     * Winograd's transforms would turn one inf into NaNs all over a tile: an image holding an inf or
     * NaN (in x, or in dY for the data gradient) is redone by the direct kernels, whose products are
     * the reference's, and non-finite filters send every image there. Batches of three (images with
     * and without) and one image split over the threads. (Was: the direct data gradient multiplied
     * an inf filter by dY's zero padding, NaN where the reference's col2im has no product.)
     */
    @OnEveryTarget
    void winogradLeavesNonFiniteValuesToTheDirectKernels(ConformanceTarget target) {
        ConvCase[] cases = {new ConvCase(new Window(48, 9, 11, 3, 3, 1, 1, 1, 1), 3, 49),
            new ConvCase(new Window(48, 22, 21, 3, 3, 1, 1, 1, 1), 1, 53)};
        for (ConvCase c : cases) {
            for (int where = 0; where < 3; where++) {  // in x and dY, in the filters, nowhere
                long x = c.batch * c.w.inputSize(), wt = (long) c.filters * c.w.colRows(), y = (long) c.batch * c.filters * c.w.colCols();
                float[] xs = random(x, 1f), ws = random(wt, 1f), dy = random(y, 1f);
                if (where == 0) {
                    xs[(int) (x - 1 - c.w.inputSize() / 3)] = Float.POSITIVE_INFINITY;  // the last image
                    xs[(int) (c.w.inputSize() / 2)] = Float.NaN;                       // the first
                    dy[(int) (y / 2)] = Float.NEGATIVE_INFINITY;
                } else if (where == 1) {
                    ws[(int) (wt / 2)] = Float.POSITIVE_INFINITY;
                }
                float[][] in = {xs, ws, random(c.filters, 1f), dy, poison(y), poison(x)};
                float[][][] r = both(target, in, (k, p) -> {
                    k.convForward(c.w, c.batch, c.filters, p[0], p[1], null, p[2], null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[4]);
                    k.convBackwardData(c.w, c.batch, c.filters, p[1], p[3], p[5]);
                });
                String what = " " + c + (where == 0 ? ", inf and NaN in x and dY" : where == 1 ? ", inf in the filters" : ", finite");
                assertMatchesReference(r[0][4], r[1][4], 2e-6 * c.w.colRows() + 1e-5, "convForward" + what);
                assertMatchesReference(r[0][5], r[1][5], 2e-6 * c.filters * 9 + 1e-5, "convBackwardData" + what);
                if (where < 2) {
                    int nonFinite = 0;
                    for (float v : r[0][4]) if (!Float.isFinite(v)) nonFinite++;
                    assertTrue(nonFinite > 0 && nonFinite < r[0][4].length / 2, "some outputs and not most are non-finite" + what);
                }
            }
        }
    }

    /**
     * The convolutions' outputs do not depend on the thread count: Winograd over one image's chunks
     * of tile rows and over images, the direct kernels with an image's filter groups split, the
     * GEMM and its transposed form (few pixels), x read in place (a 1x1 of few filters), forward and both gradients.
     */
    @OnEveryTarget
    void convolutionsGiveTheSameBitsOnOneAndTwoThreads(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        ConvCase[] cases = {convCase(15), new ConvCase(new Window(48, 22, 21, 3, 3, 1, 1, 1, 1), 3, 53), convCase(11), convCase(9),
            convCase(16), convCase(20), convCase(21), convCase(22), convCase(23)};
        List<float[][]> in = new ArrayList<>();
        for (ConvCase c : cases) {
            long x = c.batch * c.w.inputSize(), wt = (long) c.filters * c.w.colRows(), y = (long) c.batch * c.filters * c.w.colCols();
            in.add(new float[][] {random(x, 1f), random(wt, 1f), random(c.filters, 1f), random(y, 1f), poison(y), poison(y), poison(x),
                poison(wt), random(y, 1f), poison(y)});
        }
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < cases.length; i++) {
                Ptr[] p = new Ptr[10];
                for (int j = 0; j < 10; j++) p[j] = put(k, in.get(i)[j]);
                convAll(k, cases[i], 0, p);
                outs.addAll(List.of(p[4], p[5], p[6], p[7], p[9]));
            }
            return outs;
        });
    }

    /**
     * convPrepareFilters writes every float of its output, and convForward gives the same bits with
     * the filters prepared as without, on every micro-kernel: prepared for the call's batch, for
     * another batch (another plan, or the same), and under another instruction set (cpu: not
     * read). On cpu the prepared panels are what a GEMM-path forward reads: NaN written over them
     * shows in y (a stride-2 window and a 5x5 plane of 256 channels, GEMM on every instruction
     * set), except where they were prepared for another instruction set. A 3x3 window over a 14x14
     * image at batch 1 (case 25) takes Winograd on cpu only with its filters' transforms made ahead:
     * there y is within rounding of the plain forward's (itself checked against the reference),
     * the same bits for transforms made for another batch, and NaN over the transforms shows.
     */
    @OnEveryTarget
    void preparedFiltersGiveTheSameBits(ConformanceTarget target) {
        KernelSet k = target.kernels();
        List<Variant> variants = target.variants();
        boolean cpu = target.name().equals("cpu");
        for (int t = 0; t < target.cases(60); t++) {
            ConvCase c = t == 24 ? new ConvCase(new Window(64, 7, 7, 3, 3, 1, 1, 1, 1), 1, 96)
                    : t == 25 ? new ConvCase(new Window(64, 14, 14, 3, 3, 1, 1, 1, 1), 1, 64) : convCase(t);
            boolean gemm = t == 16 || t == 21 || t == 23, winograd = cpu && t == 25;
            long x = c.batch * c.w.inputSize(), wt = (long) c.filters * c.w.colRows(), y = (long) c.batch * c.filters * c.w.colCols();
            long prep = KernelSet.preparedFilters(c.w, c.filters);
            int other = c.batch == 1 ? 9 : 1;
            Variant v = variants.get(t % variants.size()), plainest = variants.get(0);
            float[] tail = TAILS[t % TAILS.length];
            int odd = t % 2;
            float[][] in = {random(x, 1f), random(wt, 1f), random(c.filters, 1f), random(y, 1f), poison(y), poison(prep), poison(y),
                    poison(prep), poison(y), poison(y), poison(y)};
            float[][] r = run(k, in, (kk, p) -> {
                v.select().run();
                Ptr z = odd == 0 ? p[3] : null;
                kk.convForward(c.w, c.batch, c.filters, p[0], p[1], null, p[2], z, tail[0], tail[1], p[4]);
                kk.convPrepareFilters(c.w, c.batch, c.filters, p[1], p[5]);
                kk.convForward(c.w, c.batch, c.filters, p[0], p[1], p[5], p[2], z, tail[0], tail[1], p[6]);
                kk.convPrepareFilters(c.w, other, c.filters, p[1], p[7]);
                kk.convForward(c.w, c.batch, c.filters, p[0], p[1], p[7], p[2], z, tail[0], tail[1], p[8]);
                // NaN over the panels: read by this instruction set, not by another
                float[] nan = get(p[5]);
                Arrays.fill(nan, 16, nan.length, Float.NaN);
                Ptr spoilt = put(kk, nan);
                kk.convForward(c.w, c.batch, c.filters, p[0], p[1], spoilt, p[2], z, tail[0], tail[1], p[9]);
                plainest.select().run();
                kk.convForward(c.w, c.batch, c.filters, p[0], p[1], plainest == v ? null : spoilt, p[2], z, tail[0], tail[1], p[10]);
                target.restore();
            });
            String what = " " + v + " " + c;
            for (int i : new int[] {5, 7}) {
                assertEquals(0, nans(r[i]), "convPrepareFilters left floats unwritten" + what);
            }
            if (winograd) {
                assertClose(r[4], r[6], 2e-6 * c.w.colRows() + 1e-5, 1e-5, "convForward with the filters' transforms made ahead" + what);
                assertArrayEquals(bits(r[6]), bits(r[8]), "convForward with the transforms made for batch " + other + what);
            } else {
                assertArrayEquals(bits(r[4]), bits(r[6]), "convForward with the filters prepared" + what);
                assertArrayEquals(bits(r[4]), bits(r[8]), "convForward with the filters prepared for batch " + other + what);
            }
            if (cpu && (gemm || winograd)) assertTrue(nans(r[9]) > 0, "the prepared filters are read" + what);
            if (!cpu) assertArrayEquals(bits(r[4]), bits(r[9]), "convForward does not read prepared filters on " + target + what);
            if (plainest != v) assertEquals(nans(r[4]), nans(r[10]), "filters prepared for " + v + " are not read by " + plainest + what);
        }
    }

    private static int nans(float[] v) {
        int n = 0;
        for (float f : v) if (Float.isNaN(f)) n++;
        return n;
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    /** p: x, dy, then the outputs max, max's dx, average, average's dx. */
    private static void poolAll(KernelSet k, Window w, Ptr[] p) {
        k.maxPoolForward(w, p[0], p[2]);
        k.maxPoolBackward(w, p[0], p[1], p[3]);
        k.avgPoolForward(w, p[0], p[4]);
        k.avgPoolBackward(w, p[1], p[5]);
    }

    @OnEveryTarget
    void pooling(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            // ResNet's 3x3/2 max pooling with 19 whole windows across (two vectors of 8 and the last 8
            // again), then random windows
            Window w = t == 0 ? new Window(3, 37, 41, 3, 3, 2, 2, 1, 1) : t == 1 ? new Window(2, 24, 40, 3, 3, 2, 2, 1, 1) : window(true);
            long in = w.inputSize(), out = w.outputSize();
            float[][][] r = both(target, new float[][] {random(in, 1f), random(out, 1f), poison(out), poison(in), poison(out), poison(in)},
                    (k, p) -> poolAll(k, w, p));
            for (int o = 2; o < 6; o++) assertClose(r[0][o], r[1][o], 1e-6, 1e-5, "pooling output " + o + " " + w);
        }
    }

    /**
     * Adaptive average pooling, forward and backward, on random planes and output sizes (1, primes,
     * larger than the input: overlapping windows); one case in four with infinities and NaNs, which
     * must land in exactly the reference's outputs.
     */
    @OnEveryTarget
    void adaptiveAveragePooling(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            int planes = 1 + rng.nextInt(6), h = dim(40), w = dim(40), oh = 1 + rng.nextInt(Math.min(2 * h, 50)), ow = 1 + rng.nextInt(Math.min(2 * w, 50));
            long in = (long) planes * h * w, out = (long) planes * oh * ow;
            float[] x = t % 4 == 0 ? Buffers.values(rng, in, 1f, 7, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN})
                    : random(in, 1f);
            float[][][] r = both(target, new float[][] {x, random(out, 1f), poison(out), poison(in)}, (k, p) -> {
                k.adaptiveAvgPoolForward(planes, h, w, oh, ow, p[0], p[2]);
                k.adaptiveAvgPoolBackward(planes, h, w, oh, ow, p[1], p[3]);
            });
            String what = planes + " planes " + h + "x" + w + " to " + oh + "x" + ow;
            assertSameSpecialsAndClose(r[0][2], r[1][2], "adaptiveAvgPoolForward " + what);
            assertClose(r[0][3], r[1][3], 1e-6, 1e-5, "adaptiveAvgPoolBackward " + what);
        }
    }

    /** Non-finite expected values must be matched exactly (the same infinity, or NaN); finite ones closely. */
    private static void assertSameSpecialsAndClose(float[] expected, float[] actual, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean ok = Float.isFinite(e) ? Float.isFinite(a) && Math.abs(a - e) <= 1e-6 + 1e-5 * Math.abs(e) : Float.compare(e, a) == 0;
            if (!ok) org.junit.jupiter.api.Assertions.fail(what + ": element " + i + " expected " + e + " got " + a);
        }
    }

    @OnEveryTarget
    void maxPoolAgreesIncludingNaN(ConformanceTarget target) {
        List<Variant> variants = target.variants();
        for (int t = 0; t < target.cases(80); t++) {
            Variant v = variants.get(t / 8 % variants.size()); // every ISA meets ties, NaNs and both
            int h = 2 + rng.nextInt(30), w0 = 2 + rng.nextInt(70); // rows of up to 35 outputs: 16 at a time
            // the 2x2/2 fast path, and general windows (ResNet's 3x3/2 padded by 1 among them): edges and interior
            int kk = t % 4 < 2 ? 2 : 1 + rng.nextInt(4), s = t % 4 < 2 ? 2 : 1 + rng.nextInt(3), pad = t % 4 < 2 ? 0 : rng.nextInt(kk);
            if (t % 4 == 2) {
                kk = 3;
                s = 2;
                pad = 1;
            }
            Window w = new Window(1 + rng.nextInt(6), Math.max(h, kk), Math.max(w0, kk), kk, kk, s, s, pad, pad);
            float[] x = random(w.inputSize(), 1f);
            if (t % 3 == 0) for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(4) == 0 ? -0.5f : 0.5f; // ties
            if (t % 2 == 0) for (int i = 0; i < 3; i++) x[rng.nextInt(x.length)] = Float.NaN;
            v.select().run();
            float[][][] r = both(target, new float[][] {x, random(w.outputSize(), 1f), poison(w.outputSize()), poison(w.inputSize())},
                    (k, p) -> {
                        k.maxPoolForward(w, p[0], p[2]);
                        k.maxPoolBackward(w, p[0], p[1], p[3]);
                    });
            for (int o = 2; o < 4; o++) {
                float[] a = r[0][o], b = r[1][o];
                for (int i = 0; i < a.length; i++) {
                    // the maximum exactly; dx within rounding where overlapping windows add into one pixel
                    double tol = o == 2 ? 0 : 1e-6 * (1 + Math.abs(a[i]));
                    if (Float.isNaN(a[i]) != Float.isNaN(b[i]) || (!Float.isNaN(a[i]) && Math.abs(a[i] - b[i]) > tol)) {
                        fail("max pool output " + o + " element " + i + ": java " + a[i] + " " + target + " " + b[i] + " " + v + " " + w);
                    }
                }
            }
        }
    }

    // ---- pointwise and rows --------------------------------------------------------------------

    private long length() {
        int r = rng.nextInt(10);
        return r == 0 ? 100_000 + rng.nextInt(200_000) : r < 3 ? EDGE[rng.nextInt(EDGE.length)] : 1 + rng.nextInt(5000);
    }

    private interface PointwiseCall {
        void run(KernelSet k, long n, Ptr[] p);
    }

    private void comparePointwise(ConformanceTarget target, int nIn, int nOut, PointwiseCall call, double atol, double rtol, String what) {
        comparePointwise(target, nIn, nOut, call, atol, rtol, what, inputs -> { });
    }

    /** {@code prepare} adjusts the random inputs on the host before both runs. */
    private void comparePointwise(ConformanceTarget target, int nIn, int nOut, PointwiseCall call, double atol, double rtol, String what,
                                  Consumer<float[][]> prepare) {
        for (int t = 0; t < target.cases(CASES); t++) {
            long n = length();
            float[][] arrays = new float[nIn + nOut][];
            for (int i = 0; i < nIn; i++) arrays[i] = random(n, 4f);
            for (int i = nIn; i < nIn + nOut; i++) arrays[i] = poison(n);
            prepare.accept(arrays);
            float[][][] r = both(target, arrays, (k, p) -> call.run(k, n, p));
            for (int o = 0; o < nIn + nOut; o++) assertClose(r[0][o], r[1][o], atol, rtol, what + " n=" + n + " array " + o);
        }
    }

    @OnEveryTarget
    void activations(ConformanceTarget target) {
        comparePointwise(target, 2, 2, (k, n, p) -> {
            k.sigmoidForward(n, p[0], p[2]);
            k.sigmoidBackward(n, p[2], p[1], p[3]);
        }, 1e-6, 1e-5, "sigmoid");
        comparePointwise(target, 2, 2, (k, n, p) -> {
            k.tanhForward(n, p[0], p[2]);
            k.tanhBackward(n, p[2], p[1], p[3]);
        }, 1e-6, 1e-5, "tanh");
        comparePointwise(target, 2, 2, (k, n, p) -> {
            k.reluForward(n, p[0], p[2]);
            k.reluBackward(n, p[0], p[1], p[3]);
        }, 0, 0, "relu");
    }

    /** Inputs the random cases never draw: ±0 (relu's kink), the tiniest and largest floats, saturation, ±inf, NaN. */
    private static final float[] ACTIVATION_EDGES = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 1f, -1f, 30f, -30f,
        100f, -100f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    @OnEveryTarget
    void activationsAtTheEdgesOfTheirDomains(ConformanceTarget target) {
        // the edges alone (a vector's tail), then 23 times over (every one in vector bodies and at every lane)
        for (int copies : new int[] {1, 23}) {
            float[] x = new float[ACTIVATION_EDGES.length * copies];
            for (int i = 0; i < x.length; i++) x[i] = ACTIVATION_EDGES[i % ACTIVATION_EDGES.length];
            long n = x.length;
            float[] dy = random(n, 4f);
            String what = " at the edges, n=" + n;
            float[][][] r = both(target, new float[][] {x, dy, poison(n), poison(n)}, (k, p) -> {
                k.sigmoidForward(n, p[0], p[2]);
                k.sigmoidBackward(n, p[2], p[1], p[3]);
            });
            Buffers.assertMatchesReference(r[0][2], r[1][2], 1e-5, "sigmoid" + what);
            Buffers.assertMatchesReference(r[0][3], r[1][3], 1e-5, "sigmoid backward" + what);
            r = both(target, new float[][] {x, dy, poison(n), poison(n)}, (k, p) -> {
                k.tanhForward(n, p[0], p[2]);
                k.tanhBackward(n, p[2], p[1], p[3]);
            });
            Buffers.assertMatchesReference(r[0][2], r[1][2], 1e-5, "tanh" + what);
            Buffers.assertMatchesReference(r[0][3], r[1][3], 1e-5, "tanh backward" + what);
            r = both(target, new float[][] {x, dy, poison(n), poison(n)}, (k, p) -> {
                k.reluForward(n, p[0], p[2]);
                k.reluBackward(n, p[0], p[1], p[3]);
            });
            Buffers.assertMatchesReference(r[0][2], r[1][2], 0, "relu" + what);
            Buffers.assertMatchesReference(r[0][3], r[1][3], 0, "relu backward" + what);
        }
    }

    @OnEveryTarget
    void elementwiseAndOptimizers(ConformanceTarget target) {
        comparePointwise(target, 2, 3, (k, n, p) -> {
            k.add(n, p[0], p[1], p[2]);
            k.mul(n, p[0], p[1], p[3]);
            k.scale(n, -1.5f, p[0], p[4]);
            k.axpy(n, 0.25f, p[1], p[4]);
            k.axpy(n, 2f, p[2], p[0]); // in place on an input
        }, 1e-6, 1e-6, "add/mul/scale/axpy");
        comparePointwise(target, 0, 1, (k, n, p) -> k.fill(n, 3.25f, p[0]), 0, 0, "fill");
        comparePointwise(target, 3, 0, (k, n, p) -> {
            k.sgdMomentum(n, 0.01f, 0.9f, 5e-4f, false, p[0], p[1], p[2]);
            k.sgdMomentum(n, 0.01f, 0.9f, 5e-4f, true, p[0], p[1], p[2]);
        }, 1e-6, 1e-5, "sgd momentum / nesterov");
        comparePointwise(target, 4, 0, (k, n, p) -> k.adam(n, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, 7, p[0], p[1], p[2], p[3]),
                1e-6, 1e-4, "adam", in -> { // the second moment v is never negative
                    for (int i = 0; i < in[3].length; i++) in[3][i] = Math.abs(in[3][i]);
                });
    }

    @OnEveryTarget
    void softmaxFamily(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            int rows = dim(300), cols = dim(1000);
            float[] labels = new float[rows];
            for (int r = 0; r < rows; r++) labels[r] = rng.nextInt(cols);
            long n = (long) rows * cols;
            // every other case: logits far apart (e^(x - m) underflows, subnormal in double) and NaN, +-inf among them
            float[] logits = t % 2 == 0 ? random(n, 8f) : values(n, 0f, 400f, 40);
            float[][] in = {logits, random(n, 1f), labels, poison(n), poison(n), poison(n), poison(n), poison(n), poison(rows), poison(n)};
            float[][][] r = both(target, in, (k, p) -> softmaxAll(k, rows, cols, p));
            for (int o = 3; o < r[0].length; o++) {
                float[] expected = r[0][o].clone(), actual = r[1][o].clone();
                for (int i = 0; i < expected.length; i++) {
                    if (Float.isNaN(expected[i]) && Float.isNaN(actual[i]) && t % 2 == 1) expected[i] = actual[i] = 0; // NaN in the input: NaN out
                }
                assertClose(expected, actual, 1e-6, 2e-5, "softmax family " + rows + "x" + cols + " out " + o);
            }
        }
    }

    private static void softmaxAll(KernelSet k, int rows, int cols, Ptr[] p) {
        k.softmaxForward(rows, cols, p[0], p[3]);
        k.softmaxBackward(rows, cols, p[3], p[1], p[4]);
        k.logSoftmaxForward(rows, cols, p[0], p[5]);
        k.logSoftmaxBackward(rows, cols, p[5], p[1], p[6]);
        k.softmaxCrossEntropyForward(rows, cols, p[0], p[2], p[7], p[8]);
        k.softmaxCrossEntropyBackward(rows, cols, p[7], p[2], 0.5f, p[9]);
    }

    @OnEveryTarget
    void biasReductionsArgmax(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            int outer = dim(64), channels = dim(100), inner = dim(200);
            long n = (long) outer * channels * inner;
            float[][] in = {random(channels, 1f), random(n, 1f), poison(channels), poison(1), poison(outer)};
            float[][][] r = both(target, in, (k, p) -> biasAll(k, outer, channels, inner, n, p));
            assertClose(r[0][1], r[1][1], 1e-6, 1e-6, "bias add");
            assertClose(r[0][2], r[1][2], 1e-4, 1e-5, "bias grad");
            assertClose(r[0][3], r[1][3], 1e-3, 1e-5, "sum");
            assertClose(r[0][4], r[1][4], 0, 0, "argmax");
        }
    }

    private static void biasAll(KernelSet k, int outer, int channels, int inner, long n, Ptr[] p) {
        k.biasAdd(outer, channels, inner, p[0], p[1]);
        k.biasGrad(outer, channels, inner, p[1], p[2]);
        k.sum(n, p[1], p[3]);
        k.argmax(outer, (int) (n / outer), p[1], p[4]);
    }

    /** 0, 1, primes, the threading grains (CORTADO_GRAIN 32768 per thread, /8 for rand) ± 1, large; then random lengths. */
    private static final long[] LENGTHS = {0, 1, 2, 3, 5, 13, 31, 97, 4095, 4096, 4097, 8191, 32767, 32768, 32769, 65537,
        100_003, 1_000_003};

    private long lengthCase(int t) {
        return t < LENGTHS.length ? LENGTHS[t] : length();
    }

    @OnEveryTarget
    void equalMatchesReferenceIncludingNaNAndSignedZeros(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            long n = lengthCase(t);
            float[] a = random(n, 4f), b = random(n, 4f);
            for (int i = 0; i < n; i++) {
                switch (rng.nextInt(6)) {
                    case 0, 1 -> b[i] = a[i];
                    case 2 -> a[i] = Float.NaN;
                    case 3 -> a[i] = b[i] = Float.NaN;
                    case 4 -> {
                        a[i] = 0f;
                        b[i] = -0f;
                    }
                    default -> { } // two random floats: different
                }
            }
            // y one longer than n: its last element must stay NaN; y == a (in place) too
            float[][][] r = both(target, new float[][] {a, b, poison(n + 1)}, (k, p) -> {
                k.equal(n, p[0], p[1], p[2]);
                k.equal(n, p[0], p[1], p[0]);
            });
            for (int o = 0; o < 3; o++) assertArrayEquals(r[0][o], r[1][o], "equal n=" + n + " array " + o);
            assertEquals(Float.NaN, r[1][2][(int) n], "equal n=" + n + " wrote past y");
        }
    }

    @OnEveryTarget
    void randGivesTheReferenceBitsForEveryState(ConformanceTarget target) {
        long[] states = {0, 1, -1, 42, Long.MIN_VALUE, Long.MAX_VALUE, SplitMix64.GAMMA, -SplitMix64.GAMMA};
        for (int t = 0; t < target.cases(CASES); t++) {
            long n = lengthCase(t);
            long state = t < states.length ? states[t] : rng.nextInt(3) == 0 ? states[rng.nextInt(states.length)] : rng.nextLong();
            float[][][] r = both(target, new float[][] {poison(n + 1)}, (k, p) -> k.rand(n, state, p[0]));
            assertArrayEquals(r[0][0], r[1][0], "rand n=" + n + " state " + state);
            assertEquals(Float.NaN, r[1][0][(int) n], "rand n=" + n + " wrote past y");
        }
    }

    @OnEveryTarget
    void everyKernelGivesTheSameBitsOnOneAndTwoThreads(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        for (int t = 0; t < target.cases(20); t++) {
            Window w = window(true);
            int rows = dim(200), cols = dim(500);
            long n = 300_000;
            float[] x = random(n, 3f), g = random(n, 1f);
            for (int i = 0; i < n; i += 3) g[i] = x[i]; // equal sees matches
            float[][] outs = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                releaseAll();
                target.setThreads(threads);
                Ptr px = put(k, x), pg = put(k, g);
                Ptr col = put(k, poison((long) w.colRows() * w.colCols())), im = put(k, poison(w.inputSize()));
                Ptr pool = put(k, poison(w.outputSize())), dpool = put(k, poison(w.inputSize()));
                Ptr act = put(k, poison(n)), sm = put(k, poison((long) rows * cols)), s = put(k, poison(1)), db = put(k, poison(cols));
                k.im2col(w, 1, px, col);
                k.col2im(w, 1, col, im);
                ConvCase cc = new ConvCase(w, 3, 7);
                long cx = 3 * w.inputSize(), cw = 7L * w.colRows(), cy = 3L * 7 * w.colCols();
                Ptr[] conv = {px, pg, pg.at(cw), pg.at(cw + 7), put(k, poison(cy)), put(k, poison(cy)), put(k, poison(cx)), put(k, poison(cw)),
                        pg.at(cw + 7), put(k, poison(cy))};
                convAll(k, cc, 0, conv);
                k.maxPoolForward(w, px, pool);
                k.maxPoolBackward(w, px, pg, dpool);
                k.sigmoidForward(n, px, act);
                k.softmaxForward(rows, cols, px, sm);
                k.sum(n, px, s);
                k.biasGrad(rows, cols, 1, px, db);
                Ptr eq = put(k, poison(n)), rnd = put(k, poison(n));
                k.equal(n, px, pg, eq);
                k.rand(n, -7L * t, rnd);
                k.sgdMomentum(n, 0.1f, 0.9f, 0f, false, px, pg, act);
                List<Float> all = new ArrayList<>();
                for (Ptr p : new Ptr[] {col, im, pool, dpool, act, sm, s, db, eq, rnd, px, conv[4], conv[5], conv[6], conv[7], conv[9]}) for (float v : get(p)) all.add(v);
                outs[threads - 1] = new float[all.size()];
                for (int i = 0; i < all.size(); i++) outs[threads - 1][i] = all.get(i);
            }
            assertArrayEquals(outs[0], outs[1], "1 vs 2 threads, " + w);
        }
    }

    /** Same NaN positions, and the same values elsewhere (non-finite inputs must give the same non-finite outputs). */
    private static void assertSameNonFinite(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            boolean bothNaN = Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
            if (!bothNaN && !(expected[i] == actual[i] || Math.abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.abs(expected[i])))) {
                fail(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]
                        + "\n expected " + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
            }
        }
    }

    @OnEveryTarget
    void infiniteInputsOfTheDirectAndWinogradPathsAgreeWithTheReference(ConformanceTarget target) {
        // the direct filter gradient meets the columns it computes past each output row with zeros in
        // dY, against real inputs: an inf there would make 0 x inf = NaN terms the reference lacks.
        // Winograd's transforms subtract inputs (inf - inf = NaN where the reference has inf): an image
        // holding an inf, and non-finite filters, must take the direct products
        Window w = new Window(48, 14, 14, 3, 3, 1, 1, 1, 1);
        int batch = 5, filters = 48;
        long xs = batch * w.inputSize(), ws = (long) filters * w.colRows(), ys = (long) batch * filters * w.colCols();
        float[] x = random(xs, 1f), dy = random(ys, 1f), wt = random(ws, 1f), infWt = random(ws, 1f);
        for (int i = 13; i < x.length / 2; i += 14 * 5) x[i] = Float.POSITIVE_INFINITY;  // last columns of some rows
        for (int i = 7; i < dy.length / 3; i += 37) dy[i] = Float.NEGATIVE_INFINITY;
        infWt[5] = Float.POSITIVE_INFINITY;
        float[][][] r = both(target, new float[][] {x, dy, wt, infWt, poison(ws), poison(ys), poison(xs), poison(ys), random(xs, 1f)}, (k, p) -> {
            k.convBackwardFilter(w, batch, filters, p[0], p[1], p[4]);
            k.convForward(w, batch, filters, p[0], p[2], null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[5]);
            k.convBackwardData(w, batch, filters, p[2], p[1], p[6]);
            k.convForward(w, batch, filters, p[8], p[3], null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[7]);  // finite images
        });
        assertSameNonFinite(r[0][4], r[1][4], "filter gradient " + w);
        assertSameNonFinite(r[0][5], r[1][5], "forward " + w);
        assertSameNonFinite(r[0][6], r[1][6], "data gradient " + w);
        assertSameNonFinite(r[0][7], r[1][7], "forward, an inf filter " + w);
    }

    @OnEveryTarget
    void nonFiniteInputsOverPaddingAgreeWithTheReference(ConformanceTarget target) {
        // was: the direct small-bank forward skipped padding rows, so an Inf weight over padding gave a number on cpu and NaN in java
        for (Window w : new Window[] {Window.square(1, 3, 3, 3, 1, 2), Window.square(2, 5, 4, 3, 1, 1), new Window(1, 6, 6, 5, 3, 1, 1, 2, 1),
                                      Window.square(1, 28, 28, 5, 1, 2)}) {
            int batch = w.height() == 28 ? 11 : 2, filters = 3; // 11 x 784 pixels reach the direct filter-gradient path
            long xs = batch * w.inputSize(), ws = (long) filters * w.colRows(), ys = (long) batch * filters * w.colCols();
            float[] x = new float[(int) xs], wt = new float[(int) ws], dy = new float[(int) ys];
            for (int i = 0; i < x.length; i++) x[i] = rng.nextFloat() - 0.5f;
            for (int i = 0; i < wt.length; i++) wt[i] = i % 7 == 3 ? Float.POSITIVE_INFINITY : rng.nextFloat() - 0.5f;
            for (int i = 0; i < dy.length; i++) dy[i] = i % 5 == 2 ? Float.NEGATIVE_INFINITY : rng.nextFloat() - 0.5f;
            float[][][] r = both(target, new float[][] {x, wt, dy, poison(ys), poison(ws)}, (k, p) -> {
                k.convForward(w, batch, filters, p[0], p[1], null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[3]);
                k.convBackwardFilter(w, batch, filters, p[0], p[2], p[4]);
            });
            assertSameNonFinite(r[0][3], r[1][3], "forward " + w);
            assertSameNonFinite(r[0][4], r[1][4], "filter gradient " + w);
        }
    }
}
