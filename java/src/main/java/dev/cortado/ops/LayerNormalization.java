package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * Normalisation over the trailing axes of a tensor, each through one fused forward and one fused
 * backward kernel (statistics and normalisation of a row in one call):
 * <ul>
 * <li>{@link #layerNorm}: PyTorch's {@code F.layer_norm(x, normalized_shape, weight, bias, eps)}:
 * y = (x - E[x]) / sqrt(Var[x] + eps) · weight + bias, the biased variance, over the last
 * {@code normalizedShape.length} axes;</li>
 * <li>{@link #rmsNorm}: PyTorch's {@code F.rms_norm(x, normalized_shape, weight, eps)}:
 * y = x / sqrt(mean(x²) + eps) · weight.</li>
 * </ul>
 * weight and bias have the shape normalizedShape, or are null (no affine transform).
 */
public final class LayerNormalization {

    private LayerNormalization() {
    }

    /** PyTorch's default eps of {@code nn.LayerNorm}. */
    public static final float LAYER_NORM_EPS = 1e-5f;

    /** PyTorch's eps of {@code nn.RMSNorm} when none is given: the float's machine epsilon, torch.finfo(float32).eps. */
    public static final float RMS_NORM_EPS = Math.ulp(1f);

    /** LayerNorm over the last normalizedShape.length axes of x (which must end with normalizedShape). */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        String op = "layer_norm";
        int cols = check(op, x, normalizedShape, weight, eps);
        int[] shape = normalizedShape.clone(); // the backward's, whatever the caller does with theirs
        checkAffine(op, "bias", x, bias, normalizedShape);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), x.shape());
        Tensor mean = Tensor.empty(x.device(), rows), rstd = Tensor.empty(x.device(), rows);
        k.layerNormForward(rows, cols, eps, x.ptr(), ptr(weight), ptr(bias), y.ptr(), mean.ptr(), rstd.ptr());
        if (!Autograd.needsGrad(x, weight, bias)) {
            mean.close();
            rstd.close();
            return y;
        }
        return Autograd.record(y, op, Autograd.saves(x, weight), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            Tensor dw = Tensor.empty(x.device(), shape), db = Tensor.empty(x.device(), shape);
            k.layerNormBackward(rows, cols, x.ptr(), ptr(weight), mean.ptr(), rstd.ptr(), g.ptr(), dx.ptr(), dw.ptr(), db.ptr());
            return new Tensor[] {keepIf(x, dx), keepIf(weight, dw), keepIf(bias, db)};
        }, x, weight, bias);
    }

    /** RMSNorm over the last normalizedShape.length axes of x (which must end with normalizedShape). */
    public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, float eps) {
        String op = "rms_norm";
        int cols = check(op, x, normalizedShape, weight, eps);
        int[] shape = normalizedShape.clone();
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), x.shape());
        Tensor rstd = Tensor.empty(x.device(), rows);
        k.rmsNormForward(rows, cols, eps, x.ptr(), ptr(weight), y.ptr(), rstd.ptr());
        if (!Autograd.needsGrad(x, weight)) {
            rstd.close();
            return y;
        }
        return Autograd.record(y, op, Autograd.saves(x, weight), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape()), dw = Tensor.empty(x.device(), shape);
            k.rmsNormBackward(rows, cols, x.ptr(), ptr(weight), rstd.ptr(), g.ptr(), dx.ptr(), dw.ptr());
            return new Tensor[] {keepIf(x, dx), keepIf(weight, dw)};
        }, x, weight);
    }

    /** The gradient if its input takes one, else null (the buffer closed). */
    private static Tensor keepIf(Tensor input, Tensor grad) {
        if (input != null && input.requiresGrad()) return grad;
        grad.close();
        return null;
    }

    private static dev.cortado.memory.Ptr ptr(Tensor t) {
        return t == null ? null : t.ptr();
    }

    /** Checks x, normalizedShape, weight and eps; returns the floats of a normalised row. */
    private static int check(String op, Tensor x, int[] normalizedShape, Tensor weight, float eps) {
        Checks.notNull(op, "x", x);
        if (normalizedShape == null || normalizedShape.length == 0) {
            throw new IllegalArgumentException(op + ": normalized_shape must name at least one axis, got "
                    + (normalizedShape == null ? "null" : "[]"));
        }
        int[] s = x.shape();
        int d = normalizedShape.length;
        boolean fits = d <= s.length && Arrays.equals(Arrays.copyOfRange(s, s.length - d, s.length), normalizedShape);
        if (!fits) {
            throw new IllegalArgumentException(op + ": x " + Shape.str(s) + " does not end with normalized_shape "
                    + Shape.str(normalizedShape));
        }
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException(op + ": eps must be >= 0 and finite, got " + eps);
        checkAffine(op, "weight", x, weight, normalizedShape);
        return (int) Shape.numel(normalizedShape);
    }

    private static void checkAffine(String op, String name, Tensor x, Tensor p, int[] normalizedShape) {
        if (p == null) return;
        Checks.notNull(op, name, p);
        Checks.sameDevice(op, x, p);
        if (!Arrays.equals(p.shape(), normalizedShape)) {
            throw new IllegalArgumentException(op + ": " + name + " " + Shape.str(p.shape()) + " does not match normalized_shape "
                    + Shape.str(normalizedShape));
        }
    }
}
