package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/** 2-D max and average pooling over [batch, channels, height, width] (floor mode, like Caffe/PyTorch). */
public final class Pooling {

    private Pooling() {
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride) {
        return maxPool2d(x, kernel, kernel, stride, stride, 0, 0);
    }

    public static Tensor maxPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        return pool("max_pool2d", x, new int[] {kernelH, kernelW, strideH, strideW, padH, padW},
                KernelSet::maxPoolForward, KernelSet::maxPoolBackward);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride) {
        return avgPool2d(x, kernel, kernel, stride, stride, 0, 0);
    }

    /** Average pooling; padding counts as zeros in the mean (PyTorch's count_include_pad). */
    public static Tensor avgPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        return pool("avg_pool2d", x, new int[] {kernelH, kernelW, strideH, strideW, padH, padW},
                KernelSet::avgPoolForward, (k, w, in, dy, dx) -> k.avgPoolBackward(w, dy, dx));
    }

    /**
     * PyTorch's max_pool2d with ceil_mode: the output rounds up (a last window that starts inside
     * the input or its left padding is kept); the overhang past the padding holds -inf.
     */
    public static Tensor maxPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW, boolean ceilMode) {
        int[] extra = ceilExtra("max_pool2d", x, kernelH, kernelW, strideH, strideW, padH, padW, ceilMode);
        if (extra[0] == 0 && extra[1] == 0) return maxPool2d(x, kernelH, kernelW, strideH, strideW, padH, padW);
        Tensor xp = Padding.pad(x, new int[] {0, extra[1], 0, extra[0]}, Float.NEGATIVE_INFINITY);
        Tensor y = maxPool2d(xp, kernelH, kernelW, strideH, strideW, padH, padW);
        Autograd.closeUnlessRecorded(y, xp);
        return y;
    }

    /**
     * PyTorch's avg_pool2d with ceil_mode and count_include_pad: each window's sum is divided by
     * the elements it covers of the input and, with countIncludePad, of its padding (never of the
     * overhang that ceil mode adds), as PyTorch counts them.
     */
    public static Tensor avgPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                                   boolean ceilMode, boolean countIncludePad) {
        int[] extra = ceilExtra("avg_pool2d", x, kernelH, kernelW, strideH, strideW, padH, padW, ceilMode);
        if (extra[0] == 0 && extra[1] == 0 && (countIncludePad || padH == 0 && padW == 0)) {
            return avgPool2d(x, kernelH, kernelW, strideH, strideW, padH, padW);
        }
        int h = x.size(2), w = x.size(3);
        // window sums (over kh·kw) of x padded with zeros, and of a mask of what counts
        Tensor xp = Padding.pad(x, new int[] {padW, padW + extra[1], padH, padH + extra[0]}, 0f);
        Tensor sums = avgPool2d(xp, kernelH, kernelW, strideH, strideW, 0, 0);
        float[] mask = new float[(h + 2 * padH + extra[0]) * (w + 2 * padW + extra[1])];
        int mw = w + 2 * padW + extra[1];
        int r0 = countIncludePad ? 0 : padH, r1 = countIncludePad ? h + 2 * padH : padH + h;
        int c0 = countIncludePad ? 0 : padW, c1 = countIncludePad ? w + 2 * padW : padW + w;
        for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) mask[r * mw + c] = 1f;
        Tensor counts;
        try (Tensor m = Tensor.of(x.device(), mask, 1, 1, mask.length / mw, mw)) {
            counts = avgPool2d(m, kernelH, kernelW, strideH, strideW, 0, 0);
        }
        Tensor y = Arithmetic.div(sums, counts);
        Autograd.closeUnlessRecorded(y, xp, sums, counts);
        return y;
    }

    /**
     * PyTorch's adaptive_avg_pool2d: output cell (i, j) averages rows floor(i·H/outH) to
     * ceil((i+1)·H/outH) - 1 and the columns likewise (outH = outW = 1: global average pooling).
     * A kernel of its own: an inf or NaN reaches only the windows that hold it.
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        Checks.rank("adaptive_avg_pool2d", "x", x, 4);
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("adaptive_avg_pool2d: output size " + outH + "x" + outW + " must be >= 1");
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        if (h == 0 || w == 0) throw new IllegalArgumentException("adaptive_avg_pool2d: x " + Shape.str(x.shape()) + " has an empty plane");
        if ((long) n * c * outH * outW > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: an output of " + outH + "x" + outW + " from x " + Shape.str(x.shape())
                    + " has more than 2^31 elements");
        }
        Tensor y = Tensor.empty(x.device(), n, c, outH, outW);
        x.kernels().adaptiveAvgPoolForward(n * c, h, w, outH, outW, x.ptr(), y.ptr());
        return Autograd.record(y, "adaptive_avg_pool2d", g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            x.kernels().adaptiveAvgPoolBackward(n * c, h, w, outH, outW, g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    /**
     * Rows and columns ceil mode adds past the right and bottom padding ({0, 0} in floor mode):
     * PyTorch's out = ceil((in + 2 pad - kernel) / stride) + 1, less one if that last window
     * would start past the input and its left padding.
     */
    private static int[] ceilExtra(String op, Tensor x, int kh, int kw, int sh, int sw, int ph, int pw, boolean ceilMode) {
        window(op, x, new int[] {kh, kw, sh, sw, ph, pw}); // validates as floor mode does
        if (!ceilMode) return new int[] {0, 0};
        return new int[] {extra(x.size(2), kh, sh, ph), extra(x.size(3), kw, sw, pw)};
    }

    private static int extra(int in, int k, int s, int p) {
        long span = (long) in + 2L * p - k;
        long out = (span + s - 1) / s + 1;
        if ((out - 1) * s >= in + p) out--;
        return (int) Math.max(0, (out - 1) * s + k - (in + 2L * p));
    }

    interface Forward {
        void run(KernelSet k, Window w, Ptr x, Ptr y);
    }

    interface BackwardKernel {
        void run(KernelSet k, Window w, Ptr x, Ptr dy, Ptr dx);
    }

    /** geometry = {kernelH, kernelW, strideH, strideW, padH, padW}. */
    private static Tensor pool(String op, Tensor x, int[] geometry, Forward forward, BackwardKernel backward) {
        Window w = window(op, x, geometry);
        Tensor y = Tensor.empty(x.device(), x.size(0), x.size(1), w.outH(), w.outW());
        forward.run(x.kernels(), w, x.ptr(), y.ptr());
        return Autograd.record(y, op, Autograd.saves(x), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            backward.run(x.kernels(), w, x.ptr(), g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    private static Window window(String op, Tensor x, int[] g) {
        Checks.rank(op, "x", x, 4);
        if (g[4] >= g[0] || g[5] >= g[1]) {
            throw new IllegalArgumentException(op + ": padding " + g[4] + "x" + g[5] + " must be smaller than the kernel " + g[0] + "x" + g[1]);
        }
        try {
            return new Window(x.size(0) * x.size(1), x.size(2), x.size(3), g[0], g[1], g[2], g[3], g[4], g[5]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + " on x " + Shape.str(x.shape()) + ": " + e.getMessage(), e);
        }
    }
}
