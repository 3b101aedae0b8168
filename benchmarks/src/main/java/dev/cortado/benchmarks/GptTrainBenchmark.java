package dev.cortado.benchmarks;

import dev.cortado.models.Gpt;
import dev.cortado.optim.AdamW;
import dev.cortado.optim.GradClip;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.ParamGroup;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * Workload A's training step (issue 21): the character-level GPT (Gpt.Config.charLevel, vocabulary
 * 113 as the fortunes corpus's) at batch 32 x 64 — forward, cross-entropy over every position,
 * backward, clipping at 1, AdamW with nanoGPT's groups — on resident random ids; engine=pytorch runs
 * benchmarks/gpt_char.py's model the same way. tokens/s = 2048 / time.
 */
public class GptTrainBenchmark extends WorkloadBenchmark {

    static final int VOCAB = 113;

    private Gpt gpt;
    private AdamW opt;
    private Tensor x, y;

    @Override
    protected String workload() {
        return "gpt-train";
    }

    @Override
    protected void setUpCortado() {
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

    @Override
    protected double cortadoStep() {
        try (MemoryScope scope = MemoryScope.open()) {
            opt.zeroGrad();
            Tensor loss = gpt.loss(x, y);
            loss.backward();
            GradClip.clipGradNorm(gpt.parameters(), 1.0);
            opt.step();
            return loss.item();
        }
    }

    @Override
    protected long cortadoParameterCount() {
        return gpt.parameters().stream().mapToLong(Tensor::numel).sum();
    }

    @Override
    protected void tearDownCortado() {
        opt.close();
        gpt.close();
        x.close();
        y.close();
    }
}
