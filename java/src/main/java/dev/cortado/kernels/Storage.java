package dev.cortado.kernels;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A block of float32 memory on one device. CPU storage is off-heap (a JavaCPP pointer), so the
 * java and native kernels work on the same bytes and a JNI call copies nothing.
 *
 * <p>Storage is reference counted: a tensor and its views each hold one reference, and the
 * memory is freed deterministically when the last one is released. JavaCPP's own deallocator is
 * only the backstop for storage that is never released.
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

    /** Allocates uninitialised memory for {@code length} floats; the caller holds the one reference. */
    public static Storage allocate(Device device, long length) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (length < 0) throw new IllegalArgumentException("storage length must be >= 0, got " + length);
        if (!device.isCpu()) throw new UnsupportedOperationException("no allocator for device " + device + " yet");
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + length + " floats exceeds the 2^31 element limit of CPU tensors");
        }
        // one extra element keeps a zero-length allocation a real, non-null pointer
        FloatPointer p = new FloatPointer(Math.max(1, length));
        if (p.isNull()) throw new OutOfMemoryError("could not allocate " + 4 * length + " bytes off-heap");
        return new Storage(device, length, p);
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
            pointer.deallocate();
            pointer = null;
            host = null;
        }
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
