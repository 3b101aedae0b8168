package dev.cortado.nn;

import dev.cortado.ops.Linalg;
import dev.cortado.ops.Shapes;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * A lookup table (PyTorch's nn.Embedding, Mathematica's EmbeddingLayer): {@code weight} [num, dim]
 * drawn from N(0, 1) as PyTorch does; {@link #forward} maps ids of any shape (integer row
 * numbers stored as floats) to ids.shape + [dim]. {@link #tiedLinear} is an output projection
 * that shares the weight (GPT-2's tied embeddings).
 */
public final class Embedding extends Module {

    public final Tensor weight;
    private final int num, dim;

    public Embedding(int num, int dim, Rng rng) {
        if (num < 1 || dim < 1) throw new IllegalArgumentException("Embedding sizes must be >= 1, got num=" + num + " dim=" + dim);
        this.num = num;
        this.dim = dim;
        weight = parameter("weight", Tensor.normal(rng, 0f, 1f, num, dim));
    }

    public int num() {
        return num;
    }

    public int dim() {
        return dim;
    }

    @Override
    public Tensor forward(Tensor ids) {
        return Shapes.embedding(weight, ids);
    }

    /** x [..., dim] times weightᵀ: scores [..., num] over the table's rows (logits over a vocabulary). */
    public Tensor project(Tensor x) {
        if (x == null || x.dim() < 1 || x.size(-1) != dim) {
            throw new IllegalArgumentException("Embedding.project: x must end in " + dim + " features, got "
                    + (x == null ? "null" : Shape.str(x.shape())));
        }
        int[] s = x.shape(), out = Arrays.copyOf(s, s.length);
        out[s.length - 1] = num;
        return Linalg.linear(x.reshape(-1, dim), weight, null).reshape(out);
    }

    /**
     * A bias-free Linear(dim, num) whose weight is this table's (no parameters of its own, so an
     * optimizer sees the weight once, through this embedding): {@code forward(x) = project(x)}.
     */
    public Module tiedLinear() {
        return new Tied(this);
    }

    private static final class Tied extends Module {
        private final Embedding table;

        Tied(Embedding table) {
            this.table = table;
        }

        @Override
        public Tensor forward(Tensor x) {
            return table.project(x);
        }

        @Override
        protected String kind() {
            return "TiedLinear";
        }
    }
}
