package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.autograd.GradCheck;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class EmbeddingTest extends PerBackend {

    static final class JavaTest extends EmbeddingTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends EmbeddingTest {
        CpuTest() {
            super("cpu");
        }
    }

    EmbeddingTest(String backend) {
        super(backend);
    }

    @Test
    void looksUpRowsForIdsOfAnyShape() {
        Embedding emb = new Embedding(5, 3, new Rng(1));
        assertEquals(List.of("weight"), List.copyOf(emb.namedParameters().keySet()));
        float[] w = emb.weight.toArray();
        Tensor ids = Tensor.of(new float[] {4, 0, 2, 4}, 2, 2);
        Tensor y = emb.forward(ids);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        float[] got = y.toArray();
        int[] rows = {4, 0, 2, 4};
        for (int i = 0; i < 4; i++) for (int c = 0; c < 3; c++) assertEquals(w[rows[i] * 3 + c], got[i * 3 + c], 0f);
    }

    @Test
    void weightsAreStandardNormalAsPyTorchDraws() {
        float[] w = new Embedding(200, 50, new Rng(2)).weight.toArray();
        double mean = 0, sq = 0;
        for (float v : w) {
            mean += v;
            sq += (double) v * v;
        }
        mean /= w.length;
        double var = sq / w.length - mean * mean;
        assertEquals(0, mean, 0.03);
        assertEquals(1, var, 0.05);
    }

    @Test
    void repeatedIdsAccumulateTheirGradients() {
        Embedding emb = new Embedding(4, 2, new Rng(3));
        Tensor ids = Tensor.of(new float[] {1, 3, 1}, 3);
        emb.forward(ids).mul(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)).sum().backward();
        assertArrayEquals(new float[] {0, 0, 1 + 5, 2 + 6, 0, 0, 3, 4}, emb.weight.grad().toArray(), 0f);
        GradCheck.Result r = new GradCheck().check(in -> emb.forward(ids), emb.weight);
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void tiedProjectionSharesTheWeight() {
        Rng rng = new Rng(4);
        Embedding emb = new Embedding(6, 4, rng);
        Module head = emb.tiedLinear();
        assertEquals(0, head.parameterCount(), "the tied head owns no parameters");
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 4);
        Tensor logits = head.forward(x);
        assertArrayEquals(new int[] {2, 3, 6}, logits.shape());
        float[] xa = x.toArray(), w = emb.weight.toArray(), got = logits.toArray();
        for (int r = 0; r < 6; r++) {
            for (int v = 0; v < 6; v++) {
                double dot = 0;
                for (int c = 0; c < 4; c++) dot += (double) xa[r * 4 + c] * w[v * 4 + c];
                assertEquals(dot, got[r * 6 + v], 1e-6);
            }
        }
        // a GPT's use: lookup then project through the same table; both paths reach the weight
        Tensor ids = Tensor.of(new float[] {0, 5, 2}, 1, 3);
        GradCheck.Result res = new GradCheck().check(in -> head.forward(emb.forward(ids)), emb.weight);
        assertTrue(res.ok(), res.toString());
        assertThrows(IllegalArgumentException.class, () -> emb.project(Tensor.zeros(2, 5)));
    }

    @Test
    void positionalEmbeddingAddsRowPerPosition() {
        Rng rng = new Rng(5);
        PositionalEmbedding pos = new PositionalEmbedding(8, 3, rng);
        assertEquals(List.of("wpe.weight"), List.copyOf(pos.namedParameters().keySet()));
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 5, 3).requiresGrad(true);
        Tensor y = pos.forward(x);
        assertArrayEquals(new int[] {2, 5, 3}, y.shape());
        float[] xa = x.toArray(), p = pos.positions.weight.toArray(), got = y.toArray();
        for (int b = 0; b < 2; b++) for (int t = 0; t < 5; t++) for (int c = 0; c < 3; c++) {
            assertEquals(xa[(b * 5 + t) * 3 + c] + p[t * 3 + c], got[(b * 5 + t) * 3 + c], 1e-6f);
        }
        y.sum().backward();
        float[] g = pos.positions.weight.grad().toArray();
        for (int t = 0; t < 8; t++) for (int c = 0; c < 3; c++) assertEquals(t < 5 ? 2 : 0, g[t * 3 + c], 0f, "position " + t);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pos.forward(Tensor.zeros(1, 9, 3)));
        assertTrue(e.getMessage().contains("L <= 8") && e.getMessage().contains("[1, 9, 3]"), e.getMessage());
    }

    @Test
    void badSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Embedding(0, 3, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> new Embedding(3, 0, new Rng(1)));
    }
}
