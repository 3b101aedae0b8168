package dev.cortado.nn;

import dev.cortado.ops.LayerNormalization;
import dev.cortado.tensor.Tensor;

/**
 * PyTorch's {@code nn.RMSNorm(normalized_shape, eps, elementwise_affine)}: y = x / sqrt(mean(x²)
 * + eps) · weight over the trailing axes normalizedShape; {@code weight} (ones at first) named as
 * PyTorch names it; eps defaults to the float's machine epsilon as PyTorch's eps=None does.
 */
public final class RMSNorm extends Module {
    public final Tensor weight;
    private final int[] normalizedShape;
    private final float eps;

    public RMSNorm(int[] normalizedShape, float eps, boolean elementwiseAffine) {
        this.normalizedShape = LayerNorm.checkShape("RMSNorm", normalizedShape);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("RMSNorm: eps must be >= 0 and finite, got " + eps);
        this.eps = eps;
        weight = elementwiseAffine ? parameter("weight", Tensor.ones(normalizedShape)) : null;
    }

    /** PyTorch's defaults: eps = torch.finfo(float32).eps, a weight. */
    public RMSNorm(int... normalizedShape) {
        this(normalizedShape, LayerNormalization.RMS_NORM_EPS, true);
    }

    @Override
    public Tensor forward(Tensor x) {
        return LayerNormalization.rmsNorm(x, normalizedShape, weight, eps);
    }
}
