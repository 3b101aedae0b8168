package dev.cortado.api;

import dev.cortado.nn.Losses;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.List;

/**
 * Mathematica's Predict: {@code Predictor p = Predict.train(examples)} fits a number from a
 * feature vector, choosing between linear regression and a small MLP (one tanh layer of 32) by
 * their RMSE on a held-out fifth of the examples, then training the chosen one on all of them.
 * Targets are standardized for training and mapped back for predictions.
 */
public final class Predict {

    private Predict() {
    }

    public static Predictor train(List<Example<Double>> examples) {
        if (examples == null) throw new IllegalArgumentException("Predict: examples are null");
        double[][] x = new double[examples.size()][];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            Example<Double> e = examples.get(i);
            if (e == null || e.target() == null || !Double.isFinite(e.target())) {
                throw new IllegalArgumentException("Predict: example " + i + " has target " + (e == null ? null : e.target()));
            }
            if (Math.abs(e.target()) > Float.MAX_VALUE) {
                throw new IllegalArgumentException("Predict: the target of example " + i + " is " + e.target() + ", beyond the float range (±"
                        + Float.MAX_VALUE + ") the model computes in; rescale the targets");
            }
            x[i] = e.features();
            y[i] = e.target();
        }
        int features = DenseNet.features("Predict", x);
        String method = "linear regression";
        double rmse = Double.NaN;
        int[][] split = DenseNet.split(x.length); // {held out, training}
        if (split[0].length > 0) {
            double linear, mlp;
            double[][] trainX = DenseNet.rows(x, split[1]), testX = DenseNet.rows(x, split[0]);
            double[] trainY = pick(y, split[1]), testY = pick(y, split[0]);
            try (Predictor a = fit(trainX, trainY, features, false, "", Double.NaN)) {
                linear = a.rmse(testX, testY);
            }
            try (Predictor b = fit(trainX, trainY, features, true, "", Double.NaN)) {
                mlp = b.rmse(testX, testY);
            }
            rmse = Math.min(linear, mlp);
            if (mlp < linear) method = "MLP";
        }
        return fit(x, y, features, method.equals("MLP"), method, rmse);
    }

    private static double[] pick(double[] y, int[] at) {
        double[] out = new double[at.length];
        for (int k = 0; k < at.length; k++) out[k] = y[at[k]];
        return out;
    }

    private static Predictor fit(double[][] x, double[] y, int features, boolean hidden, String method, double rmse) {
        double mean = 0, var = 0;
        for (double v : y) mean += v / y.length;
        for (double v : y) var += (v - mean) * (v - mean) / y.length;
        double std = var > 1e-24 ? Math.sqrt(var) : 1;
        float[] t = new float[y.length];
        for (int i = 0; i < y.length; i++) t[i] = (float) ((y[i] - mean) / std);
        DenseNet net = hidden ? new DenseNet(new Rng(Classify.SEED), x, features, Classify.HIDDEN, 1)
                : new DenseNet(new Rng(Classify.SEED), x, features, 1);
        try (Tensor target = Tensor.of(t, t.length, 1)) {
            net.fit(x, target, Losses::mse, 2 * Classify.STEPS, hidden ? 0.02 : 0.05);
        }
        return new Predictor(net, features, mean, std, method, rmse);
    }
}
