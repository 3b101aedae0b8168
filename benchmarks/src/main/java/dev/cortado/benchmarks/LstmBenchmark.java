package dev.cortado.benchmarks;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.ops.Softmax;
import dev.cortado.optim.Adam;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
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
 * The lstm-mnist network (28 steps of 28 pixels, LSTM(128), its last step, linear(10)):
 * one Adam training step at batch 64 (samples/s = 64 / time) and inference at batch 1000
 * (samples/s = 1000 / time), on resident data.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LstmBenchmark {

    @Param({"cpu"})
    public String backend;

    @Param({"2"})
    public int threads;

    private Backends.Selection selection;
    private Layers.Lstm lstm;
    private Module last, head;
    private Adam adam;
    private Tensor x, labels, batch1000;

    @Setup(Level.Trial)
    public void setUp() {
        selection = BenchmarkBackend.select(backend, threads);
        Rng rng = new Rng(1);
        lstm = new Layers.Lstm(28, 128, rng);
        last = Layers.sequenceLast();
        head = new Layers.Linear(128, 10, Layers.Neuron.IDENTITY, rng);
        List<Tensor> params = new ArrayList<>(lstm.parameters());
        params.addAll(head.parameters());
        adam = new Adam(params, 1e-3);
        x = Tensor.uniform(rng, 0, 1, 64, 28, 28);
        float[] y = new float[64];
        for (int i = 0; i < 64; i++) y[i] = i % 10;
        labels = Tensor.of(y, 64);
        batch1000 = Tensor.uniform(rng, 0, 1, 1000, 28, 28);
    }

    @Benchmark
    public float trainStep() {
        try (MemoryScope step = MemoryScope.open()) {
            Tensor loss = Softmax.crossEntropy(head.forward(last.forward(lstm.forward(x))), labels);
            loss.backward();
            adam.step();
            lstm.zeroGrad();
            head.zeroGrad();
            return loss.item();
        }
    }

    @Benchmark
    public float inference() {
        try (MemoryScope step = MemoryScope.open(); GradMode off = GradMode.off()) {
            return head.forward(last.forward(lstm.forward(batch1000))).get(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        lstm.close();
        head.close();
        x.close();
        labels.close();
        batch1000.close();
        selection.close();
    }
}
