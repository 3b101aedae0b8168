package dev.cortado.memory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The caching part every device's allocator shares, as PyTorch's caching allocators do: requests
 * are rounded up to a size class (four classes per power of two, so at most 25 % is wasted), a
 * released block waits in its class's free list for the next request of that class, and the
 * cache holds at most {@code cortado.cacheBytes} bytes per device (default 1 GiB). A training
 * step allocates the same sizes every iteration; reuse saves the system allocator's page faults
 * (and, on a GPU, cudaMalloc's synchronisation).
 *
 * <p>Storages nobody released are freed when the GC finds them unreachable ({@link Reclaimer}):
 * every allocation first returns what the GC found since the last one, and an allocation that
 * would take the bytes in use (live tensors and uncollected garbage) past its garbage threshold
 * ({@code cortado.gcBytes}, default 256 MiB, per device; {@link Memory#collectGarbageAbove})
 * asks the JVM for a collection first; the threshold then moves to twice what is still in use, so
 * a large live set does not collect on every allocation. The cache is not counted: a collection
 * cannot shrink it (it grows it), so a full cache would have made every allocation collect. A failed allocation frees the cache,
 * collects garbage and retries before it throws. The bytes freed that way are counted in
 * {@link MemoryStats#collected()}.
 */
public abstract class CachingAllocator implements Allocator {

    /** Smallest size class, in floats. */
    static final long MIN_CLASS = 64;
    private static final long LIMIT_BYTES = Long.getLong("cortado.cacheBytes", 1L << 30);
    private static final long GC_BYTES = Long.getLong("cortado.gcBytes", 256L << 20);
    /** How long a collection waits for the GC's findings to reach the reclaimers. */
    private static final long GC_WAIT_MILLIS = 50;

    private final Device device;
    private final Map<Long, ArrayDeque<Block>> cache = new HashMap<>();
    private long inUse, cached, peak, collected;
    private long gcBase = GC_BYTES, gcAbove = GC_BYTES;

    protected CachingAllocator(Device device) {
        this.device = device;
    }

    /** The system allocation behind a block of {@code floats} floats, or null when the device is out of memory. */
    protected abstract Block allocateRaw(long floats);

    /** Returns a block to the system. */
    protected abstract void freeRaw(Block block);

    @Override
    public final Device device() {
        return device;
    }

    /** The size class of a request: {@code floats} rounded up to a quarter of its power of two. */
    public static long sizeClass(long floats) {
        if (floats <= MIN_CLASS) return MIN_CLASS;
        long step = Long.highestOneBit(floats - 1) / 4;
        return (floats + step - 1) / step * step;
    }

    @Override
    public final Block allocate(long floats) {
        if (floats < 0) throw new IllegalArgumentException("allocation of " + floats + " floats");
        long size = sizeClass(floats);
        Reclaimer.drain();
        Block b = fromCache(size);
        if (b != null) return b;
        if (overThreshold(4 * size)) {
            collectGarbage();
            b = fromCache(size);
            if (b != null) return b;
            if (overThreshold(4 * size)) emptyCache();
        }
        b = allocateRaw(size);
        if (b == null) {
            emptyCache();
            b = allocateRaw(size);
        }
        if (b == null) {
            collectGarbage();
            emptyCache();
            b = allocateRaw(size);
        }
        if (b == null) {
            MemoryStats s = stats();
            throw new OutOfMemoryError("out of memory on " + device + ": asked for " + 4 * size + " bytes with "
                    + s.inUse() + " bytes in use and " + s.cached() + " cached");
        }
        synchronized (this) {
            return count(b);
        }
    }

    private synchronized Block fromCache(long size) {
        ArrayDeque<Block> free = cache.get(size);
        if (free == null || free.isEmpty()) return null;
        cached -= 4 * size;
        return count(free.pop());
    }

    private synchronized boolean overThreshold(long bytes) {
        return inUse + bytes > gcAbove;
    }

    /**
     * Asks the JVM for a collection and frees the storages it found unreachable (on every device),
     * then sets the next threshold to twice what is still in use here (at least the base).
     */
    private void collectGarbage() {
        System.gc();
        try {
            Reclaimer.await(GC_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            gcAbove = Math.max(gcBase, 2 * inUse);
        }
    }

    /** Sets the garbage threshold of this device (bytes in use); see the class comment. */
    public final synchronized void collectGarbageAbove(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("garbage threshold must be > 0 bytes, got " + bytes);
        gcBase = gcAbove = bytes;
    }

    /** Counts a block the GC path freed (its bytes were already taken off in-use by {@link #free}). */
    final synchronized void countCollected(Block b) {
        collected += 4 * b.capacity();
    }

    /** Counts a block handed out (under the lock). */
    private Block count(Block b) {
        inUse += 4 * b.capacity();
        peak = Math.max(peak, inUse);
        return b;
    }

    @Override
    public final void free(Block block) {
        long bytes = 4 * block.capacity();
        synchronized (this) {
            inUse -= bytes;
            if (cached + bytes <= LIMIT_BYTES) {
                cache.computeIfAbsent(block.capacity(), k -> new ArrayDeque<>()).push(block);
                cached += bytes;
                return;
            }
        }
        freeRaw(block);
    }

    @Override
    public final MemoryStats stats() {
        Reclaimer.drain();
        return counters();
    }

    private synchronized MemoryStats counters() {
        return new MemoryStats(inUse, cached, peak, collected);
    }

    @Override
    public final synchronized void resetPeak() {
        peak = inUse;
    }

    @Override
    public final void emptyCache() {
        ArrayDeque<Block> all = new ArrayDeque<>();
        synchronized (this) {
            cache.values().forEach(all::addAll);
            cache.clear();
            cached = 0;
        }
        all.forEach(this::freeRaw);
    }

    /** Checks that {@code p} lives on this allocator's device (a copy with another device's pointer is a bug above). */
    protected final void mine(Ptr p) {
        if (!p.device().equals(device)) {
            throw new IllegalArgumentException("pointer on " + p.device() + " given to the allocator of " + device);
        }
    }

    /** Checks that {@code p} lives on a device of this allocator's kind (a peer for copies). */
    protected final void peer(Ptr p) {
        if (p.device().kind() != device.kind()) {
            throw new IllegalArgumentException("pointer on " + p.device() + " given to the allocator of " + device);
        }
    }
}
