package dev.cortado.benchmarks;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
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
 * Workload B's inference (issue 21): ResNet-20's class probabilities for 500 images 1x28x28 in eval
 * mode (running statistics) without a graph; engine=pytorch runs benchmarks/resnet20.py's model the
 * same way in the same run. images/s = 500 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class ResNetInferenceBenchmark {

    @Param({"cortado", "pytorch"})
    public String engine;

    @Param({"2"})
    public int threads;

    private PyTorchWorker torch;
    private Backends.Selection selection;
    private NetChain net;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (engine.equals("pytorch")) {
            torch = new PyTorchWorker("resnet-infer", threads);
            return;
        }
        selection = BenchmarkBackend.select("cpu", threads);
        net = NetModels.cifarResNet(20, 10).initialize(1L, 1, 28, 28);
        net.module().eval();
        x = Tensor.normal(new Rng(1), 0f, 1f, 500, 1, 28, 28);
    }

    @Benchmark
    public double step() throws IOException {
        if (torch != null) return torch.step();
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return net.module().forward(x).get(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (torch != null) {
            torch.close();
            return;
        }
        net.close();
        x.close();
        selection.close();
    }
}
