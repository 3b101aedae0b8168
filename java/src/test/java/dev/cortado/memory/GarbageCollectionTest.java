package dev.cortado.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Memory that frees itself: tensors nobody closed go back when the GC finds them unreachable. */
class GarbageCollectionTest {

    private static final long MIB = 1L << 20;

    static Stream<Device> devices() {
        return Stream.of(Device.CPU, Device.sim(11)); // sim:11: a device of its own
    }

    /**
     * The threshold counts the bytes in use (live and garbage), not the cache, which a collection
     * cannot shrink. Was: with more cached than the threshold, every allocation the cache could not
     * serve asked the JVM for a collection and then emptied the whole cache.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aFullCacheIsNeitherCollectedForNorFlushed(Device device) {
        Tensor a = Tensor.ones(device, 64, 64), b = Tensor.ones(device, 64, 64);
        List<Tensor> big = new ArrayList<>();
        for (int i = 0; i < 48; i++) big.add(Tensor.zeros(device, 256, 1024)); // 48 MiB, then released to the cache
        big.forEach(Tensor::close);
        Memory.collectGarbageAbove(device, 16 * MIB);
        try {
            long collectedBefore = Memory.stats(device).collected();
            for (int i = 0; i < 2_000; i++) a.add(b); // 32 MiB of garbage: past the threshold, so a collection comes
            MemoryStats s = Memory.stats(device);
            assertTrue(s.collected() > collectedBefore, "garbage collected");
            assertTrue(s.cached() >= 48 * MIB, "the 1 MiB blocks stay cached for their next use: " + s.cached() + " bytes cached");
        } finally {
            Memory.collectGarbageAbove(device, 256 * MIB);
            a.close();
            b.close();
        }
    }

    /**
     * 100,000 unscoped, never closed ops of 16 KiB each (1.6 GB in all) stay under a 32 MiB peak
     * with a 16 MiB garbage threshold: before the reclaimers every one of them stayed in use.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aLoopOfUnscopedOpsStaysUnderItsBound(Device device) {
        Tensor a = Tensor.ones(device, 64, 64), b = Tensor.ones(device, 64, 64);
        Memory.collectGarbageAbove(device, 16 * MIB);
        try {
            Memory.resetPeak(device);
            long collectedBefore = Memory.stats(device).collected();
            Tensor last = null;
            for (int i = 0; i < 100_000; i++) last = a.add(b);
            MemoryStats s = Memory.stats(device);
            assertTrue(s.peakInUse() < 32 * MIB, "peak " + s.peakInUse() + " bytes after 100,000 unscoped ops");
            assertTrue(s.collected() - collectedBefore > 1_000 * MIB,
                    "only " + (s.collected() - collectedBefore) + " bytes collected of 1.6 GB of garbage");
            assertEquals(2f, last.toArray()[4095]);
        } finally {
            Memory.collectGarbageAbove(device, 256 * MIB);
            a.close();
            b.close();
        }
    }

    /** An allocation that fails collects garbage and retries before it throws; a live set past the capacity still throws. */
    @Test
    void allocationFailureCollectsAndRetriesBeforeOutOfMemory() {
        Capped allocator = new Capped(Device.sim(12), 1 * MIB);
        allocator.collectGarbageAbove(Long.MAX_VALUE); // only the failure path collects
        for (int i = 0; i < 1_000; i++) Storage.allocate(allocator, 16 * 1024); // 64 KiB each, dropped
        assertTrue(allocator.stats().collected() > 0, "nothing collected: " + allocator.stats());
        List<Storage> live = new ArrayList<>();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> {
            for (int i = 0; i < 100; i++) live.add(Storage.allocate(allocator, 16 * 1024));
        });
        assertTrue(e.getMessage().contains("out of memory on sim:12"), e.getMessage());
        assertEquals(16, live.size(), "a 1 MiB device holds 16 live 64 KiB storages");
        live.forEach(Storage::release);
        assertEquals(0, allocator.stats().inUse());
    }

    /** A storage released by hand and later found by the GC goes back once: the cleaner does not free it again. */
    @Test
    void aReleasedStorageIsNotFreedTwice() throws InterruptedException {
        Capped allocator = new Capped(Device.sim(13), 1 * MIB);
        Storage s = Storage.allocate(allocator, 1000);
        s.release();
        MemoryStats afterRelease = allocator.stats();
        assertEquals(new MemoryStats(0, 4 * 1024, 4 * 1024, 0), afterRelease);
        s = null;
        System.gc();
        Reclaimer.await(50);
        assertEquals(afterRelease, allocator.stats());
        assertEquals(1, allocator.raw, "one system allocation");
    }

    /** Tensors in a scope are freed when it closes, never by the GC: nothing is collected. */
    @Test
    void scopedTensorsAreFreedByTheirScope() {
        Device sim = Device.sim(14);
        Tensor a = Tensor.ones(sim, 32, 32);
        for (int i = 0; i < 1_000; i++) {
            try (MemoryScope step = MemoryScope.open()) {
                a.mul(a).add(a);
            }
        }
        MemoryStats s = Memory.stats(sim);
        assertEquals(0, s.collected());
        assertEquals(4 * 1024, s.inUse(), "only a is in use");
        a.close();
    }

    /** A device of {@code capacity} bytes whose system allocation fails past it, as a GPU's does. */
    private static final class Capped extends CachingAllocator {
        private final long capacity;
        private long used;
        int raw;

        Capped(Device device, long capacity) {
            super(device);
            this.capacity = capacity;
        }

        @Override
        protected synchronized Block allocateRaw(long floats) {
            if (used + 4 * floats > capacity) return null;
            used += 4 * floats;
            raw++;
            return new Block(0, floats, null);
        }

        @Override
        protected synchronized void freeRaw(Block block) {
            used -= 4 * block.capacity();
        }

        @Override
        public void copyFromHost(java.nio.FloatBuffer src, Ptr dst, long n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void copyToHost(Ptr src, java.nio.FloatBuffer dst, long n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void copy(Ptr src, Ptr dst, long n) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void fill(Ptr dst, long n, float value) {
            throw new UnsupportedOperationException();
        }
    }
}
