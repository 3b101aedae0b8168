package dev.cortado.benchmarks;

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

    private LeNetInference model;

    @Setup(Level.Trial)
    public void setUp() {
        model = new LeNetInference(backend, threads, batch);
    }

    @Benchmark
    public float infer() {
        return model.infer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }
}
