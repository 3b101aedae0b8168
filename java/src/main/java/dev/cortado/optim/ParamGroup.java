package dev.cortado.optim;

import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share a weight decay (PyTorch's parameter groups, {@code {"params": ..., "weight_decay": ...}}).
 *
 * @param params      the parameters
 * @param weightDecay their decoupled weight decay (AdamW's λ), finite and at least 0
 */
public record ParamGroup(List<Tensor> params, double weightDecay) {

    public ParamGroup {
        if (params == null) throw new IllegalArgumentException("ParamGroup: params is null");
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("ParamGroup: weight decay must be finite and >= 0, got " + weightDecay);
        }
        params = List.copyOf(params);
    }

    /**
     * nanoGPT's split of a module's named parameters into two groups: matrices and other tensors
     * of 2 or more dimensions decay by {@code weightDecay}; 1-D tensors (biases, norm weights) and
     * any name ending in "bias" get none. Empty groups are left out.
     */
    public static List<ParamGroup> decayAndNoDecay(Map<String, Tensor> namedParams, double weightDecay) {
        List<Tensor> decay = new ArrayList<>(), none = new ArrayList<>();
        namedParams.forEach((name, p) -> (p.dim() < 2 || name.endsWith("bias") ? none : decay).add(p));
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(new ParamGroup(decay, weightDecay));
        if (!none.isEmpty()) groups.add(new ParamGroup(none, 0));
        return groups;
    }
}
