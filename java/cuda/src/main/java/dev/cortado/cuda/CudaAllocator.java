package dev.cortado.cuda;

import dev.cortado.kernels.KernelStatus;
import dev.cortado.memory.Block;
import dev.cortado.memory.CachingAllocator;
import dev.cortado.memory.Device;
import dev.cortado.memory.Ptr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The memory of one CUDA device: size-classed blocks cached for reuse (CachingAllocator) on top
 * of the device runtime's allocations, and the copies in and out. The host cannot read a block
 * (no host buffer): everything crosses by these copies. Work is queued on the device's one
 * stream, so a block freed here and handed out again is touched by its new owner only after the
 * calls of its old one (the rule in Allocator.free); a copy to the host waits for the stream.
 */
final class CudaAllocator extends CachingAllocator {

    /** Floats staged per step when a copy's host side is not a direct buffer. */
    private static final int STAGE = 1 << 18;

    private final CudaRuntime runtime;
    private final int index;

    CudaAllocator(Device device, CudaRuntime runtime) {
        super(device);
        this.runtime = runtime;
        this.index = device.index();
    }

    @Override
    protected Block allocateRaw(long floats) {
        long address = runtime.alloc(index, 4 * floats);
        return address == 0 ? null : new Block(address, floats, null);
    }

    @Override
    protected void freeRaw(Block block) {
        check("free", runtime.release(index, block.address()));
    }

    @Override
    public void copyFromHost(FloatBuffer src, Ptr dst, long n) {
        mine(dst);
        if (src.isDirect()) {
            check("copy to the device", runtime.copy_to_device(index, dst.address(), address(src), 4 * n));
            return;
        }
        FloatBuffer stage = stage(n);
        for (long done = 0; done < n; done += stage.capacity()) {
            int len = (int) Math.min(stage.capacity(), n - done);
            stage.clear();
            stage.put(src.duplicate().position(src.position() + (int) done).limit(src.position() + (int) done + len));
            // copy_to_device has read the stage when it returns: the next step may refill it
            check("copy to the device", runtime.copy_to_device(index, dst.at(done).address(), address(stage.flip()), 4L * len));
        }
    }

    @Override
    public void copyToHost(Ptr src, FloatBuffer dst, long n) {
        mine(src);
        if (dst.isDirect()) {
            check("copy to the host", runtime.copy_to_host(index, address(dst), src.address(), 4 * n));
            return;
        }
        FloatBuffer stage = stage(n);
        for (long done = 0; done < n; done += stage.capacity()) {
            int len = (int) Math.min(stage.capacity(), n - done);
            stage.clear();
            check("copy to the host", runtime.copy_to_host(index, address(stage), src.at(done).address(), 4L * len));
            dst.duplicate().position(dst.position() + (int) done).put(stage.limit(len));
        }
    }

    @Override
    public void copy(Ptr src, Ptr dst, long n) {
        mine(src);
        mine(dst); // peer copies between two GPUs are not supported yet: Memory.copy stages them through the host
        check("copy on the device", runtime.copy_on_device(index, dst.address(), src.address(), 4 * n));
    }

    @Override
    public void fill(Ptr dst, long n, float value) {
        mine(dst);
        check("fill", runtime.fill(index, dst.address(), n, value));
    }

    @Override
    public void synchronize() {
        check("synchronize", runtime.synchronize(index));
    }

    /** The address of a direct buffer's element at its position (a JavaCPP pointer's element is at address + 4 position). */
    private static long address(FloatBuffer b) {
        FloatPointer p = new FloatPointer(b);
        return p.address() + 4L * p.position();
    }

    private static FloatBuffer stage(long n) {
        return ByteBuffer.allocateDirect(4 * (int) Math.min(n, STAGE)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private void check(String what, int status) {
        if (status != 0) {
            throw new KernelStatus.KernelException(device() + " " + what + ": " + runtime.lastError());
        }
    }
}
