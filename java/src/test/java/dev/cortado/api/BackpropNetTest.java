package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import org.junit.jupiter.api.Test;

/** BackpropNet against a transcription of ai4r's Backpropagation loops, the seed's pair, XOR, bad input. */
class BackpropNetTest {

    /** ai4r's feedforward, deltas and update_weights in double, on weights w[layer][i][j] (i includes the bias unit last). */
    private static double[] ai4rStep(int[] structure, double[][][] w, double[][][] last, double[] in, double[] expected, double rate, double mom) {
        int layers = structure.length;
        double[][] act = new double[layers][];
        for (int n = 0; n < layers; n++) {
            act[n] = new double[structure[n] + (n < layers - 1 ? 1 : 0)];
            java.util.Arrays.fill(act[n], 1.0);
        }
        System.arraycopy(in, 0, act[0], 0, in.length);
        for (int n = 0; n < layers - 1; n++) {
            for (int j = 0; j < structure[n + 1]; j++) {
                double sum = 0;
                for (int i = 0; i < act[n].length; i++) sum += act[n][i] * w[n][i][j];
                act[n + 1][j] = 1 / (1 + Math.exp(-sum));
            }
        }
        double[][] deltas = new double[layers - 1][];
        double[] out = act[layers - 1];
        deltas[layers - 2] = new double[out.length];
        for (int k = 0; k < out.length; k++) deltas[layers - 2][k] = out[k] * (1 - out[k]) * (expected[k] - out[k]);
        for (int layer = layers - 2; layer >= 1; layer--) {
            double[] d = new double[act[layer].length];
            for (int j = 0; j < act[layer].length; j++) {
                double err = 0;
                for (int k = 0; k < structure[layer + 1]; k++) err += deltas[layer][k] * w[layer][j][k];
                d[j] = act[layer][j] * (1 - act[layer][j]) * err;
            }
            deltas[layer - 1] = d;
        }
        for (int n = layers - 2; n >= 0; n--) {
            for (int i = 0; i < w[n].length; i++) {
                for (int j = 0; j < w[n][i].length; j++) {
                    double change = deltas[n][j] * act[n][i];
                    w[n][i][j] += rate * change + mom * last[n][i][j];
                    last[n][i][j] = change;
                }
            }
        }
        return out.clone();
    }

    @Test
    void stepsMatchAi4rsLoops() {
        int[] structure = {2, 3, 2};
        try (BackpropNet net = BackpropNet.init(new Rng(3), structure)) {
            double[][][] w = new double[2][][], last = new double[2][][];
            for (int n = 0; n < 2; n++) {
                double[] flat = net.weights(n);
                int rows = structure[n] + 1, cols = structure[n + 1];
                w[n] = new double[rows][cols];
                last[n] = new double[rows][cols];
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) w[n][i][j] = flat[i * cols + j];
            }
            double[][] inputs = {{0.15, 0.7}, {0.9, -0.3}, {0.5, 0.5}};
            double[][] targets = {{0.1, 0.9}, {0.8, 0.2}, {0.5, 0.1}};
            for (int step = 0; step < 6; step++) {
                double[] out = ai4rStep(structure, w, last, inputs[step % 3], targets[step % 3], 0.25, 0.1);
                double err = 0;
                for (int k = 0; k < out.length; k++) err += 0.5 * Math.pow(out[k] - targets[step % 3][k], 2);
                assertEquals(err, net.train(inputs[step % 3], targets[step % 3]), 1e-6, "error at step " + step);
            }
            for (int n = 0; n < 2; n++) {
                double[] flat = net.weights(n);
                for (int i = 0; i < w[n].length; i++) {
                    for (int j = 0; j < w[n][i].length; j++) assertEquals(w[n][i][j], flat[i * w[n][i].length + j], 1e-5, "w" + n + "[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void learnsTheSeedsPair() {
        try (BackpropNet net = BackpropNet.init(2, 3, 2)) {
            for (int i = 0; i < 1000; i++) net.train(new double[] {0.15, 0.7}, new double[] {0.1, 0.9});
            assertArrayEquals(new double[] {0.1, 0.9}, net.eval(new double[] {0.15, 0.7}), 0.01);
        }
    }

    @Test
    void learnsXor() {
        double[][] x = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
        double[] y = {0, 1, 1, 0};
        try (BackpropNet net = BackpropNet.init(2, 3, 1)) {
            double total = 0;
            for (int epoch = 0; epoch < 6000; epoch++) {
                total = 0;
                for (int i = 0; i < 4; i++) total += net.train(x[i], new double[] {y[i]});
            }
            for (int i = 0; i < 4; i++) assertEquals(y[i], net.eval(x[i])[0], 0.2, "XOR " + java.util.Arrays.toString(x[i]));
            assertTrue(total < 0.02, "summed error " + total);
        }
    }

    @Test
    void settingsAndBadInput() {
        try (BackpropNet net = BackpropNet.init(2, 2)) {
            assertEquals(0.25, net.learningRate());
            assertEquals(0.1, net.momentum());
            assertEquals(0.5, net.learningRate(0.5).momentum(0.2).learningRate());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.eval(new double[] {1}));
            assertEquals("BackpropNet: input has 1 values, the net expects 2", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> net.train(new double[] {1, 2}, new double[] {Double.NaN, 0}));
            assertEquals("BackpropNet: expected output holds NaN", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.momentum(1));
            assertThrows(IllegalArgumentException.class, () -> net.learningRate(0));
        }
        assertThrows(IllegalArgumentException.class, () -> BackpropNet.init(3));
        assertThrows(IllegalArgumentException.class, () -> BackpropNet.init(3, 0, 1));
    }
}
