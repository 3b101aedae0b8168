package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.CheckedKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.bytedeco.openblas.global.openblas_nolapack;
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
 * Square row-major SGEMM C = A·B on off-heap operands (or any M x N x K with -p mnk=...): our java
 * reference and native cpu kernels against OpenBLAS (cblas_sgemm through the JavaCPP preset) at
 * the same thread count. GFLOPS = 2 n^3 / time (2·M·N·K). The cpu backend prints its cache blocking (derived from the machine's
 * caches: {@link CpuKernels#gemmBlocking()}) as its run starts. The java reference takes ~17 s
 * per op at n = 2048: select it with {@code -p backend=java -p n=256} unless you mean to wait.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GemmBenchmark {

    /** java, cpu, openblas; cuda where the CUDA engine runs (-p backend=cuda, n=4096 and 8192 by -p n=...). */
    @Param({"java", "cpu", "openblas"})
    public String backend;

    @Param({"256", "1024", "2048"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    /**
     * A non-square product "MxNxK" (C [M, N] = A [M, K]·B [K, N]; e.g. the transformer encoder's
     * linear layers, 1024x512x128), in place of n's square one; empty: n x n x n.
     */
    @Param({""})
    public String mnk;

    private int m, cols, depth;

    private KernelSet kernels;
    private Device device = Device.CPU;
    private java.nio.FloatBuffer hostA, hostB, hostC;
    private Tensor a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        Rng rng = new Rng(1);
        m = cols = depth = n;
        if (!mnk.isEmpty()) {
            String[] d = mnk.split("x");
            if (d.length != 3) throw new IllegalArgumentException("mnk: expected MxNxK, got " + mnk);
            m = Integer.parseInt(d[0]);
            cols = Integer.parseInt(d[1]);
            depth = Integer.parseInt(d[2]);
        }
        a = Tensor.uniform(rng, -1, 1, m, depth);
        b = Tensor.uniform(rng, -1, 1, depth, cols);
        c = Tensor.zeros(m, cols);
        if (backend.equals("openblas")) {
            openblas_nolapack.blas_set_num_threads(threads);
            hostA = a.ptr().host(); // direct buffers over the same off-heap memory
            hostB = b.ptr().host();
            hostC = c.ptr().host();
        } else {
            kernels = ((CheckedKernels) Backends.byName(backend)).unchecked();
            if (backend.equals("cpu")) {
                CpuKernels.setThreads(threads);
                System.out.println("cortado GEMM blocking: " + CpuKernels.gemmBlocking());
            }
            device = new Device(kernels.deviceKind(), 0);
            if (!device.isCpu()) { // a GPU: the operands move there, each call is timed to its end
                a = moved(a);
                b = moved(b);
                c = moved(c);
            }
        }
    }

    private Tensor moved(Tensor t) {
        Tensor on = t.to(device);
        t.close();
        return on;
    }

    @Benchmark
    public Tensor gemm() {
        if (kernels == null) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                    openblas_nolapack.CblasNoTrans, m, cols, depth, 1f, hostA, depth, hostB, cols, 0f, hostC, cols);
        } else {
            kernels.gemm(false, false, m, cols, depth, 1f, a.ptr(), depth, b.ptr(), cols, 0f, c.ptr(), cols);
            if (!device.isCpu()) Memory.synchronize(device);
        }
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }
}
