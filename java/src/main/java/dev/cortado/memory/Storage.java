package dev.cortado.memory;

import java.nio.FloatBuffer;

/**
 * A block of float32 memory on one device, from that device's {@link Allocator}.
 *
 * <p>Storage is reference counted: a tensor and its views each hold one reference, and the block
 * goes back to its allocator deterministically when the last one is released. Only CPU storage
 * can be read by the host directly ({@link #host()}); every other device's memory is reached
 * through its allocator's copies.
 */
public final class Storage {

    private final Allocator allocator;
    private final long length;
    private Block block;
    private FloatBuffer host;
    private int refs = 1;

    private Storage(Allocator allocator, long length, Block block) {
        this.allocator = allocator;
        this.length = length;
        this.block = block;
    }

    /** Allocates uninitialised memory for {@code length} floats on {@code device}; the caller holds the one reference. */
    public static Storage allocate(Device device, long length) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (length < 0) throw new IllegalArgumentException("storage length must be >= 0, got " + length);
        Allocator a = Memory.allocator(device);
        return new Storage(a, length, a.allocate(length));
    }

    public Device device() {
        return allocator.device();
    }

    public Allocator allocator() {
        return allocator;
    }

    /** Number of floats. */
    public long length() {
        return length;
    }

    public synchronized boolean isFreed() {
        return block == null;
    }

    /** The block, for the allocator that made it. */
    synchronized Block block() {
        checkLive();
        return block;
    }

    /** Native address of the first float, for native kernels (CPU memory and device memory the host can address). */
    public synchronized long address() {
        checkLive();
        if (block.address() == 0) throw new IllegalStateException("memory on " + device() + " has no native address");
        return block.address();
    }

    /** A direct buffer over the whole storage, index 0 = first float (CPU storage only; other devices throw). */
    public synchronized FloatBuffer host() {
        checkLive();
        if (host == null) host = allocator.hostBuffer(block, length);
        return host;
    }

    synchronized void retain() {
        checkLive();
        refs++;
    }

    /** Drops one reference; gives the memory back to its allocator when it was the last. */
    public synchronized void release() {
        if (block == null) return;
        if (--refs == 0) {
            allocator.free(block);
            block = null;
            host = null;
        }
    }

    /** Whether exactly one owner holds this memory (nobody else can see a change to it). */
    public synchronized boolean isExclusive() {
        return block != null && refs == 1;
    }

    /** Adds a reference for a new owner (a view). */
    public Storage share() {
        retain();
        return this;
    }

    private void checkLive() {
        if (block == null) throw new IllegalStateException("storage was freed (tensor used after close)");
    }
}
