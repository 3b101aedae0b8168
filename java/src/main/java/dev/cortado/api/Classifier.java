package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** How many features an example has (as in training). */
    public int features() {
        return features;
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

    static final String KIND = "Classifier";

    /** The label types a saved classifier can hold, by their name in the file. */
    private static final Map<String, Class<?>> LABEL_TYPES = Map.of("String", String.class, "Integer", Integer.class, "Long", Long.class,
            "Double", Double.class, "Boolean", Boolean.class, "Character", Character.class);

    /**
     * Saves the classifier in one safetensors file, atomically: the labels (all of one type: String,
     * Integer, Long, Double, Boolean or Character), the method, the held-out accuracy and the
     * feature standardization in the metadata ({@link ModelFile}), the net's weights by the names of
     * PyTorch's {@code nn.Sequential} ("0.weight", "0.bias", "2.weight", ...).
     *
     * @throws IllegalArgumentException naming a label of another type
     */
    public void save(Path file) throws IOException {
        String type = labelType(labels);
        ObjectNode arch = ModelFile.object();
        arch.put("label_type", type);
        ArrayNode list = arch.putArray("labels");
        for (L label : labels) {
            if (label instanceof Integer v) list.add(v);
            else if (label instanceof Long v) list.add(v);
            else if (label instanceof Double v) list.add(Double.isNaN(v) ? null : v);
            else if (label instanceof Boolean v) list.add(v);
            else list.add(label.toString()); // String, Character
        }
        arch.put("features", features);
        arch.put("method", method);
        ModelFile.putNumber(arch, "held_out_accuracy", heldOutAccuracy);
        arch.set("net", net.describe());
        ModelFile.write(file, KIND, arch, net.tensors(), null);
    }

    private static String labelType(List<?> labels) {
        Class<?> first = labels.get(0).getClass();
        for (Object l : labels) {
            if (!LABEL_TYPES.containsValue(l.getClass())) {
                throw new IllegalArgumentException("Classifier.save: label " + l + " is a " + l.getClass().getName()
                        + "; a saved classifier's labels are String, Integer, Long, Double, Boolean or Character");
            }
            if (l instanceof Double d && d.isInfinite()) throw new IllegalArgumentException("Classifier.save: a label is " + d + ", which JSON cannot hold");
            if (l.getClass() != first) {
                throw new IllegalArgumentException("Classifier.save: labels of two types, " + first.getSimpleName() + " and "
                        + l.getClass().getSimpleName() + " (" + l + "); a saved classifier's labels are all of one type");
            }
        }
        return first.getSimpleName();
    }

    /**
     * A classifier saved by {@link #save} whose labels are of {@code labelType}; a missing, corrupt,
     * newer or other-kind file, or labels of another type, is an IOException naming the file.
     */
    public static <L> Classifier<L> load(Path file, Class<L> labelType) throws IOException {
        if (labelType == null) throw new IllegalArgumentException("Classifier.load: labelType is null");
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture(), labelType);
        }
    }

    static <L> Classifier<L> from(ModelFile f, JsonNode arch, Class<L> labelType) throws IOException {
        String type = f.text(arch, "label_type");
        Class<?> saved = LABEL_TYPES.get(type);
        if (saved == null) throw f.corrupt("has labels of an unknown type '" + type + "'", null);
        if (labelType != null && labelType != saved) {
            throw new IOException(f.file() + ": its labels are " + type + ", not " + labelType.getSimpleName());
        }
        JsonNode list = f.field(arch, "labels");
        if (!list.isArray() || list.size() < 2) throw f.corrupt("has labels " + list + ", not an array of two or more", null);
        List<Object> labels = new ArrayList<>();
        for (JsonNode v : list) {
            Object label = switch (type) {
                case "String" -> v.isTextual() ? v.textValue() : null;
                case "Integer" -> v.isIntegralNumber() && v.canConvertToInt() ? v.intValue() : null;
                case "Long" -> v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : null;
                case "Double" -> v.isNull() ? Double.NaN : v.isNumber() ? v.doubleValue() : null;
                case "Boolean" -> v.isBoolean() ? v.booleanValue() : null;
                default -> v.isTextual() && v.textValue().length() == 1 ? v.textValue().charAt(0) : null;
            };
            if (label == null) throw f.corrupt("has a label " + v + " that is not a " + type, null);
            labels.add(label);
        }
        if (new java.util.HashSet<>(labels).size() != labels.size()) throw f.corrupt("repeats a label", null);
        int features = f.integer(arch, "features");
        String method = f.text(arch, "method");
        double accuracy = f.number(arch, "held_out_accuracy");
        DenseNet net = DenseNet.from(f, f.field(arch, "net"));
        if (net.features() != features || net.outputs() != labels.size()) {
            net.close();
            throw f.corrupt("has a net for " + net.features() + " features and " + net.outputs() + " classes, not " + features + " and " + labels.size(), null);
        }
        @SuppressWarnings("unchecked")
        List<L> typed = (List<L>) labels;
        return new Classifier<>(net, typed, features, method, accuracy);
    }

    @Override
    public void close() {
        net.close();
    }
}
