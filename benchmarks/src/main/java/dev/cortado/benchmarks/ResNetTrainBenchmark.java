package dev.cortado.benchmarks;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.kernels.Backends;
import dev.cortado.ops.Softmax;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
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
 * Workload B's training step (issue 21): ResNet-20 (NetModels.cifarResNet(20, 10)) on a batch of
 * 128 images 1x28x28 — forward in training mode (batch statistics), cross-entropy, backward, SGD
 * with Nesterov momentum 0.9 and weight decay 5e-4 — on resident random data. engine=pytorch runs
 * benchmarks/resnet20.py's model the same way in the same run. images/s = 128 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class ResNetTrainBenchmark {

    @Param({"cortado", "pytorch"})
    public String engine;

    @Param({"2"})
    public int threads;

    private PyTorchWorker torch;
    private Backends.Selection selection;
    private NetChain net;
    private Sgd sgd;
    private Tensor x, labels;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (engine.equals("pytorch")) {
            torch = new PyTorchWorker("resnet-train", threads);
            return;
        }
        selection = BenchmarkBackend.select("cpu", threads);
        Rng rng = new Rng(1);
        net = NetModels.cifarResNet(20, 10).initialize(1L, 1, 28, 28);
        net.module().train();
        sgd = new Sgd(net.module().parameters(), LearningRate.fixed(0.1), Momentum.fixed(0.9), 5e-4f, true);
        x = Tensor.normal(rng, 0f, 1f, 128, 1, 28, 28);
        float[] y = new float[128];
        for (int i = 0; i < y.length; i++) y[i] = rng.nextInt(10);
        labels = Tensor.of(y, 128);
    }

    @Benchmark
    public double step() throws IOException {
        if (torch != null) return torch.step();
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor loss = Softmax.crossEntropy(net.logits(x), labels);
            loss.backward();
            sgd.step();
            net.module().zeroGrad();
            return loss.item();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (torch != null) {
            torch.close();
            return;
        }
        sgd.close();
        net.close();
        x.close();
        labels.close();
        selection.close();
    }
}
