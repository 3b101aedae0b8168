package dev.cortado.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a service calling LeNet once per request feels: the latency distribution of one inference
 * at a small batch, each call in its own scope. PyTorchLeNetLatencyBenchmark (-Ppytorch) times
 * PyTorch's engine the same way in the same run; benchmarks/lenet_latency.py, Python PyTorch.
 */
public class LeNetLatencyBenchmark extends LatencyBenchmark {

    @Param({"cpu"})
    public String backend;

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
