package dev.cortado.nn;

import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.util.Arrays;

/**
 * A residual connection: {@code y = branch(x) + shortcut(x)}, the shortcut the identity or a
 * projection (a ResNet's 1x1 strided convolution, with its norm, where the shapes change).
 * Children: branch and, when given, shortcut.
 */
public final class Residual extends Module {

    private final Module branch;
    private final Module shortcut;

    public Residual(Module branch) {
        this(branch, null);
    }

    /** @param shortcut the projection of x to the branch's output shape, or null for the identity */
    public Residual(Module branch, Module shortcut) {
        if (branch == null) throw new IllegalArgumentException("Residual: branch is null");
        this.branch = child("branch", branch);
        this.shortcut = shortcut == null ? null : child("shortcut", shortcut);
    }

    @Override
    public Tensor forward(Tensor x) {
        return sum(branch.forward(x), shortcut == null ? x : shortcut.forward(x), x);
    }

    /**
     * relu(forward(x)), under {@link dev.cortado.autograd.GradMode#off} with the add and the ReLU
     * in the branch's last convolution ({@link Fusion}) where it ends in one; null (nothing run)
     * when the branch is not a {@link Layers.Sequential}.
     */
    Tensor forwardThenRelu(Tensor x) {
        if (!(branch instanceof Layers.Sequential seq)) return null;
        Tensor s = shortcut == null ? x : shortcut.forward(x);
        Tensor y = Fusion.runInto(seq.layers(), x, s, true);
        return y != null ? y : dev.cortado.ops.Activations.relu(sum(branch.forward(x), s, x));
    }

    private Tensor sum(Tensor b, Tensor s, Tensor x) {
        if (!Arrays.equals(b.shape(), s.shape())) {
            throw new IllegalArgumentException("Residual: the branch gives " + Shape.str(b.shape()) + " but the "
                    + (shortcut == null ? "identity shortcut" : "shortcut") + " gives " + Shape.str(s.shape()) + " for x "
                    + Shape.str(x.shape()) + (shortcut == null ? "; give a projection shortcut" : ""));
        }
        return b.add(s);
    }
}
