package dev.cortado.ops;

import dev.cortado.autograd.Autograd;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.KernelSet;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/** Inverted dropout, PyTorch's {@code F.dropout(x, p, training=True)}. */
public final class Dropout {

    private Dropout() {
    }

    /**
     * Zeroes each element with probability p and scales the rest by 1/(1-p). The mask is made on
     * x's device from the counter-based generator: u = rand, then keep where u - p > 0 (ReLU's
     * backward kernel as the step function), so every device draws the same mask from the same seed.
     */
    public static Tensor dropout(Tensor x, float p, Rng rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (p == 0) return x;
        if (rng == null) throw new IllegalArgumentException("dropout: rng is null");
        KernelSet k = x.kernels();
        long n = x.numel();
        Tensor mask = Tensor.empty(x.device(), x.shape());
        try (GradMode off = GradMode.off();
             Tensor u = Tensor.empty(x.device(), x.shape());
             Tensor keep = Tensor.full(x.device(), 1f / (1f - p), x.shape())) {
            k.rand(n, rng.take(n), u.ptr());
            try (Tensor shifted = u.add(-p)) {
                k.reluBackward(n, shifted.ptr(), keep.ptr(), mask.ptr());
            }
        }
        Tensor y = x.mul(mask);
        Autograd.closeUnlessRecorded(y, mask);
        return y;
    }
}
