package dev.cortado.api;

import dev.cortado.ops.Softmax;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mathematica's Classify: {@code Classifier<L> c = Classify.train(examples)} learns labels of any
 * type from feature vectors, choosing between logistic regression and a small MLP (one tanh
 * layer of 32) by their accuracy on a held-out fifth of the examples, then training the chosen
 * one on all of them.
 */
public final class Classify {

    static final int HIDDEN = 32;
    static final int STEPS = 300;
    static final long SEED = 1;

    private Classify() {
    }

    public static <L> Classifier<L> train(List<Example<L>> examples) {
        if (examples == null) throw new IllegalArgumentException("Classify: examples are null");
        double[][] x = new double[examples.size()][];
        List<L> labels = new ArrayList<>();
        Map<L, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < x.length; i++) {
            Example<L> e = examples.get(i);
            if (e == null || e.target() == null) throw new IllegalArgumentException("Classify: example " + i + " has no label");
            x[i] = e.features();
            index.putIfAbsent(e.target(), index.size());
        }
        int features = DenseNet.features("Classify", x);
        if (index.size() < 2) throw new IllegalArgumentException("Classify: the examples hold one class only (" + index.keySet().iterator().next() + ")");
        checkSize(x.length, index.size());
        labels.addAll(index.keySet());
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) y[i] = index.get(examples.get(i).target());

        String method = "logistic regression";
        double heldOut = Double.NaN;
        int[][] split = DenseNet.split(x.length); // {held out, training}
        if (split[0].length > 0) {
            double logistic, mlp;
            double[][] trainX = DenseNet.rows(x, split[1]), testX = DenseNet.rows(x, split[0]);
            int[] trainY = pick(y, split[1]), testY = pick(y, split[0]);
            try (DenseNet a = fit(trainX, trainY, features, labels.size(), false)) {
                logistic = accuracy(a.apply(testX), testY);
            }
            try (DenseNet b = fit(trainX, trainY, features, labels.size(), true)) {
                mlp = accuracy(b.apply(testX), testY);
            }
            heldOut = Math.max(logistic, mlp);
            if (mlp > logistic) method = "MLP";
        }
        return new Classifier<>(fit(x, y, features, labels.size(), method.equals("MLP")), labels, features, method, heldOut);
    }

    /** The most logits (examples x classes) Classify trains on: each takes 4 bytes in several tensors (logits, probabilities, gradients). */
    static final long MAX_LOGITS = 1L << 28;

    /** Refuses up front a problem whose logits (a probability per example and class) would not fit, saying what to change. */
    private static void checkSize(int examples, int classes) {
        long logits = (long) examples * classes;
        if (logits <= MAX_LOGITS) return;
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                "Classify: too many classes: %d distinct labels among %d examples; training computes a probability for every class of every"
                        + " example, %d x %d = %.1e values (%.1f GB per copy, limit %d values). Group the labels into fewer classes%s, or train on"
                        + " fewer examples", classes, examples, examples, classes, (double) logits, 4e-9 * logits, MAX_LOGITS,
                classes > examples / 2 ? " (most labels occur once: is the label a number to Predict?)" : ""));
    }

    private static DenseNet fit(double[][] x, int[] y, int features, int classes, boolean hidden) {
        float[] labels = new float[y.length];
        for (int i = 0; i < y.length; i++) labels[i] = y[i];
        DenseNet net = hidden ? new DenseNet(new Rng(SEED), x, features, HIDDEN, classes) : new DenseNet(new Rng(SEED), x, features, classes);
        try (Tensor target = Tensor.of(labels, labels.length)) {
            return net.fit(x, target, Softmax::crossEntropy, STEPS, hidden ? 0.02 : 0.05);
        }
    }

    private static int[] pick(int[] y, int[] at) {
        int[] out = new int[at.length];
        for (int k = 0; k < at.length; k++) out[k] = y[at[k]];
        return out;
    }

    /** The fraction of rows whose largest logit is their label. */
    static double accuracy(double[][] logits, int[] y) {
        int right = 0;
        for (int i = 0; i < y.length; i++) {
            int best = 0;
            for (int c = 1; c < logits[i].length; c++) if (logits[i][c] > logits[i][best]) best = c;
            if (best == y[i]) right++;
        }
        return (double) right / y.length;
    }
}
