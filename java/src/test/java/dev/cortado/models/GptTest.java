package dev.cortado.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GptTest {

    @Test
    void theRecipesModelHasPyTorchsParameterCountAndNanoGptsStart() {
        try (Gpt gpt = new Gpt(Gpt.Config.charLevel(113), new Rng(1))) {
            // benchmarks/gpt_char.py's model: wte 113x128, wpe 64x128, 4 x (2 LayerNorms, attention 3·128² + 3·128 + 128² + 128,
            // MLP 128·512 + 512 + 512·128 + 128), ln_f; the output projection is wte's
            assertEquals(816_000, gpt.parameterCount());
            Map<String, Tensor> p = gpt.namedParameters();
            assertEquals(0.02, std(p.get("h2.mlp.c_fc.weight")), 0.002, "Linear weights ~ N(0, 0.02)");
            assertEquals(0.02, std(p.get("wte.weight")), 0.002, "embeddings ~ N(0, 0.02)");
            assertEquals(0.0, std(p.get("h0.attn.out_proj.bias")), 0.0, "zero biases");
            // in_proj_weight keeps PyTorch's Xavier uniform on [3E, E]: U(-b, b), b = sqrt(6 / (E + 3E)), std b / sqrt 3
            assertEquals(Math.sqrt(6.0 / 512) / Math.sqrt(3), std(p.get("h1.attn.in_proj_weight")), 0.003);
        }
    }

    @Test
    void startsNearChanceAndSamplesWithinTheVocabulary() {
        Gpt.Config config = new Gpt.Config(11, 8, 16, 2, 2, 0f);
        try (Gpt gpt = new Gpt(config, new Rng(3)); MemoryScope scope = MemoryScope.open()) {
            float[] ids = new float[2 * 8], next = new float[2 * 8];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i % 11;
                next[i] = (i + 3) % 11;
            }
            Tensor x = Tensor.of(ids, 2, 8);
            assertArrayEquals(new int[] {2, 8, 11}, gpt.forward(x).shape());
            // small weights: logits near uniform (the tied head favours the input's own id a little)
            assertEquals(Math.log(11), gpt.loss(x, Tensor.of(next, 2, 8)).item(), 0.15);

            int[] a = gpt.generate(new int[] {1, 2, 3}, 20, 1.0, 5, new Rng(9)), b = gpt.generate(new int[] {1, 2, 3}, 20, 1.0, 5, new Rng(9));
            assertArrayEquals(a, b, "the same seed draws the same text");
            for (int id : a) assertTrue(id >= 0 && id < 11, "id " + id);
            assertTrue(gpt.isTraining(), "generate leaves the training mode as it found it");
            // temperature 0 takes the last position's largest logit
            int[] greedy = gpt.generate(new int[] {4, 5}, 1, 0.0, 0, new Rng(1));
            try (GradMode off = GradMode.off()) {
                gpt.eval();
                float[] last = gpt.forward(Tensor.of(new float[] {4, 5}, 1, 2)).select(1, 1).reshape(-1).toArray();
                int best = 0;
                for (int i = 1; i < last.length; i++) if (last[i] > last[best]) best = i;
                assertEquals(best, greedy[0]);
            }
            // longer than the context: the last 8 ids are the input
            assertEquals(30, gpt.generate(new int[] {1}, 30, 0.8, 0, new Rng(2)).length);
        }
    }

    @Test
    void badInputIsNamed() {
        try (Gpt gpt = new Gpt(new Gpt.Config(5, 4, 8, 2, 1, 0f), new Rng(1))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> gpt.forward(Tensor.zeros(1, 5))).getMessage().contains("T <= 4"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> gpt.generate(new int[] {7}, 1, 1, 0, new Rng(1)))
                    .getMessage().contains("prompt id 7 at 0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> gpt.loss(Tensor.zeros(1, 4), Tensor.zeros(1, 3)))
                    .getMessage().contains("targets [1, 3] must have the shape of ids [1, 4]"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Gpt.Config(5, 4, 10, 3, 1, 0f)).getMessage().contains("not a multiple"));
    }

    private static double std(Tensor t) {
        float[] v = t.toArray();
        double mean = 0, sq = 0;
        for (float x : v) mean += x;
        mean /= v.length;
        for (float x : v) sq += (x - mean) * (x - mean);
        return Math.sqrt(sq / v.length);
    }
}
