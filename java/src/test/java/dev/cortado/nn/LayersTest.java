package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradCheck;
import dev.cortado.autograd.GradMode;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayersTest {

    private final Rng rng = new Rng(5);

    private static void set(Tensor param, float... values) {
        try (GradMode off = GradMode.off()) {
            param.fill(0f).addInPlace(Tensor.of(values, param.shape()));
        }
    }

    @Test
    void linearForwardByHandWithNeuron() {
        Layers.Linear l = new Layers.Linear(3, 2, Neuron.RELU, rng);
        set(l.weight, 1, 0, -1, 2, 2, 2);
        set(l.bias, 0.5f, -20f);
        // x·Wᵀ + b = [1-3+0.5, 2+4+6-20] = [-1.5, -8] -> relu -> [0, 0]; second row [1, 1, 1] -> [0.5, -14] -> [0.5, 0]
        Tensor y = l.forward(Tensor.of(new float[][] {{1, 2, 3}, {1, 1, 1}}));
        assertArrayEquals(new float[] {0, 0, 0.5f, 0}, y.toArray());
        assertEquals(List.of("weight", "bias"), List.copyOf(l.namedParameters().keySet()));
    }

    @Test
    void conv2dAndPoolingLayersByHand() {
        Layers.Conv2d c = new Layers.Conv2d(1, 1, 2, rng);
        set(c.weight, 1, 1, 1, 1);
        set(c.bias, 1);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        assertArrayEquals(new float[] {13, 17, 25, 29}, c.forward(x).toArray()); // window sums + 1
        assertArrayEquals(new float[] {5, 6, 8, 9}, new Layers.MaxPool2d(2, 1, 0).forward(x).toArray());
        assertArrayEquals(new float[] {3, 4, 6, 7}, new Layers.AvgPool2d(2, 1, 0).forward(x).toArray());
        assertArrayEquals(new int[] {1, 9}, Layers.flatten().forward(x).shape());
    }

    @Test
    void sequentialNamesParametersAndSwitchesMode() {
        Layers.Sequential net = new Layers.Sequential(new Layers.Linear(4, 3, Neuron.TANH, rng), new Layers.Dropout(0.5f, rng),
                new Layers.Linear(3, 2, Neuron.IDENTITY, rng));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(net.namedParameters().keySet()));
        net.eval();
        assertTrue(!net.isTraining());
        Tensor x = Tensor.uniform(rng, -1, 1, 5, 4);
        assertArrayEquals(net.forward(x).toArray(), net.forward(x).toArray(), "eval mode is deterministic (no dropout)");
        net.close();
        assertTrue(net.parameters().get(0).isClosed());
    }

    @Test
    void dropoutZeroesAboutPAndScalesTheRest() {
        Layers.Dropout d = new Layers.Dropout(0.25f, rng);
        float[] y = d.forward(Tensor.ones(10000)).toArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        assertEquals(0.25, zeros / 10000.0, 0.02);
        d.eval();
        assertArrayEquals(Tensor.ones(5).toArray(), d.forward(Tensor.ones(5)).toArray());
        assertThrows(IllegalArgumentException.class, () -> new Layers.Dropout(1f, rng));
    }

    @Test
    void gradientsThroughLayers() {
        GradCheck checker = new GradCheck();
        Tensor x = Tensor.uniform(rng, -1, 1, 4, 5);
        Layers.Linear lin = new Layers.Linear(5, 3, Neuron.TANH, rng);
        GradCheck.Result r = checker.check(in -> lin.forward(x), lin.weight, lin.bias);
        assertTrue(r.ok(), r.toString());
        Tensor img = Tensor.uniform(rng, -1, 1, 2, 2, 6, 6);
        Layers.Conv2d conv = new Layers.Conv2d(2, 3, 3, 1, 1, Neuron.SIGMOID, Initializer.xavier(), Initializer.uniform(-0.1f, 0.1f), rng);
        r = checker.check(in -> conv.forward(img), conv.weight, conv.bias);
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void initializers() {
        float[] x = Initializer.xavier().values(new int[] {50, 20, 5, 5}, 500, 1250, rng);
        float bound = (float) Math.sqrt(3.0 / 500);
        double maxAbs = 0;
        for (float v : x) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertTrue(maxAbs <= bound && maxAbs > 0.9 * bound, "xavier bound " + bound + ", max " + maxAbs);
        float[] g = Initializer.gaussian(1f, 0.5f).values(new int[] {20000}, 1, 1, rng);
        double mean = 0;
        for (float v : g) mean += v / g.length;
        assertEquals(1, mean, 0.02);
        assertArrayEquals(new float[] {0.3f, 0.3f}, Initializer.constant(0.3f).values(new int[] {2}, 1, 1, rng));
        for (int[] shape : new int[][] {{4, 7}, {7, 4}}) {
            float[] o = Initializer.orthogonal(1f).values(shape, shape[1], shape[0], rng);
            int rows = shape[0], cols = shape[1], n = Math.min(rows, cols);
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    double dot = 0; // rows (or columns when tall) are orthonormal
                    for (int k = 0; k < Math.max(rows, cols); k++) {
                        dot += rows <= cols ? o[a * cols + k] * o[b * cols + k] : o[k * cols + a] * o[k * cols + b];
                    }
                    assertEquals(a == b ? 1 : 0, dot, 1e-5, "orthogonal " + java.util.Arrays.toString(shape));
                }
            }
        }
    }

    @Test
    void lossesAndAccuracy() {
        Tensor p = Tensor.of(new float[] {1, 2, 3}, 3), t = Tensor.of(new float[] {1, 0, 5}, 3);
        assertEquals((0 + 4 + 4) / 3f, Losses.mse(p, t).item(), 1e-6f);
        Tensor logits = Tensor.of(new float[] {0.3f, -2f, 4f}, 3, 1), targets = Tensor.of(new float[] {1, 0, 0.25f}, 3);
        double expected = 0;
        float[] xs = {0.3f, -2f, 4f}, ts = {1, 0, 0.25f};
        for (int i = 0; i < 3; i++) {
            double s = 1 / (1 + Math.exp(-xs[i]));
            expected -= (ts[i] * Math.log(s) + (1 - ts[i]) * Math.log(1 - s)) / 3;
        }
        assertEquals(expected, Losses.binaryCrossEntropyWithLogits(logits, targets).item(), 1e-5);
        Tensor leaf = Tensor.of(new float[] {0.3f, -2f, 4f}, 3, 1).requiresGrad(true);
        GradCheck.Result r = new GradCheck().check(in -> Losses.binaryCrossEntropyWithLogits(in[0], targets), leaf);
        assertTrue(r.ok(), r.toString());
        Tensor scores = Tensor.of(new float[][] {{0, 1}, {3, 2}, {1, 5}, {9, 0}});
        assertEquals(0.75, Losses.accuracy(scores, Tensor.of(new float[] {1, 0, 1, 1}, 4)), 1e-12);
    }
}
