package dev.cortado.ops;

import dev.cortado.kernels.Window;
import dev.cortado.tensor.Autograd;
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
        Window w = window("max_pool2d", x, kernelH, kernelW, strideH, strideW, padH, padW);
        Tensor y = Tensor.empty(x.device(), outShape(x, w));
        x.kernels().maxPoolForward(w, x.ptr(), y.ptr());
        return Autograd.record(y, "max_pool2d", g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            x.kernels().maxPoolBackward(w, x.ptr(), g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride) {
        return avgPool2d(x, kernel, kernel, stride, stride, 0, 0);
    }

    /** Average pooling; padding counts as zeros in the mean (PyTorch's count_include_pad). */
    public static Tensor avgPool2d(Tensor x, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
        Window w = window("avg_pool2d", x, kernelH, kernelW, strideH, strideW, padH, padW);
        Tensor y = Tensor.empty(x.device(), outShape(x, w));
        x.kernels().avgPoolForward(w, x.ptr(), y.ptr());
        return Autograd.record(y, "avg_pool2d", g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            x.kernels().avgPoolBackward(w, g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }

    private static Window window(String op, Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        Checks.rank(op, "x", x, 4);
        if (ph >= kh || pw >= kw) {
            throw new IllegalArgumentException(op + ": padding " + ph + "x" + pw + " must be smaller than the kernel " + kh + "x" + kw);
        }
        try {
            return new Window(x.size(0) * x.size(1), x.size(2), x.size(3), kh, kw, sh, sw, ph, pw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + " on x " + Shape.str(x.shape()) + ": " + e.getMessage(), e);
        }
    }

    private static int[] outShape(Tensor x, Window w) {
        return new int[] {x.size(0), x.size(1), w.outH(), w.outW()};
    }
}
