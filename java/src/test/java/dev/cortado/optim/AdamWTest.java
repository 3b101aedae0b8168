package dev.cortado.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.PerBackend;
import dev.cortado.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs on the java reference kernels and on the cpu kernels. */
abstract class AdamWTest extends PerBackend {

    static final class JavaTest extends AdamWTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends AdamWTest {
        CpuTest() {
            super("cpu");
        }
    }

    AdamWTest(String backend) {
        super(backend);
    }

    /** torch.optim.AdamW's update for one element, in double; state {p, m, v}. */
    static void torchAdamW(double[] s, double g, double lr, double b1, double b2, double eps, double wd, int t) {
        s[0] *= 1 - lr * wd;
        s[1] = b1 * s[1] + (1 - b1) * g;
        s[2] = b2 * s[2] + (1 - b2) * g * g;
        double stepSize = lr / (1 - Math.pow(b1, t));
        double denom = Math.sqrt(s[2]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
        s[0] -= stepSize * s[1] / denom;
    }

    /** Sets p's gradient to g (by backward of Σ p·g). */
    static void grad(Tensor p, float[] g) {
        p.zeroGrad();
        p.mul(Tensor.of(g, p.shape())).sum().backward();
    }

    @Test
    void stepsFollowTorchsAdamWEquations() {
        float[] w0 = {1f, -2f, 0.5f};
        Tensor w = Tensor.of(w0.clone(), 3).requiresGrad(true);
        double lr0 = 0.1, b1 = 0.9, b2 = 0.99, eps = 1e-8, wd = 0.1;
        LearningRate lr = LearningRate.warmup(2, LearningRate.cosine(lr0, 0, 5));
        float[][] grads = {{3, -4, 0.25f}, {-1, 2, 0.5f}, {0.1f, 0.1f, -3}, {2, 2, 2}};
        double[][] state = new double[3][];
        for (int i = 0; i < 3; i++) state[i] = new double[] {w0[i], 0, 0};
        try (AdamW opt = new AdamW(List.of(w), lr, (float) b1, (float) b2, (float) eps, (float) wd)) {
            for (int t = 1; t <= grads.length; t++) {
                grad(w, grads[t - 1]);
                double rate = lr.at(t - 1);
                opt.step();
                float[] got = w.toArray();
                for (int i = 0; i < 3; i++) {
                    torchAdamW(state[i], grads[t - 1][i], rate, b1, b2, eps, wd, t);
                    assertEquals(state[i][0], got[i], 1e-6 * (1 + Math.abs(state[i][0])), "step " + t + " element " + i);
                }
            }
            assertEquals(4, opt.iteration());
        }
    }

    @Test
    void decayIsDecoupledFromTheGradient() {
        // with a zero gradient Adam's step is 0: only the decay moves the weight, by exactly (1 - lr·λ)
        Tensor w = Tensor.of(new float[] {2f, -4f}, 2).requiresGrad(true);
        try (AdamW opt = new AdamW(List.of(w), LearningRate.fixed(0.5), 0.9f, 0.999f, 1e-8f, 0.2f)) {
            grad(w, new float[] {0, 0});
            opt.step();
            assertEquals(2f * 0.9f, w.toArray()[0], 1e-7f);
            assertEquals(-4f * 0.9f, w.toArray()[1], 1e-7f);
        }
        // and unlike Adam's L2 term it does not enter the moments: a large weight moves by lr, not more
        Tensor big = Tensor.of(new float[] {1000f}, 1).requiresGrad(true);
        try (AdamW opt = new AdamW(List.of(big), LearningRate.fixed(0.01), 0.9f, 0.999f, 1e-8f, 0f)) {
            grad(big, new float[] {1e-3f});
            opt.step();
            assertEquals(1000 - 0.01, big.toArray()[0], 1e-4);
        }
    }

    @Test
    void groupsGiveBiasesAndNormsNoDecay() {
        Tensor fcW = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor fcB = Tensor.of(new float[] {1, 1}, 2).requiresGrad(true);
        Tensor lnW = Tensor.of(new float[] {1, 1}, 2).requiresGrad(true);
        Tensor conv = Tensor.of(new float[] {1, 1}, 2, 1, 1, 1).requiresGrad(true);
        Tensor oddBias = Tensor.of(new float[] {1, 1}, 1, 2).requiresGrad(true);
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("fc.weight", fcW);
        named.put("fc.bias", fcB);
        named.put("ln_1.weight", lnW);
        named.put("conv.weight", conv);
        named.put("proj.bias", oddBias);
        List<ParamGroup> groups = ParamGroup.decayAndNoDecay(named, 0.1);
        assertEquals(2, groups.size());
        assertEquals(List.of(fcW, conv), groups.get(0).params());
        assertEquals(0.1, groups.get(0).weightDecay(), 0);
        assertEquals(List.of(fcB, lnW, oddBias), groups.get(1).params());
        assertEquals(0, groups.get(1).weightDecay(), 0);
        try (AdamW opt = new AdamW(groups, LearningRate.fixed(0.5), 0.9f, 0.99f, 1e-8f)) {
            for (Tensor p : named.values()) grad(p, new float[(int) p.numel()]); // zero gradients: decay alone
            opt.step();
            assertEquals(1 * 0.95f, fcW.toArray()[0], 1e-7f);
            assertEquals(4 * 0.95f, fcW.toArray()[3], 1e-7f);
            assertEquals(0.95f, conv.toArray()[1], 1e-7f);
            assertEquals(1f, fcB.toArray()[0], 0f);
            assertEquals(1f, lnW.toArray()[1], 0f);
            assertEquals(1f, oddBias.toArray()[0], 0f);
        }
        assertTrue(ParamGroup.decayAndNoDecay(Map.of("b", fcB), 0.1).size() == 1);
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor w = Tensor.zeros(2).requiresGrad(true);
        ParamGroup g = new ParamGroup(List.of(w), 0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(List.of(g, new ParamGroup(List.of(w), 0)), LearningRate.fixed(0.1), 0.9f, 0.99f, 1e-8f));
        assertTrue(e.getMessage().contains("more than one group"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ParamGroup(List.of(w), -0.1));
        assertThrows(IllegalArgumentException.class, () -> new ParamGroup(List.of(w), Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(w), LearningRate.fixed(0.1), 1f, 0.99f, 1e-8f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(w), LearningRate.fixed(0.1), 0.9f, 0.99f, 1e-8f, -1f));
        assertSame(w, g.params().get(0));
    }
}
