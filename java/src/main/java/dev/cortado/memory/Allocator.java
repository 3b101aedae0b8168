package dev.cortado.memory;

import java.nio.FloatBuffer;

/**
 * The memory of one device: allocation and the only ways in and out of it. Everything above the
 * kernel set moves data to and from a device through these copies, never by reading device
 * memory itself. Copies that read device memory into the host are synchronisation points.
 */
public interface Allocator {

    Device device();

    /** A block of at least {@code floats} floats, uninitialised; throws OutOfMemoryError naming the sizes. */
    Block allocate(long floats);

    /**
     * Gives the block back (to the cache, or to the system) once no call holds it. On a device that
     * runs asynchronously the device may not yet have passed the calls that used it: such an
     * allocator keeps one stream per device, on which every kernel and copy is queued in call
     * order, and hands a freed block out again only to work queued after this free — so the device
     * has passed those calls before a new owner's work touches the block — and synchronises the
     * stream before it returns memory to the driver. On the CPU every call has ended when it returns.
     */
    void free(Block block);

    /** Copies {@code n} floats from {@code src} (from its position; its position does not move) into {@code dst}. */
    void copyFromHost(FloatBuffer src, Ptr dst, long n);

    /** Copies {@code n} floats from {@code src} into {@code dst} (from its position; its position does not move). */
    void copyToHost(Ptr src, FloatBuffer dst, long n);

    /** Copies {@code n} floats between two pointers on devices of this kind (across indices: a peer copy; regions must not overlap). */
    void copy(Ptr src, Ptr dst, long n);

    /** Sets {@code n} floats at {@code dst} to {@code value}. */
    void fill(Ptr dst, long n, float value);

    MemoryStats stats();

    /** Starts the peak of {@link #stats()} again from what is in use now. */
    void resetPeak();

    /** Waits until the device has done all the work queued on it (a no-op where calls run to their end, as on the CPU). */
    default void synchronize() {
    }

    /** Frees every cached block. */
    void emptyCache();

    /**
     * A buffer over a block for direct host access: only host memory has one; every other device
     * throws, which is how code that reads device memory directly fails loudly.
     */
    default FloatBuffer hostBuffer(Block block, long floats) {
        throw new IllegalStateException("memory on " + device() + " is not host memory: copy it to the host first "
                + "(Tensor.toArray(), Tensor.cpu())");
    }
}
