package dev.cortado.benchmarks;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.models.Gpt;
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
 * Workload A's inference (issue 21): the character-level GPT's logits for a batch of 64 x 64 ids, in
 * eval mode without a graph; engine=pytorch runs benchmarks/gpt_char.py's model the same way in the
 * same run. tokens/s = 4096 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class GptInferenceBenchmark {

    @Param({"cortado", "pytorch"})
    public String engine;

    @Param({"2"})
    public int threads;

    private PyTorchWorker torch;
    private Backends.Selection selection;
    private Gpt gpt;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (engine.equals("pytorch")) {
            torch = new PyTorchWorker("gpt-infer", threads);
            return;
        }
        selection = BenchmarkBackend.select("cpu", threads);
        Rng rng = new Rng(1);
        gpt = new Gpt(Gpt.Config.charLevel(GptTrainBenchmark.VOCAB), rng);
        gpt.eval();
        x = GptTrainBenchmark.ids(rng, 64, 64);
    }

    @Benchmark
    public double step() throws IOException {
        if (torch != null) return torch.step();
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return gpt.forward(x).get(0, 0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (torch != null) {
            torch.close();
            return;
        }
        gpt.close();
        x.close();
        selection.close();
    }
}
