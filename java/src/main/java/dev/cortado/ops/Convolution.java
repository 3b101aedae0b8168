package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * 2-D convolution (cross-correlation, as in Caffe and PyTorch) through the kernel set's three
 * convolution kernels: x [batch, C, H, W], w [F, C, kh, kw], bias [F] or null, output
 * [batch, F, outH, outW].
 */
public final class Convolution {

    private Convolution() {
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        return conv2d(x, w, bias, stride, stride, pad, pad);
    }

    /**
     * PyTorch's conv2d with dilation and groups: x [batch, C, H, W], w [F, C / groups, kh, kw];
     * each of the {@code groups} channel groups is convolved with its F / groups filters (groups =
     * C: depthwise), all groups at once by one im2col and batched GEMMs over the groups, whatever
     * their number (groups = 1 by the convolution kernels; groups = C = F, one filter per channel,
     * by the depthwise kernels, which read x once and build no column matrix). A dilated kernel is the kernel spread
     * over (kh - 1)·dilation + 1 rows with zeros between its taps, convolved the same way (its
     * gradient is read back at the taps).
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW,
                                int dilationH, int dilationW, int groups) {
        Checks.rank("conv2d", "x", x, 4);
        Checks.rank("conv2d", "w", w, 4);
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("conv2d: dilation " + dilationH + "x" + dilationW + " must be >= 1");
        }
        int c = x.size(1), f = w.size(0);
        if (groups < 1 || c % groups != 0 || f % groups != 0) {
            throw new IllegalArgumentException("conv2d: groups " + groups + " must divide the " + c + " channels of x "
                    + Shape.str(x.shape()) + " and the " + f + " filters of w " + Shape.str(w.shape()));
        }
        if (w.size(1) != c / groups) {
            throw new IllegalArgumentException("conv2d: w " + Shape.str(w.shape()) + " expects " + w.size(1) + " channels per group but x "
                    + Shape.str(x.shape()) + " has " + c + " channels in " + groups + " groups (" + c / groups + " each)");
        }
        Tensor wd = dilationH == 1 && dilationW == 1 ? w : dilate(w, dilationH, dilationW);
        if (groups == 1) {
            Tensor y = conv2d(x, wd, bias, strideH, strideW, padH, padW);
            if (wd != w) Autograd.closeUnlessRecorded(y, wd);
            return y;
        }
        Tensor y = groups == c && f == c ? depthwise(x, wd, bias, strideH, strideW, padH, padW, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY)
                : grouped(x, wd, bias, strideH, strideW, padH, padW, groups);
        if (wd != w) Autograd.closeUnlessRecorded(y, wd);
        return y;
    }

    /**
     * {@code min(max(conv2d(x, w, bias, stride, pad, groups = C), lo), hi)} for a depthwise
     * convolution (x [batch, C, H, W], w [C, 1, kh, kw]): MobileNet's convolution, batch norm (folded
     * into w and bias) and ReLU6. When nothing needs a gradient (inference) y is written once, the
     * clamp in the depthwise kernel's output pass; otherwise it is the composition, differentiable.
     */
    public static Tensor depthwiseFused(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, float lo,
                                        float hi) {
        Checks.clampRange("depthwiseFused", lo, hi);
        Checks.rank("conv2d", "x", x, 4);
        Checks.rank("conv2d", "w", w, 4);
        int c = x.size(1);
        if (w.size(0) != c || w.size(1) != 1) {
            throw new IllegalArgumentException("depthwiseFused: w " + Shape.str(w.shape()) + " is not [" + c + ", 1, kh, kw] for x "
                    + Shape.str(x.shape()) + " (one filter per channel)");
        }
        if (!Autograd.needsGrad(x, w, bias)) return depthwise(x, w, bias, strideH, strideW, padH, padW, lo, hi);
        Tensor y = depthwise(x, w, bias, strideH, strideW, padH, padW, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        return Activations.clampActivation(y, lo, hi);
    }

    /**
     * The depthwise convolution (groups = C = F): x [batch, C, H, W], w [C, 1, kh, kw], each channel
     * convolved with its own filter by the kernel set's depthwise kernels, the bias added in the
     * forward; the backward by the data and filter kernels and the bias gradient. A clamp (lo, hi
     * not infinite) is for inference: nothing is recorded.
     */
    private static Tensor depthwise(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, float lo, float hi) {
        Checks.sameDevice("conv2d", x, w);
        int n = x.size(0), c = x.size(1);
        Checks.bias("conv2d", x, bias, c, "filters");
        Window win = window(x, w, strideH, strideW, padH, padW);
        if ((long) n * win.inputSize() > Integer.MAX_VALUE || (long) n * win.outputSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ", w " + Shape.str(w.shape()) + ": the batch's "
                    + n * Math.max(win.inputSize(), win.outputSize()) + " input or output values exceed 2^31 - 1");
        }
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), n, c, win.outH(), win.outW());
        if (n > 0) k.depthwiseForward(win, n, x.ptr(), w.ptr(), bias == null ? null : bias.ptr(), lo, hi, y.ptr());
        if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) return y; // (nothing needed a gradient)
        return Autograd.record(y, "conv2d", Autograd.saves(x, w), g -> {
            Tensor dx = null, dw = null;
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, n, c, win.colCols()) : null;
            if (n == 0) { // no images: empty dx, and dw an empty sum
                if (x.requiresGrad()) dx = Tensor.zeros(x.device(), x.shape());
                if (w.requiresGrad()) dw = Tensor.zeros(x.device(), w.shape());
                return new Tensor[] {dx, dw, db};
            }
            if (x.requiresGrad()) {
                dx = Tensor.empty(x.device(), x.shape());
                k.depthwiseBackwardData(win, n, w.ptr(), g.ptr(), dx.ptr());
            }
            if (w.requiresGrad()) {
                dw = Tensor.empty(x.device(), w.shape());
                k.depthwiseBackwardFilter(win, n, x.ptr(), g.ptr(), dw.ptr());
            }
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
    }

    /**
     * The grouped convolution (groups > 1) in a few kernel calls whatever the group count: x's
     * channels lowered at once to the column matrix [C·kh·kw, batch·P] (P = outH·outW), whose rows
     * for group g are the block g of C/G·kh·kw rows; then one batched GEMM over the groups,
     * w_g [F/G, C/G·kh·kw] · col_g, into [G, F/G, batch, P], read back as [batch, F, P]. The
     * backward: dw_g = dy_g · col_g^T and dcol_g = w_g^T · dy_g (batched GEMMs), col2im to dx.
     */
    static Tensor grouped(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int groups) {
        Checks.sameDevice("conv2d", x, w);
        int n = x.size(0), f = w.size(0), fg = f / groups;
        Checks.bias("conv2d", x, bias, f, "filters");
        Window win = window(x, w, strideH, strideW, padH, padW);
        long cols = (long) n * win.colCols();
        if (cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ", w " + Shape.str(w.shape()) + ": "
                    + cols + " output pixels exceed 2^31 - 1");
        }
        int np = (int) cols, kg = win.colRows() / groups; // kg: the rows of one group's columns, C/G·kh·kw
        KernelSet k = x.kernels();
        int p = win.colCols();
        int[] shape = {n, f, win.outH(), win.outW()};
        Tensor y;
        if (np == 0) {
            y = Tensor.empty(x.device(), shape);
        } else {
            // one image: [G, F/G, 1, P] is y's own layout; more: a product per group into [G, F/G, batch, P], then [batch, F, P]
            try (Tensor col = columns(x, win, np); Tensor out = n == 1 ? null : Tensor.empty(x.device(), f, np)) {
                y = n == 1 ? Tensor.empty(x.device(), shape) : null;
                Tensor c = n == 1 ? y : out;
                k.gemmBatched(false, false, fg, np, kg, 1f, w.ptr(), kg, (long) fg * kg, col.ptr(), np, (long) kg * np,
                        0f, c.ptr(), np, (long) fg * np, groups);
                if (out != null) y = Strides.copy(out, shape, new long[] {p, np, win.outW(), 1}, 0);
            }
            if (bias != null) k.biasAdd(n, f, p, bias.ptr(), y.ptr());
        }
        return Autograd.record(y, "conv2d", Autograd.saves(x, w), g -> {
            Tensor dx = null, dw = null;
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, n, f, win.colCols()) : null;
            if (np == 0) { // no images: empty dx, and dw an empty sum
                if (x.requiresGrad()) dx = Tensor.zeros(x.device(), x.shape());
                if (w.requiresGrad()) dw = Tensor.zeros(x.device(), w.shape());
                return new Tensor[] {dx, dw, db};
            }
            // dy [batch, F, P] as [G, F/G, batch, P]: with one image, dy itself
            try (Tensor dyg = n == 1 ? null : Strides.copy(g, new int[] {f, n, p}, new long[] {p, (long) f * p, 1}, 0)) {
                Tensor dy = dyg == null ? g : dyg;
                if (w.requiresGrad()) {
                    dw = Tensor.empty(x.device(), w.shape());
                    try (Tensor col = columns(x, win, np)) {
                        k.gemmBatched(false, true, fg, kg, np, 1f, dy.ptr(), np, (long) fg * np, col.ptr(), np, (long) kg * np,
                                0f, dw.ptr(), kg, (long) fg * kg, groups);
                    }
                }
                if (x.requiresGrad()) {
                    dx = Tensor.empty(x.device(), x.shape());
                    try (Tensor dcol = Tensor.empty(x.device(), win.colRows(), np)) {
                        k.gemmBatched(true, false, kg, np, fg, 1f, w.ptr(), kg, (long) fg * kg, dy.ptr(), np, (long) fg * np,
                                0f, dcol.ptr(), np, (long) kg * np, groups);
                        k.col2im(win, n, dcol.ptr(), dx.ptr());
                    }
                }
            }
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
    }

    /** x's windows as the column matrix [C·kh·kw, batch·P]. */
    private static Tensor columns(Tensor x, Window win, int np) {
        Tensor col = Tensor.empty(x.device(), win.colRows(), np);
        x.kernels().im2col(win, x.size(0), x.ptr(), col.ptr());
        return col;
    }

    /**
     * The shape of {@code conv2d(x, w, bias, strideH, strideW, padH, padW)}: [batch, filters, outH,
     * outW] for x [batch, C, H, W] and w [filters, C, kh, kw].
     */
    public static int[] outputShape(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW) {
        Checks.rank("conv2d", "x", x, 4);
        Checks.rank("conv2d", "w", w, 4);
        Window win = window(x, w, strideH, strideW, padH, padW);
        return new int[] {x.size(0), w.size(0), win.outH(), win.outW()};
    }

    /** The window of w over x, its errors naming both shapes. */
    private static Window window(Tensor x, Tensor w, int strideH, int strideW, int padH, int padW) {
        try {
            return new Window(x.size(1), x.size(2), x.size(3), w.size(2), w.size(3), strideH, strideW, padH, padW);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ", w " + Shape.str(w.shape()) + ": " + e.getMessage(), e);
        }
    }

    /** w [F, C, kh, kw] spread to [F, C, (kh-1)·dh + 1, (kw-1)·dw + 1] with zeros between the taps (differentiable). */
    static Tensor dilate(Tensor w, int dh, int dw) {
        int[] s = w.shape();
        long kh = (long) (s[2] - 1) * dh + 1, kw = (long) (s[3] - 1) * dw + 1;
        if (kh > Integer.MAX_VALUE || kw > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d: dilation " + dh + "x" + dw + " spreads w " + Shape.str(s) + " past 2^31 taps");
        }
        int[] spread = {s[0], s[1], (int) kh, (int) kw};
        long[] taps = {(long) s[1] * kh * kw, kh * kw, dh * kw, dw}; // where tap (f, c, i, j) lands in the spread kernel
        Tensor out = Tensor.zeros(w.device(), spread);
        Strides.copyInto(w, out, taps, 0);
        return Autograd.record(out, "dilate", g -> new Tensor[] {Strides.copy(g, s, taps, 0)}, w);
    }

    /**
     * PyTorch's conv1d: x [batch, C, L], w [F, C / groups, k], bias [F] or null; a conv2d over
     * rows of height 1.
     */
    public static Tensor conv1d(Tensor x, Tensor w, Tensor bias, int stride, int pad, int dilation, int groups) {
        Checks.rank("conv1d", "x", x, 3);
        Checks.rank("conv1d", "w", w, 3);
        Tensor x2 = x.unsqueeze(2), w2 = w.unsqueeze(2);
        Tensor y2 = conv2d(x2, w2, bias, 1, stride, 0, pad, 1, dilation, groups);
        Tensor y = y2.squeeze(2);
        Autograd.closeUnlessRecorded(y, x2, w2, y2);
        return y;
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW) {
        return convolve(x, w, null, bias, null, strideH, strideW, padH, padW, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    }

    /**
     * {@code min(max(conv2d(x, w, bias, stride, pad) + z, lo), hi)}, cuDNN's fused convolution,
     * bias, add and activation: z (y's shape, a residual branch) may be null; lo = 0, hi = inf is
     * ReLU (and then computed by {@link Activations#relu} when a gradient is needed). When nothing
     * needs a gradient (inference) y is written once, with the add and the clamp; otherwise it is
     * the composition of the three ops, differentiable.
     */
    public static Tensor conv2dFused(Tensor x, Tensor w, Tensor bias, Tensor z, int strideH, int strideW, int padH, int padW, float lo,
                                     float hi) {
        return conv2dFused(x, w, null, bias, z, strideH, strideW, padH, padW, lo, hi);
    }

    /**
     * {@link #conv2dFused(Tensor, Tensor, Tensor, Tensor, int, int, int, int, float, float)} with w's
     * filters prepared once in {@code prepared} (null: not), as inference calls the same weights
     * again and again: without packing (or transforming) the filters on every call; the same bits,
     * except where the cpu kernels take Winograd's algorithm only with the filters transformed
     * ahead (a 3x3 window over a small image, such as ResNet-18's 14 x 14 at batch 1: within float
     * rounding).
     */
    public static Tensor conv2dFused(Tensor x, Tensor w, PreparedFilters prepared, Tensor bias, Tensor z, int strideH, int strideW,
                                     int padH, int padW, float lo, float hi) {
        Checks.clampRange("conv2dFused", lo, hi);
        if (!Autograd.needsGrad(x, w, bias, z)) return convolve(x, w, prepared, bias, z, strideH, strideW, padH, padW, lo, hi);
        // (weights that train change every step: not worth preparing)
        Tensor y = convolve(x, w, w.requiresGrad() ? null : prepared, bias, null, strideH, strideW, padH, padW, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
        return Activations.clampActivation(z == null ? y : y.add(z), lo, hi);
    }

    private static Tensor convolve(Tensor x, Tensor w, PreparedFilters prepared, Tensor bias, Tensor z, int strideH, int strideW, int padH,
                                   int padW, float lo, float hi) {
        Checks.rank("conv2d", "x", x, 4);
        Checks.rank("conv2d", "w", w, 4);
        Checks.sameDevice("conv2d", x, w);
        int batch = x.size(0), filters = w.size(0);
        if (w.size(1) != x.size(1)) {
            throw new IllegalArgumentException("conv2d: x " + Shape.str(x.shape()) + " has " + x.size(1) + " channels but w "
                    + Shape.str(w.shape()) + " expects " + w.size(1));
        }
        Checks.bias("conv2d", x, bias, filters, "filters");
        Window win = window(x, w, strideH, strideW, padH, padW);
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), batch, filters, win.outH(), win.outW());
        if (z != null) {
            Checks.sameDevice("conv2d", x, z);
            if (!Arrays.equals(z.shape(), y.shape())) {
                throw new IllegalArgumentException("conv2dFused: z " + Shape.str(z.shape()) + " is not the output's shape " + Shape.str(y.shape()));
            }
        }
        Ptr b = bias == null ? null : bias.ptr(), zp = z == null ? null : z.ptr();
        if (prepared == null) k.convForward(win, batch, filters, x.ptr(), w.ptr(), null, b, zp, lo, hi, y.ptr());
        else prepared.use(w, win, batch, p -> k.convForward(win, batch, filters, x.ptr(), w.ptr(), p, b, zp, lo, hi, y.ptr()));
        if (z != null || lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) return y; // (nothing needed a gradient)
        return Autograd.record(y, "conv2d", Autograd.saves(x, w), g -> {
            Tensor dx = null, dw = null;
            if (x.requiresGrad()) {
                dx = Tensor.empty(x.device(), x.shape());
                k.convBackwardData(win, batch, filters, w.ptr(), g.ptr(), dx.ptr());
            }
            if (w.requiresGrad()) {
                dw = Tensor.empty(x.device(), w.shape());
                k.convBackwardFilter(win, batch, filters, x.ptr(), g.ptr(), dw.ptr());
            }
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, batch, filters, win.colCols()) : null;
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
    }
}
