package dev.cortado.benchmarks;

import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * What a tensor's life costs around a small op: {@code scoped} runs 100 adds of [size] floats in
 * one MemoryScope (the deterministic path a training step takes), {@code unscoped} the same adds
 * left to the GC. The op itself is a few ns per float; the rest is allocation, bookkeeping and
 * freeing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TensorLifetimeBenchmark {

    @Param({"16", "4096"})
    public int size;

    private Tensor a, b;

    @Setup
    public void setUp() {
        a = Tensor.ones(size);
        b = Tensor.ones(size);
    }

    @TearDown
    public void tearDown() {
        a.close();
        b.close();
    }

    @Benchmark
    public int scoped() {
        int n = 0;
        try (MemoryScope step = MemoryScope.open()) {
            for (int i = 0; i < 100; i++) n += a.add(b).shape().length;
        }
        return n;
    }

    @Benchmark
    public int unscoped() {
        int n = 0;
        for (int i = 0; i < 100; i++) n += a.add(b).shape().length;
        return n;
    }
}
