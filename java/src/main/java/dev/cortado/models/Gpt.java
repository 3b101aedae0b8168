package dev.cortado.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.nn.Embedding;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.nn.PositionalEmbedding;
import dev.cortado.nn.Sampling;
import dev.cortado.nn.TransformerBlock;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A GPT as nanoGPT's model.py builds it: token and learned positional embeddings, {@code layers}
 * pre-norm {@link TransformerBlock}s (causal attention, GELU in the tanh form), a final LayerNorm
 * and an output projection tied to the token embedding. Weights start as nanoGPT's: N(0, 0.02) for
 * the embeddings and every Linear, zero biases; the attention's packed in-projection keeps PyTorch's
 * Xavier-uniform start (benchmarks/gpt_char.py builds the same model in PyTorch).
 * Children: wte, wpe, h0..h{layers-1}, ln_f.
 *
 * <pre>{@code
 * Gpt gpt = new Gpt(Gpt.Config.charLevel(vocab), new Rng(1));
 * Tensor loss = gpt.loss(batch.x(), batch.y());   // ids [B, T] and next ids [B, T]
 * int[] text = gpt.generate(prompt, 200, 0.8, 20, new Rng(2));
 * }</pre>
 */
public final class Gpt extends Module {

    /** The model's sizes; {@code dropout} applies to the attention weights and residual branches in training. */
    public record Config(int vocab, int context, int embed, int heads, int layers, float dropout) {
        public Config {
            if (vocab < 1 || context < 1 || embed < 1 || heads < 1 || layers < 1) {
                throw new IllegalArgumentException("Gpt.Config: sizes must be >= 1, got vocab=" + vocab + " context=" + context
                        + " embed=" + embed + " heads=" + heads + " layers=" + layers);
            }
            if (embed % heads != 0) throw new IllegalArgumentException("Gpt.Config: embed " + embed + " is not a multiple of heads " + heads);
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("Gpt.Config: dropout must be in [0, 1), got " + dropout);
        }

        /** Issue 21's recipe (nanoGPT's shakespeare-char scaled to 2 cores): context 64, embedding 128, 4 heads, 4 layers, no dropout. */
        public static Config charLevel(int vocab) {
            return new Config(vocab, 64, 128, 4, 4, 0f);
        }
    }

    private final Config config;
    private final Embedding wte;
    private final PositionalEmbedding wpe;
    private final TransformerBlock[] blocks;
    private final LayerNorm lnF;
    private final Module head;

    public Gpt(Config config, Rng rng) {
        if (config == null || rng == null) throw new IllegalArgumentException("Gpt: config and rng must not be null");
        this.config = config;
        wte = child("wte", new Embedding(config.vocab(), config.embed(), rng));
        wpe = child("wpe", new PositionalEmbedding(config.context(), config.embed(), rng));
        blocks = new TransformerBlock[config.layers()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = child("h" + i, new TransformerBlock(config.embed(), config.heads(), config.dropout(), LayerNorm::new, rng));
        }
        lnF = child("ln_f", new LayerNorm(config.embed()));
        head = wte.tiedLinear();
        try (GradMode off = GradMode.off()) {
            for (Map.Entry<String, Tensor> p : namedParameters().entrySet()) {
                String name = p.getKey();
                Tensor t = p.getValue();
                if (name.endsWith("bias")) t.fill(0f);
                else if (t.dim() == 2 && !name.endsWith("in_proj_weight")) {
                    try (Tensor init = Tensor.normal(rng, 0f, 0.02f, t.shape())) {
                        t.copyFrom(init);
                    }
                }
            }
        }
    }

    public Config config() {
        return config;
    }

    /** The kind a saved GPT's file names. */
    public static final String KIND = "Gpt";

    /**
     * Saves the model in one safetensors file, atomically: its {@link Config} and train/eval mode
     * in the metadata ({@link ModelFile}), the weights by the names of {@link #stateDict} (a
     * state_dict PyTorch reads). {@code notes} (may be null) are kept as metadata strings beside
     * them, e.g. a vocabulary; {@link ModelFile#read} gives them back.
     */
    public void save(Path file, Map<String, String> notes) throws IOException {
        ObjectNode arch = ModelFile.object();
        ObjectNode c = arch.putObject("config");
        c.put("vocab", config.vocab());
        c.put("context", config.context());
        c.put("embed", config.embed());
        c.put("heads", config.heads());
        c.put("layers", config.layers());
        ModelFile.putNumber(c, "dropout", config.dropout());
        arch.put("training", isTraining());
        ModelFile.write(file, KIND, arch, stateDict(), notes);
    }

    /** {@link #save(Path, Map)} without notes. */
    public void save(Path file) throws IOException {
        save(file, null);
    }

    /** A model saved by {@link #save}, with its weights and mode; a missing, corrupt, newer or other-kind file is an IOException naming it. */
    public static Gpt load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture());
        }
    }

    /** The model {@code arch} describes in {@code f}, with {@code f}'s weights. */
    public static Gpt from(ModelFile f, JsonNode arch) throws IOException {
        JsonNode c = f.field(arch, "config");
        Config config;
        try {
            config = new Config(f.integer(c, "vocab"), f.integer(c, "context"), f.integer(c, "embed"), f.integer(c, "heads"), f.integer(c, "layers"),
                    (float) f.number(c, "dropout"));
        } catch (IllegalArgumentException e) {
            throw f.corrupt("cannot be rebuilt", e);
        }
        boolean training = f.bool(arch, "training");
        Gpt gpt = new Gpt(config, new Rng(1));
        f.fill(gpt, gpt.stateDict());
        if (training) gpt.train();
        else gpt.eval();
        return gpt;
    }

    /** Logits [B, T, vocab] for ids [B, T] (character ids as floats), T at most the context. */
    @Override
    public Tensor forward(Tensor ids) {
        if (ids == null || ids.dim() != 2 || ids.size(1) > config.context()) {
            throw new IllegalArgumentException("Gpt: ids must be [batch, T <= " + config.context() + "], got "
                    + (ids == null ? "null" : Shape.str(ids.shape())));
        }
        Tensor x = wpe.forward(wte.forward(ids));
        for (TransformerBlock b : blocks) x = b.forward(x);
        return head.forward(lnF.forward(x));
    }

    /** The mean cross-entropy of predicting {@code targets} [B, T] from {@code ids} [B, T] at every position. */
    public Tensor loss(Tensor ids, Tensor targets) {
        if (targets == null || !Arrays.equals(targets.shape(), ids == null ? null : ids.shape())) {
            throw new IllegalArgumentException("Gpt.loss: targets " + (targets == null ? "null" : Shape.str(targets.shape()))
                    + " must have the shape of ids " + (ids == null ? "null" : Shape.str(ids.shape())));
        }
        Tensor logits = forward(ids);
        return Losses.softmaxCrossEntropy(logits.reshape(-1, config.vocab()), targets.reshape(-1));
    }

    /**
     * {@code count} ids drawn one at a time after {@code prompt} (nanoGPT's generate: the last
     * {@code context} ids are the model's input, the next id is drawn from the last position's
     * logits by {@link Sampling#sample}). Runs in eval mode without recording a graph; returns only
     * the new ids.
     */
    public int[] generate(int[] prompt, int count, double temperature, int topK, Rng rng) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("Gpt.generate: the prompt is empty");
        if (count < 0) throw new IllegalArgumentException("Gpt.generate: count must be >= 0, got " + count);
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= config.vocab()) {
                throw new IllegalArgumentException("Gpt.generate: prompt id " + prompt[i] + " at " + i + " is outside [0, " + config.vocab() + ")");
            }
        }
        boolean wasTraining = isTraining();
        eval();
        int[] seq = Arrays.copyOf(prompt, prompt.length + count);
        try (GradMode off = GradMode.off()) {
            for (int n = prompt.length; n < seq.length; n++) {
                int from = Math.max(0, n - config.context());
                float[] window = new float[n - from];
                for (int t = from; t < n; t++) window[t - from] = seq[t];
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor logits = forward(Tensor.of(device(), window, 1, window.length));
                    float[] last = logits.select(1, window.length - 1).reshape(-1).toArray();
                    seq[n] = Sampling.sample(last, temperature, topK, rng);
                }
            }
        } finally {
            if (wasTraining) train();
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }
}
