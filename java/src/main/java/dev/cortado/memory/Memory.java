package dev.cortado.memory;

import dev.cortado.engine.Engines;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The allocators of all devices, one per device (so one cache per device) from its kind's
 * {@link dev.cortado.engine.Engine}, and copies between any two devices.
 */
public final class Memory {

    private static final Map<Device, Allocator> ALLOCATORS = new ConcurrentHashMap<>();
    /** Floats staged through the host per step of a copy between two devices of different kinds. */
    private static final int STAGE = 1 << 20;

    private Memory() {
    }

    /** The allocator of {@code device}. */
    public static Allocator allocator(Device device) {
        if (device == null) throw new IllegalArgumentException("device is null");
        Allocator a = ALLOCATORS.get(device);
        return a != null ? a : ALLOCATORS.computeIfAbsent(device, d -> Engines.forKind(d.kind()).allocator(d));
    }

    /** Bytes in use, cached and at peak on {@code device}. */
    public static MemoryStats stats(Device device) {
        return allocator(device).stats();
    }

    /** Starts {@code device}'s peak-in-use count again from what is in use now. */
    public static void resetPeak(Device device) {
        allocator(device).resetPeak();
    }

    /**
     * Sets the bytes in use past which an allocation on {@code device} first asks the
     * JVM to collect garbage, so that tensors nobody closed give their memory back (default
     * {@code cortado.gcBytes}, 256 MiB). Tensors in a {@link dev.cortado.tensor.MemoryScope} or
     * closed by hand never wait for the GC.
     */
    public static void collectGarbageAbove(Device device, long bytes) {
        if (!(allocator(device) instanceof CachingAllocator c)) {
            throw new UnsupportedOperationException("the allocator of " + device + " has no garbage threshold");
        }
        c.collectGarbageAbove(bytes);
    }

    /** Waits until {@code device} has done all the work queued on it (for timing; host reads wait by themselves). */
    public static void synchronize(Device device) {
        allocator(device).synchronize();
    }

    /** Frees the blocks {@code device}'s allocator keeps for reuse. */
    public static void emptyCache(Device device) {
        allocator(device).emptyCache();
    }

    /**
     * Copies {@code n} floats from {@code src} to {@code dst} (holding both for the copy): within a device kind by its
     * allocator (peer copies across indices), between the host and a device by that device's
     * allocator, and between two kinds of device staged through the host.
     */
    public static void copy(Ptr src, Ptr dst, long n) {
        if (n < 0 || n > src.remaining() || n > dst.remaining()) {
            throw new IllegalArgumentException("copy of " + n + " floats from " + src + " to " + dst);
        }
        try (Leases l = Leases.of(src, dst)) {
            if (src.device().kind() == dst.device().kind()) {
                allocator(dst.device()).copy(src, dst, n);
            } else if (src.device().isCpu()) {
                allocator(dst.device()).copyFromHost(src.host(), dst, n);
            } else if (dst.device().isCpu()) {
                allocator(src.device()).copyToHost(src, dst.host(), n);
            } else {
                FloatBuffer stage = FloatBuffer.allocate((int) Math.min(n, STAGE));
                for (long done = 0; done < n; done += stage.capacity()) {
                    long len = Math.min(stage.capacity(), n - done);
                    allocator(src.device()).copyToHost(src.at(done), stage, len);
                    allocator(dst.device()).copyFromHost(stage, dst.at(done), len);
                }
            }
        }
    }
}
