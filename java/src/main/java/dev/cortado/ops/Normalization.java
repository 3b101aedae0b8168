package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Batch normalisation, PyTorch's {@code F.batch_norm}: x [N, C, ...] (BatchNorm1d's [N, C] or
 * [N, C, L], BatchNorm2d's [N, C, H, W]) normalised per channel over N and the trailing axes, on
 * the kernel set's fused kernels (one pass for the statistics, one for the normalisation; a fused
 * backward).
 */
public final class Normalization {

    private Normalization() {
    }

    /**
     * y = (x - mean) / sqrt(var + eps) · weight + bias, per channel. In training mode mean and var
     * are the batch's (var biased), and runningMean / runningVar (if given) are updated in place:
     * running = (1 - momentum)·running + momentum·statistic, with the unbiased variance. In eval
     * mode mean and var are runningMean and runningVar, which must be given. weight and bias [C]
     * may be null (1 and 0). Differentiable in x, weight and bias.
     *
     * @throws IllegalArgumentException naming the argument whose shape does not fit, or, in
     *     training mode, an x with at most one value per channel (as PyTorch)
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
                                   float momentum, float eps) {
        Checks.notNull("batchNorm", "x", x);
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batchNorm: x must be [N, C, ...] with at least 2 dimensions, got " + Shape.str(x.shape()));
        }
        int channels = x.size(1);
        channelVector("weight", x, weight, channels);
        channelVector("bias", x, bias, channels);
        channelVector("runningMean", x, runningMean, channels);
        channelVector("runningVar", x, runningVar, channels);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm: runningMean and runningVar must both be given or both be null");
        }
        if (!training && runningMean == null) {
            throw new IllegalArgumentException("batchNorm: eval mode needs runningMean and runningVar");
        }
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("batchNorm: eps must be >= 0 and finite, got " + eps);
        if (!Float.isFinite(momentum)) throw new IllegalArgumentException("batchNorm: momentum must be finite, got " + momentum);
        long n = x.size(0), spatial = Shape.numel(Arrays.copyOfRange(x.shape(), 2, x.dim()));
        if (training && n * spatial <= 1) {
            throw new IllegalArgumentException("batchNorm: expected more than 1 value per channel when training, got x "
                    + Shape.str(x.shape()));
        }
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), x.shape());
        Tensor mean = Tensor.empty(x.device(), channels), invstd = Tensor.empty(x.device(), channels);
        Ptr w = weight == null ? null : weight.ptr(), b = bias == null ? null : bias.ptr();
        if (training) {
            Tensor rm = runningMean != null ? runningMean : Tensor.zeros(x.device(), channels);
            Tensor rv = runningVar != null ? runningVar : Tensor.ones(x.device(), channels);
            k.batchNormForward(n, channels, spatial, eps, momentum, x.ptr(), w, b, rm.ptr(), rv.ptr(), y.ptr(), mean.ptr(), invstd.ptr());
            if (rm != runningMean) {
                rm.close();
                rv.close();
            }
        } else {
            k.batchNormInference(n, channels, spatial, eps, x.ptr(), w, b, runningMean.ptr(), runningVar.ptr(), y.ptr(), invstd.ptr());
        }
        boolean grad = Autograd.needsGrad(x, weight, bias);
        if (grad && !training) k.scale(channels, 1f, runningMean.ptr(), mean.ptr()); // the backward's mean, safe from later updates
        if (!grad) {
            mean.close();
            invstd.close();
            return y;
        }
        long nn = n, sp = spatial; // (final copies for the backward)
        return Autograd.record(y, "batchNorm", Autograd.saves(x, weight), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            Tensor dw = Tensor.empty(x.device(), channels), db = Tensor.empty(x.device(), channels);
            k.batchNormBackward(nn, channels, sp, training, x.ptr(), g.ptr(), weight == null ? null : weight.ptr(), mean.ptr(),
                    invstd.ptr(), dx.ptr(), dw.ptr(), db.ptr());
            if (!x.requiresGrad()) {
                dx.close();
                dx = null;
            }
            if (weight == null || !weight.requiresGrad()) {
                dw.close();
                dw = null;
            }
            if (bias == null || !bias.requiresGrad()) {
                db.close();
                db = null;
            }
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    /**
     * The weights of the one convolution that equals {@code conv2d(x, w, b)} followed by eval-mode
     * batch normalisation: {w · s, (b - runningMean) · s + bias} with s = weight / sqrt(runningVar +
     * eps) per filter, in float (PyTorch's {@code fuse_conv_bn_weights}). w is [F, ...]; b, weight
     * and bias [F] may be null (0, 1 and 0). New tensors, differentiable like the ops they are made of.
     */
    public static Tensor[] foldIntoConvolution(Tensor w, Tensor b, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                               float eps) {
        Checks.notNull("foldIntoConvolution", "w", w);
        if (w.dim() < 2) throw new IllegalArgumentException("foldIntoConvolution: w must be [F, ...], got " + Shape.str(w.shape()));
        if (runningMean == null || runningVar == null) throw new IllegalArgumentException("foldIntoConvolution: needs runningMean and runningVar");
        int filters = w.size(0);
        for (Tensor v : new Tensor[] {b, runningMean, runningVar, weight, bias}) {
            if (v == null) continue;
            Checks.sameDevice("foldIntoConvolution", w, v);
            if (v.dim() != 1 || v.size(0) != filters) {
                throw new IllegalArgumentException("foldIntoConvolution: " + Shape.str(v.shape()) + " does not match the " + filters
                        + " filters of w " + Shape.str(w.shape()));
            }
        }
        Tensor shifted = runningVar.add(eps), inv = shifted.rsqrt(), scale = weight == null ? inv : weight.mul(inv);
        Tensor centered = b == null ? runningMean.neg() : b.sub(runningMean), moved = centered.mul(scale);
        Tensor column = scale.reshape(columnShape(w)), folded = w.mul(column), shift = bias == null ? moved : moved.add(bias);
        if (folded.gradFn() == null && shift.gradFn() == null) { // (on the tape, the graph holds them)
            for (Tensor t : new Tensor[] {shifted, inv, scale, centered, moved, column}) if (t != shift) t.close();
        }
        return new Tensor[] {folded, shift};
    }

    /** [F, 1, 1, ...] for w [F, ...]. */
    private static int[] columnShape(Tensor w) {
        int[] column = new int[w.dim()];
        Arrays.fill(column, 1);
        column[0] = w.size(0);
        return column;
    }

    /** An optional per-channel vector: null, or 1-D with {@code channels} elements on x's device. */
    private static void channelVector(String name, Tensor x, Tensor v, int channels) {
        if (v == null) return;
        Checks.rank("batchNorm", name, v, 1);
        Checks.sameDevice("batchNorm", x, v);
        if (v.size(0) != channels) {
            throw new IllegalArgumentException("batchNorm: " + name + " " + Shape.str(v.shape()) + " does not match the " + channels
                    + " channels of x " + Shape.str(x.shape()));
        }
    }
}
