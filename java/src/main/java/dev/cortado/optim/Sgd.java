package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /**
     * Mocha's SGD over a network built with its layers' defaults (InnerProductLayer and
     * ConvolutionLayer: weight_lr 1, bias_lr 2, weight_regu L2Regu(1), bias_regu NoRegu):
     * biases (parameters named "bias" or "….bias") learn at twice the rate without decay; weights
     * decay with Mocha's L2 gradient 2·regu·w.
     */
    public static Sgd mocha(Map<String, Tensor> namedParams, LearningRate lr, Momentum momentum, float regu) {
        Sgd sgd = new Sgd(new ArrayList<>(namedParams.values()), lr, momentum, regu, false);
        namedParams.forEach((name, p) -> {
            if (name.equals("bias") || name.endsWith(".bias")) sgd.scale(p, 2, 0);
            else sgd.scale(p, 1, 2);
        });
        return sgd;
    }

    @Override
    protected void update(Tensor p, Tensor g, Tensor[] s, double lr, double decayScale) {
        p.kernels().sgdMomentum(p.numel(), (float) lr, (float) momentum.at(iteration), (float) (weightDecay * decayScale), nesterov,
                p.ptr(), g.ptr(), s[0].ptr());
    }
}
