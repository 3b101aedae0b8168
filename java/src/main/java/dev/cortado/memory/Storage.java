package dev.cortado.memory;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A block of float32 memory on one device. CPU storage is off-heap (a JavaCPP pointer), so the
 * java and native kernels work on the same bytes and a JNI call copies nothing.
 *
 * <p>Storage is reference counted: a tensor and its views each hold one reference, and the
 * memory is released deterministically when the last one is released. JavaCPP's own deallocator
 * is only the backstop for storage that is never released.
 *
 * <p>Released blocks of at least {@value #CACHE_MIN_FLOATS} floats go to a caching allocator
 * (like PyTorch's and the CUDA engine's): a training step allocates the same sizes every
 * iteration, and reusing them saves the page faults of fresh memory, which dominate a step
 * otherwise. The cache holds at most {@code cortado.cacheBytes} bytes (default 1 GiB) and
 * {@link #emptyCache()} frees it.
 */
public final class Storage {

    private final Device device;
    private final long length;
    private FloatPointer pointer;
    private FloatBuffer host;
    private int refs = 1;

    private Storage(Device device, long length, FloatPointer pointer) {
        this.device = device;
        this.length = length;
        this.pointer = pointer;
    }

    static final int CACHE_MIN_FLOATS = 4096;
    private static final long CACHE_LIMIT_BYTES = Long.getLong("cortado.cacheBytes", 1L << 30);
    private static final Map<Long, ArrayDeque<FloatPointer>> CACHE = new HashMap<>();
    private static long cachedBytes;

    /** Allocates uninitialised memory for {@code length} floats; the caller holds the one reference. */
    public static Storage allocate(Device device, long length) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (length < 0) throw new IllegalArgumentException("storage length must be >= 0, got " + length);
        if (!device.isCpu()) throw new UnsupportedOperationException("no allocator for device " + device + " yet");
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + length + " floats exceeds the 2^31 element limit of CPU tensors");
        }
        FloatPointer p = takeCached(length);
        if (p == null) {
            // one extra element keeps a zero-length allocation a real, non-null pointer
            p = new FloatPointer(Math.max(1, length));
            if (p.isNull()) {
                emptyCache();
                p = new FloatPointer(Math.max(1, length));
                if (p.isNull()) throw new OutOfMemoryError("could not allocate " + 4 * length + " bytes off-heap");
            }
        }
        return new Storage(device, length, p);
    }

    private static synchronized FloatPointer takeCached(long length) {
        ArrayDeque<FloatPointer> free = CACHE.get(length);
        if (free == null || free.isEmpty()) return null;
        cachedBytes -= 4 * length;
        return free.pop();
    }

    /** Returns a released block to the cache, or frees it when it is small or the cache is full. */
    private static synchronized void recycle(FloatPointer p, long length) {
        if (length < CACHE_MIN_FLOATS || cachedBytes + 4 * length > CACHE_LIMIT_BYTES) {
            p.deallocate();
            return;
        }
        CACHE.computeIfAbsent(length, k -> new ArrayDeque<>()).push(p);
        cachedBytes += 4 * length;
    }

    /** Frees every cached block. */
    public static synchronized void emptyCache() {
        for (ArrayDeque<FloatPointer> free : CACHE.values()) for (FloatPointer p : free) p.deallocate();
        CACHE.clear();
        cachedBytes = 0;
    }

    /** Bytes held by the cache (released, not yet reused or freed). */
    public static synchronized long cachedBytes() {
        return cachedBytes;
    }

    public Device device() {
        return device;
    }

    /** Number of floats. */
    public long length() {
        return length;
    }

    public synchronized boolean isFreed() {
        return pointer == null;
    }

    /** The off-heap pointer (CPU storage), for native kernels. */
    public synchronized FloatPointer pointer() {
        checkLive();
        return pointer;
    }

    /** A direct buffer over the whole storage, index 0 = first float (CPU storage only). */
    public synchronized FloatBuffer host() {
        checkLive();
        if (!device.isCpu()) throw new IllegalStateException("storage on " + device + " is not host memory; copy it to the CPU first");
        if (host == null) host = pointer.capacity(Math.max(1, length)).asBuffer();
        return host;
    }

    synchronized void retain() {
        checkLive();
        refs++;
    }

    /** Drops one reference; frees the memory when it was the last. */
    public synchronized void release() {
        if (pointer == null) return;
        if (--refs == 0) {
            recycle(pointer, length);
            pointer = null;
            host = null;
        }
    }

    /** Whether exactly one owner holds this memory (nobody else can see a change to it). */
    public synchronized boolean isExclusive() {
        return pointer != null && refs == 1;
    }

    /** Adds a reference for a new owner (a view). */
    public Storage share() {
        retain();
        return this;
    }

    private void checkLive() {
        if (pointer == null) throw new IllegalStateException("storage was freed (tensor used after close)");
    }
}
