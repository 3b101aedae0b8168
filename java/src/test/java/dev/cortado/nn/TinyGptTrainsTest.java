package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;


import dev.cortado.models.Gpt;
import dev.cortado.optim.AdamW;
import dev.cortado.optim.GradClip;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.ParamGroup;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The blocks together, as workload A uses them in small (models.Gpt: token and positional
 * embeddings, two pre-norm blocks with LayerNorm and a final LayerNorm, a tied output head), AdamW
 * with nanoGPT's groups, warm-up then cosine, clipping at 1. It learns a cyclic sequence.
 */
class TinyGptTrainsTest {

    @Test
    void learnsACyclicSequence() {
        int vocab = 7, context = 8, batch = 4, steps = 80;
        Rng rng = new Rng(11);
        Gpt gpt = new Gpt(new Gpt.Config(vocab, context, 16, 2, 2, 0f), rng);
        double first = Double.NaN, last = Double.NaN;
        LearningRate lr = LearningRate.warmup(10, LearningRate.cosine(3e-2, 3e-3, steps - 10));
        try (AdamW opt = new AdamW(ParamGroup.decayAndNoDecay(gpt.namedParameters(), 0.1), lr, 0.9f, 0.99f, 1e-8f)) {
            for (int step = 0; step < steps; step++) {
                float[] x = new float[batch * context], y = new float[batch * context];
                for (int b = 0; b < batch; b++) {
                    int start = rng.nextInt(vocab);
                    for (int t = 0; t < context; t++) {
                        x[b * context + t] = (start + t) % vocab;
                        y[b * context + t] = (start + t + 1) % vocab;
                    }
                }
                try (MemoryScope scope = MemoryScope.open()) {
                    opt.zeroGrad();
                    Tensor loss = gpt.loss(Tensor.of(x, batch, context), Tensor.of(y, batch, context));
                    loss.backward();
                    double norm = GradClip.clipGradNorm(gpt.parameters(), 1.0);
                    assertTrue(Double.isFinite(norm), "gradient norm at step " + step);
                    opt.step();
                    if (step == 0) first = loss.item();
                    last = loss.item();
                }
            }
        }
        assertTrue(first > 1.0, "starts near chance: " + first);
        assertTrue(last < 0.2 * first, "loss " + first + " -> " + last);
    }
}
