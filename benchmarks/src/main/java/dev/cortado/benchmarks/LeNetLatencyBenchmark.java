package dev.cortado.benchmarks;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
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
 * What a service calling LeNet once per request feels: the latency distribution (JMH SampleTime
 * reports p50, p90, p99, p99.9) of one inference at a small batch, each call in its own scope.
 * benchmarks/lenet_latency.py measures PyTorch the same way.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class LeNetLatencyBenchmark {

    @Param({"cpu"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    @Param({"1", "8"})
    public int batch;

    private Backends.Selection selection;
    private Module net;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        selection = BenchmarkBackend.select(backend, threads);
        Rng rng = new Rng(1);
        net = LeNet.create(rng);
        net.eval();
        x = Tensor.uniform(rng, 0, 1, batch, 1, 28, 28);
    }

    @Benchmark
    public float infer() {
        try (GradMode off = GradMode.off(); MemoryScope scope = MemoryScope.open()) {
            return net.forward(x).get(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        net.close();
        x.close();
        selection.close();
    }
}
