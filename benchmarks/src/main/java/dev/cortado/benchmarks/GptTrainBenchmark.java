package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.models.Gpt;
import dev.cortado.optim.AdamW;
import dev.cortado.optim.GradClip;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.ParamGroup;
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
 * Workload A's training step (issue 21): the character-level GPT (Gpt.Config.charLevel, vocabulary
 * 113 as the fortunes corpus's) at batch 32 x 64 — forward, cross-entropy over every position,
 * backward, clipping at 1, AdamW with nanoGPT's groups — on resident random ids. engine=pytorch runs
 * the same step of benchmarks/gpt_char.py's model in PyTorch ({@link PyTorchWorker}) in the same run.
 * tokens/s = 2048 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class GptTrainBenchmark {

    static final int VOCAB = 113;

    @Param({"cortado", "pytorch"})
    public String engine;

    @Param({"2"})
    public int threads;

    private PyTorchWorker torch;
    private Backends.Selection selection;
    private Gpt gpt;
    private AdamW opt;
    private Tensor x, y;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (engine.equals("pytorch")) {
            torch = new PyTorchWorker("gpt-train", threads);
            return;
        }
        selection = BenchmarkBackend.select("cpu", threads);
        Rng rng = new Rng(1);
        gpt = new Gpt(Gpt.Config.charLevel(VOCAB), rng);
        opt = new AdamW(ParamGroup.decayAndNoDecay(gpt.namedParameters(), 0.1), LearningRate.fixed(1e-3), 0.9f, 0.99f, 1e-8f);
        x = ids(rng, 32, 64);
        y = ids(rng, 32, 64);
    }

    static Tensor ids(Rng rng, int batch, int length) {
        float[] v = new float[batch * length];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(VOCAB);
        return Tensor.of(v, batch, length);
    }

    @Benchmark
    public double step() throws IOException {
        if (torch != null) return torch.step();
        try (MemoryScope scope = MemoryScope.open()) {
            opt.zeroGrad();
            Tensor loss = gpt.loss(x, y);
            loss.backward();
            GradClip.clipGradNorm(gpt.parameters(), 1.0);
            opt.step();
            return loss.item();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (torch != null) {
            torch.close();
            return;
        }
        opt.close();
        gpt.close();
        x.close();
        y.close();
        selection.close();
    }
}
