package dev.cortado.nn;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * Learned positional embeddings (GPT-2's wpe): x [batch, L, dim] plus row t of an
 * {@link Embedding} over positions 0 .. maxLength-1 at each position {@code t < L}.
 */
public final class PositionalEmbedding extends Module {

    public final Embedding positions;
    private final int maxLength;

    public PositionalEmbedding(int maxLength, int dim, Rng rng) {
        this.maxLength = maxLength;
        positions = child("wpe", new Embedding(maxLength, dim, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x == null || x.dim() < 2 || x.size(-1) != positions.dim() || x.size(-2) > maxLength) {
            throw new IllegalArgumentException("PositionalEmbedding: x must be [..., L <= " + maxLength + ", " + positions.dim() + "], got "
                    + (x == null ? "null" : Shape.str(x.shape())));
        }
        int l = x.size(-2);
        float[] ids = new float[l];
        for (int t = 0; t < l; t++) ids[t] = t;
        Tensor at = Tensor.of(x.device(), ids, l);
        Tensor rows = positions.forward(at); // [L, dim], broadcast over the batch
        Tensor y = x.add(rows);
        Autograd.closeUnlessRecorded(y, at, rows);
        return y;
    }
}
