package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.List;

/**
 * SGD with momentum in Caffe/Mocha form (v = μv − lr·(g + λw); w += v), optional Nesterov, and
 * L2 weight decay λ (Mocha's regu_coef).
 */
public final class Sgd extends Optimizer {

    private final Momentum momentum;
    private final float weightDecay;
    private final boolean nesterov;

    public Sgd(List<Tensor> params, LearningRate lr, Momentum momentum, float weightDecay, boolean nesterov) {
        super(params, lr, 1);
        if (momentum == null) throw new IllegalArgumentException("momentum policy is null");
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected void update(Tensor p, Tensor g, Tensor[] s, double lr) {
        p.kernels().sgdMomentum(p.numel(), (float) lr, (float) momentum.at(iteration), weightDecay, nesterov,
                p.ptr(), g.ptr(), s[0].ptr());
    }
}
