package dev.cortado.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cortado.api.AnnClassifier;
import dev.cortado.api.BackpropNet;
import dev.cortado.api.Classify;
import dev.cortado.api.Example;
import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.api.NetTrain;
import dev.cortado.api.Predict;
import dev.cortado.data.Dataset;
import dev.cortado.metrics.ConfusionMatrix;
import dev.cortado.metrics.Metrics;
import dev.cortado.tensor.MemoryScope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the model-level API a user calls first (dev.cortado.api and dev.cortado.metrics): NetChain
 * built from random layers and initialised with random shapes, NetTrain with random options and
 * data (NaN, infinities, labels out of range, empty sets), Classify/Predict/AnnClassifier/BackpropNet
 * with ragged, empty and extreme inputs, and the metrics with mismatched arrays. Every call must
 * return or throw a clean exception with a message (IllegalArgumentException, IllegalStateException
 * — NetTrain's NonFiniteLossException is one —, IndexOutOfBoundsException of the API's own,
 * UnsupportedOperationException); a NullPointerException, ArithmeticException, ClassCastException,
 * NegativeArraySizeException or an array index from inside is a bug.
 *
 * <p>{@code mvn verify} runs the stored inputs under src/test/resources/dev/cortado/fuzz/ModelApiFuzzTestInputs;
 * to fuzz: {@code JAZZER_FUZZ=1 mvn -pl java test -Dtest=ModelApiFuzzTest}.
 */
class ModelApiFuzzTest {

    private static final FuzzTally TALLY = new FuzzTally("ModelApiFuzzTest");

    @AfterAll
    static void report() {
        TALLY.report();
    }

    @FuzzTest(maxDuration = "5m")
    void modelApi(FuzzedDataProvider in) {
        TALLY.call();
        try (MemoryScope scope = MemoryScope.open()) {
            switch (in.consumeInt(0, 5)) {
                case 0, 1 -> netTrain(in);
                case 2 -> classifyPredict(in);
                case 3 -> ann(in);
                case 4 -> backprop(in);
                default -> metrics(in);
            }
        } catch (ArrayIndexOutOfBoundsException | StringIndexOutOfBoundsException e) {
            throw new AssertionError("an index error from inside the API", e);
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException | UnsupportedOperationException e) {
            TALLY.clean(e);
        }
    }

    private static double value(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 19)) {
            case 0 -> Double.NaN;
            case 1 -> Double.POSITIVE_INFINITY;
            case 2 -> 1e300;
            case 3 -> -0.0;
            default -> in.consumeInt(-4, 4) / 2.0;
        };
    }

    private static int size(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 19)) {
            case 0 -> in.consumeInt(Integer.MIN_VALUE, 0);
            case 1 -> in.consumeInt(1 << 20, Integer.MAX_VALUE);
            default -> in.consumeInt(1, 6);
        };
    }

    private static NetLayer layer(FuzzedDataProvider in) {
        return switch (in.consumeInt(0, 7)) {
            case 0 -> NetLayer.linear(size(in));
            case 1 -> NetLayer.ramp();
            case 2 -> NetLayer.convolution(size(in), size(in), in.consumeInt(-1, 3), in.consumeInt(-1, 3));
            case 3 -> NetLayer.pooling(size(in), size(in));
            case 4 -> NetLayer.flatten();
            case 5 -> NetLayer.lstm(size(in));
            case 6 -> NetLayer.sequenceLast();
            default -> NetLayer.softmax();
        };
    }

    private static Dataset data(FuzzedDataProvider in, int[] shape) {
        int rows = in.consumeInt(0, 9), per = 1;
        for (int d : shape) per *= d;
        float[] x = new float[Math.max(0, rows * per)]; // a shape with a negative axis: the Dataset must refuse it
        for (int i = 0; i < x.length; i++) x[i] = (float) value(in);
        float[] y = new float[rows];
        for (int i = 0; i < rows; i++) y[i] = in.consumeInt(0, 9) == 0 ? in.consumeInt(-2, 100) : in.consumeInt(0, 2);
        return new Dataset(x, shape, y);
    }

    private static void netTrain(FuzzedDataProvider in) {
        List<Object> layers = new ArrayList<>();
        for (int i = 0, n = in.consumeInt(0, 4); i < n; i++) layers.add(layer(in));
        if (in.consumeBoolean()) layers.add(3);
        try (NetChain net = NetChain.of(layers.toArray())) {
            int[] shape = new int[in.consumeInt(1, 3)];
            for (int i = 0; i < shape.length; i++) shape[i] = in.consumeInt(0, 9) == 0 ? in.consumeInt(-1, 0) : in.consumeInt(1, 6);
            if (in.consumeBoolean()) net.initialize(in.consumeLong(), shape);
            NetTrain.Options o = NetTrain.options().quiet().seed(in.consumeLong())
                    .batchSize(in.consumeInt(-1, 8)).maxTrainingRounds(in.consumeInt(-1, 2));
            if (in.consumeBoolean()) o = o.learningRate(value(in));
            if (in.consumeBoolean()) o = o.weightDecay(value(in));
            if (in.consumeBoolean()) o = o.validationSet(data(in, shape));
            if (in.consumeBoolean()) o = o.earlyStopping(in.consumeInt(-1, 2));
            if (in.consumeBoolean()) o = o.keepBestModel(in.consumeBoolean());
            o = o.method(in.pickValue(NetTrain.Method.values()));
            Dataset d = data(in, shape);
            NetTrain.train(net, d, o);
            if (net.isInitialized()) Metrics.evaluate(net, d, in.consumeInt(-1, 4));
            if (in.consumeBoolean()) net.close();
            double[] x = new double[in.consumeInt(0, 40)];
            for (int i = 0; i < x.length; i++) x[i] = value(in);
            net.apply(x);
        }
    }

    private static double[][] rows(FuzzedDataProvider in) {
        double[][] x = new double[in.consumeInt(0, 12)][];
        int cols = in.consumeInt(0, 4);
        for (int r = 0; r < x.length; r++) {
            x[r] = new double[in.consumeInt(0, 9) == 0 ? in.consumeInt(0, 5) : cols];
            for (int c = 0; c < x[r].length; c++) x[r][c] = value(in);
        }
        return x;
    }

    private static void classifyPredict(FuzzedDataProvider in) {
        double[][] x = rows(in);
        boolean classify = in.consumeBoolean();
        if (classify) {
            List<Example<String>> ex = new ArrayList<>();
            for (double[] r : x) ex.add(Example.of(r, in.pickValue(new String[] {"a", "b", "c"})));
            Metrics.evaluate(Classify.train(ex), ex);
        } else {
            List<Example<Double>> ex = new ArrayList<>();
            for (double[] r : x) ex.add(Example.of(r, value(in)));
            Metrics.evaluate(Predict.train(ex), ex);
        }
    }

    private static void ann(FuzzedDataProvider in) {
        double[][] x = rows(in);
        int[] y = new int[in.consumeInt(0, 9) == 0 ? x.length + 1 : x.length];
        for (int i = 0; i < y.length; i++) y[i] = in.consumeInt(-1, 3);
        try (AnnClassifier a = new AnnClassifier(size(in)).epochs(in.consumeInt(-1, 3)).learningRate(value(in)).l2(value(in))) {
            a.fit(x, y);
            a.predictProba(rows(in));
        }
    }

    private static void backprop(FuzzedDataProvider in) {
        int[] structure = new int[in.consumeInt(0, 4)];
        for (int i = 0; i < structure.length; i++) structure[i] = size(in);
        for (int i = 0; i + 1 < structure.length; i++) {
            long weights = (structure[i] + 1L) * structure[i + 1];
            if (weights > 1 << 24 && weights < Integer.MAX_VALUE) return; // a real multi-GB model: not refused, just too big for the test's heap
        }
        try (BackpropNet net = BackpropNet.init(structure).learningRate(value(in)).momentum(value(in))) {
            double[] input = new double[in.consumeInt(0, 7)], expected = new double[in.consumeInt(0, 7)];
            for (int i = 0; i < input.length; i++) input[i] = value(in);
            for (int i = 0; i < expected.length; i++) expected[i] = value(in);
            net.train(input, expected);
            net.eval(input);
            net.weights(in.consumeInt(-1, 4));
        }
    }

    private static void metrics(FuzzedDataProvider in) {
        int n = in.consumeInt(0, 8);
        int[] actual = new int[n], predicted = new int[in.consumeInt(0, 9) == 0 ? n + 1 : n];
        for (int i = 0; i < actual.length; i++) actual[i] = in.consumeInt(-1, 3);
        for (int i = 0; i < predicted.length; i++) predicted[i] = in.consumeInt(-1, 3);
        switch (in.consumeInt(0, 3)) {
            case 0 -> Metrics.accuracy(actual, predicted);
            case 1 -> ConfusionMatrix.of(in.consumeInt(-1, 4), actual, predicted).toString();
            case 2 -> Metrics.topKAccuracy(rows(in), actual, in.consumeInt(-1, 4));
            default -> {
                double[] a = new double[n], p = new double[predicted.length];
                for (int i = 0; i < n; i++) a[i] = value(in);
                for (int i = 0; i < p.length; i++) p[i] = value(in);
                Metrics.rmse(a, p);
                Metrics.mae(a, p);
            }
        }
    }
}
