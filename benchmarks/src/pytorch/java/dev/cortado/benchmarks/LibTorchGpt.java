package dev.cortado.benchmarks;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * benchmarks/gpt_char.py's Gpt in libtorch's C++ API: token and learned position embeddings, pre-norm
 * blocks (LayerNorm, causal multi-head self-attention with nn.MultiheadAttention's parameters — an
 * in_proj of 3·dim with bias and an out_proj — LayerNorm, Linear 4·dim, GELU (tanh), Linear), a final
 * LayerNorm and the output projection tied to the token embedding; nanoGPT's init (N(0, 0.02), zero
 * biases). The attention is torch::scaled_dot_product_attention with is_causal, as PyTorch 2's
 * nn.MultiheadAttention does without weights (gpt_char.py's float mask of -inf above the diagonal is
 * the same mask). {@link #root} holds every submodule.
 */
final class LibTorchGpt {

    final Module root = new Module("Gpt");
    private final int heads;
    private final EmbeddingImpl wte, wpe;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNormImpl lnF;
    private final Tensor positions;

    LibTorchGpt(int vocab, int dim, int layers, int heads, int context) {
        this.heads = heads;
        wte = root.register_module("wte", new EmbeddingImpl(vocab, dim));
        wpe = root.register_module("wpe", new EmbeddingImpl(context, dim));
        for (int i = 0; i < layers; i++) blocks.add(new Block(root, "block" + i, dim));
        lnF = root.register_module("ln_f", layerNorm(dim));
        positions = torch.arange(new Scalar((long) context));
        try (NoGradGuard g = new NoGradGuard()) {
            wte.weight().normal_(0.0, 0.02, new GeneratorOptional());
            wpe.weight().normal_(0.0, 0.02, new GeneratorOptional());
            for (Block b : blocks) {
                for (LinearImpl l : new LinearImpl[] {b.inProj, b.outProj, b.fc, b.proj}) {
                    l.weight().normal_(0.0, 0.02, new GeneratorOptional());
                    l.bias().zero_();
                }
            }
        }
    }

    static LayerNormImpl layerNorm(long dim) {
        return new LayerNormImpl(new LongVector(new long[] {dim}));
    }

    /** Logits [batch, t, vocab] for ids [batch, t] (int64). */
    Tensor forward(Tensor ids) {
        long t = ids.size(1);
        Tensor x = wte.forward(ids).add(wpe.forward(positions.narrow(0, 0, t)));
        for (Block b : blocks) x = b.forward(x, heads);
        return lnF.forward(x).matmul(wte.weight().t());
    }

    private static final class Block {
        private final LayerNormImpl ln1, ln2;
        private final LinearImpl inProj, outProj, fc, proj;

        Block(Module parent, String name, int dim) {
            Module m = parent.register_module(name, new Module(name));
            ln1 = m.register_module("ln_1", layerNorm(dim));
            inProj = m.register_module("in_proj", new LinearImpl(dim, 3L * dim));
            outProj = m.register_module("out_proj", new LinearImpl(dim, dim));
            ln2 = m.register_module("ln_2", layerNorm(dim));
            fc = m.register_module("fc", new LinearImpl(dim, 4L * dim));
            proj = m.register_module("proj", new LinearImpl(4L * dim, dim));
        }

        Tensor forward(Tensor x, int heads) {
            long b = x.size(0), t = x.size(1), d = x.size(2);
            TensorVector qkv = inProj.forward(ln1.forward(x)).split(d, 2);
            Tensor q = qkv.get(0).view(b, t, heads, d / heads).transpose(1, 2);
            Tensor k = qkv.get(1).view(b, t, heads, d / heads).transpose(1, 2);
            Tensor v = qkv.get(2).view(b, t, heads, d / heads).transpose(1, 2);
            Tensor a = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, true, new DoubleOptional(), false);
            x = x.add(outProj.forward(a.transpose(1, 2).reshape(b, t, d)));
            return x.add(proj.forward(torch.gelu(fc.forward(ln2.forward(x)), "tanh")));
        }
    }
}
