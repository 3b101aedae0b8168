package dev.cortado.memory;

import java.nio.FloatBuffer;

/**
 * A block of float32 memory on one device, from that device's {@link Allocator}.
 *
 * <p>Storage is reference counted: a tensor and its views each hold one reference, and the block
 * goes back to its allocator deterministically when the last one is released. A kernel call or a
 * copy holds a {@link Leases lease} on every storage it reads or writes until the device has passed
 * the call (on an asynchronous device: until the call is queued, after which the allocator reuses
 * the block only in stream order, see {@link Allocator#free}): a release
 * (a close on another thread) during the call takes effect when the call returns, so native code
 * never touches freed memory. A storage no one released that became unreachable (a tensor made
 * outside any MemoryScope and dropped) is freed by its {@link Reclaimer} after the GC finds it;
 * the allocators collect garbage before they give up or grow past a threshold. Only CPU storage can be read by the host directly ({@link #host()});
 * every other device's memory is reached through its allocator's copies.
 */
public final class Storage {

    private final Allocator allocator;
    private final long length;
    private final Reclaimer reclaimer;
    private Block block;
    private FloatBuffer host;
    private int refs = 1;   // owners: a tensor and its views
    private int leases;     // calls using the memory right now

    private Storage(Allocator allocator, long length, Block block) {
        this.allocator = allocator;
        this.length = length;
        this.block = block;
        this.reclaimer = new Reclaimer(this, allocator, block);
    }

    /** Allocates uninitialised memory for {@code length} floats on {@code device}; the caller holds the one reference. */
    public static Storage allocate(Device device, long length) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (length < 0) throw new IllegalArgumentException("storage length must be >= 0, got " + length);
        return allocate(Memory.allocator(device), length);
    }

    static Storage allocate(Allocator allocator, long length) {
        return new Storage(allocator, length, allocator.allocate(length));
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

    /** Whether every owner has released it (the memory itself may live on until running calls return). */
    public synchronized boolean isFreed() {
        return refs == 0;
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
        checkOwned();
        refs++;
    }

    /** Drops one reference; the memory goes back to its allocator when it was the last and no call holds a lease. */
    public synchronized void release() {
        if (refs == 0) return;
        if (--refs == 0 && leases == 0) free();
    }

    /** Starts a call's use of this memory; throws if every owner has released it. */
    synchronized void lease() {
        checkOwned();
        leases++;
    }

    /** Ends a call's use; frees the memory if it was released meanwhile. */
    synchronized void unlease() {
        if (--leases == 0 && refs == 0) free();
    }

    private void free() {
        reclaimer.free();
        block = null;
        host = null;
    }

    /** Whether exactly one owner holds this memory and no call uses it (nobody else can see a change to it). */
    public synchronized boolean isExclusive() {
        return refs == 1 && leases == 0;
    }

    /** Adds a reference for a new owner (a view). */
    public Storage share() {
        retain();
        return this;
    }

    private void checkLive() {
        if (block == null) throw new IllegalStateException("storage was freed (tensor used after close)");
    }

    private void checkOwned() {
        if (refs == 0) throw new IllegalStateException("storage was freed (tensor used after close)");
    }
}
