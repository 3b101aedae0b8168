package dev.cortado.examples;

import dev.cortado.ops.Linalg;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * The seed's "simplified neural network": one sigmoid neuron with 3 inputs, trained by the delta
 * rule with plain tensor ops and no autograd.
 *
 * <pre>
 *   l1 = σ(X·w);  l1_delta = (y − l1) ∘ l1 ∘ (1 − l1);  w += Xᵀ·l1_delta
 * </pre>
 */
public final class Perceptron {

    /** The seed's inputs: the third column is a constant 1 (a bias input). */
    public static final float[][] X = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}};

    /** The output equals the first input. */
    public static final float[] Y = {0, 0, 1, 1};

    /** The trained weights and the network's output on X. */
    public record Result(float[] output, float[] weights) {
    }

    private Perceptron() {
    }

    public static Result train(long seed, int iterations) {
        try (Tensor x = Tensor.of(X); Tensor y = Tensor.of(Y, 4, 1);
             Tensor w = Tensor.uniform(new Rng(seed), -1f, 1f, 3, 1)) { // 2·rand(3,1) − 1
            for (int i = 0; i < iterations; i++) {
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor l1 = x.matmul(w).sigmoid();
                    Tensor delta = y.sub(l1).mul(l1).mul(l1.rsub(1f));
                    w.addInPlace(Linalg.matmul(x, true, delta, false));
                }
            }
            try (Tensor out = x.matmul(w).sigmoid()) {
                return new Result(out.toArray(), w.toArray());
            }
        }
    }

    static void print(Result r) {
        Console.system().log().println("Perceptron (3 inputs -> 1 sigmoid output), delta rule");
        for (int i = 0; i < 4; i++) {
            Console.system().log().printf("  x = %s  y = %.0f  l1 = %.6f%n", java.util.Arrays.toString(X[i]), Y[i], r.output()[i]);
        }
        Console.system().log().printf("  w = %s%n", java.util.Arrays.toString(r.weights()));
    }
}
