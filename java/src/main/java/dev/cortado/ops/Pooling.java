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
