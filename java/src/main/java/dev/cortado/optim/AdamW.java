package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * AdamW (Loshchilov and Hutter), as torch.optim.AdamW: the weight decay is decoupled from the
 * gradient, {@code p ← p·(1 − lr·λ)}, then Adam's bias-corrected step on the plain gradient
 * (Adam's kernel with its L2 term at 0). λ may differ per {@link ParamGroup}.
 */
public final class AdamW extends Optimizer {

    private final float beta1, beta2, eps, weightDecay;

    /** Every parameter decays by {@code weightDecay}. */
    public AdamW(List<Tensor> params, LearningRate lr, float beta1, float beta2, float eps, float weightDecay) {
        super(params, lr, 2);
        checkHyper(beta1, beta2, eps);
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("AdamW: weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> params, double lr) {
        this(params, LearningRate.fixed(lr), 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    /** Each group's parameters decay by that group's weight decay; a parameter may be in one group only. */
    public AdamW(List<ParamGroup> groups, LearningRate lr, float beta1, float beta2, float eps) {
        super(all(groups), lr, 2);
        checkHyper(beta1, beta2, eps);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = 1f; // each parameter's decay scale is its group's λ
        for (ParamGroup g : groups) for (Tensor p : g.params()) scale(p, 1, g.weightDecay());
    }

    private static List<Tensor> all(List<ParamGroup> groups) {
        if (groups == null) throw new IllegalArgumentException("AdamW: groups is null");
        List<Tensor> all = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i) == null) throw new IllegalArgumentException("AdamW: group " + i + " is null");
            for (Tensor p : groups.get(i).params()) {
                if (!seen.add(p)) throw new IllegalArgumentException("AdamW: a parameter appears in more than one group (again in group " + i + ")");
                all.add(p);
            }
        }
        return all;
    }

    private static void checkHyper(float beta1, float beta2, float eps) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0)) {
            throw new IllegalArgumentException("AdamW: betas must be in [0, 1) and eps >= 0, got beta1=" + beta1 + " beta2=" + beta2
                    + " eps=" + eps);
        }
    }

    @Override
    protected void update(Tensor p, Tensor g, Tensor[] s, double lr, double decayScale) {
        double decay = weightDecay * decayScale;
        if (decay != 0) p.kernels().scale(p.numel(), (float) (1 - lr * decay), p.ptr(), p.ptr());
        p.kernels().adam(p.numel(), (float) lr, beta1, beta2, eps, 0f, iteration + 1, p.ptr(), g.ptr(), s[0].ptr(), s[1].ptr());
    }
}
