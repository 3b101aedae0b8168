package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The depthwise convolution kernels (depthwiseForward, depthwiseBackwardData,
 * depthwiseBackwardFilter): each target equals the java reference on fixed shapes (MobileNetV2's
 * layers: 32 and 96 channels of 112 x 112, 960 of 7 x 7; one channel of 1 x 1; kernels larger
 * than the image; channel counts that are and are not multiples of 8) and on 150 random ones on cpu, its share elsewhere (channels 1 and primes, planes
 * 1 to 70 wide, kernels 1 to 7 and non-square, strides 1 to 3, padding 0 to the kernel and beyond,
 * batch 1 to 5); outputs poisoned with NaN, one float longer than needed, before each call; every
 * sixth case has NaN and infinities in x, weight and dy, which must land exactly where the
 * reference puts them (a tap in the padding adds nothing, even against an infinite weight). On
 * cpu 1 and 2 threads give the same bits. The reference itself equals the groups = 1 convolution
 * with the filters spread over a block-diagonal bank, and a hand-worked example.
 */
class DepthwiseKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 150;

    DepthwiseKernelsConformanceTest() {
        super(20_261_222);
    }

    private record Case(Window w, int batch) {
        @Override
        public String toString() {
            return "batch " + batch + " " + w;
        }
    }

    private static Case fixed(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int batch) {
        return new Case(new Window(c, h, w, kh, kw, sh, sw, ph, pw), batch);
    }

    private static final Case[] FIXED = {
        fixed(32, 112, 112, 3, 3, 1, 1, 1, 1, 1),   // MobileNetV2's first depthwise layer
        fixed(96, 112, 112, 3, 3, 2, 2, 1, 1, 1),   // ... and its first with stride 2
        fixed(960, 7, 7, 3, 3, 1, 1, 1, 1, 2),      // its last, at batch 2
        fixed(576, 14, 14, 3, 3, 2, 2, 1, 1, 1),
        fixed(1, 1, 1, 1, 1, 1, 1, 0, 0, 1),
        fixed(1, 1, 1, 3, 3, 1, 1, 1, 1, 3),        // a 3 x 3 kernel over one pixel: one tap inside
        fixed(3, 2, 2, 5, 5, 1, 1, 2, 2, 2),        // kernel larger than the image
        fixed(7, 13, 11, 5, 5, 1, 1, 2, 2, 2),
        fixed(13, 9, 17, 3, 5, 2, 1, 1, 2, 4),      // non-square kernel, row stride 2
        fixed(5, 10, 23, 1, 3, 3, 1, 0, 1, 3),      // row stride 3
        fixed(3, 17, 19, 5, 3, 3, 2, 4, 0, 2),      // padding 4 of a 5-row kernel
        fixed(2, 6, 40, 1, 7, 1, 1, 0, 6, 2),       // 7 wide (the run-time width path), padding kw - 1
        fixed(11, 31, 29, 4, 2, 1, 2, 3, 1, 3),
        fixed(17, 15, 15, 3, 3, 1, 1, 0, 0, 5),     // no padding
        fixed(4, 8, 9, 3, 3, 3, 3, 5, 4, 2),        // padding past the kernel: whole windows in the padding
        fixed(2, 33, 70, 5, 5, 2, 2, 2, 2, 1),      // stride 2, 5 x 5 (its own path)
        fixed(2, 3, 5, 1, 1, 3, 3, 0, 0, 2),        // stride past a 1 x 1 kernel: pixels no window reads
        // 3 x 3 over 8 channels at a time (cpu): groups that end with the image, and a remainder
        fixed(8, 5, 6, 3, 3, 2, 1, 1, 0, 3),
        fixed(12, 9, 9, 3, 3, 3, 3, 2, 2, 2),
        fixed(21, 28, 28, 3, 3, 1, 1, 1, 1, 2),
    };

    private static final int[] CHANNELS = {1, 2, 3, 5, 7, 11, 13, 16, 17, 31, 32, 37};

    private Case random() {
        for (;;) {
            int kh = 1 + rng.nextInt(5), kw = rng.nextInt(3) == 0 ? 1 + rng.nextInt(7) : kh;
            int ph = rng.nextInt(kh), pw = rng.nextInt(kw);
            int h = rng.nextInt(5) == 0 ? 1 + rng.nextInt(70) : 1 + rng.nextInt(20);
            int w = rng.nextInt(5) == 0 ? 1 + rng.nextInt(70) : 1 + rng.nextInt(20);
            if (h + 2 * ph < kh || w + 2 * pw < kw) continue;
            Window win = new Window(CHANNELS[rng.nextInt(CHANNELS.length)], h, w, kh, kw, 1 + rng.nextInt(3), 1 + rng.nextInt(3), ph, pw);
            int batch = 1 + rng.nextInt(5);
            if (batch * win.inputSize() <= 60_000) return new Case(win, batch);
        }
    }

    private Case caseOf(int t) {
        return t < FIXED.length ? FIXED[t] : random();
    }

    /** Every sixth case (from the fixed ones on) has NaN and infinities among x, weight and dy. */
    private static boolean special(int t) {
        return t % 6 == 5;
    }

    /** The clamps the forward with bias takes in turn: ReLU6, none, a two-sided clamp, ReLU. */
    private static final float[][] TAILS = {{0f, 6f}, {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, {-0.3f, 0.4f}, {0f, Float.POSITIVE_INFINITY}};

    /** p: x, weight, bias, dy, then the outputs y (with bias, clamped by TAILS[t % 4]), y (without), dx, dweight. */
    private static void all(KernelSet k, Case c, int t, Ptr[] p) {
        float[] tail = TAILS[t % TAILS.length];
        k.depthwiseForward(c.w, c.batch, p[0], p[1], p[2], tail[0], tail[1], p[4]);
        k.depthwiseForward(c.w, c.batch, p[0], p[1], null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[5]);
        k.depthwiseBackwardData(c.w, c.batch, p[1], p[3], p[6]);
        k.depthwiseBackwardFilter(c.w, c.batch, p[0], p[3], p[7]);
    }

    private float[][] inputs(Case c, boolean special) {
        long x = c.batch * c.w.inputSize(), y = c.batch * c.w.outputSize(), wt = c.w.colRows();
        int every = special ? 37 : 0;
        return new float[][] {values(x, 0, 1f, every), values(wt, 0, 1f, every), values(c.w.channels(), 0, 1f, 0), values(y, 0, 1f, every),
            poison(y + 1), poison(y + 1), poison(x + 1), poison(wt + 1)};
    }

    @OnEveryTarget
    void depthwiseMatchesTheReference(ConformanceTarget target) {
        int cases = Math.max(target.cases(CASES), FIXED.length);
        for (int t = 0; t < cases; t++) {
            releaseAll();
            Case c = caseOf(t);
            int tt = t;
            float[][][] r = both(target, inputs(c, special(t)), (k, p) -> all(k, c, tt, p));
            String what = c + (special(t) ? " (NaN, inf)" : "") + ", clamp " + Arrays.toString(TAILS[t % TAILS.length]);
            // a sum of n products of numbers in [-1, 1]: its float error grows with n
            int taps = c.w.kernelH() * c.w.kernelW();
            double forward = 2e-6 * taps + 1e-6;
            double data = 2e-6 * taps + 1e-6; // at most kh·kw windows hold a pixel
            double filter = 2e-6 * c.batch * c.w.colCols() + 1e-6;
            assertMatches(r[0][4], r[1][4], forward, "depthwiseForward with bias " + what);
            assertMatches(r[0][5], r[1][5], forward, "depthwiseForward " + what);
            assertMatches(r[0][6], r[1][6], data, "depthwiseBackwardData " + what);
            assertMatches(r[0][7], r[1][7], filter, "depthwiseBackwardFilter " + what);
        }
    }

    /**
     * Equal to the reference: NaN exactly where it has NaN, the same infinities, finite values
     * within atol + 1e-5 |java|; the last float (one past the output) still the poison.
     */
    private static void assertMatches(float[] expected, float[] actual, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int n = expected.length - 1;
        assertTrue(Float.isNaN(actual[n]), what + ": wrote past its output");
        for (int i = 0; i < n; i++) {
            float e = expected[i], a = actual[i];
            boolean ok = Float.isNaN(e) ? Float.isNaN(a)
                    : Float.isInfinite(e) || Float.isInfinite(a) ? e == a
                    : Math.abs((double) a - e) <= atol + 1e-5 * Math.abs(e);
            if (!ok) fail(what + ": element " + i + " of " + n + " java " + e + " got " + a);
        }
    }

    @OnEveryTarget
    void oneAndTwoThreadsGiveTheSameBits(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        Case[] cases = {FIXED[0], FIXED[2], fixed(3, 40, 50, 3, 3, 1, 1, 1, 1, 11), fixed(5, 30, 31, 5, 3, 2, 1, 2, 1, 9), fixed(1, 64, 64, 3, 3, 1, 1, 1, 1, 17)};
        List<float[][]> in = new ArrayList<>();
        for (Case c : cases) in.add(inputs(c, false));
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            for (int i = 0; i < cases.length; i++) {
                Ptr[] p = new Ptr[8];
                for (int j = 0; j < 8; j++) p[j] = put(k, in.get(i)[j]);
                all(k, cases[i], i, p);
                outs.addAll(List.of(p[4], p[5], p[6], p[7]));
            }
            return outs;
        });
    }

    @OnEveryTarget
    void anEmptyBatchWritesNothingAndZeroWeightGradient(ConformanceTarget target) {
        Window w = Window.square(3, 5, 5, 3, 1, 1);
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr none = put(k, new float[0]), weight = put(k, values(27, 0, 1f, 0)), dweight = put(k, poison(27));
            k.depthwiseForward(w, 0, none, weight, put(k, new float[3]), 0f, 6f, none);
            k.depthwiseBackwardData(w, 0, weight, none, none);
            k.depthwiseBackwardFilter(w, 0, none, none, dweight);
            for (float v : get(dweight)) assertEquals(0f, v, k.name() + ": dweight of an empty batch");
        }
    }

    // ---- the reference -----------------------------------------------------------------------

    /**
     * The reference equals the groups = 1 convolution of the same x with a bank of C filters over C
     * channels, filter c holding weight[c] at channel c and zeros elsewhere (finite inputs: the
     * zeros then add nothing), forward and both gradients.
     */
    @Test
    void referenceEqualsTheConvolutionWithABlockDiagonalBank() {
        Case[] cases = {FIXED[7], FIXED[8], FIXED[10], FIXED[12], FIXED[14], fixed(4, 12, 9, 3, 3, 2, 2, 1, 1, 3)};
        for (Case c : cases) {
            releaseAll();
            int ch = c.w.channels(), taps = c.w.kernelH() * c.w.kernelW();
            float[][] in = inputs(c, false);
            float[] bank = new float[ch * ch * taps];
            for (int f = 0; f < ch; f++) System.arraycopy(in[1], f * taps, bank, (f * ch + f) * taps, taps);
            float[][] dw = run(REF, in, (k, p) -> all(k, c, 1, p)); // (TAILS[1]: no clamp, as convForward below)
            float[][] conv = run(REF, new float[][] {in[0], bank, in[2], in[3], in[4], in[5], in[6], poison(bank.length + 1)}, (k, p) -> {
                k.convForward(c.w, c.batch, ch, p[0], p[1], null, p[2], null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[4]);
                k.convForward(c.w, c.batch, ch, p[0], p[1], null, null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[5]);
                k.convBackwardData(c.w, c.batch, ch, p[1], p[3], p[6]);
                k.convBackwardFilter(c.w, c.batch, ch, p[0], p[3], p[7]);
            });
            double tol = 1e-5;
            assertMatches(conv[4], dw[4], tol, "forward with bias " + c);
            assertMatches(conv[5], dw[5], tol, "forward " + c);
            assertMatches(conv[6], dw[6], tol, "data gradient " + c);
            float[] diagonal = new float[ch * taps + 1];
            for (int f = 0; f < ch; f++) System.arraycopy(conv[7], (f * ch + f) * taps, diagonal, f * taps, taps);
            diagonal[ch * taps] = Float.NaN;
            assertMatches(diagonal, dw[7], 1e-5 * c.batch * c.w.colCols(), "filter gradient " + c);
        }
    }

    /** x = 1..9 as a 3 x 3 image, a 3 x 3 filter of ones, padding 1, bias 0.5: each output is 0.5 + the sum of its neighbourhood. */
    @Test
    void referenceSumsTheNeighbourhoods() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        Window w = Window.square(1, 3, 3, 3, 1, 1);
        float[][] out = run(REF, new float[][] {x, ones, {0.5f}, ones, poison(9), poison(9), poison(9), poison(9)}, (k, p) -> {
            k.depthwiseForward(w, 1, p[0], p[1], p[2], Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, p[4]);
            k.depthwiseForward(w, 1, p[0], p[1], p[2], 15f, 30f, p[7]);
            k.depthwiseBackwardData(w, 1, p[1], p[3], p[5]);
            k.depthwiseBackwardFilter(w, 1, p[0], p[3], p[6]);
        });
        float[] y = {12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f};
        float[] covered = {4, 6, 4, 6, 9, 6, 4, 6, 4}; // dx with dy = 1: how many windows hold each pixel
        float[] dweight = {12, 21, 16, 27, 45, 33, 24, 39, 28}; // tap (i, j) reads the pixels it meets in the image
        for (int i = 0; i < 9; i++) {
            assertEquals(y[i], out[4][i], "y " + i);
            assertEquals(Math.min(Math.max(y[i], 15f), 30f), out[7][i], "y clamped to [15, 30] " + i);
            assertEquals(covered[i], out[5][i], "dx " + i);
        }
        float[] dwGot = new float[9];
        System.arraycopy(out[6], 0, dwGot, 0, 9);
        for (int t = 0; t < 9; t++) assertEquals(dweight[t], dwGot[t], "dweight " + t);
    }
}
