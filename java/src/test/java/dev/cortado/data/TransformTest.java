package dev.cortado.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.Rng;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransformTest {

    private static final int[] SHAPE = {2, 3, 3};

    private static float[] image() {
        float[] x = new float[18];
        for (int i = 0; i < x.length; i++) x[i] = i + 1;
        return x;
    }

    @Test
    void flipMirrorsEveryRowOfEveryChannel() {
        float[] x = image();
        Transform.horizontalFlip(1).apply(x, SHAPE, new Rng(1));
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10, 15, 14, 13, 18, 17, 16}, x);
        float[] y = image();
        Transform.horizontalFlip(0).apply(y, SHAPE, new Rng(1));
        assertArrayEquals(image(), y);
    }

    @Test
    void cropShiftsWithZeroPaddingAndCoversEveryOffset() {
        Set<String> seen = new HashSet<>();
        for (long s = 0; s < 200; s++) {
            float[] x = image();
            Transform.randomCrop(1).apply(x, SHAPE, new Rng(s));
            seen.add(Arrays.toString(x));
            // each output pixel is 0 or the input pixel at one common offset (dy, dx) in [-1, 1]
            int matched = 0;
            for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) if (isShift(x, dy, dx)) matched++;
            assertEquals(1, matched, Arrays.toString(x));
        }
        assertEquals(9, seen.size(), "all nine offsets of padding 1 occur");
        float[] x = image();
        Transform.randomCrop(0).apply(x, SHAPE, new Rng(3));
        assertArrayEquals(image(), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transform.randomCrop(2).apply(new float[3], new int[] {3}, new Rng(0)));
        assertTrue(e.getMessage().contains("randomCrop needs image samples"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Transform.randomCrop(-1));
        assertThrows(IllegalArgumentException.class, () -> Transform.horizontalFlip(1.5));
    }

    private static boolean isShift(float[] x, int dy, int dx) {
        float[] src = image();
        for (int c = 0; c < 2; c++) for (int y = 0; y < 3; y++) for (int xx = 0; xx < 3; xx++) {
            int sy = y + dy, sx = xx + dx;
            float want = sy < 0 || sy >= 3 || sx < 0 || sx >= 3 ? 0 : src[c * 9 + sy * 3 + sx];
            if (x[c * 9 + y * 3 + xx] != want) return false;
        }
        return true;
    }

    private static Dataset images(int n) {
        float[] x = new float[n * 18];
        for (int i = 0; i < x.length; i++) x[i] = i % 18 + 1 + 100 * (i / 18);
        int[] y = new int[n];
        return Dataset.of(x, SHAPE, y);
    }

    @Test
    void loaderTransformsAreDeterministicAcrossPrefetchAndResume() {
        Dataset d = images(10);
        Transform t = Transform.randomCrop(1).andThen(Transform.horizontalFlip());
        float[][] seq = new float[8][];
        try (DataLoader a = new DataLoader(d, 4, true, 7, false, t); DataLoader b = new DataLoader(d, 4, true, 7, true, t);
             DataLoader plain = new DataLoader(d, 4, true, 7, false)) {
            boolean changed = false;
            for (int i = 0; i < 8; i++) {
                seq[i] = a.next().inputs();
                assertArrayEquals(seq[i], b.next().inputs(), "prefetch thread gives the same augmented batch " + i);
                changed |= !Arrays.equals(seq[i], plain.next().inputs());
            }
            assertTrue(changed, "the transform changed some samples");
        }
        try (DataLoader c = new DataLoader(d, 4, true, 7, true, t)) {
            c.seek(12);
            for (int i = 3; i < 8; i++) assertArrayEquals(seq[i], c.next().inputs(), "resumed batch " + i);
        }
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (DataLoader p = new DataLoader(d, 4, true, 7, true, (x, shape, rng) -> threads.add(Thread.currentThread().getName()))) {
            p.next();
        }
        assertEquals(java.util.Set.of("cortado-prefetch"), threads, "with prefetch the transform runs in the prefetch thread");
        // a sample seen twice (another epoch) is augmented afresh, not identically every time
        try (DataLoader e = new DataLoader(d, 10, false, 7, false, Transform.randomCrop(1))) {
            float[] first = e.next().inputs(), second = e.next().inputs();
            assertFalse(Arrays.equals(first, second));
        }
    }
}
