package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

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
     * C: depthwise). A dilated kernel is the kernel spread over (kh - 1)·dilation + 1 rows with
     * zeros between its taps, convolved by the same kernels (its gradient is read back at the taps).
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
        // [batch, C, H, W] as [G, batch, C/G, H, W]: each group's images lie together, so each is one convolution
        int n = x.size(0), cg = c / groups, fg = f / groups;
        Tensor xg = x.reshape(n, groups, cg, x.size(2), x.size(3)).permute(1, 0, 2, 3, 4);
        Tensor[] parts = new Tensor[groups];
        Tensor[] temps = new Tensor[3 * groups + 2];
        for (int g = 0; g < groups; g++) {
            Tensor xi = xg.select(0, g), wi = wd.narrow(0, g * fg, fg), bi = bias == null ? null : bias.narrow(0, g * fg, fg);
            parts[g] = conv2d(xi, wi, bi, strideH, strideW, padH, padW);
            temps[3 * g] = xi;
            temps[3 * g + 1] = wi;
            temps[3 * g + 2] = bi;
        }
        Tensor stacked = Shapes.stack(1, parts); // [batch, G, F/G, outH, outW]
        int[] s = stacked.shape();
        Tensor y = stacked.reshape(n, f, s[3], s[4]);
        temps[3 * groups] = xg;
        temps[3 * groups + 1] = stacked;
        Autograd.closeUnlessRecorded(y, temps);
        Autograd.closeUnlessRecorded(y, parts);
        if (wd != w) Autograd.closeUnlessRecorded(y, wd);
        return y;
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
        Checks.rank("conv2d", "x", x, 4);
        Checks.rank("conv2d", "w", w, 4);
        Checks.sameDevice("conv2d", x, w);
        int batch = x.size(0), filters = w.size(0);
        if (w.size(1) != x.size(1)) {
            throw new IllegalArgumentException("conv2d: x " + Shape.str(x.shape()) + " has " + x.size(1) + " channels but w "
                    + Shape.str(w.shape()) + " expects " + w.size(1));
        }
        Checks.bias("conv2d", x, bias, filters, "filters");
        Window win;
        try {
            win = new Window(x.size(1), x.size(2), x.size(3), w.size(2), w.size(3), strideH, strideW, padH, padW);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ", w " + Shape.str(w.shape()) + ": " + e.getMessage(), e);
        }
        KernelSet k = x.kernels();
        Tensor y = Tensor.empty(x.device(), batch, filters, win.outH(), win.outW());
        k.convForward(win, batch, filters, x.ptr(), w.ptr(), bias == null ? null : bias.ptr(), y.ptr());
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
