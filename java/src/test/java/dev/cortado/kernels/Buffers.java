package dev.cortado.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.memory.Ptr;
import dev.cortado.memory.Storage;
import dev.cortado.tensor.Rng;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test helpers: off-heap buffers from arrays, copies to and from any device's memory (by
 * {@link Memory#copy} only), poisoning, and comparisons where NaN never passes.
 */
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

    /** Off-heap copies that a test makes by the thousand and releases together (from an @AfterEach). */
    public static final class Owned {
        private final List<Storage> live = new ArrayList<>();

        public Ptr ptr(float[] values) {
            Ptr p = Buffers.ptr(values);
            live.add(p.storage());
            return p;
        }

        /** A copy of values in new memory on {@code device} (filled by {@link Memory#copy} from the host). */
        public Ptr copyTo(Device device, float[] values) {
            Ptr p = Buffers.copyTo(device, values);
            live.add(p.storage());
            return p;
        }

        public void release() {
            for (Storage s : live) s.release();
            live.clear();
        }
    }

    /** A copy of values in new memory on {@code device}, filled by {@link Memory#copy} from a host buffer; the caller releases it. */
    public static Ptr copyTo(Device device, float[] values) {
        Storage s = Storage.allocate(device, values.length);
        Ptr staged = ptr(values);
        try {
            Memory.copy(staged, new Ptr(s, 0), values.length);
        } catch (RuntimeException | Error e) {
            s.release();
            throw e;
        } finally {
            staged.storage().release();
        }
        return new Ptr(s, 0);
    }

    /** Everything from p to the end of its storage, on any device: copied to the host by {@link Memory#copy}. */
    public static float[] fetch(Ptr p) {
        int n = (int) p.remaining();
        Storage s = Storage.allocate(Device.CPU, n);
        try {
            Ptr h = new Ptr(s, 0);
            Memory.copy(p, h, n);
            return read(h, n);
        } finally {
            s.release();
        }
    }

    /** Everything from p to the end of its storage (CPU memory only: {@link #fetch} reads any device's). */
    public static float[] read(Ptr p) {
        return read(p, (int) p.remaining());
    }

    public static float[] read(Ptr p, int n) {
        float[] out = new float[n];
        FloatBuffer b = p.host();
        b.get(0, out);
        return out;
    }

    /** |actual - expected| <= atol + rtol * |expected| elementwise; NaN anywhere fails (the message shows arrays of up to 64 whole). */
    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a) || Math.abs(a - e) > atol + rtol * Math.abs(e)) {
                fail(what + ": element " + i + " expected " + e + " got " + a + (expected.length > 64 ? ""
                        : "\n expected " + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual)));
            }
        }
    }

    public static void assertClose(float[] expected, Ptr actual, String what) {
        assertClose(expected, read(actual, expected.length), 1e-6, 1e-5, what);
    }

    /** n floats of NaN as an array: an output poisoned before a call. */
    public static float[] poison(long n) {
        float[] v = new float[(int) n];
        Arrays.fill(v, Float.NaN);
        return v;
    }

    /** n values uniform in [-scale, scale], about one in {@code specialEvery} one of {@code specials} instead (none if 0). */
    public static float[] values(Rng rng, long n, float scale, int specialEvery, float[] specials) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = specialEvery > 0 && rng.nextInt(specialEvery) == 0 ? specials[rng.nextInt(specials.length)]
                    : scale * (2 * rng.nextFloat() - 1);
        }
        return v;
    }

    /** A kernel's result against the java reference: NaN exactly where it has NaN, the same infinities, else |got - java| <= rel · max(1, |java|). */
    public static void assertMatchesReference(float[] expected, float[] actual, double rel, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean ok = Float.isNaN(e) ? Float.isNaN(a)
                    : Float.isInfinite(e) || Float.isInfinite(a) ? e == a
                    : !Float.isNaN(a) && Math.abs((double) a - e) <= rel * Math.max(1, Math.abs(e));
            if (!ok) fail(what + ": element " + i + " java " + e + " got " + a);
        }
    }
}
