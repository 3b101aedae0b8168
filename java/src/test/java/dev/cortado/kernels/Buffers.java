package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import dev.cortado.memory.Storage;
import java.nio.FloatBuffer;
import java.util.Arrays;

/** Test helpers: off-heap buffers from arrays, poisoning, and comparisons where NaN never passes. */
public final class Buffers {

    private Buffers() {
    }

    public static Ptr ptr(float... values) {
        Storage s = Storage.allocate(Device.CPU, values.length);
        s.host().put(0, values);
        return new Ptr(s, 0);
    }

    /** n floats of NaN: a kernel that forgets to write an output element is caught. */
    public static Ptr poisoned(int n) {
        float[] v = new float[n];
        Arrays.fill(v, Float.NaN);
        return ptr(v);
    }

    public static float[] read(Ptr p, int n) {
        float[] out = new float[n];
        FloatBuffer b = p.host();
        b.get(0, out);
        return out;
    }

    /** |actual - expected| <= atol + rtol * |expected| elementwise; NaN anywhere fails. */
    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a) || Math.abs(a - e) > atol + rtol * Math.abs(e)) {
                fail(what + ": element " + i + " expected " + e + " got " + a
                        + "\n expected " + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
            }
        }
    }

    public static void assertClose(float[] expected, Ptr actual, String what) {
        assertClose(expected, read(actual, expected.length), 1e-6, 1e-5, what);
    }
}
