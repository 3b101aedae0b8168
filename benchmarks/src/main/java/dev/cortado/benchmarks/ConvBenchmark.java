package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.ops.Convolution;
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
 * LeNet's two convolutions at batch 64, forward + backward (data, weight and bias gradients):
 * conv1 1→20 channels 5×5 on 28×28; conv2 20→50 channels 5×5 on 12×12.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ConvBenchmark {

    @Param({"java", "cpu"})
    public String backend;

    @Param({"conv1", "conv2"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    private Backends.Selection selection;
    private Tensor x, w, b, gy;

    @Setup(Level.Trial)
    public void setUp() {
        selection = BenchmarkBackend.select(backend, threads);
        boolean first = layer.equals("conv1");
        int in = first ? 1 : 20, out = first ? 20 : 50, size = first ? 28 : 12;
        Rng rng = new Rng(1);
        x = Tensor.uniform(rng, -1, 1, 64, in, size, size).requiresGrad(true);
        w = Tensor.uniform(rng, -0.1f, 0.1f, out, in, 5, 5).requiresGrad(true);
        b = Tensor.zeros(out).requiresGrad(true);
        gy = Tensor.uniform(rng, -1, 1, 64, out, size - 4, size - 4);
    }

    @Benchmark
    public float forwardBackward() {
        try (MemoryScope step = MemoryScope.open()) {
            Tensor y = Convolution.conv2d(x, w, b, 1, 0);
            y.backward(gy);
            float probe = w.grad().get(0, 0, 0, 0);
            x.zeroGrad();
            w.zeroGrad();
            b.zeroGrad();
            return probe;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, w, b, gy}) t.close();
        selection.close();
    }
}
