package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Rng;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Base of the kernel conformance suite: every registered kernel set but the java reference
 * ({@link Backends#all}) is run against the reference (java, on CPU memory), case by case. An
 * engine for a new device inherits every test by registering its kernel set.
 *
 * <p>Inputs are made as float[] on the host; each kernel set gets fresh copies in memory of its own
 * device, outputs poisoned with NaN, and every array comes back by {@link dev.cortado.memory.Memory#copy}
 * before it is read: nothing here reads a target's memory directly, so the suite passes on the
 * host-sealed sim device, as it must on a GPU's. Everything allocated is released after each test,
 * and every target's settings (ISA, threads) are restored.
 */
abstract class KernelConformance {

    /** The oracle. */
    static final KernelSet REF = Backends.byName("java");

    /** A test run once per target, named after it. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.cortado.kernels.KernelConformance#targets")
    @interface OnEveryTarget {
    }

    /**
     * Every registered kernel set except the reference itself; with the system property
     * {@code cortado.conformance.targets} (names, comma-separated) only those (an engine's module
     * runs the suite on its own kernel sets).
     */
    static Stream<ConformanceTarget> targets() {
        String only = System.getProperty("cortado.conformance.targets");
        List<String> names = only == null ? null : List.of(only.split(","));
        return Backends.all().stream().filter(k -> !k.name().equals(REF.name()))
                .filter(k -> names == null || names.contains(k.name())).map(ConformanceTarget::of);
    }

    protected final Rng rng;
    private final Buffers.Owned owned = new Buffers.Owned();

    protected KernelConformance(long seed) {
        rng = new Rng(seed);
    }

    /** The non-finite inputs a case may hold. */
    protected static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    /** n values uniform in offset ± scale, about one in {@code specialEvery} a SPECIAL value instead (none if 0). */
    protected final float[] values(long n, float offset, float scale, int specialEvery) {
        float[] v = Buffers.values(rng, n, scale, specialEvery, SPECIAL);
        if (offset != 0) for (int i = 0; i < v.length; i++) v[i] += offset;
        return v;
    }

    /** (L(x + eps) - L(x - eps)) / (the two floats' difference), perturbing x[i] in place: a reference backward's check. */
    protected static double centralDifference(float[] x, int i, double eps, java.util.function.DoubleSupplier loss) {
        float keep = x[i];
        float up = (float) (keep + eps), down = (float) (keep - eps);
        x[i] = up;
        double lu = loss.getAsDouble();
        x[i] = down;
        double ld = loss.getAsDouble();
        x[i] = keep;
        return (lu - ld) / ((double) up - down);
    }

    @AfterEach
    protected void releaseAll() {
        owned.release();
    }

    @AfterEach
    void restoreTargets() {
        targets().forEach(ConformanceTarget::restore);
    }

    /** Hands back the blocks the targets' allocators keep for reuse (sim's live on the JVM heap). */
    @AfterAll
    static void emptyTargetCaches() {
        targets().forEach(t -> Memory.emptyCache(new Device(t.kernels().deviceKind(), 0)));
    }

    /** A copy of v in memory of k's device (released after the test, or at {@link #releaseAll}). */
    protected final Ptr put(KernelSet k, float[] v) {
        return owned.copyTo(new Device(k.deviceKind(), 0), v);
    }

    /** Everything from p to the end of its storage, copied back to the host. */
    protected static float[] get(Ptr p) {
        return Buffers.fetch(p);
    }

    protected interface Call {
        void run(KernelSet k, Ptr[] p);
    }

    /** Runs call on k with fresh copies of arrays (inputs and poisoned outputs alike); returns every array after it. */
    protected final float[][] run(KernelSet k, float[][] arrays, Call call) {
        Ptr[] p = new Ptr[arrays.length];
        for (int i = 0; i < arrays.length; i++) p[i] = put(k, arrays[i]);
        poisonWorkspace(k);
        call.run(k, p);
        float[][] out = new float[arrays.length][];
        for (int i = 0; i < arrays.length; i++) out[i] = get(p[i]);
        return out;
    }

    /**
     * The cpu kernels' cached workspace (what earlier calls left) filled with NaN, so that a kernel
     * counting on zeros in its workspace — which fresh memory from the system has — fails here.
     * Past 64 MiB the cache is freed first, to keep the filling cheap.
     */
    protected static void poisonWorkspace(KernelSet k) {
        if (!k.name().equals("cpu")) return;
        if (CpuKernels.workspaceCached() > 64L << 20) CpuKernels.trimWorkspace();
        CpuKernels.fillWorkspaceCache(Float.NaN);
    }

    /** {@link #run} on the reference and on the target: {reference arrays, target arrays}. */
    protected final float[][][] both(ConformanceTarget t, float[][] arrays, Call call) {
        return new float[][][] {run(REF, arrays, call), run(t.kernels(), arrays, call)};
    }

    /** The bits of every float the outputs hold, one after another (a NaN is a NaN: which one an op returns is not specified). */
    protected static int[] bitsOf(List<Ptr> outs) {
        int total = 0;
        for (Ptr p : outs) total += (int) p.remaining();
        int[] bits = new int[total];
        int at = 0;
        for (Ptr p : outs) for (float v : get(p)) bits[at++] = Float.floatToIntBits(v);
        return bits;
    }

    /**
     * The outputs {@code run} returns (it puts its inputs on the target's kernels and runs them) are
     * the same bits on 1 and on 2 threads.
     */
    protected final void assertSameBitsOnOneAndTwoThreads(ConformanceTarget target, java.util.function.Supplier<List<Ptr>> run) {
        int[][] bits = new int[2][];
        for (int threads = 1; threads <= 2; threads++) {
            releaseAll();
            target.setThreads(threads);
            bits[threads - 1] = bitsOf(run.get());
        }
        assertSameBitsOnOneAndTwoThreads(bits);
    }

    /** The outputs of a run on 1 and on 2 threads are the same bits. */
    private static void assertSameBitsOnOneAndTwoThreads(int[][] bits) {
        for (int i = 0; i < bits[0].length; i++) {
            if (bits[0][i] != bits[1][i]) {
                fail("1 and 2 threads differ at output float " + i + ": " + Float.intBitsToFloat(bits[0][i]) + " vs "
                        + Float.intBitsToFloat(bits[1][i]));
            }
        }
    }
}
