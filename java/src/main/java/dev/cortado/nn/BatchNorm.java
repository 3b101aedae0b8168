package dev.cortado.nn;

import dev.cortado.ops.Normalization;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * PyTorch's {@code nn.BatchNorm1d} ({@link #of1d}: x [N, C] or [N, C, L]) and {@code nn.BatchNorm2d}
 * ({@link #of2d}: x [N, C, H, W]), with PyTorch's names: parameters {@code weight} (ones) and
 * {@code bias} (zeros) when affine, buffers {@code running_mean} (zeros) and {@code running_var}
 * (ones) when tracking running statistics. In training mode ({@link #train}) it normalises with
 * the batch's statistics and updates the running ones (momentum, unbiased variance); in eval mode
 * ({@link #eval}) with the running ones (with the batch's if it does not track them).
 */
public final class BatchNorm extends Module {

    public final Tensor weight;
    public final Tensor bias;
    public final Tensor runningMean;
    public final Tensor runningVar;
    private final int channels;
    private final boolean twoD;
    private final float eps;
    private final float momentum;

    /** BatchNorm1d(channels) with PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking running statistics. */
    public static BatchNorm of1d(int channels) {
        return new BatchNorm(channels, false, 1e-5f, 0.1f, true, true);
    }

    /** BatchNorm2d(channels) with PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking running statistics. */
    public static BatchNorm of2d(int channels) {
        return new BatchNorm(channels, true, 1e-5f, 0.1f, true, true);
    }

    public static BatchNorm of1d(int channels, float eps, float momentum, boolean affine, boolean trackRunningStats) {
        return new BatchNorm(channels, false, eps, momentum, affine, trackRunningStats);
    }

    public static BatchNorm of2d(int channels, float eps, float momentum, boolean affine, boolean trackRunningStats) {
        return new BatchNorm(channels, true, eps, momentum, affine, trackRunningStats);
    }

    private BatchNorm(int channels, boolean twoD, float eps, float momentum, boolean affine, boolean trackRunningStats) {
        String kind = twoD ? "BatchNorm2d" : "BatchNorm1d";
        if (channels < 1) throw new IllegalArgumentException(kind + ": channels must be >= 1, got " + channels);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException(kind + ": eps must be >= 0 and finite, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(kind + ": momentum must be in [0, 1], got " + momentum);
        this.channels = channels;
        this.twoD = twoD;
        this.eps = eps;
        this.momentum = momentum;
        weight = affine ? parameter("weight", Tensor.ones(channels)) : null;
        bias = affine ? parameter("bias", Tensor.zeros(channels)) : null;
        runningMean = trackRunningStats ? buffer("running_mean", Tensor.zeros(channels)) : null;
        runningVar = trackRunningStats ? buffer("running_var", Tensor.ones(channels)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        boolean fits = twoD ? x.dim() == 4 : x.dim() == 2 || x.dim() == 3;
        if (!fits) {
            throw new IllegalArgumentException(kind() + ": expected " + (twoD ? "x [N, C, H, W]" : "x [N, C] or [N, C, L]") + ", got "
                    + Shape.str(x.shape()));
        }
        if (x.size(1) != channels) {
            throw new IllegalArgumentException(kind() + ": x " + Shape.str(x.shape()) + " has " + x.size(1) + " channels, the layer "
                    + channels);
        }
        boolean batchStats = isTraining() || runningMean == null;
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, batchStats, momentum, eps);
    }

    /**
     * Whether, in this mode, this norm after a convolution can be folded into it
     * ({@link #foldInto}): eval mode with running statistics, over images.
     */
    boolean foldable() {
        return twoD && !isTraining() && runningMean != null;
    }

    /** The weights of the convolution (w, b) followed by this eval-mode norm: {@link Normalization#foldIntoConvolution}. */
    Tensor[] foldInto(Tensor w, Tensor b) {
        return Normalization.foldIntoConvolution(w, b, runningMean, runningVar, weight, bias, eps);
    }

    @Override
    protected String kind() {
        return twoD ? "BatchNorm2d" : "BatchNorm1d";
    }
}
