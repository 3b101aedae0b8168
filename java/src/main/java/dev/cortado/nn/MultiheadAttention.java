package dev.cortado.nn;

import dev.cortado.kernels.UnaryOp;
import dev.cortado.ops.Attention;
import dev.cortado.ops.Linalg;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * Multi-head self-attention with PyTorch's nn.MultiheadAttention parameters and names
 * (batch_first=True): {@code in_proj_weight} [3E, E] (the q, k and v projections stacked),
 * {@code in_proj_bias} [3E], {@code out_proj.weight} [E, E], {@code out_proj.bias} [E], so a
 * state_dict loads either way. Each of the H heads attends over its own E/H features.
 */
public final class MultiheadAttention extends Module {

    public final Tensor inProjWeight;
    public final Tensor inProjBias;
    public final Layers.Linear outProj;
    private final int embed, heads;
    private final boolean causal;
    private final float dropout;
    private final Rng rng;

    /**
     * @param causal  whether {@link #forward(Tensor)} masks future positions (a GPT's attention)
     * @param dropout probability of dropping an attention weight in training (PyTorch's dropout)
     */
    public MultiheadAttention(int embed, int heads, boolean causal, float dropout, Rng rng) {
        if (embed < 1 || heads < 1 || embed % heads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed " + embed + " must be >= 1 and divisible by heads " + heads);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("MultiheadAttention: dropout must be in [0, 1), got " + dropout);
        if (rng == null) throw new IllegalArgumentException("MultiheadAttention: rng is null");
        this.embed = embed;
        this.heads = heads;
        this.causal = causal;
        this.dropout = dropout;
        this.rng = rng;
        // PyTorch: xavier_uniform_ on in_proj_weight (fan_in E, fan_out 3E), zero biases
        float bound = (float) Math.sqrt(6.0 / (embed + 3 * embed));
        inProjWeight = parameter("in_proj_weight", Tensor.uniform(rng, -bound, bound, 3 * embed, embed));
        inProjBias = parameter("in_proj_bias", Tensor.zeros(3 * embed));
        outProj = child("out_proj", new Layers.Linear(embed, embed, Layers.Neuron.IDENTITY, Initializer.xavier(), Initializer.constant(0f), rng));
    }

    public MultiheadAttention(int embed, int heads, Rng rng) {
        this(embed, heads, false, 0f, rng);
    }

    public int embedDim() {
        return embed;
    }

    public int numHeads() {
        return heads;
    }

    /** Self-attention of x [batch, L, E] (or unbatched [L, E]), causal as constructed: the same shape. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, causal);
    }

    /** Self-attention of x [batch, L, E] (or [L, E]) with the causal mask on or off. */
    public Tensor forward(Tensor x, boolean causal) {
        return attend(x, causal, null);
    }

    /**
     * {@code residual + forward(x)} (a transformer block's {@code x + attn(ln_1(x))}) with the add
     * done in the output projection's GEMM tail; residual has x's shape.
     */
    public Tensor forwardAdd(Tensor x, Tensor residual) {
        if (residual == null) throw new IllegalArgumentException("MultiheadAttention: residual is null");
        if (x != null && !java.util.Arrays.equals(x.shape(), residual.shape())) {
            throw new IllegalArgumentException("MultiheadAttention: residual " + Shape.str(residual.shape()) + " is not x's shape "
                    + Shape.str(x.shape()));
        }
        return attend(x, causal, residual);
    }

    private Tensor attend(Tensor x, boolean causal, Tensor residual) {
        if (x == null) throw new IllegalArgumentException("MultiheadAttention: x is null");
        if (x.dim() == 2) return attend(x.unsqueeze(0), causal, residual == null ? null : residual.unsqueeze(0)).squeeze(0);
        if (x.dim() != 3 || x.size(2) != embed) {
            throw new IllegalArgumentException("MultiheadAttention: x must be [batch, L, " + embed + "] or [L, " + embed + "], got "
                    + Shape.str(x.shape()));
        }
        int b = x.size(0), l = x.size(1), d = embed / heads;
        Tensor projected = Linalg.linear(x.reshape(b * l, embed), inProjWeight, inProjBias);     // [B·L, 3E]
        Tensor merged;
        if (!isTraining() || dropout == 0) { // the heads read and written in place
            merged = Attention.selfAttention(projected.reshape(b, l, 3 * embed), heads, causal).reshape(b * l, embed);
        } else {
            Tensor qkv = projected.reshape(b, l, 3, heads, d).permute(2, 0, 3, 1, 4);              // [3, B, H, L, D]
            Tensor attended = Attention.scaledDotProductAttention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), causal, dropout,
                    rng);                                                                            // [B, H, L, D]
            merged = attended.permute(0, 2, 1, 3).reshape(b * l, embed);
        }
        Tensor r = residual == null ? null : residual.reshape(b * l, embed);
        return Linalg.linearFused(merged, outProj.weight, true, outProj.bias, r, UnaryOp.CLAMP, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY).reshape(b, l, embed);
    }

    @Override
    protected String kind() {
        return "MultiheadAttention";
    }
}
