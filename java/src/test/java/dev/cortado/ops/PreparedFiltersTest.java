package dev.cortado.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.PerBackend;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * conv2dFused with PreparedFilters gives the bits it gives without, call after call, and follows
 * what the filters were prepared for: weights modified in place, another weight tensor, another
 * batch, another window; closing frees the prepared memory and later calls run without it.
 * Shapes that reach the cpu's GEMM (a stride-2 window, 7x7 planes of many filters, a 1x1 of few
 * filters read in place), per backend. Where the cpu takes Winograd only with the filters'
 * transforms made ahead (3x3, unit strides: the 7x7 plane padded by 2 at batch 3), y is within
 * float rounding of the plain call's instead.
 */
abstract class PreparedFiltersTest extends PerBackend {

    static final class JavaTest extends PreparedFiltersTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends PreparedFiltersTest {
        CpuTest() {
            super("cpu");
        }
    }

    PreparedFiltersTest(String backend) {
        super(backend);
    }

    private final Rng rng = new Rng(31);

    private static int[] bits(Tensor t) {
        float[] v = t.toArray();
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    /** {batch, channels, size, filters, kernel, stride, pad} */
    private static final int[][] SHAPES = {{1, 24, 13, 40, 3, 2, 1}, {1, 64, 7, 96, 3, 1, 1}, {2, 40, 7, 70, 1, 1, 0}, {3, 16, 9, 24, 1, 1, 0},
        {1, 256, 5, 9, 3, 1, 1}};

    private Tensor x(int[] s, int batch) {
        return Tensor.uniform(rng, -1, 1, batch, s[1], s[2], s[2]);
    }

    /** The same bits, or, on the cpu for 3x3 windows of unit stride (Winograd when prepared), within rounding. */
    private void assertSame(Tensor expected, Tensor actual, int[] s, String what) {
        boolean winograd = backend().equals("cpu") && s[4] == 3 && s[5] == 1;
        if (!winograd) {
            assertArrayEquals(bits(expected), bits(actual), what);
            return;
        }
        float[] e = expected.toArray(), a = actual.toArray();
        assertEquals(e.length, a.length, what);
        double tolerance = 2e-6 * s[1] * 9 + 1e-5; // a sum of channels x 9 products of numbers in [-1, 1]
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], tolerance, what + " at " + i);
    }

    private static Tensor conv(Tensor x, Tensor w, PreparedFilters p, Tensor b, int[] s) {
        return Convolution.conv2dFused(x, w, p, b, null, s[5], s[5], s[6], s[6], 0f, 6f);
    }

    @Test
    void sameBitsAsWithoutAndFollowsWhatTheyWerePreparedFor() {
        try (GradMode off = GradMode.off()) {
            for (int[] s : SHAPES) {
                Tensor w = Tensor.uniform(rng, -1, 1, s[3], s[1], s[4], s[4]), b = Tensor.uniform(rng, -1, 1, s[3]);
                Tensor x = x(s, s[0]), other = x(s, s[0] + 2);
                String what = java.util.Arrays.toString(s);
                try (PreparedFilters p = new PreparedFilters()) {
                    // each change alone since the previous call: weights, weight tensor, batch, then window
                    for (int call = 0; call < 2; call++) assertArrayEquals(bits(conv(x, w, null, b, s)), bits(conv(x, w, p, b, s)), what + " call " + call);
                    w.fill(0.25f).narrow(0, 0, 1).fill(-1f); // in place: the version moves
                    assertArrayEquals(bits(conv(x, w, null, b, s)), bits(conv(x, w, p, b, s)), what + ", weights modified in place");
                    Tensor w2 = Tensor.uniform(rng, -1, 1, s[3], s[1], s[4], s[4]);
                    while (w2.version() < w.version()) w2.markModified(); // at the same version: told apart as another tensor
                    assertArrayEquals(bits(conv(x, w2, null, b, s)), bits(conv(x, w2, p, b, s)), what + ", another weight tensor");
                    assertArrayEquals(bits(conv(other, w2, null, b, s)), bits(conv(other, w2, p, b, s)), what + ", another batch");
                    int[] padded = s.clone();
                    padded[6] += 1;
                    assertSame(conv(other, w2, null, b, padded), conv(other, w2, p, b, padded), padded, what + ", another window");
                    p.close();
                    assertArrayEquals(bits(conv(x, w2, null, b, s)), bits(conv(x, w2, p, b, s)), what + ", after close");
                }
            }
        }
    }

    /** (Was: prepared inside a MemoryScope, the filters were closed with it and the next call failed.) */
    @Test
    void thePreparedFiltersOutliveTheMemoryScopeTheyWerePreparedIn() {
        int[] s = SHAPES[1];
        try (GradMode off = GradMode.off(); PreparedFilters p = new PreparedFilters()) {
            Tensor w = Tensor.uniform(rng, -1, 1, s[3], s[1], s[4], s[4]), x = x(s, 1);
            try (dev.cortado.tensor.MemoryScope scope = dev.cortado.tensor.MemoryScope.open()) {
                conv(x, w, p, null, s);
            }
            assertArrayEquals(bits(conv(x, w, null, null, s)), bits(conv(x, w, p, null, s)));
        }
    }

    @Test
    void closeFreesThePreparedMemory() {
        Device dev = Device.sim(11); // a device of its own: no other test touches its counters
        try (GradMode off = GradMode.off(); Tensor x = Tensor.uniform(dev, rng, -1, 1, 1, 64, 7, 7);
             Tensor w = Tensor.uniform(dev, rng, -1, 1, 96, 64, 3, 3)) {
            long before = Memory.stats(dev).inUse();
            PreparedFilters p = new PreparedFilters();
            Convolution.conv2dFused(x, w, p, null, null, 1, 1, 1, 1, 0f, 6f).close();
            long held = Memory.stats(dev).inUse() - before;
            assertTrue(held >= 4L * (96 + 63) * 64 * 9, "the prepared filters are held: " + held + " bytes");
            p.close();
            assertEquals(before, Memory.stats(dev).inUse(), "freed by close");
        }
    }
}
