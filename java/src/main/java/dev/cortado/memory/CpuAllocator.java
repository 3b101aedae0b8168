package dev.cortado.memory;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Host memory, off-heap (JavaCPP pointers), so the java and native kernels work on the same bytes
 * and a JNI call copies nothing. JavaCPP's own deallocator is only the backstop for blocks that
 * are never freed.
 */
public final class CpuAllocator extends ViewAllocator {

    static final CpuAllocator INSTANCE = new CpuAllocator();

    private CpuAllocator() {
        super(Device.CPU);
    }

    /** The one allocator of host memory. */
    public static Allocator instance() {
        return INSTANCE;
    }

    @Override
    protected Block allocateRaw(long floats) {
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage of " + floats + " floats exceeds the 2^31 element limit of CPU tensors");
        }
        try {
            FloatPointer p = new FloatPointer(floats);
            return p.isNull() ? null : new Block(p.address(), floats, p);
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    @Override
    protected void freeRaw(Block block) {
        ((FloatPointer) block.handle()).deallocate();
    }

    @Override
    public FloatBuffer hostBuffer(Block block, long floats) {
        return ((FloatPointer) block.handle()).capacity(Math.max(1, floats)).asBuffer();
    }

    @Override
    FloatBuffer view(Ptr p) {
        return p.host();
    }
}
