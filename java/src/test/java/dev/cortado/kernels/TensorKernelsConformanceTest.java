package dev.cortado.kernels;

import static dev.cortado.kernels.Buffers.assertMatchesReference;
import static dev.cortado.kernels.Buffers.poison;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.kernels.ConformanceTarget.Variant;
import dev.cortado.memory.Ptr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The general tensor kernels (copyStrided, binary, unary, unaryBackward, reduce, gather,
 * scatterAdd, gemmBatched) of each target equal the java reference, every op code, on at least
 * 100 random cases each (cpu; a target's share of them otherwise): ranks 0 to 8, extents 1,
 * primes, 0 and non-multiples of the tiles and vectors, broadcast (stride 0), permuted and padded
 * strides, repeated indices; inputs with NaN, infinities, signed zeros and negatives; outputs
 * poisoned with NaN before each call (NaN must match NaN, and passes nowhere else). Exact ops
 * must give the reference's bits; on cpu 1 and 2 threads give identical bits. (That the checks
 * refuse bad arguments by name is {@link CheckedKernelsTest}'s.)
 */
class TensorKernelsConformanceTest extends KernelConformance {

    private static final int CASES = 120;

    TensorKernelsConformanceTest() {
        super(20_261_126);
    }

    // ---- values ----------------------------------------------------------------------------------

    /** Values the reference and the kernels must agree on, including at the edges of their domains. */
    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, -1f,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, -1e30f, 0.5f, 2f, 88f, -100f};

    /** n values uniform in [-scale, scale], about one in {@code specialEvery} a SPECIAL value instead (none if 0). */
    private float[] values(long n, float scale, int specialEvery) {
        return Buffers.values(rng, n, scale, specialEvery, SPECIAL);
    }

    // ---- comparisons -----------------------------------------------------------------------------

    /** The same float everywhere: +0 is not -0, and NaN matches only NaN. */
    private static void exact(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": element " + i + " java " + expected[i] + " got " + actual[i]);
            }
        }
    }

    /**
     * A derivative dx = dy · op'(x) computed in float carries op'(x)'s absolute error times |dy|: where
     * op' nears 0 (GELU's minimum) a relative bound on dx cannot hold, so 1e-6 |dy| is allowed on
     * top of {@link Buffers#assertMatchesReference}'s bound.
     */
    private static void closeDerivative(float[] expected, float[] actual, float[] dy, double rel, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            double allowed = rel * Math.max(1, Math.abs(e)) + (i < dy.length && Float.isFinite(dy[i]) ? 1e-6 * Math.abs(dy[i]) : 0);
            boolean ok = Float.isNaN(e) ? Float.isNaN(a)
                    : Float.isInfinite(e) || Float.isInfinite(a) ? e == a
                    : !Float.isNaN(a) && Math.abs((double) a - e) <= allowed;
            if (!ok) fail(what + ": element " + i + " java " + e + " got " + a + " (dy " + (i < dy.length ? dy[i] : 0) + ")");
        }
    }

    // ---- shapes and strided layouts ----------------------------------------------------------------

    /** 1, primes, the tile (16) and vector (16) sizes and their neighbours. */
    private static final long[] EXTENTS = {1, 2, 3, 5, 7, 8, 13, 15, 16, 17, 31, 32, 33, 47, 64, 65, 97};

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** A random shape of `rank` axes with at most `max` elements; now and then an empty one. */
    private long[] shape(int rank, long max) {
        long[] s = new long[rank];
        for (int d = 0; d < rank; d++) s[d] = rng.nextInt(3) == 0 ? 1 + rng.nextInt(6) : EXTENTS[rng.nextInt(EXTENTS.length)];
        if (rank > 0 && rng.nextInt(20) == 0) s[rng.nextInt(rank)] = 0;
        while (numel(s) > max) {
            int big = 0;
            for (int d = 1; d < rank; d++) if (s[d] > s[big]) big = d;
            s[big] = Math.max(1, s[big] / 2);
        }
        return s;
    }

    /** Strides of one strided operand and where its first element sits in its buffer of `length` floats. */
    private record Layout(long[] strides, long offset, long length) {
    }

    /**
     * The operand laid out with its axes in memory order `order` (outermost first), each axis's
     * stride past the reach of the ones inside it plus a random padding when `pad`; axes of
     * `broadcast` get stride 0.
     */
    private Layout layout(long[] shape, int[] order, boolean pad, boolean[] broadcast) {
        long[] strides = new long[shape.length];
        long step = 1, span = 0;
        for (int q = order.length - 1; q >= 0; q--) {
            int d = order[q];
            if (broadcast != null && broadcast[d]) continue;
            strides[d] = step;
            span += (shape[d] - 1) * step;
            step = step * shape[d] + (pad && rng.nextInt(3) == 0 ? 1 + rng.nextInt(3) : 0);
        }
        long offset = rng.nextInt(3) == 0 ? rng.nextInt(5) : 0;
        boolean empty = numel(shape) == 0;
        return new Layout(strides, offset, offset + (empty ? 0 : span + 1) + rng.nextInt(3));
    }

    private int[] identity(int rank) {
        int[] o = new int[rank];
        for (int d = 0; d < rank; d++) o[d] = d;
        return o;
    }

    private int[] shuffled(int rank) {
        int[] o = identity(rank);
        for (int d = rank - 1; d > 0; d--) {
            int e = rng.nextInt(d + 1), t = o[d];
            o[d] = o[e];
            o[e] = t;
        }
        return o;
    }

    /** A random strided operand of shape: permuted axes half the time, padded a third, some axes broadcast. */
    private Layout randomLayout(long[] shape, boolean mayBroadcast) {
        int[] order = rng.nextInt(2) == 0 ? shuffled(shape.length) : identity(shape.length);
        boolean[] broadcast = null;
        if (mayBroadcast && rng.nextInt(2) == 0) {
            broadcast = new boolean[shape.length];
            for (int d = 0; d < shape.length; d++) broadcast[d] = rng.nextInt(3) == 0;
        }
        return layout(shape, order, rng.nextInt(3) == 0, broadcast);
    }

    // ---- copyStrided -------------------------------------------------------------------------------

    /** {shape, src memory order, dst memory order}: permutes through the tiled path (edges, tiny and thread-sized), a transpose. */
    private static final long[][][] FIXED_COPIES = {
        {{3, 37, 9, 11}, {0, 1, 2, 3}, {0, 2, 3, 1}},    // NCHW -> NHWC, tiles with edges
        {{2, 3, 17, 19}, {0, 1, 2, 3}, {0, 2, 3, 1}},    // 3 channels: too few for tiles
        {{40, 50}, {0, 1}, {1, 0}},
        {{2, 300, 257}, {0, 1, 2}, {0, 2, 1}},           // 154 200 floats: both threads, tile edges
        {{200_003}, {0}, {0}},                           // one contiguous run, split over threads
        {{5, 16, 16}, {2, 1, 0}, {0, 1, 2}},             // a full reversal of the axes
        {{4, 33, 3, 65}, {3, 0, 2, 1}, {1, 3, 0, 2}},
    };

    @OnEveryTarget
    void copyStridedMatchesTheReferenceBitForBit(ConformanceTarget target) {
        List<Variant> variants = target.defaultAndPlainest();
        for (int t = 0; t < target.cases(3 * CASES); t++) {
            releaseAll();
            long[] shape;
            Layout src, dst;
            if (t < FIXED_COPIES.length) {
                shape = FIXED_COPIES[t][0];
                src = layout(shape, toInts(FIXED_COPIES[t][1]), false, null);
                dst = layout(shape, toInts(FIXED_COPIES[t][2]), false, null);
            } else {
                shape = shape(t % 9, t % 10 == 0 ? 100_000 : 5_000);
                src = randomLayout(shape, true);
                dst = randomLayout(shape, false);
            }
            float[] in = values(src.length, 4f, 10);
            for (int i = 0; i < in.length; i += 97) in[i] = Float.intBitsToFloat(0x7fc01234); // a NaN with a payload
            long[] sh = shape;
            Layout s = src, d = dst;
            for (Variant isa : variants) {
                isa.select().run();
                float[][][] r = both(target, new float[][] {in, poison(d.length)},
                        (k, p) -> k.copyStrided(sh, s.strides, p[0].at(s.offset), d.strides, p[1].at(d.offset)));
                String what = "copyStrided " + Arrays.toString(sh) + " src " + Arrays.toString(s.strides) + " dst "
                        + Arrays.toString(d.strides) + " " + isa;
                int[] a = rawBits(r[0][1]), b = rawBits(r[1][1]);
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != b[i]) fail(what + ": dst element " + i + " java " + r[0][1][i] + " " + target + " " + r[1][1][i]);
                }
            }
        }
    }

    private static int[] toInts(long[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = (int) v[i];
        return o;
    }

    private static int[] rawBits(float[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Float.floatToRawIntBits(v[i]);
        return o;
    }

    // ---- binary ----------------------------------------------------------------------------------

    /** The ops whose float result is the reference's (a correctly rounded operation, or none). */
    private static boolean exactBinary(BinaryOp op) {
        return op != BinaryOp.POW;
    }

    @OnEveryTarget
    void binaryMatchesTheReferenceForEveryOp(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            long[] shape;
            Layout a, b;
            if (t == 0) { // [64, 512, 28, 28] + [512, 1, 1], scaled down: an innermost broadcast
                shape = new long[] {3, 37, 17, 19};
                a = layout(shape, identity(4), false, null);
                b = layout(shape, identity(4), false, new boolean[] {true, false, true, true});
            } else if (t == 1) { // one contiguous run over both threads
                shape = new long[] {100_003};
                a = layout(shape, identity(1), false, null);
                b = layout(shape, identity(1), false, null);
            } else {
                shape = shape(t % 9, t % 10 == 0 ? 60_000 : 4_000);
                a = randomLayout(shape, true);
                b = randomLayout(shape, true);
            }
            long n = numel(shape);
            float[] av = values(a.length, 4f, 6), bv = values(b.length, 4f, 6);
            if (t % 3 == 0) { // equal pairs for the comparisons: b holds a's values where both are contiguous
                for (int i = 0; i < Math.min(av.length, bv.length); i += 2) bv[i] = av[i];
            }
            long[] sh = shape;
            Layout la = a, lb = b;
            for (BinaryOp op : BinaryOp.values()) {
                float[][][] r = both(target, new float[][] {av, bv, poison(n + 1)},
                        (k, p) -> k.binary(op, sh, la.strides, p[0].at(la.offset), lb.strides, p[1].at(lb.offset), p[2]));
                String what = "binary " + op + " " + Arrays.toString(sh) + " a " + Arrays.toString(la.strides) + " b "
                        + Arrays.toString(lb.strides);
                if (exactBinary(op)) exact(r[0][2], r[1][2], what);
                else assertMatchesReference(r[0][2], r[1][2], 1e-6, what);
            }
        }
    }

    @OnEveryTarget
    void powFollowsCAtPlusAndMinusOne(ConformanceTarget target) {
        // C's powf (the op's documented semantics): 1 to any power is 1, and -1 to an infinite one
        float[] a = {1f, 1f, 1f, -1f, -1f, 2f, Float.NaN, -1f};
        float[] b = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 0f, 3f};
        float[] expected = {1f, 1f, 1f, 1f, 1f, Float.NaN, 1f, -1f};
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr y = put(k, poison(a.length));
            k.binary(BinaryOp.POW, new long[] {a.length}, new long[] {1}, put(k, a), new long[] {1}, put(k, b), y);
            exact(expected, get(y), "pow on " + k.name());
        }
    }

    // ---- unary and its derivative --------------------------------------------------------------

    /** Settings (p1, p2) per op: clamp ranges, softplus beta/threshold, slopes, alphas. */
    private float[] settings(UnaryOp op) {
        return switch (op) {
            case CLAMP -> new float[][] {{-1.5f, 2.25f}, {0f, 0f}, {Float.NEGATIVE_INFINITY, 0.5f}, {-0f, Float.POSITIVE_INFINITY}}[rng.nextInt(4)];
            case SOFTPLUS -> new float[][] {{1f, 20f}, {2.5f, 5f}, {0.5f, Float.POSITIVE_INFINITY}}[rng.nextInt(3)];
            case LEAKY_RELU -> new float[][] {{0.01f, 0f}, {-0.3f, 0f}, {0f, 0f}}[rng.nextInt(3)];
            case ELU -> new float[][] {{1f, 0f}, {0.5f, 0f}, {2.75f, 0f}}[rng.nextInt(3)];
            default -> new float[] {rng.nextFloat(), -rng.nextFloat()}; // ignored
        };
    }

    /** Ops whose result (forward, backward) is the reference's to the bit. */
    private static boolean exactForward(UnaryOp op) {
        return switch (op) {
            case SQRT, ABS, NEG, SQUARE, CLAMP, LEAKY_RELU -> true;
            default -> false;
        };
    }

    private static boolean exactBackward(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT, ABS, NEG, SQUARE, CLAMP, LEAKY_RELU -> true;
            default -> false;
        };
    }

    /** 0, 1, primes, vector sizes and the threading grains (32768 floats, /8) +- 1, then random lengths. */
    private static final long[] LENGTHS = {0, 1, 2, 3, 15, 16, 17, 4095, 4096, 4097, 32767, 32768, 32769, 65537, 100_003};

    private long length(int t) {
        if (t < LENGTHS.length) return LENGTHS[t];
        return rng.nextInt(8) == 0 ? 20_000 + rng.nextInt(60_000) : rng.nextInt(3000);
    }

    @OnEveryTarget
    void unaryAndItsDerivativeMatchTheReferenceForEveryOp(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            long n = length(t);
            float[] x = values(n, 6f, 8), dy = values(n, 3f, 12);
            boolean inPlace = t % 4 == 3;
            for (UnaryOp op : UnaryOp.values()) {
                float[] s = settings(op);
                float p1 = s[0], p2 = s[1];
                String what = op + "(" + p1 + ", " + p2 + ") n=" + n + (inPlace ? " in place" : "");
                // forward: y = op(x) into a poisoned y one longer than n (or into x itself)
                float[][][] f = both(target, new float[][] {x, poison(n + 1)}, (k, p) -> k.unary(op, n, p1, p2, p[0], inPlace ? p[0] : p[1]));
                int out = inPlace ? 0 : 1;
                if (exactForward(op)) exact(f[0][out], f[1][out], "unary " + what);
                else assertMatchesReference(f[0][out], f[1][out], 1e-5, "unary " + what);
                // backward: dx = dy * op'(x), into a poisoned dx (or into dy itself)
                float[][][] g = both(target, new float[][] {x, dy, poison(n + 1)},
                        (k, p) -> k.unaryBackward(op, n, p1, p2, p[0], p[1], inPlace ? p[1] : p[2]));
                int dx = inPlace ? 1 : 2;
                if (exactBackward(op)) exact(g[0][dx], g[1][dx], "unaryBackward " + what);
                else closeDerivative(g[0][dx], g[1][dx], dy, 1e-5, "unaryBackward " + what);
            }
        }
    }

    // ---- reduce ----------------------------------------------------------------------------------

    private record ReduceCase(long outer, long len, long inner) {
    }

    /** Rows longer than one segment (cut and combined), blocks of 512 inner values and their edges, empty axes. */
    private static final ReduceCase[] FIXED_REDUCES = {
        new ReduceCase(2, 300_007, 1), new ReduceCase(1, 1030, 700), new ReduceCase(3, 100_003, 3),
        new ReduceCase(5, 0, 7), new ReduceCase(4, 0, 1), new ReduceCase(0, 5, 3), new ReduceCase(3, 5, 0),
        new ReduceCase(1, 1, 1), new ReduceCase(64, 17, 1), new ReduceCase(7, 33, 513),
    };

    private ReduceCase reduceCase(int t) {
        if (t < FIXED_REDUCES.length) return FIXED_REDUCES[t];
        long outer = rng.nextInt(4) == 0 ? 1 : EXTENTS[rng.nextInt(EXTENTS.length)];
        long len = rng.nextInt(5) == 0 ? 1 + rng.nextInt(3000) : EXTENTS[rng.nextInt(EXTENTS.length)];
        long inner = rng.nextInt(3) == 0 ? 1 : EXTENTS[rng.nextInt(EXTENTS.length)];
        while (outer * len * inner > 60_000) {
            if (len > 1) len /= 2;
            else outer = Math.max(1, outer / 2);
        }
        return new ReduceCase(outer, len, inner);
    }

    /** Values with ties (the first extreme counts), NaN, infinities and signed zeros in some cases. */
    private float[] reduceValues(long n, int t) {
        return switch (t % 4) {
            case 0 -> values(n, 3f, 0);
            case 1 -> {
                float[] v = new float[(int) n];
                float[] few = {-1f, 0f, -0f, 1f, 2f, 2f};
                for (int i = 0; i < v.length; i++) v[i] = few[rng.nextInt(few.length)];
                yield v;
            }
            case 2 -> values(n, 3f, 200);
            default -> {
                float[] v = values(n, 10f, 0);
                for (int i = 0; i < v.length; i++) if (rng.nextInt(50) == 0) v[i] = rng.nextInt(2) == 0 ? Float.NEGATIVE_INFINITY : -0f;
                yield v;
            }
        };
    }

    @OnEveryTarget
    void reduceMatchesTheReferenceForEveryOp(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            ReduceCase c = reduceCase(t);
            long n = c.outer * c.len * c.inner, ny = c.outer * c.inner;
            float[] x = reduceValues(n, t);
            for (ReduceOp op : ReduceOp.values()) {
                if (c.len == 0 && ny > 0 && op.needsElements()) continue; // refused (see checksRefuseBadArguments)
                float[][][] r = both(target, new float[][] {x, poison(ny + 1)}, (k, p) -> k.reduce(op, c.outer, c.len, c.inner, p[0], p[1]));
                String what = "reduce " + op + " " + c;
                switch (op) {
                    case MAX, MIN, ARGMAX, ARGMIN -> exact(r[0][1], r[1][1], what);
                    case SUM, MEAN -> sums(r[0][1], r[1][1], x, c, op == ReduceOp.MEAN, what);
                    case LOGSUMEXP -> assertMatchesReference(r[0][1], r[1][1], 1e-5, what);
                }
            }
        }
    }

    /** Sums in double in two orders: they may round to neighbouring floats, or differ by 1e-12 of the sum of magnitudes. */
    private static void sums(float[] expected, float[] actual, float[] x, ReduceCase c, boolean mean, String what) {
        for (int o = 0; o < c.outer; o++) {
            for (int i = 0; i < c.inner; i++) {
                double mag = 0;
                for (int j = 0; j < c.len; j++) mag += Math.abs(x[(int) ((o * c.len + j) * c.inner + i)]);
                if (mean) mag /= c.len;
                int at = (int) (o * c.inner + i);
                float e = expected[at], a = actual[at];
                boolean ok = Float.isNaN(e) ? Float.isNaN(a)
                        : Float.isInfinite(e) || Float.isInfinite(a) ? e == a
                        : Math.abs((double) a - e) <= 1e-6 * Math.abs(e) + 1e-12 * mag;
                if (!ok) fail(what + ": y[" + o + ", " + i + "] java " + e + " got " + a);
            }
        }
        exact(Arrays.copyOfRange(expected, (int) (c.outer * c.inner), expected.length),
                Arrays.copyOfRange(actual, (int) (c.outer * c.inner), actual.length), what + " past y");
    }

    // ---- gather and scatterAdd -------------------------------------------------------------------

    private record GatherCase(long outer, long len, long inner, long count, long is0, long is1, long is2, long indexLength) {
    }

    /** index_select (0, 1, 0), torch.gather (count·inner, inner, 1), per-(o, j) rows (count, 1, 0), and padded variants. */
    private GatherCase gatherCase(int t) {
        long outer = rng.nextInt(3) == 0 ? 1 : 1 + rng.nextInt(9), len = 1 + rng.nextInt(40);
        long inner = rng.nextInt(3) == 0 ? 1 : EXTENTS[rng.nextInt(EXTENTS.length)], count = rng.nextInt(15) == 0 ? 0 : 1 + rng.nextInt(60);
        if (t % 10 == 0) { // an embedding lookup: many rows of a wider table
            outer = 1;
            len = 200 + rng.nextInt(300);
            inner = 64 + rng.nextInt(200);
            count = 500 + rng.nextInt(500);
        }
        int pad = rng.nextInt(3) == 0 ? rng.nextInt(3) : 0;
        long[] s = switch (t % 4) {
            case 0 -> new long[] {0, 1 + pad, 0};
            case 1 -> new long[] {count * inner * (1 + pad), inner + pad, 1};
            case 2 -> new long[] {count + pad, 1, 0};
            default -> new long[] {rng.nextInt(2) * (count + 1), rng.nextInt(2), 1 + pad}; // index shared over o or j
        };
        long span = outer * count * inner == 0 ? 0 : (outer - 1) * s[0] + (count - 1) * s[1] + (inner - 1) * s[2] + 1;
        return new GatherCase(outer, len, inner, count, s[0], s[1], s[2], span);
    }

    /** Indices in [0, len), from a handful of values half the time (repeats), as floats. */
    private float[] indices(GatherCase c) {
        float[] v = new float[(int) c.indexLength];
        int few = 1 + rng.nextInt(4);
        boolean repeat = rng.nextInt(2) == 0;
        for (int i = 0; i < v.length; i++) v[i] = repeat ? rng.nextInt((int) Math.min(few, c.len)) : rng.nextInt((int) c.len);
        return v;
    }

    @OnEveryTarget
    void gatherAndScatterAddMatchTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            GatherCase c = gatherCase(t);
            long xn = c.outer * c.len * c.inner, yn = c.outer * c.count * c.inner;
            float[] x = values(xn, 4f, 10), index = indices(c), dy = values(yn, 2f, t % 5 == 0 ? 20 : 0);
            float[] dx0 = values(xn, 3f, 0);
            if (t % 7 == 0 && dx0.length > 0) dx0[0] = -0f; // untouched or summed to nothing, it stays -0
            float[][][] r = both(target, new float[][] {x, index, poison(yn + 1), dy, dx0}, (k, p) -> {
                k.gather(c.outer, c.len, c.inner, c.count, p[0], p[1], c.is0, c.is1, c.is2, p[2]);
                k.scatterAdd(c.outer, c.len, c.inner, c.count, p[1], c.is0, c.is1, c.is2, p[3], p[4]);
            });
            exact(r[0][2], r[1][2], "gather " + c);
            // each dx element's contributions are summed in double in order of j and added once: the same bits
            exact(r[0][4], r[1][4], "scatterAdd " + c);
            if (yn > 0 && t % 4 == 0 && !hasNonFinite(dy)) {
                double before = 0, after = 0, added = 0;
                for (float v : dx0) before += v;
                for (float v : r[1][4]) after += v;
                for (float v : dy) added += v;
                assertEquals(before + added, after, 1e-3 * (1 + Math.abs(after)), "scatterAdd accumulates into dx " + c);
            }
        }
    }

    private static boolean hasNonFinite(float[] v) {
        for (float f : v) if (!Float.isFinite(f)) return true;
        return false;
    }

    // ---- gemmBatched -----------------------------------------------------------------------------

    private record BatchCase(boolean ta, boolean tb, int m, int n, int k, int lda, int ldb, int ldc, long strideA, long strideB,
                             long strideC, int batch, float alpha, float beta) {
        long aOne() {
            return span(ta ? k : m, ta ? m : k, lda);
        }

        long bOne() {
            return span(tb ? n : k, tb ? k : n, ldb);
        }

        long cOne() {
            return span(m, n, ldc);
        }

        static long span(long rows, long cols, int ld) {
            return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
        }

        static long all(long one, long stride, int batch) {
            return batch == 0 || one == 0 ? 0 : (batch - 1) * stride + one;
        }
    }

    /** The benchmark's shape (32 x [128 x 64]·[64 x 128]), items split between threads, then random. */
    private BatchCase batchCase(int t) {
        if (t == 0) return new BatchCase(false, false, 128, 128, 64, 64, 128, 128, 128 * 64, 64 * 128, 128 * 128, 32, 1f, 0f);
        if (t == 1) return new BatchCase(true, true, 200, 150, 300, 200, 300, 150, 200 * 300, 0, 200 * 150, 2, 1f, 0.5f);
        boolean ta = rng.nextInt(2) == 0, tb = rng.nextInt(2) == 0;
        int m = dim(), n = dim(), k = rng.nextInt(20) == 0 ? 0 : dim();
        int batch = rng.nextInt(15) == 0 ? 0 : 1 + rng.nextInt(rng.nextInt(3) == 0 ? 40 : 6);
        int pad = rng.nextInt(3) == 0 ? 1 + rng.nextInt(5) : 0;
        int lda = Math.max(1, (ta ? m : k) + pad), ldb = Math.max(1, (tb ? k : n) + pad), ldc = Math.max(1, n + pad);
        long aOne = BatchCase.span(ta ? k : m, ta ? m : k, lda), bOne = BatchCase.span(tb ? n : k, tb ? k : n, ldb);
        long cOne = BatchCase.span(m, n, ldc);
        long strideA = rng.nextInt(4) == 0 ? 0 : aOne + rng.nextInt(4), strideB = rng.nextInt(4) == 0 ? 0 : bOne + rng.nextInt(4);
        long strideC = cOne + (rng.nextInt(2) == 0 ? rng.nextInt(7) : 0);
        float[] alphas = {1f, -0.5f, 2.5f}, betas = {0f, 1f, 0.7f};
        return new BatchCase(ta, tb, m, n, k, lda, ldb, ldc, strideA, strideB, strideC, batch, alphas[rng.nextInt(3)], betas[rng.nextInt(3)]);
    }

    private int dim() {
        return rng.nextInt(4) == 0 ? (int) EXTENTS[rng.nextInt(EXTENTS.length)] : 1 + rng.nextInt(40);
    }

    @OnEveryTarget
    void gemmBatchedMatchesTheReference(ConformanceTarget target) {
        for (int t = 0; t < target.cases(CASES); t++) {
            releaseAll();
            BatchCase c = batchCase(t);
            long an = BatchCase.all(c.aOne(), c.strideA, c.batch), bn = BatchCase.all(c.bOne(), c.strideB, c.batch);
            long cn = BatchCase.all(c.cOne(), c.strideC, c.batch) + 1;
            // beta = 0 must not read C: poison it (NaN would leak); otherwise start from random values.
            // Either way the gaps between and after the C matrices must come back untouched.
            float[] c0 = c.beta == 0 ? poison(cn) : values(cn, 1f, 0);
            float[][][] r = both(target, new float[][] {values(an, 1f, 0), values(bn, 1f, 0), c0}, (k, p) -> k.gemmBatched(c.ta, c.tb, c.m, c.n,
                    c.k, c.alpha, p[0], c.lda, c.strideA, p[1], c.ldb, c.strideB, c.beta, p[2], c.ldc, c.strideC, c.batch));
            float[] e = r[0][2], g = r[1][2];
            double atol = 2e-6 * c.k * Math.abs(c.alpha) + 1e-6;
            for (int at = 0; at < e.length; at++) {
                boolean inC = false;
                if (c.batch > 0 && c.cOne() > 0) {
                    long item = Math.min(c.batch - 1, c.strideC == 0 ? 0 : at / c.strideC), off = at - item * c.strideC;
                    inC = off >= 0 && off < c.cOne() && off % c.ldc < c.n;
                }
                if (!inC) {
                    if (Float.floatToRawIntBits(c0[at]) != Float.floatToRawIntBits(g[at])) fail("gemmBatched wrote outside C at " + at + " " + c);
                } else if (Float.isNaN(g[at]) || Math.abs((double) g[at] - e[at]) > atol + 1e-5 * Math.abs(e[at])) {
                    fail("gemmBatched " + c + ": C element " + at + " java " + e[at] + " " + target + " " + g[at]);
                }
            }
        }
    }

    // ---- outputs written past the caches ---------------------------------------------------------

    /**
     * Outputs of 32 MiB and more (at most the size the native kernels start streaming from) are
     * written with streaming stores in copies, expands, permutes, binary and the plain unary ops:
     * the same bits as the reference, with y's first element on no cache-line boundary too.
     */
    @OnEveryTarget
    void largeOutputsWrittenPastTheCachesKeepTheReferenceBits(ConformanceTarget target) {
        long[] nchw = {22, 512, 28, 28};
        long n = numel(nchw); // 8.83 M floats, 35 MB
        Layout plain = layout(nchw, identity(4), false, null), nhwc = layout(nchw, new int[] {0, 2, 3, 1}, false, null);
        Layout bias = layout(nchw, identity(4), false, new boolean[] {true, false, true, true});
        float[] x = values(n, 4f, 1000), z = values(n, 4f, 1000);
        z[5] = -0f; // a broadcast -0 (bias channel 5) and an expanded one: a splat must keep its sign
        x[1] = -0f;
        // each case once, y on a cache-line boundary (offset 0) or off it (offset 3), alternately
        int dstOffset = 3;
        releaseAll();
        long[] flat = {n - dstOffset};
        float[][][] r = both(target, new float[][] {x, poison(n), poison(n)}, (k, p) -> {
            k.copyStrided(flat, new long[] {1}, p[0], new long[] {1}, p[1].at(dstOffset));
            k.copyStrided(nchw, plain.strides, p[0], nhwc.strides, p[2]);
        });
        exact(r[0][1], r[1][1], "contiguous copy, dst offset " + dstOffset);
        exact(r[0][2], r[1][2], "permute to NHWC");
        releaseAll();
        long[] expand = {8500, 1001}; // x[1] = -0 fills row 1
        r = both(target, new float[][] {x, poison(8500 * 1001)}, (k, p) -> k.copyStrided(expand, new long[] {1, 0}, p[0], new long[] {1001, 1}, p[1]));
        exact(r[0][1], r[1][1], "expand");
        BinaryOp[] ops = {BinaryOp.ADD, BinaryOp.MAX, BinaryOp.LT};
        for (int c = 0; c < ops.length; c++) {
            releaseAll();
            BinaryOp op = ops[c];
            int off = c % 2 == 0 ? 3 : 0;
            r = both(target, new float[][] {x, z, poison(n + off)}, (k, p) -> {
                if (op == BinaryOp.LT) k.binary(op, nchw, bias.strides, p[0], plain.strides, p[1], p[2].at(off));
                else k.binary(op, nchw, plain.strides, p[0], op == BinaryOp.ADD ? bias.strides : plain.strides, p[1], p[2].at(off));
            });
            exact(r[0][2], r[1][2], "large binary " + op + ", y offset " + off);
        }
        UnaryOp[] unaries = {UnaryOp.ABS, UnaryOp.NEG, UnaryOp.SQUARE, UnaryOp.CLAMP, UnaryOp.LEAKY_RELU};
        for (int c = 0; c < unaries.length; c++) {
            releaseAll();
            UnaryOp op = unaries[c];
            int off = c % 2 == 0 ? 3 : 0;
            boolean inPlace = c % 2 == 1;
            long m = n - off;
            float lo = op == UnaryOp.CLAMP ? -0f : -0.5f; // clamp to [-0, 1.5]: -0 stays -0
            r = both(target, new float[][] {x, poison(n)}, (k, p) -> k.unary(op, m, lo, 1.5f, p[0].at(off), inPlace ? p[0].at(off) : p[1].at(off)));
            int y = inPlace ? 0 : 1;
            exact(r[0][y], r[1][y], "large unary " + op + ", y offset " + off + (inPlace ? ", in place" : ""));
        }
    }

    // ---- threads -------------------------------------------------------------------------------

    @OnEveryTarget
    void everyKernelGivesTheSameBitsOnOneAndTwoThreads(ConformanceTarget target) {
        target.assumeThreadControl();
        KernelSet k = target.kernels();
        long[] shape = {2, 300, 257};
        Layout perm = layout(shape, new int[] {0, 2, 1}, false, null), plain = layout(shape, identity(3), false, null);
        Layout bcast = layout(shape, identity(3), false, new boolean[] {false, false, true});
        long n = numel(shape);
        float[] x = values(600_000, 4f, 50), y = values(600_000, 4f, 50);
        GatherCase rows = new GatherCase(1, 300, 200, 700, 0, 1, 0, 700), cols = new GatherCase(4, 50, 300, 60, 60 * 300, 300, 1, 4 * 60 * 300);
        float[] rowIndex = indices(rows), colIndex = indices(cols);
        // reductions: rows cut into segments (inner 1, 3), columns in blocks of 512 cut into segments, many short rows
        long[][] reduces = {{1, 600_000, 1}, {2, 300_000, 1}, {1, 200_000, 3}, {1, 1000, 600}, {1000, 600, 1}};
        BatchCase[] batches = {batchCase(0), new BatchCase(false, true, 300, 70, 40, 40, 40, 70, 300 * 40, 0, 300 * 70, 3, 1f, 0f)};
        assertSameBitsOnOneAndTwoThreads(target, () -> {
            List<Ptr> outs = new ArrayList<>();
            Ptr px = put(k, x), py = put(k, y);
            Ptr copy = put(k, poison(perm.length));
            k.copyStrided(shape, plain.strides, px, perm.strides, copy);
            outs.add(copy);
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.POW, BinaryOp.MAX}) {
                Ptr out = put(k, poison(n));
                k.binary(op, shape, plain.strides, px, bcast.strides, py, out);
                outs.add(out);
            }
            for (UnaryOp op : UnaryOp.values()) {
                float p1 = op == UnaryOp.CLAMP ? -1 : 1, p2 = op == UnaryOp.CLAMP || op == UnaryOp.SOFTPLUS ? 2 : 0;
                Ptr f = put(k, poison(n)), g = put(k, poison(n));
                k.unary(op, n, p1, p2, px, f);
                k.unaryBackward(op, n, p1, p2, px, py, g);
                outs.add(f);
                outs.add(g);
            }
            for (ReduceOp op : ReduceOp.values()) {
                for (long[] c : reduces) {
                    Ptr out = put(k, poison(c[0] * c[2]));
                    k.reduce(op, c[0], c[1], c[2], px, out);
                    outs.add(out);
                }
            }
            for (GatherCase c : new GatherCase[] {rows, cols}) {
                Ptr index = put(k, c == rows ? rowIndex : colIndex), g = put(k, poison(c.outer * c.count * c.inner));
                Ptr dx = put(k, Arrays.copyOf(y, (int) (c.outer * c.len * c.inner)));
                k.gather(c.outer, c.len, c.inner, c.count, px, index, c.is0, c.is1, c.is2, g);
                k.scatterAdd(c.outer, c.len, c.inner, c.count, index, c.is0, c.is1, c.is2, px, dx);
                outs.add(g);
                outs.add(dx);
            }
            for (BatchCase c : batches) {
                Ptr cc = put(k, poison(BatchCase.all(c.cOne(), c.strideC, c.batch)));
                k.gemmBatched(c.ta, c.tb, c.m, c.n, c.k, c.alpha, px, c.lda, c.strideA, py, c.ldb, c.strideB, c.beta, cc, c.ldc,
                        c.strideC, c.batch);
                outs.add(cc);
            }
            return outs;
        });
    }

    // ---- empty work ----------------------------------------------------------------------------

    @OnEveryTarget
    void checksLetEmptyWorkThrough(ConformanceTarget target) {
        // a contiguous [6, 0, 47] has strides [0, 47, 1]: no element, so none written twice (was refused)
        for (KernelSet k : new KernelSet[] {REF, target.kernels()}) {
            Ptr none = put(k, new float[0]);
            k.copyStrided(new long[] {6, 0, 47}, new long[] {0, 47, 1}, none, new long[] {0, 47, 1}, none);
            // an empty batch reads no matrix (was: A and B had to hold one)
            k.gemmBatched(false, false, 15, 13, 7, 1, none, 7, 105, none, 13, 91, 0, none, 13, 195, 0);
        }
    }
}
