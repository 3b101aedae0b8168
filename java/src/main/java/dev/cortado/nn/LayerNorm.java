package dev.cortado.nn;

import dev.cortado.ops.LayerNormalization;
import dev.cortado.tensor.Tensor;

/**
 * PyTorch's {@code nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)}: normalises
 * over the trailing axes normalizedShape, then scales by {@code weight} (ones at first) and
 * shifts by {@code bias} (zeros at first), parameters named as PyTorch names them.
 */
public final class LayerNorm extends Module {
    public final Tensor weight;
    public final Tensor bias;
    private final int[] normalizedShape;
    private final float eps;

    /** With eps, and weight and bias when elementwiseAffine (bias too unless {@code bias} is false). */
    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine, boolean bias) {
        this.normalizedShape = checkShape("LayerNorm", normalizedShape);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("LayerNorm: eps must be >= 0 and finite, got " + eps);
        this.eps = eps;
        weight = elementwiseAffine ? parameter("weight", Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine && bias ? parameter("bias", Tensor.zeros(normalizedShape)) : null;
    }

    /** PyTorch's defaults: eps 1e-5, weight and bias. */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, LayerNormalization.LAYER_NORM_EPS, true, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        return LayerNormalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** A copy of normalizedShape: at least one axis, each of size >= 1. */
    static int[] checkShape(String layer, int[] normalizedShape) {
        if (normalizedShape == null || normalizedShape.length == 0) {
            throw new IllegalArgumentException(layer + ": normalized_shape must name at least one axis");
        }
        for (int s : normalizedShape) {
            if (s < 1) throw new IllegalArgumentException(layer + ": normalized_shape " + java.util.Arrays.toString(normalizedShape)
                    + " has a size below 1");
        }
        return normalizedShape.clone();
    }
}
