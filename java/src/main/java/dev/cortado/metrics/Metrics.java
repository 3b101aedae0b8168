package dev.cortado.metrics;

import dev.cortado.api.Classifier;
import dev.cortado.api.Example;
import dev.cortado.api.NetChain;
import dev.cortado.api.Predictor;
import dev.cortado.autograd.GradMode;
import dev.cortado.data.Dataset;
import dev.cortado.data.LabeledDataset;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Measures of predictions against labels (accuracy, top-k accuracy, RMSE, MAE; see {@link
 * ConfusionMatrix} for precision, recall and F1) and {@code evaluate}, which runs a trained model
 * on labelled data and reports them.
 */
public final class Metrics {

    /** The k of {@code evaluate}'s top-k accuracy (or the number of classes, if fewer). */
    public static final int DEFAULT_K = 5;
    private static final int BATCH = 256;

    private Metrics() {
    }

    /** The fraction of rows whose predicted class is the actual one. */
    public static double accuracy(int[] actual, int[] predicted) {
        rows("accuracy", actual, predicted == null ? -1 : predicted.length);
        int right = 0;
        for (int i = 0; i < actual.length; i++) if (actual[i] == predicted[i]) right++;
        return (double) right / actual.length;
    }

    /**
     * The fraction of rows whose actual class is among the k highest scores of the row (ties
     * with the k-th score count against it: a class is in the top k when fewer than k classes
     * score strictly higher and it is not beaten by an equal score of a lower index).
     */
    public static double topKAccuracy(double[][] scores, int[] actual, int k) {
        rows("topKAccuracy", actual, scores == null ? -1 : scores.length);
        if (k < 1) throw new IllegalArgumentException("topKAccuracy: k must be >= 1, got " + k);
        int right = 0;
        for (int i = 0; i < actual.length; i++) {
            double[] s = scores[i];
            if (s == null || actual[i] < 0 || actual[i] >= s.length) {
                throw new IllegalArgumentException("topKAccuracy: row " + i + " has class " + actual[i] + " but " + (s == null ? "no" : s.length) + " scores");
            }
            int a = actual[i], above = 0;
            for (int c = 0; c < s.length; c++) if (s[c] > s[a] || (s[c] == s[a] && c < a)) above++;
            if (above < k) right++;
        }
        return (double) right / actual.length;
    }

    /** Root-mean-square error of the predictions. */
    public static double rmse(double[] actual, double[] predicted) {
        rows("rmse", actual == null ? null : new int[actual.length], predicted == null ? -1 : predicted.length);
        double s = 0;
        for (int i = 0; i < actual.length; i++) s += (predicted[i] - actual[i]) * (predicted[i] - actual[i]);
        return Math.sqrt(s / actual.length);
    }

    /** Mean absolute error of the predictions. */
    public static double mae(double[] actual, double[] predicted) {
        rows("mae", actual == null ? null : new int[actual.length], predicted == null ? -1 : predicted.length);
        double s = 0;
        for (int i = 0; i < actual.length; i++) s += Math.abs(predicted[i] - actual[i]);
        return s / actual.length;
    }

    /** The index of each row's highest score (the first of equal ones). */
    public static int[] argmax(double[][] scores) {
        if (scores == null) throw new IllegalArgumentException("argmax: scores are null");
        int[] out = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] == null || scores[i].length == 0) throw new IllegalArgumentException("argmax: row " + i + " has no scores");
            for (int c = 1; c < scores[i].length; c++) if (scores[i][c] > scores[i][out[i]]) out[i] = c;
        }
        return out;
    }

    /**
     * A trained NetChain on labelled data: a classifier (ending in softmax; labels are class
     * indices) gets a {@link ClassificationReport} with top-{@value #DEFAULT_K} accuracy, any other
     * chain (one output) a {@link RegressionReport}. Runs in eval mode without gradients, on the
     * net's device, in batches.
     */
    public static Report evaluate(NetChain net, Dataset data) {
        return evaluate(net, data, DEFAULT_K);
    }

    /**
     * {@link #evaluate(NetChain, Dataset)} on a table or image folder whose class names label the
     * report's rows (when it has one name per output of the net).
     */
    public static Report evaluate(NetChain net, LabeledDataset data) {
        if (data == null) throw new IllegalArgumentException("evaluate: the data is null");
        return evaluate(net, data.dataset(), DEFAULT_K, data.classNames());
    }

    /** {@link #evaluate(NetChain, Dataset)} with top-k accuracy for this k. */
    public static Report evaluate(NetChain net, Dataset data, int k) {
        return evaluate(net, data, k, List.of());
    }

    private static Report evaluate(NetChain net, Dataset data, int k, List<String> names) {
        if (net == null) throw new IllegalArgumentException("evaluate: net is null");
        if (data == null || data.size() == 0) throw new IllegalArgumentException("evaluate: the data is " + (data == null ? "null" : "empty (0 samples)"));
        if (k < 1) throw new IllegalArgumentException("evaluate: k must be >= 1, got " + k);
        if (!net.isInitialized()) {
            throw new IllegalStateException(net.isClosed() ? "evaluate: the net was closed" : "evaluate: the net is not initialized (train it first)");
        }
        if (!Arrays.equals(net.inputShape(), data.sampleShape())) {
            throw new IllegalArgumentException("evaluate: the data's samples are " + Arrays.toString(data.sampleShape()) + ", the net takes "
                    + Arrays.toString(net.inputShape()));
        }
        double[][] out = outputs(net, data);
        float[] labels = data.labels();
        if (net.isClassifier()) {
            int classes = out[0].length;
            int[] actual = new int[labels.length];
            for (int i = 0; i < labels.length; i++) {
                if (!(labels[i] >= 0 && labels[i] < classes) || labels[i] != Math.rint(labels[i])) {
                    throw new IllegalArgumentException("evaluate: the label at dataset row " + i + " is " + labels[i] + ", not a class index 0.." + (classes - 1));
                }
                actual[i] = (int) labels[i];
            }
            return classification(out, actual, names.size() == classes ? names : null, Math.min(k, classes));
        }
        if (out[0].length != 1) throw new IllegalArgumentException("evaluate: a chain without softmax() must output one value, not " + out[0].length);
        double[] actual = new double[labels.length], predicted = new double[labels.length];
        for (int i = 0; i < labels.length; i++) {
            actual[i] = labels[i];
            predicted[i] = out[i][0];
        }
        return new RegressionReport(labels.length, rmse(actual, predicted), mae(actual, predicted));
    }

    /** A {@code Classify} model on test examples, classes named by its labels; top-k with k = min(5, classes). */
    public static <L> ClassificationReport evaluate(Classifier<L> classifier, List<Example<L>> test) {
        if (classifier == null) throw new IllegalArgumentException("evaluate: classifier is null");
        if (test == null || test.isEmpty()) throw new IllegalArgumentException("evaluate: no test examples");
        List<L> labels = classifier.labels();
        double[][] scores = new double[test.size()][];
        int[] actual = new int[test.size()];
        for (int i = 0; i < scores.length; i++) {
            Example<L> e = test.get(i);
            if (e == null) throw new IllegalArgumentException("evaluate: example " + i + " is null");
            actual[i] = labels.indexOf(e.target());
            if (actual[i] < 0) throw new IllegalArgumentException("evaluate: example " + i + " has label " + e.target() + ", not one of " + labels);
            Map<L, Double> p = classifier.probabilities(e.features());
            scores[i] = new double[labels.size()];
            for (int c = 0; c < labels.size(); c++) scores[i][c] = p.get(labels.get(c));
        }
        List<String> names = new ArrayList<>();
        for (L l : labels) names.add(String.valueOf(l));
        return classification(scores, actual, names, Math.min(DEFAULT_K, labels.size()));
    }

    /** A {@code Predict} model on test examples. */
    public static RegressionReport evaluate(Predictor predictor, List<Example<Double>> test) {
        if (predictor == null) throw new IllegalArgumentException("evaluate: predictor is null");
        if (test == null || test.isEmpty()) throw new IllegalArgumentException("evaluate: no test examples");
        double[][] x = new double[test.size()][];
        double[] actual = new double[test.size()];
        for (int i = 0; i < x.length; i++) {
            Example<Double> e = test.get(i);
            if (e == null || e.target() == null) throw new IllegalArgumentException("evaluate: example " + i + " has no target");
            x[i] = e.features();
            actual[i] = e.target();
        }
        double[] predicted = predictor.predict(x);
        return new RegressionReport(x.length, rmse(actual, predicted), mae(actual, predicted));
    }

    private static ClassificationReport classification(double[][] scores, int[] actual, List<String> names, int k) {
        int[] predicted = argmax(scores);
        ConfusionMatrix m = names == null ? ConfusionMatrix.of(scores[0].length, actual, predicted) : ConfusionMatrix.of(names, actual, predicted);
        return new ClassificationReport(actual.length, accuracy(actual, predicted), k, topKAccuracy(scores, actual, k), m);
    }

    /** The net's outputs for every sample, [rows][outputs], in batches on the net's device. */
    private static double[][] outputs(NetChain net, Dataset data) {
        Module module = net.module();
        boolean training = module.isTraining();
        int per = data.sampleSize(), n = data.size();
        int[] sample = data.sampleShape();
        double[][] out = new double[n][];
        module.eval();
        try (GradMode off = GradMode.off()) {
            for (int start = 0; start < n; start += BATCH) {
                int rows = Math.min(BATCH, n - start);
                int[] shape = new int[sample.length + 1];
                shape[0] = rows;
                System.arraycopy(sample, 0, shape, 1, sample.length);
                try (MemoryScope scope = MemoryScope.open()) {
                    float[] x = Arrays.copyOfRange(data.inputs(), start * per, (start + rows) * per);
                    Tensor y = module.forward(Tensor.of(x, shape).to(module.device()));
                    int cols = (int) (y.numel() / rows);
                    float[] v = y.toArray();
                    for (int r = 0; r < rows; r++) {
                        out[start + r] = new double[cols];
                        for (int c = 0; c < cols; c++) out[start + r][c] = v[r * cols + c];
                    }
                }
            }
        } finally {
            if (training) module.train();
        }
        return out;
    }

    /** Refuses null or empty actual values and a predicted count that differs. */
    private static void rows(String op, int[] actual, int predicted) {
        if (actual == null || predicted < 0) throw new IllegalArgumentException(op + ": actual or predicted values are null");
        if (actual.length == 0) throw new IllegalArgumentException(op + ": no rows");
        if (actual.length != predicted) throw new IllegalArgumentException(op + ": " + actual.length + " actual values but " + predicted + " predicted");
    }
}
