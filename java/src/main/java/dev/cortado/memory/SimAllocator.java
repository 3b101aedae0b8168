package dev.cortado.memory;

import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host-sealed test device's memory: blocks in an arena of its own (heap buffers no host code
 * can name), with no native address and no host buffer. Code above the kernel set reaches it only
 * through this allocator's copies; the sim kernel set (the java reference kernels) reaches it
 * through {@link #kernelView}. A direct host read of sim memory throws, so a test on sim fails
 * where a GPU would have read garbage or crashed; explicit reads are counted ({@link #hostReads}).
 */
public final class SimAllocator extends ViewAllocator {

    private final AtomicLong hostReads = new AtomicLong();

    public SimAllocator(Device device) {
        super(device);
        if (device.kind() != Device.Kind.SIM) throw new IllegalArgumentException(device + " is not a sim device");
    }

    @Override
    protected Block allocateRaw(long floats) {
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + floats + " floats exceeds the 2^31 element limit of sim tensors");
        }
        try {
            return new Block(0, floats, FloatBuffer.allocate((int) floats));
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    @Override
    protected void freeRaw(Block block) {
        // the arena's buffers are heap memory: dropping the block frees it
    }

    /** The wall's only door, for the sim kernel set: a buffer whose index 0 is p's element. */
    public static FloatBuffer kernelView(Ptr p) {
        if (p.device().kind() != Device.Kind.SIM) throw new IllegalArgumentException(p + " is not sim memory");
        Block b = p.storage().block();
        return ((FloatBuffer) b.handle()).slice((int) p.offset(), (int) p.remaining());
    }

    @Override
    FloatBuffer view(Ptr p) {
        return kernelView(p);
    }

    /**
     * Copies from this device to the host so far: each would make the host wait for a real
     * device, so tests count them (a training step between coffee breaks makes none).
     */
    public long hostReads() {
        return hostReads.get();
    }

    @Override
    public void copyToHost(Ptr src, FloatBuffer dst, long n) {
        super.copyToHost(src, dst, n);
        hostReads.incrementAndGet();
    }
}
