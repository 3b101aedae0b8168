package dev.cortado.ops;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.tensor.Autograd;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * 2-D convolution as im2col + GEMM (Caffe's way), one image at a time:
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
        int rows = win.colRows(), cols = win.colCols();
        long inSize = win.inputSize(), outSize = (long) filters * cols;
        Tensor y = Tensor.empty(x.device(), batch, filters, win.outH(), win.outW());
        try (Tensor col = Tensor.empty(x.device(), rows, cols)) {
            for (int n = 0; n < batch; n++) {
                k.im2col(win, x.ptr().at(n * inSize), col.ptr());
                k.gemm(false, false, filters, cols, rows, 1f, w.ptr(), rows, col.ptr(), cols, 0f, y.ptr().at(n * outSize), cols);
            }
        }
        if (bias != null) k.biasAdd(batch, filters, cols, bias.ptr(), y.ptr());
        return Autograd.record(y, "conv2d", g -> {
            Tensor dx = x.requiresGrad() ? Tensor.empty(x.device(), x.shape()) : null;
            Tensor dw = w.requiresGrad() ? Tensor.zeros(x.device(), w.shape()) : null;
            try (Tensor col = Tensor.empty(x.device(), rows, cols)) {
                for (int n = 0; n < batch; n++) {
                    if (dw != null) { // dW += dY_n · col_nᵀ
                        k.im2col(win, x.ptr().at(n * inSize), col.ptr());
                        k.gemm(false, true, filters, rows, cols, 1f, g.ptr().at(n * outSize), cols, col.ptr(), cols, 1f, dw.ptr(), rows);
                    }
                    if (dx != null) { // dX_n = col2im(Wᵀ · dY_n)
                        k.gemm(true, false, rows, cols, filters, 1f, w.ptr(), rows, g.ptr().at(n * outSize), cols, 0f, col.ptr(), cols);
                        k.col2im(win, col.ptr(), dx.ptr().at(n * inSize));
                    }
                }
            }
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, batch, filters, cols) : null;
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
    }
}
