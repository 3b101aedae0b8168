package dev.cortado.api;

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

    /** "linear regression" or "MLP": the model the held-out examples chose. */
    public String method() {
        return method;
    }

    /** The chosen model's RMSE on the held-out fifth (NaN with fewer than 5 examples). */
    public double heldOutRmse() {
        return heldOutRmse;
    }

    @Override
    public void close() {
        net.close();
    }
}
