package dev.cortado.cuda;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.decl.KernelTableBinding;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI library g++ builds from the same native/cuda sources against the CUDA emulation
 * (libjnicortado_cuda_emu: blocks on threads, CUDA threads as fibers, device memory in host memory;
 * -Dcortado.cuda=emulate): the addresses of its kernel table and device runtime.
 * The table's JNI binding is {@code CudaEmuTable}, generated for this library alone (see {@link KernelTableBinding}).
 */
@KernelTableBinding(name = "CudaEmuTable", kernels = KernelSet.class, artifact = "cortado-cuda")
@Platform(include = {"cortado_kernels.h", "device_runtime.h"}, compiler = "cpp17", library = "jnicortado_cuda_emu")
final class CudaEmuLibrary {

    static {
        Loader.load();
    }

    private CudaEmuLibrary() {
    }

    static native @Cast("intptr_t") long cortado_kernel_table();

    static native @Cast("intptr_t") long cortado_cuda_runtime_table();
}
