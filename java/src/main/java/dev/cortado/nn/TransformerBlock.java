package dev.cortado.nn;

import dev.cortado.kernels.UnaryOp;
import dev.cortado.ops.Linalg;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.function.IntFunction;

/**
 * A pre-norm GPT block (GPT-2, nanoGPT): {@code x = x + drop(attn(ln_1(x)))} then
 * {@code x = x + drop(mlp(ln_2(x)))} with a causal {@link MultiheadAttention} and
 * {@code mlp = Linear(E, 4E) · GELU (tanh form) · Linear(4E, E)}, over x [batch, L, E]. The norm
 * layers come from {@code norm} (given E), e.g. a LayerNorm over the last axis.
 * Children: ln_1, attn, ln_2, mlp (mlp.c_fc, mlp.c_proj).
 */
public final class TransformerBlock extends Module {

    public final Module ln1;
    public final MultiheadAttention attn;
    public final Module ln2;
    public final Mlp mlp;
    private final int embed;
    private final float dropout;
    private final Layers.Dropout residualDropout;

    /**
     * @param norm    makes a normalisation layer over the last axis of size E (called twice)
     * @param dropout probability for the attention weights and both residual branches in training
     */
    public TransformerBlock(int embed, int heads, float dropout, IntFunction<? extends Module> norm, Rng rng) {
        if (norm == null) throw new IllegalArgumentException("TransformerBlock: norm factory is null");
        this.embed = embed;
        this.dropout = dropout;
        attn = new MultiheadAttention(embed, heads, true, dropout, rng);
        ln1 = child("ln_1", normLayer(norm, embed));
        child("attn", attn);
        ln2 = child("ln_2", normLayer(norm, embed));
        mlp = child("mlp", new Mlp(embed, 4 * embed, rng));
        residualDropout = child("drop", new Layers.Dropout(dropout, rng));
    }

    private static Module normLayer(IntFunction<? extends Module> norm, int embed) {
        Module m = norm.apply(embed);
        if (m == null) throw new IllegalArgumentException("TransformerBlock: the norm factory gave null for size " + embed);
        return m;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null || x.dim() != 3 || x.size(2) != embed) {
            throw new IllegalArgumentException("TransformerBlock: x must be [batch, L, " + embed + "], got "
                    + (x == null ? "null" : Shape.str(x.shape())));
        }
        if (isTraining() && dropout > 0) {
            Tensor h = x.add(residualDropout.forward(attn.forward(ln1.forward(x))));
            return h.add(residualDropout.forward(mlp.forward(ln2.forward(h))));
        }
        Tensor h = attn.forwardAdd(ln1.forward(x), x); // the residual adds in the projections' GEMM tails
        return mlp.forwardAdd(ln2.forward(h), h);
    }

    /** Position-wise feed-forward: c_proj(gelu(c_fc(x))) over the last axis of x [..., E]. */
    public static final class Mlp extends Module {
        public final Layers.Linear cFc;
        public final Layers.Linear cProj;
        private final int embed;

        public Mlp(int embed, int hidden, Rng rng) {
            this.embed = embed;
            cFc = child("c_fc", new Layers.Linear(embed, hidden, Layers.Neuron.IDENTITY, rng));
            cProj = child("c_proj", new Layers.Linear(hidden, embed, Layers.Neuron.IDENTITY, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return forwardAdd(x, null);
        }

        /** {@code residual + forward(x)}, the add in c_proj's GEMM tail; residual (x's shape) may be null. */
        public Tensor forwardAdd(Tensor x, Tensor residual) {
            int[] s = x == null ? null : x.shape();
            if (x == null || x.dim() < 1 || s[s.length - 1] != embed) {
                throw new IllegalArgumentException("Mlp: x must end in " + embed + " features, got " + (x == null ? "null" : Shape.str(s)));
            }
            if (residual != null && !java.util.Arrays.equals(residual.shape(), s)) {
                throw new IllegalArgumentException("Mlp: residual " + Shape.str(residual.shape()) + " is not x's shape " + Shape.str(s));
            }
            Tensor rows = x.reshape(-1, embed);
            // GELU in its tanh form, as GPT-2 and nanoGPT, in the GEMM's tail
            Tensor hidden = Linalg.linearFused(rows, cFc.weight, true, cFc.bias, null, UnaryOp.GELU, 0f, 0f);
            return Linalg.linearFused(hidden, cProj.weight, true, cProj.bias, residual == null ? null : residual.reshape(-1, embed),
                    UnaryOp.CLAMP, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY).reshape(s);
        }
    }
}
