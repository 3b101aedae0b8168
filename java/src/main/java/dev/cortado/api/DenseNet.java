package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.ops.Linalg;
import dev.cortado.optim.Adam;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The small models Classify and Predict choose between: fully connected layers with tanh
 * between them (no hidden layer: a linear model), on standardized features, trained full-batch
 * by Adam.
 */
final class DenseNet implements AutoCloseable {

    private final List<Tensor> params = new ArrayList<>(); // w0, b0, w1, b1, ...
    private final double[] mean, scale;                     // feature standardization

    /** A net of these layer sizes (inputs first), standardizing features by x's column statistics. */
    DenseNet(Rng rng, double[][] x, int... sizes) {
        this(standardization(x, sizes[0]), rng, sizes);
    }

    /** {mean, 1 / std} of each of the f columns of x (1 where a column is constant). */
    private static double[][] standardization(double[][] x, int f) {
        double[] mean = new double[f], scale = new double[f];
        for (double[] row : x) for (int j = 0; j < f; j++) mean[j] += row[j] / x.length;
        for (double[] row : x) for (int j = 0; j < f; j++) scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / x.length;
        for (int j = 0; j < f; j++) scale[j] = scale[j] > 1e-24 ? 1 / Math.sqrt(scale[j]) : 1;
        return new double[][] {mean, scale};
    }

    private DenseNet(double[][] standardization, Rng rng, int... sizes) {
        mean = standardization[0];
        scale = standardization[1];
        for (int l = 0; l + 1 < sizes.length; l++) {
            float bound = (float) Math.sqrt(6.0 / (sizes[l] + sizes[l + 1]));
            params.add(Tensor.uniform(rng, -bound, bound, sizes[l + 1], sizes[l]).keep().requiresGrad(true));
            params.add(Tensor.zeros(sizes[l + 1]).keep().requiresGrad(true));
        }
    }

    /** Its sizes and standardization as JSON, for a model file; its weights are {@link #tensors}. */
    ObjectNode describe() {
        ObjectNode o = ModelFile.object();
        int[] sizes = new int[params.size() / 2 + 1];
        sizes[0] = mean.length;
        for (int l = 0; l < params.size(); l += 2) sizes[l / 2 + 1] = params.get(l).size(0);
        ModelFile.putIntegers(o, "sizes", sizes);
        ModelFile.putNumbers(o, "mean", mean);
        ModelFile.putNumbers(o, "scale", scale);
        return o;
    }

    /** The weights by the names of PyTorch's nn.Sequential(Linear, Tanh, Linear, ...): "0.weight", "0.bias", "2.weight", ... */
    Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int l = 0; l < params.size(); l += 2) {
            m.put(l + ".weight", params.get(l));
            m.put(l + ".bias", params.get(l + 1));
        }
        return m;
    }

    /** The net {@link #describe} described in {@code f}, with {@code f}'s weights. */
    static DenseNet from(ModelFile f, JsonNode node) throws IOException {
        int[] sizes = f.integers(node, "sizes");
        double[] mean = f.numbers(node, "mean"), scale = f.numbers(node, "scale");
        if (sizes.length < 2 || Arrays.stream(sizes).anyMatch(n -> n < 1) || mean.length != sizes[0] || scale.length != sizes[0]) {
            throw f.corrupt("has a net of sizes " + Arrays.toString(sizes) + " with " + mean.length + " means and " + scale.length + " scales", null);
        }
        DenseNet net = new DenseNet(new double[][] {mean, scale}, new Rng(1), sizes);
        return f.fill(net, net.tensors());
    }

    int features() {
        return mean.length;
    }

    int outputs() {
        return params.get(params.size() - 2).size(0);
    }

    /** Rows of x as one standardized [rows, features] tensor. */
    Tensor input(double[][] x) {
        int f = mean.length;
        float[] flat = new float[x.length * f];
        for (int i = 0; i < x.length; i++) for (int j = 0; j < f; j++) flat[i * f + j] = (float) ((x[i][j] - mean[j]) * scale[j]);
        return Tensor.of(flat, x.length, f);
    }

    Tensor forward(Tensor x) {
        Tensor a = x;
        for (int l = 0; l < params.size(); l += 2) {
            a = Linalg.linear(a, params.get(l), params.get(l + 1));
            if (l + 2 < params.size()) a = a.tanh();
        }
        return a;
    }

    /** {@code steps} full-batch Adam steps on loss(forward(x), target). */
    DenseNet fit(double[][] x, Tensor target, BiFunction<Tensor, Tensor, Tensor> loss, int steps, double lr) {
        try (Adam adam = new Adam(params, lr); MemoryScope outer = MemoryScope.open()) {
            Tensor in = input(x);
            for (int s = 0; s < steps; s++) {
                try (MemoryScope step = MemoryScope.open()) {
                    loss.apply(forward(in), target).backward();
                    adam.step();
                    for (Tensor p : params) p.zeroGrad();
                }
            }
        }
        return this;
    }

    /** forward(x) on the host, [rows][outputs]. */
    double[][] apply(double[][] x) {
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            Tensor y = forward(input(x));
            int cols = y.size(1);
            float[] v = y.toArray();
            double[][] out = new double[x.length][cols];
            for (int i = 0; i < x.length; i++) for (int c = 0; c < cols; c++) out[i][c] = v[i * cols + c];
            return out;
        }
    }

    /** The rows' feature count: at least one row, all of one length, finite values (for Classify and Predict). */
    static int features(String api, double[][] x) {
        if (x.length == 0) throw new IllegalArgumentException(api + ": no examples");
        int n = x[0] == null ? 0 : x[0].length;
        if (n == 0) throw new IllegalArgumentException(api + ": example 0 has no features");
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null || x[i].length != n) {
                throw new IllegalArgumentException(api + ": example " + i + " has " + (x[i] == null ? "no" : x[i].length) + " features, example 0 has " + n);
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(x[i][j])) throw new IllegalArgumentException(api + ": feature " + j + " of example " + i + " is " + x[i][j]);
                if (Math.abs(x[i][j]) > Float.MAX_VALUE) {
                    throw new IllegalArgumentException(api + ": feature " + j + " of example " + i + " is " + x[i][j] + ", beyond the float range (±"
                            + Float.MAX_VALUE + ") the model computes in; rescale it");
                }
            }
        }
        return n;
    }

    /** {held-out rows, training rows}: a seeded fifth of n held out (nothing below 5 examples), the rest for training. */
    static int[][] split(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Rng rng = new Rng(1);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int hold = n >= 5 ? Math.max(1, n / 5) : 0;
        return new int[][] {Arrays.copyOf(order, hold), Arrays.copyOfRange(order, hold, n)};
    }

    /** The rows of x at these indices. */
    static double[][] rows(double[][] x, int[] at) {
        double[][] out = new double[at.length][];
        for (int k = 0; k < at.length; k++) out[k] = x[at[k]];
        return out;
    }

    @Override
    public void close() {
        for (Tensor p : params) p.close();
    }
}
