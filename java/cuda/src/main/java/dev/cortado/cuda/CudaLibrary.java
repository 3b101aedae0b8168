package dev.cortado.cuda;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.decl.KernelTableBinding;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI library nvcc builds from native/cuda (libjnicortado_cuda, CUDA runtime linked
 * statically: it loads on machines without a GPU, where the runtime then says why there is no
 * device): the addresses of its kernel table and device runtime.
 * The table's JNI binding is {@code CudaTable}, generated for this library alone (see {@link KernelTableBinding}).
 */
@KernelTableBinding(name = "CudaTable", kernels = KernelSet.class, artifact = "cortado-cuda")
@Platform(include = {"cortado_kernels.h", "device_runtime.h"}, compiler = "cpp17", library = "jnicortado_cuda")
final class CudaLibrary {

    static {
        Loader.load();
    }

    private CudaLibrary() {
    }

    static native @Cast("intptr_t") long cortado_kernel_table();

    static native @Cast("intptr_t") long cortado_cuda_runtime_table();
}
