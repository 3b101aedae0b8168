package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class DatasetTest {

    static void refused(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void factoriesTakeFloatAndDoubleRowsWithIntLabels() {
        Dataset f = Dataset.of(new float[][] {{1, 2}, {3, 4}, {5, 6}}, new int[] {0, 2, 1});
        Dataset d = Dataset.of(new double[][] {{1, 2}, {3, 4}, {5, 6}}, new int[] {0, 2, 1});
        for (Dataset x : new Dataset[] {f, d}) {
            assertEquals(3, x.size());
            assertArrayEquals(new int[] {2}, x.sampleShape());
            assertArrayEquals(new float[] {3, 4}, x.sample(1));
            assertEquals(2, x.label(1));
            assertArrayEquals(new int[] {0, 2, 1}, x.intLabels());
        }
        Dataset r = Dataset.regression(new double[][] {{1}, {2}}, new double[] {0.5, -1.25});
        assertArrayEquals(new float[] {0.5f, -1.25f}, r.labels());
        Dataset img = Dataset.of(new double[12], new int[] {1, 2, 3}, new int[] {4, 5});
        assertEquals(6, img.sampleSize());
        assertEquals(5, img.label(1));
    }

    @Test
    void emptyDatasetHasASampleSizeAndIsRefusedByNameWhereUnusable() {
        Dataset empty = new Dataset(new float[0], new int[] {3, 2}, new float[0]);
        assertEquals(6, empty.sampleSize(), "was an ArithmeticException (/ by zero)");
        assertTrue(empty.isEmpty());
        refused("validation set is empty (0 samples of [3, 2])", () -> empty.requireNonEmpty("validation set"));
        refused("the DataLoader's dataset is empty", () -> new DataLoader(empty, 4, true, 1, false));
        refused("dataset is null", () -> new DataLoader(null, 4, true, 1, false));
    }

    @Test
    void badInputsAreRefusedNamingTheRow() {
        refused("row 1 has 1 features, row 0 has 2", () -> Dataset.of(new float[][] {{1, 2}, {3}}, new int[] {0, 1}));
        refused("2 rows but 3 labels", () -> Dataset.of(new double[][] {{1}, {2}}, new int[] {0, 1, 1}));
        refused("label -1 of row 1 is negative", () -> Dataset.of(new float[][] {{1}, {2}}, new int[] {0, -1}));
        refused("rows are empty", () -> Dataset.of(new float[0][], new int[0]));
        refused("row 1 is null", () -> Dataset.of(new float[][] {{1}, null}, new int[] {0, 0}));
        refused("labels are null", () -> Dataset.of(new float[][] {{1}}, null));
        refused("row 0, value 1: 1.0E300 is beyond the float range", () -> Dataset.of(new double[][] {{1, 1e300}}, new int[] {0}));
        refused("targets, value 0: 1.0E300 is beyond the float range", () -> Dataset.regression(new double[][] {{1}}, new double[] {1e300}));
        refused("got null inputs", () -> new Dataset(null, new int[] {1}, new float[0]));
        refused("has a size < 1", () -> new Dataset(new float[1], new int[] {-1, -1}, new float[1]));
        Dataset d = new Dataset(new float[] {1, 2}, new int[] {1}, new float[] {0.5f, 1});
        refused("label 0.5 of dataset row 0 is not a class index", () -> d.label(0));
        assertThrows(IndexOutOfBoundsException.class, () -> d.sample(2));
    }

    @Test
    void subsetCopiesTheChosenRows() {
        Dataset d = Dataset.of(new float[][] {{10}, {11}, {12}}, new int[] {0, 1, 2});
        Dataset s = d.subset(new int[] {2, 0});
        assertArrayEquals(new float[] {12, 10}, s.inputs());
        assertArrayEquals(new int[] {2, 0}, s.intLabels());
        try (DataLoader l = new DataLoader(d, 2, false, 0, false)) {
            assertArrayEquals(new int[] {0, 1}, l.next().intLabels());
        }
    }

    @Test
    void labeledDatasetNamesClasses() {
        LabeledDataset t = new LabeledDataset(Dataset.of(new float[][] {{1}}, new int[] {1}), java.util.List.of("x"), java.util.List.of("cat", "dog"));
        assertEquals("dog", t.className(t.dataset().label(0)));
        refused("class 2 is outside [0, 2): the classes are [cat, dog]", () -> t.className(2));
        refused("must not contain null", () -> new LabeledDataset(t.dataset(), java.util.Arrays.asList("a", null), null));
    }
}
