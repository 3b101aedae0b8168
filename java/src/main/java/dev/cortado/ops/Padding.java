package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** Constant padding, PyTorch's {@code F.pad(x, pads, mode='constant', value)}. */
public final class Padding {

    private Padding() {
    }

    /**
     * x surrounded by {@code value}: pads holds (before, after) pairs from the last axis
     * backwards, as PyTorch orders them ({left, right} pads the last axis, {left, right, top,
     * bottom} the last two). Pads are non-negative. The gradient is the window of g that holds x.
     */
    public static Tensor pad(Tensor x, int[] pads, float value) {
        Checks.notNull("pad", "x", x);
        if (pads == null || pads.length % 2 != 0 || pads.length / 2 > x.dim()) {
            throw new IllegalArgumentException("pad: pads " + Arrays.toString(pads) + " must be (before, after) pairs for at most "
                    + x.dim() + " axes of shape " + Shape.str(x.shape()));
        }
        int[] s = x.shape(), out = s.clone();
        long offset = 0;
        int[] before = new int[s.length];
        for (int i = 0; i < pads.length / 2; i++) {
            int d = s.length - 1 - i;
            if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) {
                throw new IllegalArgumentException("pad: negative padding " + Arrays.toString(pads) + " (cropping is narrow's job)");
            }
            before[d] = pads[2 * i];
            long size = (long) s[d] + pads[2 * i] + pads[2 * i + 1];
            if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("pad: dim " + d + " would hold " + size + " elements");
            out[d] = (int) size;
        }
        long[] outStrides = Strides.contiguous(out);
        for (int d = 0; d < s.length; d++) offset += before[d] * outStrides[d];
        Tensor y = Tensor.full(x.device(), value, out);
        Strides.copyInto(x, y, outStrides, offset);
        long at = offset;
        return Autograd.record(y, "pad", g -> new Tensor[] {Strides.copy(g, s, outStrides, at)}, x);
    }
}
