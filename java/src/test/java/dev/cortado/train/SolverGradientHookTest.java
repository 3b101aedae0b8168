package dev.cortado.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cortado.data.Blobs;
import dev.cortado.data.DataLoader;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Solver.beforeEachStep: the hook sees each step's gradients and what it leaves there is what the optimizer applies. */
class SolverGradientHookTest {

    private static Module net() {
        Rng rng = new Rng(5);
        return new Layers.Sequential(new Layers.Linear(6, 8, Neuron.TANH, rng), new Layers.Linear(8, 3, Neuron.IDENTITY, rng));
    }

    private static List<float[]> train(Solver.GradientHook hook, float lr) throws Exception {
        try (Module net = net();
             Sgd sgd = new Sgd(net.parameters(), LearningRate.fixed(lr), Momentum.fixed(0), 0f, false);
             DataLoader data = new DataLoader(Blobs.of(60), 10, true, 3, false)) {
            new Solver(net, sgd, data, Losses::softmaxCrossEntropy, 7, null).beforeEachStep(hook).run();
            List<float[]> out = new ArrayList<>();
            for (Tensor p : net.parameters()) out.add(p.toArray());
            return out;
        }
    }

    @Test
    void theOptimizerAppliesTheGradientsTheHookLeaves() throws Exception {
        int[] calls = {0};
        List<float[]> doubled = train(s -> {
            calls[0]++;
            assertEquals(calls[0] - 1, s.iteration(), "the hook runs before the step is counted");
            for (Tensor p : s.net().parameters()) {
                float[] g = p.grad().toArray();
                for (int i = 0; i < g.length; i++) g[i] *= 2; // exact in binary floating point
                p.grad().copyFrom(g);
            }
        }, 0.05f);
        assertEquals(7, calls[0]);
        List<float[]> twiceTheRate = train(null, 0.1f);
        List<float[]> plain = train(null, 0.05f);
        for (int i = 0; i < plain.size(); i++) {
            assertArrayEquals(twiceTheRate.get(i), doubled.get(i), 1e-6f, "parameter " + i);
            assertFalse(Arrays.equals(plain.get(i), doubled.get(i)), "the hook's change reached parameter " + i);
        }
    }
}
