package dev.cortado.ops;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.tensor.Autograd;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * 2-D convolution as im2col + GEMM (Caffe's way), the whole batch lowered at once so that each
 * pass is one large GEMM:
 * x [batch, C, H, W], w [F, C, kh, kw], bias [F] or null, output [batch, F, outH, outW].
 */
public final class Convolution {

    private Convolution() {
    }

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        return conv2d(x, w, bias, stride, stride, pad, pad);
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
        int rows = win.colRows(), pixels = win.colCols();
        long wide = (long) batch * pixels;
        if (wide * Math.max(rows, filters) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ": the lowered batch exceeds 2^31 elements");
        }
        int cols = (int) wide;
        // lower the whole batch: col [rows, batch·pixels]; one GEMM gives [filters, batch, pixels]
        Tensor col = Tensor.empty(x.device(), rows, cols);
        k.im2col(win, batch, x.ptr(), col.ptr());
        Tensor y = Tensor.empty(x.device(), batch, filters, win.outH(), win.outW());
        try (Tensor yT = Tensor.empty(x.device(), filters, cols)) {
            k.gemm(false, false, filters, cols, rows, 1f, w.ptr(), rows, col.ptr(), cols, 0f, yT.ptr(), cols);
            k.swap01(filters, batch, pixels, yT.ptr(), y.ptr());
        }
        if (bias != null) k.biasAdd(batch, filters, pixels, bias.ptr(), y.ptr());
        Autograd.record(y, "conv2d", g -> {
            Tensor dx = null, dw = null;
            try (Tensor gT = Tensor.empty(x.device(), filters, cols)) {
                k.swap01(batch, filters, pixels, g.ptr(), gT.ptr());
                if (w.requiresGrad()) { // dW = dYᵀ · colᵀ
                    dw = Tensor.empty(x.device(), w.shape());
                    k.gemm(false, true, filters, rows, cols, 1f, gT.ptr(), cols, col.ptr(), cols, 0f, dw.ptr(), rows);
                }
                if (x.requiresGrad()) { // dX = col2im(Wᵀ · dYᵀ)
                    dx = Tensor.empty(x.device(), x.shape());
                    try (Tensor dcol = Tensor.empty(x.device(), rows, cols)) {
                        k.gemm(true, false, rows, cols, filters, 1f, w.ptr(), rows, gT.ptr(), cols, 0f, dcol.ptr(), cols);
                        k.col2im(win, batch, dcol.ptr(), dx.ptr());
                    }
                }
            }
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, batch, filters, pixels) : null;
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
        if (!y.requiresGrad()) col.close(); // only the backward reads the columns again
        return y;
    }
}
