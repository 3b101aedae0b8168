package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.autograd.GradMode;
import dev.cortado.ops.Linalg;
import dev.cortado.ops.Softmax;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * ANN.jl's classifier (ArtificialNeuralNetwork, fit!, predict): one sigmoid hidden layer and a
 * softmax output over the classes found in the labels, trained by online SGD on the
 * cross-entropy, one observation at a time in order, with an L2 penalty on the weights (not the
 * biases) whose gradient is 2·lambda·w, as ANN.jl has it. Weights start Glorot-uniform, biases
 * at 0.
 *
 * <pre>{@code
 * AnnClassifier ann = new AnnClassifier(20);
 * ann.fit(X, y);                       // double[][] features, int[] labels
 * int[] pred = ann.predict(Xnew);
 * double[][] p = ann.predictProba(Xnew); // columns in the order of ann.classes()
 * }</pre>
 *
 * Defaults: 5 epochs, learning rate 0.1, L2 1e-5 (each settable). Not thread-safe.
 */
public final class AnnClassifier implements AutoCloseable {

    private final int hidden;
    private int epochs = 5;
    private double learningRate = 0.1;
    private double l2 = 1e-5;
    private long seed = 1;

    private int[] classes;
    private Tensor w1, b1, w2, b2; // w [out, in], as ANN.jl

    /** A classifier with {@code hiddenUnits} sigmoid units in its hidden layer. */
    public AnnClassifier(int hiddenUnits) {
        if (hiddenUnits < 1) throw new IllegalArgumentException("AnnClassifier: needs at least one hidden unit, got " + hiddenUnits);
        hidden = hiddenUnits;
    }

    public AnnClassifier epochs(int n) {
        if (n < 1) throw new IllegalArgumentException("AnnClassifier: epochs must be >= 1, got " + n);
        epochs = n;
        return this;
    }

    public AnnClassifier learningRate(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("AnnClassifier: learning rate must be > 0, got " + rate);
        learningRate = rate;
        return this;
    }

    public AnnClassifier l2(double lambda) {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) throw new IllegalArgumentException("AnnClassifier: L2 must be >= 0, got " + lambda);
        l2 = lambda;
        return this;
    }

    /** The seed of the initial weights (default 1). */
    public AnnClassifier seed(long value) {
        seed = value;
        return this;
    }

    public int epochs() {
        return epochs;
    }

    public double learningRate() {
        return learningRate;
    }

    public double l2() {
        return l2;
    }

    /** The classes found by {@link #fit}, ascending: the columns of {@link #predictProba}. */
    public int[] classes() {
        checkFitted();
        return classes.clone();
    }

    /** How many features a row has (fixed by {@link #fit}). */
    public int features() {
        checkFitted();
        return w1.size(1);
    }

    /** The hidden layer's units. */
    public int hiddenUnits() {
        return hidden;
    }

    /** The seed of the initial weights. */
    public long seed() {
        return seed;
    }

    /** Trains from scratch on rows of x with labels y (any integers; at least two distinct). */
    public AnnClassifier fit(double[][] x, int[] y) {
        int features = features("x", x);
        if (y == null || y.length != x.length) {
            throw new IllegalArgumentException("AnnClassifier.fit: " + (y == null ? "labels are null" : y.length + " labels for " + x.length + " rows"));
        }
        int[] found = Arrays.stream(y).sorted().distinct().toArray();
        if (found.length < 2) throw new IllegalArgumentException("AnnClassifier.fit: the labels hold one class only (" + found[0] + ")");
        checkWork(x.length, features, found.length);
        close();
        classes = found;
        Rng rng = new Rng(seed);
        w1 = glorot(rng, hidden, features);
        b1 = Tensor.zeros(hidden).keep().requiresGrad(true);
        w2 = glorot(rng, classes.length, hidden);
        b2 = Tensor.zeros(classes.length).keep().requiresGrad(true);
        try (Sgd sgd = new Sgd(List.of(w1, b1, w2, b2), LearningRate.fixed(learningRate), Momentum.fixed(0), (float) (2 * l2), false);
             Tensor input = Tensor.zeros(1, features).keep(); Tensor label = Tensor.zeros(1).keep()) {
            sgd.scale(b1, 1, 0);
            sgd.scale(b2, 1, 0);
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (int i = 0; i < x.length; i++) {
                    try (MemoryScope step = MemoryScope.open()) {
                        input.copyFrom(HostArrays.toFloats(x[i]));
                        label.set(Arrays.binarySearch(classes, y[i]), 0);
                        Softmax.crossEntropy(logits(input), label).backward();
                        sgd.step();
                        for (Tensor p : List.of(w1, b1, w2, b2)) p.zeroGrad();
                    }
                }
            }
        }
        return this;
    }

    /** The most probable class of each row. */
    public int[] predict(double[][] x) {
        double[][] p = predictProba(x);
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            int best = 0;
            for (int c = 1; c < p[i].length; c++) if (p[i][c] > p[i][best]) best = c;
            out[i] = classes[best];
        }
        return out;
    }

    /** Class probabilities of each row, columns in the order of {@link #classes()}. */
    public double[][] predictProba(double[][] x) {
        checkFitted();
        int features = features("x", x);
        if (features != w1.size(1)) {
            throw new IllegalArgumentException("AnnClassifier.predict: rows have " + features + " features, the classifier was fitted on "
                    + w1.size(1));
        }
        float[] flat = new float[x.length * features];
        for (int i = 0; i < x.length; i++) System.arraycopy(HostArrays.toFloats(x[i]), 0, flat, i * features, features);
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            float[] p = logits(Tensor.of(flat, x.length, features)).softmax().toArray();
            double[][] out = new double[x.length][classes.length];
            for (int i = 0; i < x.length; i++) for (int c = 0; c < classes.length; c++) out[i][c] = p[i * classes.length + c];
            return out;
        }
    }

    private Tensor logits(Tensor input) {
        return Linalg.linear(Linalg.linear(input, w1, b1).sigmoid(), w2, b2);
    }

    /** The most multiply-adds {@link #fit} takes on (about 10 minutes of one-row-at-a-time steps on a CPU core). */
    static final double MAX_MULTIPLY_ADDS = 1e12;

    /**
     * Refuses up front a fit that would not finish: online SGD costs about
     * 3 · epochs · rows · hidden · (features + classes) multiply-adds, one row at a time.
     */
    private void checkWork(int rows, int features, int classes) {
        double work = 3.0 * epochs * rows * hidden * ((double) features + classes);
        if (work <= MAX_MULTIPLY_ADDS) return;
        String why = classes > rows / 10
                ? "too many classes: " + classes + " distinct labels for " + rows + " rows (each class needs many rows to be learnt); group the labels"
                        + " into fewer classes, or "
                : "";
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                "AnnClassifier.fit: %d rows x %d features x %d classes with %d hidden units and %d epochs would take about %.1e multiply-adds,"
                        + " one row at a time (the limit is %.0e, about 10 minutes); %strain on fewer rows, with fewer epochs or hidden units",
                rows, features, classes, hidden, epochs, work, MAX_MULTIPLY_ADDS, why));
    }

    /** Glorot and Bengio's uniform bound sqrt(6 / (in + out)), as ANN.jl draws its weights. */
    private static Tensor glorot(Rng rng, int out, int in) {
        float bound = (float) Math.sqrt(6.0 / (in + out));
        return Tensor.uniform(rng, -bound, bound, out, in).keep().requiresGrad(true);
    }

    /** The feature count of x's rows: at least one row, all of one length, finite values. */
    private static int features(String name, double[][] x) {
        if (x == null || x.length == 0) throw new IllegalArgumentException("AnnClassifier: " + name + " has no rows");
        int n = x[0] == null ? 0 : x[0].length;
        if (n == 0) throw new IllegalArgumentException("AnnClassifier: row 0 of " + name + " has no features");
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null || x[i].length != n) {
                throw new IllegalArgumentException("AnnClassifier: row " + i + " of " + name + " has " + (x[i] == null ? "no" : x[i].length)
                        + " features, row 0 has " + n + " (ragged rows)");
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(x[i][j])) {
                    throw new IllegalArgumentException("AnnClassifier: " + name + "[" + i + "][" + j + "] is " + x[i][j]);
                }
            }
        }
        return n;
    }

    private void checkFitted() {
        if (classes == null) throw new IllegalStateException("AnnClassifier: call fit before predict");
    }

    static final String KIND = "AnnClassifier";

    /**
     * Saves the classifier in one safetensors file, atomically: its settings and classes in the
     * metadata ({@link ModelFile}), the weights by the names of PyTorch's
     * {@code nn.Sequential(nn.Linear, nn.Sigmoid(), nn.Linear)} ("0.weight", "0.bias", "2.weight",
     * "2.bias"). An unfitted classifier saves its settings only.
     */
    public void save(Path file) throws IOException {
        ObjectNode arch = ModelFile.object();
        arch.put("hidden", hidden);
        arch.put("epochs", epochs);
        ModelFile.putNumber(arch, "learning_rate", learningRate);
        ModelFile.putNumber(arch, "l2", l2);
        arch.put("seed", seed);
        if (classes != null) {
            ModelFile.putIntegers(arch, "classes", classes);
            arch.put("features", w1.size(1));
        }
        ModelFile.write(file, KIND, arch, classes == null ? Map.of() : tensors(), null);
    }

    /** A classifier saved by {@link #save}; a missing, corrupt, newer or other-kind file is an IOException naming it. */
    public static AnnClassifier load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture());
        }
    }

    static AnnClassifier from(ModelFile f, JsonNode arch) throws IOException {
        AnnClassifier ann;
        int[] found = null;
        int features = 0;
        try {
            ann = new AnnClassifier(f.integer(arch, "hidden")).epochs(f.integer(arch, "epochs")).learningRate(f.number(arch, "learning_rate"))
                    .l2(f.number(arch, "l2")).seed(f.longInteger(arch, "seed"));
            if (arch.has("classes")) {
                found = f.integers(arch, "classes");
                features = f.integer(arch, "features");
                if (found.length < 2 || features < 1) throw new IllegalArgumentException(found.length + " classes, " + features + " features");
                for (int i = 1; i < found.length; i++) if (found[i] <= found[i - 1]) throw new IllegalArgumentException("classes are not ascending");
            }
        } catch (IllegalArgumentException e) {
            throw f.corrupt("cannot be rebuilt", e);
        }
        if (found == null) {
            f.loadInto(Map.of());
            return ann;
        }
        ann.classes = found;
        ann.w1 = Tensor.zeros(ann.hidden, features).keep().requiresGrad(true);
        ann.b1 = Tensor.zeros(ann.hidden).keep().requiresGrad(true);
        ann.w2 = Tensor.zeros(found.length, ann.hidden).keep().requiresGrad(true);
        ann.b2 = Tensor.zeros(found.length).keep().requiresGrad(true);
        return f.fill(ann, ann.tensors());
    }

    private Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("0.weight", w1);
        m.put("0.bias", b1);
        m.put("2.weight", w2);
        m.put("2.bias", b2);
        return m;
    }

    /** Frees the weights (fit makes new ones). */
    @Override
    public void close() {
        for (Tensor t : new Tensor[] {w1, b1, w2, b2}) if (t != null) t.close();
    }
}
