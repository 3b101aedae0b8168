package dev.cortado.tensor;

/**
 * The largest (or smallest) values along an axis and where they are, as PyTorch's
 * {@code torch.max(x, dim)} returns them: {@code indices} holds each first position as a float.
 * Closing it closes both tensors.
 */
public record ValuesIndices(Tensor values, Tensor indices) implements AutoCloseable {

    @Override
    public void close() {
        if (values != null) values.close();
        if (indices != null) indices.close();
    }
}
