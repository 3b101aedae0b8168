package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** AnnClassifier: a separable problem, probabilities, the seed's random example, bad input. */
class AnnClassifierTest {

    private final Rng rng = new Rng(21);

    /** n points per class around three centres in 4 dimensions, labels 7, -2, 40 (any integers). */
    private double[][] blobs(int n, int[] labels) {
        double[][] centres = {{2, 2, 0, 0}, {-2, 0, 2, 0}, {0, -2, -2, 2}};
        int[] classOf = {7, -2, 40};
        double[][] x = new double[3 * n][4];
        for (int i = 0; i < 3 * n; i++) {
            int c = i % 3;
            for (int j = 0; j < 4; j++) x[i][j] = centres[c][j] + 0.7 * rng.nextGaussian();
            labels[i] = classOf[c];
        }
        return x;
    }

    @Test
    void separatesThreeGaussianBlobs() {
        int[] y = new int[300], yTest = new int[300];
        double[][] x = blobs(100, y), xTest = blobs(100, yTest);
        try (AnnClassifier ann = new AnnClassifier(20).fit(x, y)) {
            assertArrayEquals(new int[] {-2, 7, 40}, ann.classes());
            int[] pred = ann.predict(xTest);
            int right = 0;
            for (int i = 0; i < pred.length; i++) if (pred[i] == yTest[i]) right++;
            assertTrue(right >= 0.95 * pred.length, "held-out accuracy " + right + " / " + pred.length);
            double[][] p = ann.predictProba(xTest);
            for (int i = 0; i < p.length; i++) {
                double sum = 0;
                int best = 0;
                for (int c = 0; c < 3; c++) {
                    sum += p[i][c];
                    if (p[i][c] > p[i][best]) best = c;
                }
                assertEquals(1, sum, 1e-5);
                assertEquals(ann.classes()[best], pred[i]);
            }
        }
    }

    @Test
    void theSeedsRandomExampleRuns() {
        double[][] x = new double[150][80], xNew = new double[60][80];
        int[] y = new int[150];
        for (int i = 0; i < 150; i++) {
            for (int j = 0; j < 80; j++) x[i][j] = rng.nextGaussian();
            y[i] = rng.nextInt(4);
        }
        for (double[] row : xNew) for (int j = 0; j < 80; j++) row[j] = rng.nextGaussian();
        try (AnnClassifier ann = new AnnClassifier(20)) {
            int[] pred = ann.fit(x, y).predict(xNew);
            assertEquals(60, pred.length);
            for (int p : pred) assertTrue(p >= 0 && p < 4, "predicted class " + p);
        }
    }

    private static void rejects(String message, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(message), "'" + e.getMessage() + "' should contain '" + message + "'");
    }

    @Test
    void badInputIsNamed() {
        double[][] x = {{1, 2}, {3, 4}, {5, 6}};
        try (AnnClassifier ann = new AnnClassifier(3)) {
            rejects("row 1 of x has 1 features, row 0 has 2 (ragged rows)", () -> ann.fit(new double[][] {{1, 2}, {3}}, new int[] {0, 1}));
            rejects("the labels hold one class only (4)", () -> ann.fit(x, new int[] {4, 4, 4}));
            rejects("x[2][1] is NaN", () -> ann.fit(new double[][] {{1, 2}, {3, 4}, {5, Double.NaN}}, new int[] {0, 1, 0}));
            rejects("2 labels for 3 rows", () -> ann.fit(x, new int[] {0, 1}));
            assertThrows(IllegalStateException.class, () -> ann.predict(x));
            ann.fit(x, new int[] {0, 1, 0});
            rejects("rows have 3 features, the classifier was fitted on 2", () -> ann.predict(new double[][] {{1, 2, 3}}));
        }
        assertThrows(IllegalArgumentException.class, () -> new AnnClassifier(0));
        assertThrows(IllegalArgumentException.class, () -> new AnnClassifier(3).epochs(0));
    }
}
