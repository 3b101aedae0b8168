package dev.cortado.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimTest {

    @Test
    void learningRatePoliciesFollowTheirFormulas() {
        assertEquals(0.1, LearningRate.fixed(0.1).at(12345), 0);
        assertEquals(0.1 * 0.5 * 0.5, LearningRate.step(0.1, 0.5, 10).at(25), 1e-15);
        assertEquals(0.1, LearningRate.step(0.1, 0.5, 10).at(9), 1e-15);
        assertEquals(0.1 * Math.pow(0.99, 7), LearningRate.exp(0.1, 0.99).at(7), 1e-15);
        // Mocha's LeNet: Inv(0.01, 0.0001, 0.75)
        assertEquals(0.01 * Math.pow(1 + 0.0001 * 2000, -0.75), LearningRate.inv(0.01, 0.0001, 0.75).at(2000), 1e-15);
        assertEquals(0.01, LearningRate.inv(0.01, 0.0001, 0.75).at(0), 1e-15);
        LearningRate staged = LearningRate.staged(new long[] {100, 50}, new LearningRate[] {
            LearningRate.fixed(1), LearningRate.exp(0.5, 0.5), LearningRate.fixed(0.01)});
        assertEquals(1, staged.at(99), 0);
        assertEquals(0.5, staged.at(100), 1e-15);
        assertEquals(0.25, staged.at(101), 1e-15);
        assertEquals(0.01, staged.at(150), 0);
        LearningRate decay = LearningRate.decayOnValidation(0.1, 0.5);
        decay.onValidation(0.9);
        assertEquals(0.1, decay.at(0), 1e-15);
        decay.onValidation(0.8); // worse: decay
        assertEquals(0.05, decay.at(0), 1e-15);
        decay.onValidation(0.95); // better: keep
        assertEquals(0.05, decay.at(0), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LearningRate.step(0.1, 0.5, 0));
    }

    @Test
    void momentumPoliciesFollowTheirFormulas() {
        assertEquals(0.9, Momentum.fixed(0.9).at(77), 0);
        assertEquals(0.5 * 1.1 * 1.1, Momentum.step(0.5, 1.1, 10, 0.99).at(20), 1e-12);
        assertEquals(0.99, Momentum.step(0.5, 1.1, 1, 0.99).at(100), 0);
        assertEquals(0.5 + 0.1 * 3, Momentum.linear(0.5, 0.1, 10, 0.95).at(35), 1e-12);
        assertEquals(0.95, Momentum.linear(0.5, 0.1, 10, 0.95).at(1000), 0);
    }

    @Test
    void sgdStepIsCaffesMomentumUpdate() {
        Tensor w = Tensor.of(new float[] {1, -2}, 2).requiresGrad(true);
        try (Sgd sgd = new Sgd(List.of(w), LearningRate.fixed(0.1), Momentum.fixed(0.9), 0.5f, false)) {
            w.mul(Tensor.of(new float[] {3, 4}, 2)).sum().backward(); // grad = [3, 4]
            sgd.step();
            // v = -0.1 (g + 0.5 w) = [-0.35, -0.3]; w += v
            assertArrayEquals(new float[] {0.65f, -2.3f}, w.toArray(), 1e-6f);
            sgd.step(); // same grad again: v = 0.9 v - 0.1 (g + 0.5 w)
            float v0 = 0.9f * -0.35f - 0.1f * (3 + 0.5f * 0.65f), v1 = 0.9f * -0.3f - 0.1f * (4 + 0.5f * -2.3f);
            assertArrayEquals(new float[] {0.65f + v0, -2.3f + v1}, w.toArray(), 1e-6f);
            assertEquals(2, sgd.iteration());
            sgd.zeroGrad();
            assertEquals(null, w.grad());
        }
    }

    @Test
    void perParameterScalesAndMochaDefaults() {
        Tensor w = Tensor.of(new float[] {1, -2}, 2).requiresGrad(true), b = Tensor.of(new float[] {0.5f}, 1).requiresGrad(true);
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("fc.weight", w);
        named.put("fc.bias", b);
        try (Sgd sgd = Sgd.mocha(named, LearningRate.fixed(0.1), Momentum.fixed(0.9), 0.5f)) {
            w.mul(Tensor.of(new float[] {3, 4}, 2)).sum().add(b.mul(Tensor.of(new float[] {6}, 1)).sum()).backward();
            sgd.step();
            // weight: v = -0.1 (g + 2 * 0.5 w) = [-0.4, -0.2]; bias: v = -0.2 g = -1.2, no decay
            assertArrayEquals(new float[] {0.6f, -2.2f}, w.toArray(), 1e-6f);
            assertArrayEquals(new float[] {-0.7f}, b.toArray(), 1e-6f);
            assertThrows(IllegalArgumentException.class, () -> sgd.scale(Tensor.zeros(1).requiresGrad(true), 1, 1));
            assertThrows(IllegalArgumentException.class, () -> sgd.scale(w, -1, 1));
        }
    }

    @Test
    void adamMinimisesAQuadratic() {
        Tensor w = Tensor.of(new float[] {3, -4}, 2).requiresGrad(true);
        try (Adam adam = new Adam(List.of(w), 0.1)) {
            for (int i = 0; i < 300; i++) {
                w.mul(w).sum().backward();
                adam.step();
                adam.zeroGrad();
            }
        }
        for (float v : w.toArray()) assertTrue(Math.abs(v) < 0.05, "w -> 0, got " + v);
    }

    @Test
    void rejectsParametersWithoutGrad() {
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(Tensor.ones(2)), 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(), 0.1));
    }
}
