package dev.cortado.examples;

import dev.cortado.autograd.GradMode;
import dev.cortado.ops.Linalg;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * The seed's 3-4-1 two-layer sigmoid net, trained two ways that must agree:
 * <ul>
 *   <li>{@link #trainByHand}: the seed's hand-written backprop with tensor ops;</li>
 *   <li>{@link #trainWithAutograd}: the same net and loss ½·Σ(y − l2)², gradients from autograd,
 *       and the same step (w −= ∂L/∂w, which is the seed's w += lᵀ·delta).</li>
 * </ul>
 * With the XOR target the hidden layer is needed: a single neuron cannot fit it.
 */
public final class TwoLayerNet {

    /** y = first input: learnable by a single neuron too. */
    public static final float[] FIRST_INPUT = {0, 0, 1, 1};

    /** y = XOR of the first two inputs: needs the hidden layer. */
    public static final float[] XOR = {0, 1, 1, 0};

    /** The net's output on X after training, and the weights w1 [3,4] and w2 [4,1]. */
    public record Result(float[] output, float[] w1, float[] w2) {
    }

    private TwoLayerNet() {
    }

    /** w1 = 2·rand(3,4) − 1, then w2 = 2·rand(4,1) − 1, from one generator. */
    private static Tensor[] initialWeights(long seed) {
        Rng rng = new Rng(seed);
        return new Tensor[] {Tensor.uniform(rng, -1f, 1f, 3, 4), Tensor.uniform(rng, -1f, 1f, 4, 1)};
    }

    /** σ'(z) written through the output s = σ(z): s ∘ (1 − s). */
    private static Tensor sigmoidSlope(Tensor s) {
        return s.mul(s.rsub(1f));
    }

    public static Result trainByHand(long seed, int iterations, float[] target) {
        Tensor[] w = initialWeights(seed);
        Tensor w1 = w[0], w2 = w[1];
        try (Tensor l0 = Tensor.of(Perceptron.X); Tensor y = Tensor.of(target, 4, 1)) {
            for (int i = 0; i < iterations; i++) {
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor l1 = l0.matmul(w1).sigmoid();
                    Tensor l2 = l1.matmul(w2).sigmoid();
                    Tensor l2Delta = y.sub(l2).mul(sigmoidSlope(l2));                                // l2_error ∘ σ'(l2)
                    Tensor l1Delta = Linalg.matmul(l2Delta, false, w2, true).mul(sigmoidSlope(l1));  // (l2_delta·w2ᵀ) ∘ σ'(l1)
                    w2.addInPlace(Linalg.matmul(l1, true, l2Delta, false));
                    w1.addInPlace(Linalg.matmul(l0, true, l1Delta, false));
                }
            }
            return finish(l0, w1, w2);
        }
    }

    public static Result trainWithAutograd(long seed, int iterations, float[] target) {
        Tensor[] w = initialWeights(seed);
        Tensor w1 = w[0].requiresGrad(true), w2 = w[1].requiresGrad(true);
        try (Tensor l0 = Tensor.of(Perceptron.X); Tensor y = Tensor.of(target, 4, 1)) {
            for (int i = 0; i < iterations; i++) {
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor l2 = l0.matmul(w1).sigmoid().matmul(w2).sigmoid();
                    Tensor error = y.sub(l2);
                    Tensor loss = error.mul(error).sum().mul(0.5f);
                    loss.backward();
                    try (GradMode off = GradMode.off()) {
                        w1.axpyInPlace(-1f, w1.grad());
                        w2.axpyInPlace(-1f, w2.grad());
                    }
                    w1.zeroGrad();
                    w2.zeroGrad();
                }
            }
            try (GradMode off = GradMode.off()) {
                return finish(l0, w1, w2);
            }
        }
    }

    private static Result finish(Tensor l0, Tensor w1, Tensor w2) {
        try (MemoryScope scope = MemoryScope.open()) {
            float[] out = l0.matmul(w1).sigmoid().matmul(w2).sigmoid().toArray();
            Result r = new Result(out, w1.toArray(), w2.toArray());
            w1.close();
            w2.close();
            return r;
        }
    }

    static void print(String title, float[] target, Result r) {
        Console.system().log().println(title);
        for (int i = 0; i < 4; i++) {
            Console.system().log().printf("  x = %s  y = %.0f  l2 = %.6f%n", java.util.Arrays.toString(Perceptron.X[i]), target[i], r.output()[i]);
        }
        Console.system().log().printf("  w1 = %s%n  w2 = %s%n", java.util.Arrays.toString(r.w1()), java.util.Arrays.toString(r.w2()));
    }
}
