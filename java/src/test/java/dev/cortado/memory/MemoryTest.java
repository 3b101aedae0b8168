package dev.cortado.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.CheckedKernels;
import dev.cortado.kernels.JavaKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Device.Kind;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Devices, allocators, size classes, stats, copies and the sim device's wall. */
class MemoryTest {

    @Test
    void sizeClassesRoundUpByAtMostAQuarter() {
        assertEquals(64, CachingAllocator.sizeClass(0));
        assertEquals(64, CachingAllocator.sizeClass(1));
        assertEquals(64, CachingAllocator.sizeClass(64));
        assertEquals(80, CachingAllocator.sizeClass(65));
        assertEquals(1024, CachingAllocator.sizeClass(1000));
        assertEquals(1280, CachingAllocator.sizeClass(1025));
        long previous = 0;
        for (long n = 1; n < 200_000; n += 1 + n / 50) {
            long c = CachingAllocator.sizeClass(n);
            assertTrue(c >= n && c >= previous, "class of " + n + " is " + c);
            assertTrue(n <= 64 || c < 1.25 * n + 1, "class of " + n + " wastes more than a quarter: " + c);
            assertEquals(c, CachingAllocator.sizeClass(c), "a class is its own class");
            previous = c;
        }
    }

    @Test
    void statsCountInUseCachedAndPeakPerDevice() {
        Device sim = Device.sim(3); // a device of its own: no other test touches its counters
        MemoryStats before = Memory.stats(sim);
        assertEquals(new MemoryStats(0, 0, 0, 0), before);
        Tensor a = Tensor.zeros(sim, 1000), b = Tensor.zeros(sim, 10);
        assertEquals(4 * (1024 + 64), Memory.stats(sim).inUse());
        a.close();
        assertEquals(new MemoryStats(4 * 64, 4 * 1024, 4 * (1024 + 64), 0), Memory.stats(sim));
        Tensor c = Tensor.zeros(sim, 1010); // same size class: the cached block is reused
        assertEquals(new MemoryStats(4 * (1024 + 64), 0, 4 * (1024 + 64), 0), Memory.stats(sim));
        b.close();
        c.close();
        Memory.emptyCache(sim);
        assertEquals(new MemoryStats(0, 0, 4 * (1024 + 64), 0), Memory.stats(sim));
        assertTrue(Memory.stats(Device.CPU).peakInUse() > 0);
    }

    @Test
    void simMemoryIsSealedFromTheHost() {
        try (Tensor t = Tensor.of(Device.SIM, new float[] {1, 2, 3}, 3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.ptr().host());
            assertTrue(e.getMessage().contains("sim:0 is not host memory"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> t.ptr().address());
            // the CPU kernel sets refuse sim memory, naming both sides
            for (String backend : new String[] {"java", "cpu"}) {
                IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                        () -> Backends.byName(backend).fill(3, 0f, t.ptr()));
                assertTrue(k.getMessage().contains("is on sim:0 but the " + backend + " kernels run on CPU"), k.getMessage());
            }
            // explicit copies are the way through
            assertArrayEquals(new float[] {1, 2, 3}, t.toArray());
            assertEquals(2f, t.get(1));
            t.set(7f, 1);
            assertArrayEquals(new float[] {1, 7, 3}, t.cpu().toArray());
            assertEquals(Device.CPU, t.cpu().device());
        }
    }

    @Test
    void opsNameBothDevicesWhenOperandsDiffer() {
        try (Tensor a = Tensor.ones(3); Tensor b = Tensor.ones(Device.SIM, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
            assertTrue(e.getMessage().contains("cpu and sim:0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> a.reshape(1, 3).matmul(b.reshape(3, 1)));
            assertTrue(e.getMessage().contains("cpu and sim:0"), e.getMessage());
        }
    }

    @Test
    void copiesBetweenDevicesKeepEveryBit() {
        float[] v = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, 1e-38f, 3.5f};
        try (Tensor cpu = Tensor.of(v, 7); Tensor sim = cpu.to(Device.SIM); Tensor sim1 = sim.to(Device.sim(1));
             Tensor back = sim1.cpu()) {
            assertEquals(Device.sim(1), sim1.device());
            for (int i = 0; i < v.length; i++) assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back.toArray()[i]));
        }
        try (Tensor big = Tensor.uniform(Device.SIM, new Rng(1), -1, 1, 3, 1 << 20); Tensor other = Tensor.empty(Device.sim(2), 3, 1 << 20)) {
            other.copyFrom(big); // a peer copy between two sim devices
            assertArrayEquals(big.toArray(), other.toArray());
        }
    }

    @Test
    void seededTensorsHaveTheSameValuesOnEveryDevice() {
        for (Device d : new Device[] {Device.CPU, Device.SIM}) {
            try (Tensor u = Tensor.uniform(d, new Rng(5), -2, 3, 4, 5); Tensor ref = Tensor.uniform(new Rng(5), -2, 3, 4, 5);
                 Tensor n = Tensor.normal(d, new Rng(6), 1, 2, 7); Tensor nref = Tensor.normal(new Rng(6), 1, 2, 7)) {
                assertArrayEquals(ref.toArray(), u.toArray());
                assertArrayEquals(nref.toArray(), n.toArray());
            }
        }
    }

    @Test
    void randKernelDrawsTheRngStreamOnEveryBackend() {
        for (long seed : new long[] {0, 1, -7, Long.MIN_VALUE, 0x1234_5678_9ABCL}) {
            Rng rng = new Rng(seed);
            rng.nextFloat();
            long state = rng.state();
            float[] expected = new float[1001];
            for (int i = 0; i < expected.length; i++) expected[i] = rng.nextFloat();
            for (String backend : new String[] {"java", "cpu", "sim"}) {
                Device d = backend.equals("sim") ? Device.SIM : Device.CPU;
                try (Backends.Selection s = Backends.use(backend); Tensor y = Tensor.full(d, Float.NaN, expected.length)) {
                    Rng r = new Rng(state);
                    y.kernels().rand(expected.length, r.take(expected.length), y.ptr());
                    assertArrayEquals(expected, y.toArray(), backend + " seed " + seed);
                    assertEquals(rng.state(), r.state(), "take(n) advances the state past the n values");
                }
            }
        }
    }

    @Test
    void deviceNamesParse() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(Device.SIM, Device.parse("sim"));
        assertEquals(Device.sim(2), Device.parse("SIM:2"));
        assertEquals(Device.cuda(1), Device.parse("cuda:1"));
        assertEquals("sim:2", Device.sim(2).toString());
        assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cpu:1"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Tensor.zeros(Device.cuda(0), 2));
        assertTrue(e.getMessage().startsWith("no engine for cuda: "), e.getMessage());
    }

    @Test
    void backendSelectionIsScopedAndRestored() {
        String before = Backends.of(Device.CPU).name();
        try (Backends.Selection outer = Backends.use("java")) {
            assertEquals("java", Backends.of(Device.CPU).name());
            try (Backends.Selection inner = Backends.use("cpu")) {
                assertEquals("cpu", Backends.of(Device.CPU).name());
                assertEquals("sim", Backends.of(Device.SIM).name(), "a CPU choice leaves other kinds alone");
            }
            assertEquals("java", Backends.of(Device.CPU).name());
        }
        assertEquals(before, Backends.of(Device.CPU).name());
        assertSame(Kind.SIM, Backends.byName("sim").deviceKind());
    }

    @Test
    void enginesRegisterTheirKernelSets() {
        Backends.register("reference-copy", JavaKernels::new);
        KernelSet k = Backends.byName("Reference-Copy");
        assertSame(k, Backends.byName("reference-copy"), "made once");
        assertTrue(k instanceof CheckedKernels, "registered sets are checked like every other");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.fill(1, 0f, null));
        assertEquals("y is null", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.register("java", JavaKernels::new));
        e = assertThrows(IllegalArgumentException.class, () -> Backends.byName("nope"));
        assertTrue(e.getMessage().contains("reference-copy"), e.getMessage());
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class, () -> Backends.of(Device.cuda(0)));
        assertTrue(u.getMessage().startsWith("no engine for cuda: ") && u.getMessage().contains("dev.cortado:cortado-cuda"), u.getMessage());
    }
}
