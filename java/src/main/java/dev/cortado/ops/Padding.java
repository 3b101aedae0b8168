package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/** Padding, PyTorch's {@code F.pad(x, pads, mode, value)}: constant, reflect and replicate. */
public final class Padding {

    /** How the border is filled, as F.pad's modes. */
    public enum Mode {
        /** The mirror image without repeating the edge: [a b c] padded by 2 on the left is [c b a b c]. */
        REFLECT,
        /** The edge repeated: [a b c] padded by 2 on the left is [a a a b c]. */
        REPLICATE
    }

    private Padding() {
    }

    /**
     * x padded by {@code mode} (pads as in {@link #pad(Tensor, int[], float)}). Each padded axis is one
     * index_select of x's positions, so the gradient sums back onto the positions each pad copied.
     * Reflect needs every pad smaller than its axis, replicate a non-empty axis.
     */
    public static Tensor pad(Tensor x, int[] pads, Mode mode) {
        Checks.notNull("pad", "x", x);
        if (mode == null) throw new IllegalArgumentException("pad: mode is null");
        checkPairs(x, pads);
        int[] s = x.shape();
        Tensor y = x;
        for (int i = 0; i < pads.length / 2; i++) {
            int d = s.length - 1 - i, before = pads[2 * i], after = pads[2 * i + 1], n = s[d];
            if (before == 0 && after == 0) continue;
            if (mode == Mode.REFLECT && (before >= n || after >= n)) {
                throw new IllegalArgumentException("pad: reflect padding (" + before + ", " + after + ") of dim " + d + " must be smaller than its size "
                        + n + " in " + Shape.str(s));
            }
            if (n == 0) throw new IllegalArgumentException("pad: " + mode.name().toLowerCase() + " padding of the empty dim " + d + " in " + Shape.str(s));
            long size = (long) n + before + after;
            if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("pad: dim " + d + " would hold " + size + " elements");
            float[] from = new float[(int) size];
            for (int j = 0; j < from.length; j++) {
                int p = j - before; // the position in x this output takes
                from[j] = mode == Mode.REPLICATE ? Math.min(Math.max(p, 0), n - 1) : p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p;
            }
            Tensor index = Tensor.of(x.device(), from, from.length);
            Tensor next = Shapes.indexSelect(y, d, index);
            Autograd.closeUnlessRecorded(next, index, y == x ? null : y); // a recorded backward reads them
            y = next;
        }
        return y == x ? Shapes.contiguous(x) : y;
    }

    private static void checkPairs(Tensor x, int[] pads) {
        if (pads == null || pads.length % 2 != 0 || pads.length / 2 > x.dim()) {
            throw new IllegalArgumentException("pad: pads " + Arrays.toString(pads) + " must be (before, after) pairs for at most "
                    + x.dim() + " axes of shape " + Shape.str(x.shape()));
        }
        for (int p : pads) {
            if (p < 0) throw new IllegalArgumentException("pad: negative padding " + Arrays.toString(pads) + " (cropping is narrow's job)");
        }
    }

    /**
     * x surrounded by {@code value}: pads holds (before, after) pairs from the last axis
     * backwards, as PyTorch orders them ({left, right} pads the last axis, {left, right, top,
     * bottom} the last two). Pads are non-negative. The gradient is the window of g that holds x.
     */
    public static Tensor pad(Tensor x, int[] pads, float value) {
        Checks.notNull("pad", "x", x);
        checkPairs(x, pads);
        int[] s = x.shape(), out = s.clone();
        long offset = 0;
        int[] before = new int[s.length];
        for (int i = 0; i < pads.length / 2; i++) {
            int d = s.length - 1 - i;
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
