package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelSet;
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
 * Square row-major SGEMM C = A·B on off-heap operands, per backend. GFLOPS = 2 n^3 / time.
 * The native cpu backend and the OpenBLAS anchor join this benchmark with the native engine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class GemmBenchmark {

    @Param({"java"})
    public String backend;

    @Param({"128", "256"})
    public int n;

    private KernelSet kernels;
    private Tensor a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = Backends.byName(backend);
        Rng rng = new Rng(1);
        a = Tensor.uniform(rng, -1, 1, n, n);
        b = Tensor.uniform(rng, -1, 1, n, n);
        c = Tensor.zeros(n, n);
    }

    @Benchmark
    public Tensor gemm() {
        kernels.gemm(false, false, n, n, n, 1f, a.ptr(), n, b.ptr(), n, 0f, c.ptr(), n);
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }
}
