package dev.cortado.memory;

import java.nio.FloatBuffer;

/**
 * An allocator whose blocks the JVM can see as float buffers (host memory, the sim arena): its
 * copies and fill are buffer copies through {@link #view}. A device whose memory the JVM cannot
 * see (a GPU) implements them with its own copy calls instead.
 */
abstract class ViewAllocator extends CachingAllocator {

    ViewAllocator(Device device) {
        super(device);
    }

    /** A buffer whose index 0 is p's element and which ends with p's storage. */
    abstract FloatBuffer view(Ptr p);

    @Override
    public void copyFromHost(FloatBuffer src, Ptr dst, long n) {
        mine(dst);
        view(dst).put(src.duplicate().limit(src.position() + (int) n));
    }

    @Override
    public void copyToHost(Ptr src, FloatBuffer dst, long n) {
        mine(src);
        dst.duplicate().put(view(src).limit((int) n));
    }

    @Override
    public final void copy(Ptr src, Ptr dst, long n) {
        peer(src);
        peer(dst);
        view(dst).put(view(src).limit((int) n));
    }

    @Override
    public final void fill(Ptr dst, long n, float value) {
        mine(dst);
        FloatBuffer b = view(dst);
        for (int i = 0; i < n; i++) b.put(i, value);
    }
}
