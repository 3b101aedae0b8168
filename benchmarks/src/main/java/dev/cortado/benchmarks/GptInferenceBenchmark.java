package dev.cortado.benchmarks;

import dev.cortado.autograd.GradMode;
import dev.cortado.models.Gpt;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * Workload A's inference (issue 21): the character-level GPT's logits for a batch of 64 x 64 ids, in
 * eval mode without a graph; engine=pytorch runs benchmarks/gpt_char.py's model the same way.
 * tokens/s = 4096 / time.
 */
public class GptInferenceBenchmark extends WorkloadBenchmark {

    private Gpt gpt;
    private Tensor x;

    @Override
    protected String workload() {
        return "gpt-infer";
    }

    @Override
    protected void setUpCortado() {
        Rng rng = new Rng(1);
        gpt = new Gpt(Gpt.Config.charLevel(GptTrainBenchmark.VOCAB), rng);
        gpt.eval();
        x = GptTrainBenchmark.ids(rng, 64, 64);
    }

    @Override
    protected double cortadoStep() {
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return gpt.forward(x).get(0, 0, 0);
        }
    }

    @Override
    protected long cortadoParameterCount() {
        return gpt.parameters().stream().mapToLong(Tensor::numel).sum();
    }

    @Override
    protected void tearDownCortado() {
        gpt.close();
        x.close();
    }
}
