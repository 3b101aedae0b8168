package dev.cortado.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the latency benchmarks time one request, declared once so that ours
 * ({@link LeNetLatencyBenchmark}) and its anchor (PyTorchLeNetLatencyBenchmark, built with
 * -Ppytorch) are timed alike: JMH SampleTime (p50, p90, p99, p99.9) over the same thread counts
 * and batch sizes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public abstract class LatencyBenchmark {

    @Param({"1", "2"})
    public int threads;

    @Param({"1", "8"})
    public int batch;
}
