package dev.cortado.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Function;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * {@code struct cortado_cuda_runtime} of native/cuda/device_runtime.h: devices, memory and copies
 * of a CUDA kernel library (the real one or the emulated one); each method calls the member of
 * the same name. Calls that fail return a nonzero status, the message in {@link #last_error}.
 */
@Platform(include = "device_runtime.h")
@Name("cortado_cuda_runtime")
final class CudaRuntime extends Pointer {

    CudaRuntime(long address) {
        this.address = address;
    }

    @Function
    native int device_count();

    @Function
    @Cast("const char*")
    native BytePointer device_name(int device);

    @Function
    @Cast("intptr_t")
    native long alloc(int device, @Cast("size_t") long bytes);

    @Function
    native int release(int device, @Cast("void*") long p);

    @Function
    native int copy_to_device(int device, @Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes);

    @Function
    native int copy_to_host(int device, @Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes);

    @Function
    native int copy_on_device(int device, @Cast("void*") long dst, @Cast("const void*") long src, @Cast("size_t") long bytes);

    @Function
    native int fill(int device, @Cast("float*") long dst, @Cast("size_t") long n, float value);

    @Function
    native int synchronize(int device);

    @Function
    @Cast("intptr_t")
    native long context(int device);

    @Function
    @Cast("const char*")
    native BytePointer last_error();

    /** The last error as a string ("" if none). */
    String lastError() {
        BytePointer m = last_error();
        return m == null || m.isNull() ? "" : m.getString();
    }
}
