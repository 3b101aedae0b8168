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
