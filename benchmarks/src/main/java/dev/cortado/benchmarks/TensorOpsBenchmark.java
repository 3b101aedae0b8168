package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.BinaryOp;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The general tensor kernels through the checked kernel set, each against its anchor:
 * <ul>
 *   <li>{@code copy}: a contiguous copy of x [64, 512, 28, 28] (the bandwidth anchor);
 *   <li>{@code broadcastAdd}: x + bias [512, 1, 1] (binary ADD, stride-0 axes);
 *   <li>{@code permute0231}: x copied to layout (0, 2, 3, 1), NCHW to NHWC (copyStrided).
 * </ul>
 * Each moves 2 · 64·512·28·28·4 bytes (102.8 MB read, as much written): GB/s = 205.5 / time in ms.
 * And {@code bmm}: gemmBatched 32 x [128 x 64]·[64 x 128], against {@code gemmAnchor}: one
 * 512 x 512 x 128 gemm of the same 67.1 MFLOP (GFLOP/s = 67.1 / time in ms).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TensorOpsBenchmark {

    @Param({"cpu"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private static final long[] SHAPE = {64, 512, 28, 28};
    private static final long[] CONTIGUOUS = {512 * 28 * 28, 28 * 28, 28, 1};
    private static final long[] BIAS = {0, 1, 0, 0};
    private static final long[] NHWC = {28 * 28 * 512, 1, 28 * 512, 512};
    private static final int BATCH = 32, M = 128, K = 64, N = 128;

    private Backends.Selection selection;
    private KernelSet kernels;
    private Tensor x, y, bias, a, b, c, a2, b2, c2;

    @Setup(Level.Trial)
    public void setUp() {
        selection = BenchmarkBackend.select(backend, threads);
        kernels = Backends.byName(backend);
        Rng rng = new Rng(1);
        x = Tensor.uniform(rng, -1, 1, 64, 512, 28, 28);
        y = Tensor.zeros(64, 512, 28, 28);
        bias = Tensor.uniform(rng, -1, 1, 512);
        a = Tensor.uniform(rng, -1, 1, BATCH, M, K);
        b = Tensor.uniform(rng, -1, 1, BATCH, K, N);
        c = Tensor.zeros(BATCH, M, N);
        a2 = Tensor.uniform(rng, -1, 1, 512, 128);
        b2 = Tensor.uniform(rng, -1, 1, 128, 512);
        c2 = Tensor.zeros(512, 512);
    }

    @Benchmark
    public Ptr copy() {
        kernels.copyStrided(SHAPE, CONTIGUOUS, x.ptr(), CONTIGUOUS, y.ptr());
        return y.ptr();
    }

    @Benchmark
    public Ptr broadcastAdd() {
        kernels.binary(BinaryOp.ADD, SHAPE, CONTIGUOUS, x.ptr(), BIAS, bias.ptr(), y.ptr());
        return y.ptr();
    }

    @Benchmark
    public Ptr permute0231() {
        kernels.copyStrided(SHAPE, CONTIGUOUS, x.ptr(), NHWC, y.ptr());
        return y.ptr();
    }

    @Benchmark
    public Ptr bmm() {
        kernels.gemmBatched(false, false, M, N, K, 1f, a.ptr(), K, (long) M * K, b.ptr(), N, (long) K * N, 0f, c.ptr(), N,
                (long) M * N, BATCH);
        return c.ptr();
    }

    @Benchmark
    public Ptr gemmAnchor() {
        kernels.gemm(false, false, 512, 512, 128, 1f, a2.ptr(), 128, b2.ptr(), 512, 0f, c2.ptr(), 512);
        return c2.ptr();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, y, bias, a, b, c, a2, b2, c2}) t.close();
        selection.close();
    }
}
