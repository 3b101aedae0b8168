package dev.cortado.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A trained {@link Classify} model: classes, their probabilities, accuracy on a test set. Not thread-safe. */
public final class Classifier<L> implements AutoCloseable {

    private final DenseNet net;
    private final List<L> labels;
    private final int features;
    private final String method;
    private final double heldOutAccuracy;

    Classifier(DenseNet net, List<L> labels, int features, String method, double heldOutAccuracy) {
        this.net = net;
        this.labels = List.copyOf(labels);
        this.features = features;
        this.method = method;
        this.heldOutAccuracy = heldOutAccuracy;
    }

    /** The most probable label of x. */
    public L classify(double[] x) {
        double[] logits = logits(x);
        int best = 0;
        for (int c = 1; c < logits.length; c++) if (logits[c] > logits[best]) best = c;
        return labels.get(best);
    }

    /** Each label's probability for x, in the order the labels first appeared in training. */
    public Map<L, Double> probabilities(double[] x) {
        double[] z = logits(x);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : z) max = Math.max(max, v);
        for (double v : z) sum += Math.exp(v - max);
        Map<L, Double> p = new LinkedHashMap<>();
        for (int c = 0; c < z.length; c++) p.put(labels.get(c), Math.exp(z[c] - max) / sum);
        return p;
    }

    /** The fraction of examples classified as their label. */
    public double accuracy(List<Example<L>> test) {
        if (test == null || test.isEmpty()) throw new IllegalArgumentException("Classifier.accuracy: no test examples");
        int right = 0;
        for (Example<L> e : test) if (classify(e.features()).equals(e.target())) right++;
        return (double) right / test.size();
    }

    /** The labels, in the order the training examples first showed them. */
    public List<L> labels() {
        return labels;
    }

    /** "logistic regression" or "MLP": the model the held-out examples chose. */
    public String method() {
        return method;
    }

    /** The chosen model's accuracy on the held-out fifth (NaN with fewer than 5 examples: nothing was held out). */
    public double heldOutAccuracy() {
        return heldOutAccuracy;
    }

    private double[] logits(double[] x) {
        if (x == null || x.length != features) {
            throw new IllegalArgumentException("Classifier: " + (x == null ? "no features" : x.length + " features") + ", trained on " + features);
        }
        DenseNet.features("Classifier", new double[][] {x});
        return net.apply(new double[][] {x})[0];
    }

    @Override
    public void close() {
        net.close();
    }
}
