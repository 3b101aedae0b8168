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
            x[i] = e.features();
            y[i] = e.target();
        }
        int features = DenseNet.features("Predict", x);
        String method = "linear regression";
        double rmse = Double.NaN;
        int[] order = DenseNet.shuffled(x.length, Classify.SEED);
        int hold = x.length >= 5 ? Math.max(1, x.length / 5) : 0;
        if (hold > 0) {
            double[][] trainX = new double[x.length - hold][], testX = new double[hold][];
            double[] trainY = new double[x.length - hold], testY = new double[hold];
            for (int k = 0; k < x.length; k++) {
                int i = order[k];
                if (k < hold) {
                    testX[k] = x[i];
                    testY[k] = y[i];
                } else {
                    trainX[k - hold] = x[i];
                    trainY[k - hold] = y[i];
                }
            }
            double linear, mlp;
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
