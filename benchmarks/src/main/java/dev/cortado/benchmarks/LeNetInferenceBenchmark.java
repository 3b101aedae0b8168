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

/** LeNet forward only (eval mode, no grad) at batch 1000 (-p batch=...). samples/s = batch / time. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LeNetInferenceBenchmark {

    @Param({"cpu", "java"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    @Param({"1000"})
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
