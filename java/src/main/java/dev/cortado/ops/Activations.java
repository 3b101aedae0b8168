package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Ptr;
import dev.cortado.tensor.Checks;
import dev.cortado.tensor.Tensor;

/** Elementwise nonlinearities: sigmoid, ReLU, tanh. */
public final class Activations {

    private Activations() {
    }

    public static Tensor sigmoid(Tensor x) {
        return unary("sigmoid", x, KernelSet::sigmoidForward, KernelSet::sigmoidBackward, true);
    }

    public static Tensor relu(Tensor x) {
        return unary("relu", x, KernelSet::reluForward, KernelSet::reluBackward, false);
    }

    public static Tensor tanh(Tensor x) {
        return unary("tanh", x, KernelSet::tanhForward, KernelSet::tanhBackward, true);
    }

    /**
     * x clamped to [lo, hi] as a layer's activation (a fused convolution's, when it is run as ops):
     * x itself for (-inf, inf), ReLU for [0, inf), else {@link Tensor#clamp}. Differentiable.
     */
    public static Tensor clampActivation(Tensor x, float lo, float hi) {
        if (lo == Float.NEGATIVE_INFINITY && hi == Float.POSITIVE_INFINITY) return x;
        return lo == 0f && hi == Float.POSITIVE_INFINITY ? relu(x) : x.clamp(lo, hi);
    }

    interface Forward {
        void run(KernelSet k, long n, Ptr x, Ptr y);
    }

    interface BackwardKernel {
        void run(KernelSet k, long n, Ptr saved, Ptr dy, Ptr dx);
    }

    /** One elementwise op: its backward kernel reads the forward output (savesOutput) or input. */
    private static Tensor unary(String op, Tensor x, Forward forward, BackwardKernel backward, boolean savesOutput) {
        Checks.notNull(op, "x", x);
        Tensor y = Tensor.empty(x.device(), x.shape());
        forward.run(x.kernels(), x.numel(), x.ptr(), y.ptr());
        return Autograd.record(y, op, Autograd.saves(savesOutput ? y : x), g -> {
            Tensor dx = Tensor.empty(x.device(), x.shape());
            backward.run(x.kernels(), x.numel(), (savesOutput ? y : x).ptr(), g.ptr(), dx.ptr());
            return new Tensor[] {dx};
        }, x);
    }
}
