package dev.cortado.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;

/** A trained {@link Predict} model. Not thread-safe. */
public final class Predictor implements AutoCloseable {

    private final DenseNet net;
    private final int features;
    private final double mean, std;
    private final String method;
    private final double heldOutRmse;

    Predictor(DenseNet net, int features, double mean, double std, String method, double heldOutRmse) {
        this.net = net;
        this.features = features;
        this.mean = mean;
        this.std = std;
        this.method = method;
        this.heldOutRmse = heldOutRmse;
    }

    /** The prediction for x. */
    public double predict(double[] x) {
        return predict(new double[][] {x})[0];
    }

    /** The predictions for rows of x. */
    public double[] predict(double[][] x) {
        if (x == null) throw new IllegalArgumentException("Predictor: no rows");
        int n = DenseNet.features("Predictor", x);
        if (n != features) throw new IllegalArgumentException("Predictor: " + n + " features, trained on " + features);
        double[][] z = net.apply(x);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = mean + std * z[i][0];
        return out;
    }

    /** Root-mean-square error of the predictions for x against y. */
    public double rmse(double[][] x, double[] y) {
        double[] p = predict(x);
        if (y == null || y.length != p.length) throw new IllegalArgumentException("Predictor.rmse: " + p.length + " rows but " + (y == null ? "no" : y.length) + " targets");
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return Math.sqrt(s / p.length);
    }

    /** How many features an example has (as in training). */
    public int features() {
        return features;
    }

    /** "linear regression" or "MLP": the model the held-out examples chose. */
    public String method() {
        return method;
    }

    /** The chosen model's RMSE on the held-out fifth (NaN with fewer than 5 examples). */
    public double heldOutRmse() {
        return heldOutRmse;
    }

    static final String KIND = "Predictor";

    /**
     * Saves the predictor in one safetensors file, atomically: the target's mean and std, the
     * method, the held-out RMSE and the feature standardization in the metadata ({@link ModelFile}),
     * the net's weights by the names of PyTorch's {@code nn.Sequential} ("0.weight", "0.bias", ...).
     */
    public void save(Path file) throws IOException {
        ObjectNode arch = ModelFile.object();
        arch.put("features", features);
        ModelFile.putNumber(arch, "target_mean", mean);
        ModelFile.putNumber(arch, "target_std", std);
        arch.put("method", method);
        ModelFile.putNumber(arch, "held_out_rmse", heldOutRmse);
        arch.set("net", net.describe());
        ModelFile.write(file, KIND, arch, net.tensors(), null);
    }

    /** A predictor saved by {@link #save}; a missing, corrupt, newer or other-kind file is an IOException naming it. */
    public static Predictor load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, KIND)) {
            return from(f, f.architecture());
        }
    }

    static Predictor from(ModelFile f, JsonNode arch) throws IOException {
        int features = f.integer(arch, "features");
        double mean = f.number(arch, "target_mean"), std = f.number(arch, "target_std");
        String method = f.text(arch, "method");
        double rmse = f.number(arch, "held_out_rmse");
        if (!Double.isFinite(mean) || !(std > 0) || Double.isInfinite(std)) throw f.corrupt("has a target mean " + mean + " and std " + std, null);
        DenseNet net = DenseNet.from(f, f.field(arch, "net"));
        if (net.features() != features || net.outputs() != 1) {
            net.close();
            throw f.corrupt("has a net for " + net.features() + " features and " + net.outputs() + " outputs, not " + features + " and 1", null);
        }
        return new Predictor(net, features, mean, std, method, rmse);
    }

    @Override
    public void close() {
        net.close();
    }
}
