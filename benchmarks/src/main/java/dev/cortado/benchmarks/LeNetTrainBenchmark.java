package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.memory.Device;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
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
 * One training iteration of Mocha's LeNet (forward, loss, backward, SGD momentum update with
 * weight decay) at batch 64 (-p batch=...) on resident data, on the backend's device. samples/s = batch / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LeNetTrainBenchmark {

    @Param({"cpu", "java"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    @Param({"64"})
    public int batch;

    private Backends.Selection selection;
    private Module net;
    private Sgd sgd;
    private Tensor x, labels;

    @Setup(Level.Trial)
    public void setUp() {
        selection = BenchmarkBackend.select(backend, threads);
        Rng rng = new Rng(1);
        Device device = BenchmarkBackend.device(backend);
        net = LeNet.create(rng).to(device);
        sgd = Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f);
        x = Tensor.uniform(device, rng, 0, 1, batch, 1, 28, 28);
        float[] y = new float[batch];
        for (int i = 0; i < batch; i++) y[i] = i % 10;
        labels = Tensor.of(device, y, batch);
    }

    @Benchmark
    public float trainStep() {
        try (MemoryScope step = MemoryScope.open()) {
            Tensor loss = Losses.softmaxCrossEntropy(net.forward(x), labels);
            loss.backward();
            sgd.step();
            sgd.zeroGrad();
            return loss.item();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sgd.close();
        net.close();
        x.close();
        labels.close();
        selection.close();
    }
}
