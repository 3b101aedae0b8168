package dev.cortado.optim;

import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.Tensor;
import java.util.List;

/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
public final class GradClip {

    private GradClip() {
    }

    /**
     * The 2-norm of all the gradients together, ‖(g₁, …, gₙ)‖ (parameters without a gradient
     * count for nothing); when it exceeds {@code maxNorm} every gradient is multiplied in place by
     * {@code maxNorm / (norm + 1e-6)}, as PyTorch does (a NaN norm makes every gradient NaN there
     * too). Returns the norm before clipping.
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        if (params == null) throw new IllegalArgumentException("clipGradNorm: params is null");
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
        double squares = 0;
        try (GradMode off = GradMode.off()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                try (Tensor sq = g.square(); Tensor s = sq.sum()) {
                    squares += s.item();
                }
            }
        }
        double norm = Math.sqrt(squares);
        double coef = maxNorm / (norm + 1e-6);
        if (!(coef >= 1)) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                g.kernels().scale(g.numel(), (float) coef, g.ptr(), g.ptr());
                g.markModified();
            }
        }
        return norm;
    }
}
