package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SplitsTest {

    /** n samples whose input is their row number; the first 60% class 0, next 30% class 1, last 10% class 2. */
    private static Dataset classes(int n) {
        float[][] x = new float[n][1];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = i;
            y[i] = i < 0.6 * n ? 0 : i < 0.9 * n ? 1 : 2;
        }
        return Dataset.of(x, y);
    }

    @Test
    void sizesUseLargestRemainders() {
        assertArrayEquals(new int[] {8, 1, 1}, Splits.sizes(10, 0.8, 0.1, 0.1));
        assertArrayEquals(new int[] {4, 3}, Splits.sizes(7, 0.5, 0.5), "a tie goes to the earlier part");
        assertArrayEquals(new int[] {4, 1, 0}, Splits.sizes(5, 0.7, 0.2, 0.1));
        assertArrayEquals(new int[] {0, 0}, Splits.sizes(0, 0.5, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Splits.sizes(10, 0.8, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Splits.sizes(10, 1.2, -0.2));
        assertThrows(IllegalArgumentException.class, () -> Splits.sizes(10));
    }

    @Test
    void partsAreASeededPermutation() {
        Dataset d = classes(101);
        Dataset[] a = d.split(5, false, 0.7, 0.2, 0.1), b = d.split(5, false, 0.7, 0.2, 0.1), c = d.split(6, false, 0.7, 0.2, 0.1);
        assertEquals(71, a[0].size());
        assertEquals(20, a[1].size());
        assertEquals(10, a[2].size());
        float[] all = new float[101];
        for (int p = 0, k = 0; p < 3; p++) {
            assertArrayEquals(a[p].inputs(), b[p].inputs(), "same seed, same part");
            for (float v : a[p].inputs()) all[k++] = v;
        }
        assertNotEquals(Arrays.toString(a[0].inputs()), Arrays.toString(c[0].inputs()));
        Arrays.sort(all);
        for (int i = 0; i < 101; i++) assertEquals(i, all[i]);
    }

    @Test
    void stratifiedKeepsClassProportionsInEveryPart() {
        Dataset d = classes(200); // 120 / 60 / 20
        Dataset[] parts = d.split(11, true, 0.8, 0.1, 0.1);
        int[][] expected = {{96, 48, 16}, {12, 6, 2}, {12, 6, 2}};
        for (int p = 0; p < 3; p++) {
            int[] count = new int[3];
            for (int l : parts[p].intLabels()) count[l]++;
            for (int c = 0; c < 3; c++) {
                assertTrue(Math.abs(count[c] - expected[p][c]) <= 1, "part " + p + " class " + c + ": " + Arrays.toString(count));
            }
        }
        assertArrayEquals(new int[] {160, 20, 20}, Arrays.stream(parts).mapToInt(Dataset::size).toArray());
        // the same for a small odd set: sizes as unstratified, every class in the training part
        Dataset[] small = classes(13).split(3, true, 0.6, 0.4);
        assertEquals(8, small[0].size());
        assertEquals(5, small[1].size());
        assertEquals(3, Arrays.stream(small[0].intLabels()).distinct().count());
        // unstratified with the same data can miss the rare class in a small part; stratified never does
        for (long seed = 0; seed < 20; seed++) {
            assertTrue(Arrays.stream(d.split(seed, true, 0.9, 0.1)[1].intLabels()).anyMatch(l -> l == 2), "seed " + seed);
        }
    }
}
