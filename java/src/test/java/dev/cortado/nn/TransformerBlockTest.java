package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.autograd.GradCheck;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class TransformerBlockTest extends PerBackend {

    static final class JavaTest extends TransformerBlockTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends TransformerBlockTest {
        CpuTest() {
            super("cpu");
        }
    }

    TransformerBlockTest(String backend) {
        super(backend);
    }

    /** A stand-in for LayerNorm: an elementwise learned scale over the last axis (weight [E]). */
    static final class Scale extends Module {
        final Tensor weight;

        Scale(int e, Rng rng) {
            weight = parameter("weight", Tensor.uniform(rng, 0.5f, 1.5f, e));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.mul(weight);
        }
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double[] scaled(double[] x, float[] w) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * w[i % w.length];
        return y;
    }

    /** The block in double for one sequence x [L, E]: h = x + attn(ln1 x); y = h + c_proj(gelu(c_fc(ln2 h))). */
    static double[] reference(TransformerBlock block, double[] x, int l, int e) {
        double[] a = MultiheadAttentionTest.reference(block.attn, scaled(x, ((Scale) block.ln1).weight.toArray()), l, true);
        double[] h = new double[x.length];
        for (int i = 0; i < x.length; i++) h[i] = x[i] + a[i];
        double[] hidden = MultiheadAttentionTest.linear(scaled(h, ((Scale) block.ln2).weight.toArray()), l, e,
                block.mlp.cFc.weight.toArray(), block.mlp.cFc.bias.toArray(), 4 * e);
        for (int i = 0; i < hidden.length; i++) hidden[i] = gelu(hidden[i]);
        double[] m = MultiheadAttentionTest.linear(hidden, l, 4 * e, block.mlp.cProj.weight.toArray(), block.mlp.cProj.bias.toArray(), e);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = h[i] + m[i];
        return y;
    }

    @Test
    void childrenAndParameterNames() {
        Rng rng = new Rng(1);
        TransformerBlock block = new TransformerBlock(8, 2, 0f, e -> new Scale(e, rng), rng);
        assertEquals(List.of("ln_1.weight", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias",
                "ln_2.weight", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"), List.copyOf(block.namedParameters().keySet()));
        assertEquals(8 + (24 * 8 + 24 + 64 + 8) + 8 + (32 * 8 + 32 + 8 * 32 + 8), block.parameterCount());
    }

    @Test
    void preNormBlockMatchesItsFormula() {
        Rng rng = new Rng(2);
        int b = 2, l = 6, e = 8;
        TransformerBlock block = new TransformerBlock(e, 2, 0.3f, n -> new Scale(n, rng), rng);
        try (GradMode off = GradMode.off()) {
            block.mlp.cFc.bias.copyFrom(Tensor.uniform(rng, -0.3f, 0.3f, 4 * e).toArray());
        }
        block.eval(); // dropout off
        Tensor x = Tensor.uniform(rng, -1, 1, b, l, e);
        float[] xa = x.toArray(), y = block.forward(x).toArray();
        for (int n = 0; n < b; n++) {
            double[] want = reference(block, MultiheadAttentionTest.doubles(xa, n * l * e, l * e), l, e);
            for (int i = 0; i < l * e; i++) assertEquals(want[i], y[n * l * e + i], 1e-5 * (1 + Math.abs(want[i])), "at " + n + "," + i);
        }
        // causal: the first position's output does not depend on later positions
        float[] changed = x.toArray();
        for (int i = e; i < l * e; i++) changed[i] += 1;
        float[] y2 = block.forward(Tensor.of(changed, b, l, e)).toArray();
        for (int i = 0; i < e; i++) assertEquals(y[i], y2[i], 1e-6f);
    }

    @Test
    void identityNormsAndGradients() {
        Rng rng = new Rng(3);
        TransformerBlock block = new TransformerBlock(4, 2, 0f, e -> new Layers.Sequential(), rng);
        assertEquals(4 * 12 + 12 + 16 + 4 + 16 * 4 + 16 + 4 * 16 + 4, block.parameterCount());
        Tensor x = Tensor.uniform(rng, -1, 1, 2, 3, 4).requiresGrad(true);
        GradCheck.Result r = new GradCheck().check(in -> block.forward(x), x, block.attn.inProjWeight, block.mlp.cFc.weight, block.mlp.cProj.bias);
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void badInputIsNamed() {
        Rng rng = new Rng(4);
        TransformerBlock block = new TransformerBlock(8, 2, 0f, e -> new Layers.Sequential(), rng);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(2, 8)));
        assertTrue(e.getMessage().contains("TransformerBlock") && e.getMessage().contains("[2, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TransformerBlock(8, 3, 0f, n -> new Layers.Sequential(), rng));
    }
}
