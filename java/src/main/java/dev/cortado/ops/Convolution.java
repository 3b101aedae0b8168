package dev.cortado.ops;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.Window;
import dev.cortado.tensor.Autograd;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;

/**
 * 2-D convolution as im2col + GEMM (Caffe's way), lowering several images at once so that each
 * GEMM is large while its column matrix still fits in cache:
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
        long imageSize = win.inputSize(), outSize = (long) filters * pixels;
        // Lower the batch in chunks whose column matrix fits a core's L2 (about 2 MiB), so each
        // chunk is written and read back by one GEMM while it is still in cache; the chunk size
        // depends on the shapes only, so results do not depend on the thread count.
        int chunk = (int) Math.max(1, Math.min(batch, (512L * 1024) / ((long) rows * pixels)));
        if ((long) Math.max(rows, filters) * chunk * pixels > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv2d on x " + Shape.str(x.shape()) + ": one image's columns exceed 2^31 elements");
        }
        Tensor y = Tensor.empty(x.device(), batch, filters, win.outH(), win.outW());
        try (Tensor col = Tensor.empty(x.device(), rows, chunk * pixels);
             Tensor yT = Tensor.empty(x.device(), filters, chunk * pixels)) {
            for (int n0 = 0; n0 < batch; n0 += chunk) {
                int nb = Math.min(chunk, batch - n0), cols = nb * pixels;
                k.im2col(win, nb, x.ptr().at(n0 * imageSize), col.ptr());
                k.gemm(false, false, filters, cols, rows, 1f, w.ptr(), rows, col.ptr(), cols, 0f, yT.ptr(), cols);
                k.swap01(filters, nb, pixels, yT.ptr(), y.ptr().at(n0 * outSize)); // [F, nb, P] -> [nb, F, P]
            }
        }
        if (bias != null) k.biasAdd(batch, filters, pixels, bias.ptr(), y.ptr());
        return Autograd.record(y, "conv2d", g -> {
            Tensor dx = x.requiresGrad() ? Tensor.empty(x.device(), x.shape()) : null;
            Tensor dw = w.requiresGrad() ? Tensor.empty(x.device(), w.shape()) : null;
            try (Tensor col = Tensor.empty(x.device(), rows, chunk * pixels);
                 Tensor gT = Tensor.empty(x.device(), filters, chunk * pixels)) {
                for (int n0 = 0; n0 < batch; n0 += chunk) {
                    int nb = Math.min(chunk, batch - n0), cols = nb * pixels;
                    k.swap01(nb, filters, pixels, g.ptr().at(n0 * outSize), gT.ptr()); // [nb, F, P] -> [F, nb, P]
                    if (dw != null) { // dW += dYᵀ · colᵀ, the columns recomputed (Caffe's trade: no stored lowering)
                        k.im2col(win, nb, x.ptr().at(n0 * imageSize), col.ptr());
                        k.gemm(false, true, filters, rows, cols, 1f, gT.ptr(), cols, col.ptr(), cols, n0 == 0 ? 0f : 1f, dw.ptr(), rows);
                    }
                    if (dx != null) { // dX = col2im(Wᵀ · dYᵀ)
                        k.gemm(true, false, rows, cols, filters, 1f, w.ptr(), rows, gT.ptr(), cols, 0f, col.ptr(), cols);
                        k.col2im(win, nb, col.ptr(), dx.ptr().at(n0 * imageSize));
                    }
                }
            }
            Tensor db = bias != null && bias.requiresGrad() ? Reductions.biasGrad(g, batch, filters, pixels) : null;
            return new Tensor[] {dx, dw, db};
        }, x, w, bias);
    }
}
