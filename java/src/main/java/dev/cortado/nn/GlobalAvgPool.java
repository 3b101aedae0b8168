package dev.cortado.nn;

import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * Global average pooling (Keras' GlobalAveragePooling2D; PyTorch's AdaptiveAvgPool2d(1) then
 * flatten): x [batch, channels, h, w] to the mean of each channel's plane, [batch, channels].
 */
public final class GlobalAvgPool extends Module {

    private static final int[] PLANE = {2, 3};

    @Override
    public Tensor forward(Tensor x) {
        if (x == null || x.dim() != 4 || x.size(2) == 0 || x.size(3) == 0) {
            throw new IllegalArgumentException("GlobalAvgPool: x must be [batch, channels, h >= 1, w >= 1], got "
                    + (x == null ? "null" : Shape.str(x.shape())));
        }
        return x.mean(PLANE);
    }
}
