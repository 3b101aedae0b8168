package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.List;

/** Adam (Kingma and Ba) with bias correction and optional L2 weight decay on the gradient. */
public final class Adam extends Optimizer {

    private final float beta1, beta2, eps, weightDecay;

    public Adam(List<Tensor> params, LearningRate lr, float beta1, float beta2, float eps, float weightDecay) {
        super(params, lr, 2);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    public Adam(List<Tensor> params, double lr) {
        this(params, LearningRate.fixed(lr), 0.9f, 0.999f, 1e-8f, 0f);
    }

    @Override
    protected void update(Tensor p, Tensor g, Tensor[] s, double lr, double decayScale) {
        p.kernels().adam(p.numel(), (float) lr, beta1, beta2, eps, (float) (weightDecay * decayScale), iteration + 1, p.ptr(), g.ptr(), s[0].ptr(), s[1].ptr());
    }
}
