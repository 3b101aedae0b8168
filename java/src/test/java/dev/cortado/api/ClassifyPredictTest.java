package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Classify and Predict on data with a known answer, and bad input. */
class ClassifyPredictTest {

    private final Rng rng = new Rng(8);

    private List<Example<String>> blobs(int n) {
        List<Example<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean cat = i % 2 == 0;
            double cx = cat ? 2 : -2;
            out.add(Example.of(new double[] {cx + rng.nextGaussian(), rng.nextGaussian() + (cat ? 1 : -1)}, cat ? "cat" : "dog"));
        }
        return out;
    }

    @Test
    void separableClasses() {
        try (Classifier<String> c = Classify.train(blobs(200))) {
            List<Example<String>> test = blobs(200);
            assertTrue(c.accuracy(test) >= 0.95, "test accuracy " + c.accuracy(test) + " (" + c.method() + ")");
            assertTrue(c.heldOutAccuracy() >= 0.95, "held-out accuracy " + c.heldOutAccuracy());
            assertEquals(List.of("cat", "dog"), c.labels());
            Map<String, Double> p = c.probabilities(new double[] {3, 1});
            assertEquals(1, p.get("cat") + p.get("dog"), 1e-9);
            assertTrue(p.get("cat") > 0.9, "p(cat) at the cat centre " + p);
            assertEquals("cat", c.classify(new double[] {3, 1}));
            assertEquals("dog", c.classify(new double[] {-3, -1}));
        }
    }

    /** Points inside the unit circle are "in", points on a ring of radius 2..3 "out": no line separates them. */
    private List<Example<String>> rings(int n) {
        List<Example<String>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean in = i % 2 == 0;
            double r = in ? rng.nextFloat() : 2 + rng.nextFloat(), a = 2 * Math.PI * rng.nextFloat();
            out.add(Example.of(new double[] {r * Math.cos(a), r * Math.sin(a)}, in ? "in" : "out"));
        }
        return out;
    }

    @Test
    void aNonLinearBoundaryChoosesTheMlp() {
        try (Classifier<String> c = Classify.train(rings(300))) {
            assertEquals("MLP", c.method());
            assertTrue(c.accuracy(rings(200)) >= 0.95, "test accuracy " + c.accuracy(rings(200)));
        }
    }

    @Test
    void aNoisyLinearFunctionIsRecoveredWithinItsNoise() {
        List<Example<Double>> data = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            double a = 4 * rng.nextFloat() - 2, b = 4 * rng.nextFloat() - 2;
            data.add(Example.of(new double[] {a, b}, 3 * a - 2 * b + 1 + 0.1 * rng.nextGaussian()));
        }
        try (Predictor p = Predict.train(data)) {
            assertTrue(p.heldOutRmse() < 0.15, "held-out RMSE " + p.heldOutRmse() + " (noise 0.1, " + p.method() + ")");
            double err = 0;
            for (int i = 0; i < 100; i++) {
                double a = 4 * rng.nextFloat() - 2, b = 4 * rng.nextFloat() - 2;
                err += Math.pow(p.predict(new double[] {a, b}) - (3 * a - 2 * b + 1), 2);
            }
            assertTrue(Math.sqrt(err / 100) < 0.1, "RMSE against the noiseless function " + Math.sqrt(err / 100));
        }
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classify.train(List.of()));
        assertEquals("Classify: no examples", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Classify.train(List.of(Example.of(new double[] {1}, "a"), Example.of(new double[] {2}, "a"))));
        assertEquals("Classify: the examples hold one class only (a)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Classify.train(List.of(Example.of(new double[] {1, 2}, "a"), Example.of(new double[] {2}, "b"))));
        assertEquals("Classify: example 1 has 1 features, example 0 has 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Classify.train(List.of(Example.of(new double[] {1}, "a"), Example.of(new double[] {2}, null))));
        assertEquals("Classify: example 1 has no label", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Predict.train(List.of(Example.of(new double[] {Double.NaN}, 1.0))));
        assertEquals("Predict: feature 0 of example 0 is NaN", e.getMessage());
        try (Classifier<String> c = Classify.train(blobs(20))) {
            e = assertThrows(IllegalArgumentException.class, () -> c.classify(new double[] {1, 2, 3}));
            assertEquals("Classifier: 3 features, trained on 2", e.getMessage());
        }
    }
}
