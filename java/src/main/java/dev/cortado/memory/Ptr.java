package dev.cortado.memory;

import java.nio.FloatBuffer;

/**
 * A float pointer into a {@link Storage}: the storage plus an element offset. This is what the
 * kernel set takes for each array argument, like {@code float*} in C, but it knows how many
 * elements lie behind it so that every call can be bounds-checked in Java first.
 */
public final class Ptr {

    private final Storage storage;
    private final long offset;

    public Ptr(Storage storage, long offset) {
        if (storage == null) throw new IllegalArgumentException("storage is null");
        if (offset < 0 || offset > storage.length()) {
            throw new IllegalArgumentException("offset " + offset + " outside storage of length " + storage.length());
        }
        this.storage = storage;
        this.offset = offset;
    }

    public Storage storage() {
        return storage;
    }

    public long offset() {
        return offset;
    }

    public Device device() {
        return storage.device();
    }

    /** Elements from this pointer to the end of the storage. */
    public long remaining() {
        return storage.length() - offset;
    }

    /** The pointer {@code delta} elements further on. */
    public Ptr at(long delta) {
        return delta == 0 ? this : new Ptr(storage, offset + delta);
    }

    /** A direct buffer whose index 0 is this pointer's element (CPU storage only; other devices throw). */
    public FloatBuffer host() {
        return storage.host().slice((int) offset, (int) remaining());
    }

    /** Native address of this pointer's element, for native kernels. */
    public long address() {
        return storage.address() + 4 * offset;
    }

    @Override
    public String toString() {
        return "Ptr[" + storage.device() + ", offset " + offset + ", " + remaining() + " floats]";
    }
}
