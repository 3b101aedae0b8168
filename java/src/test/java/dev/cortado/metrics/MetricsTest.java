package dev.cortado.metrics;

import static dev.cortado.api.NetLayer.linear;
import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.Classifier;
import dev.cortado.api.Classify;
import dev.cortado.api.Example;
import dev.cortado.api.NetChain;
import dev.cortado.api.Predict;
import dev.cortado.api.Predictor;
import dev.cortado.autograd.GradMode;
import dev.cortado.data.Dataset;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Metrics against small cases computed by hand. */
class MetricsTest {

    // actual    0 0 1 1 2 2
    // predicted 0 1 1 1 2 0
    private final int[] actual = {0, 0, 1, 1, 2, 2}, predicted = {0, 1, 1, 1, 2, 0};

    @Test
    void confusionMatrixCountsAndPerClassScores() {
        ConfusionMatrix m = ConfusionMatrix.of(3, actual, predicted);
        long[][] expected = {{1, 1, 0}, {0, 2, 0}, {1, 0, 1}};
        for (int a = 0; a < 3; a++) for (int p = 0; p < 3; p++) assertEquals(expected[a][p], m.count(a, p), a + "," + p);
        assertEquals(6, m.total());
        assertEquals(4 / 6.0, m.accuracy(), 1e-12);
        assertEquals(4 / 6.0, Metrics.accuracy(actual, predicted), 1e-12);
        // class 0: predicted twice, right once; present twice; class 1: predicted 3 times, right twice; class 2: 1 of 1, 1 of 2
        assertEquals(0.5, m.precision(0), 1e-12);
        assertEquals(0.5, m.recall(0), 1e-12);
        assertEquals(0.5, m.f1(0), 1e-12);
        assertEquals(2 / 3.0, m.precision(1), 1e-12);
        assertEquals(1, m.recall(1), 1e-12);
        assertEquals(0.8, m.f1(1), 1e-12);
        assertEquals(1, m.precision(2), 1e-12);
        assertEquals(0.5, m.recall(2), 1e-12);
        assertEquals(2 / 3.0, m.f1(2), 1e-12);
        assertEquals((0.5 + 2 / 3.0 + 1) / 3, m.macroPrecision(), 1e-12);
        assertEquals((0.5 + 1 + 0.5) / 3, m.macroRecall(), 1e-12);
        assertEquals((0.5 + 0.8 + 2 / 3.0) / 3, m.macroF1(), 1e-12);
        assertEquals(String.join("\n",
                "actual\\predicted                0                1                2",
                "               0                1                1                0",
                "               1                0                2                0",
                "               2                1                0                1"), m.toString());
        String table = m.perClassTable();
        assertTrue(table.contains("        1    0.6667    1.0000    0.8000         2"), table);
        assertTrue(table.contains("macro avg    0.7222    0.6667    0.6556         6"), table);
    }

    @Test
    void aClassNeverPredictedHasPrecisionZero() {
        ConfusionMatrix m = ConfusionMatrix.of(List.of("cat", "dog"), new int[] {0, 1}, new int[] {0, 0});
        assertEquals(0, m.precision(1));
        assertEquals(0, m.recall(1));
        assertEquals(0, m.f1(1));
        assertEquals(0.5, m.precision(0), 1e-12);
        assertTrue(m.toString().contains("cat"));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(2, new int[] {0, 2}, new int[] {0, 1}));
        assertThrows(IndexOutOfBoundsException.class, () -> m.precision(2));
    }

    @Test
    void topKAccuracyRmseAndMae() {
        double[][] scores = {{0.5, 0.3, 0.2}, {0.5, 0.3, 0.2}, {0.1, 0.2, 0.7}, {0.6, 0.3, 0.1}};
        int[] labels = {0, 1, 2, 2};
        assertEquals(0.5, Metrics.topKAccuracy(scores, labels, 1), 1e-12);
        assertEquals(0.75, Metrics.topKAccuracy(scores, labels, 2), 1e-12);
        assertEquals(1, Metrics.topKAccuracy(scores, labels, 3), 1e-12);
        assertEquals(0.5, Metrics.topKAccuracy(new double[][] {{1, 1}, {1, 1}}, new int[] {0, 1}, 1), 1e-12); // a tie goes to the lower index
        assertEquals(Math.sqrt(5 / 3.0), Metrics.rmse(new double[] {1, 2, 3}, new double[] {2, 2, 5}), 1e-12);
        assertEquals(1, Metrics.mae(new double[] {1, 2, 3}, new double[] {2, 2, 5}), 1e-12);
        assertEquals("mae: 3 actual values but 2 predicted",
                assertThrows(IllegalArgumentException.class, () -> Metrics.mae(new double[3], new double[2])).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[0], new int[0]));
    }

    @Test
    void evaluateANetChainClassifierAndRegression() {
        try (NetChain net = NetChain.of(linear(2), softmax()).initialize(2)) {
            Map<String, Tensor> p = net.module().namedParameters();
            try (GradMode off = GradMode.off()) {
                p.get("0.weight").copyFrom(new float[] {1, 0, 0, 1}); // identity: the larger input wins
                p.get("0.bias").copyFrom(new float[] {0, 0});
            }
            Dataset data = new Dataset(new float[] {1, 0, 0, 1, 2, 1, 0, 3}, new int[] {2}, new float[] {0, 1, 1, 1});
            ClassificationReport r = Metrics.evaluate(net, data).classification();
            assertEquals(4, r.rows());
            assertEquals(0.75, r.accuracy(), 1e-12);
            assertEquals(2, r.k());
            assertEquals(1, r.topKAccuracy(), 1e-12);
            assertEquals(1, r.confusion().count(1, 0));
            assertEquals(2, r.confusion().count(1, 1));
            assertTrue(r.toString().startsWith("4 rows: accuracy 0.7500, top-2 accuracy 1.0000"), r.toString());
            assertThrows(IllegalStateException.class, () -> Metrics.evaluate(net, data).regression());
            // a labelled table's class names head the rows of the report
            String named = Metrics.evaluate(net, new dev.cortado.data.LabeledDataset(data, java.util.List.of("x", "y"),
                    java.util.List.of("cat", "dog"))).toString();
            assertTrue(named.contains("cat") && named.contains("dog"), named);
            Dataset bad = new Dataset(new float[] {1, 0}, new int[] {2}, new float[] {2});
            assertEquals("evaluate: the label at dataset row 0 is 2.0, not a class index 0..1",
                    assertThrows(IllegalArgumentException.class, () -> Metrics.evaluate(net, bad)).getMessage());
        }
        try (NetChain net = NetChain.of(linear(1)).initialize(2)) {
            Map<String, Tensor> p = net.module().namedParameters();
            try (GradMode off = GradMode.off()) {
                p.get("0.weight").copyFrom(new float[] {1, 1});
                p.get("0.bias").copyFrom(new float[] {0});
            }
            RegressionReport r = Metrics.evaluate(net, new Dataset(new float[] {1, 2, 3, 4}, new int[] {2}, new float[] {3, 8})).regression();
            assertEquals(Math.sqrt(0.5), r.rmse(), 1e-6);
            assertEquals(0.5, r.mae(), 1e-6);
        }
        NetChain closed = NetChain.of(linear(1)).initialize(2);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Metrics.evaluate(closed, new Dataset(new float[] {1, 2}, new int[] {2}, new float[] {3})));
    }

    @Test
    void evaluateClassifyAndPredictModels() {
        Rng rng = new Rng(5);
        List<Example<String>> train = new ArrayList<>(), test = new ArrayList<>();
        List<Example<Double>> ptrain = new ArrayList<>(), ptest = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            double a = rng.nextGaussian(), b = rng.nextGaussian();
            (i < 90 ? train : test).add(new Example<>(new double[] {a, b}, a + b > 0 ? "up" : "down"));
            (i < 90 ? ptrain : ptest).add(new Example<>(new double[] {a, b}, 3 * a - b));
        }
        try (Classifier<String> c = Classify.train(train); Predictor p = Predict.train(ptrain)) {
            ClassificationReport r = Metrics.evaluate(c, test);
            assertEquals(c.accuracy(test), r.accuracy(), 1e-12);
            assertSame(c.labels().get(0), r.confusion().names().get(0));
            assertEquals(30, r.confusion().total());
            RegressionReport q = Metrics.evaluate(p, ptest);
            double[][] x = ptest.stream().map(Example::features).toArray(double[][]::new);
            double[] y = ptest.stream().mapToDouble(Example::target).toArray();
            assertEquals(p.rmse(x, y), q.rmse(), 1e-12);
            assertTrue(q.mae() <= q.rmse() + 1e-12);
        }
    }
}
