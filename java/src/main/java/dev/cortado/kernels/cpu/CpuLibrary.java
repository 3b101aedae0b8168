package dev.cortado.kernels.cpu;

import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.decl.KernelTableBinding;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI library built from native/cpu (by the javacpp Maven plugin, see java/pom.xml): its
 * kernel table and execution context, which {@link dev.cortado.kernels.NativeKernels} calls
 * through, and the CPU runtime controls of native/cpu/cortado_cpu.h, which are not kernels. The
 * table's JNI binding is {@code CpuTable}, generated for this library alone (its glue is in no
 * other library, see {@link KernelTableBinding}).
 */
@KernelTableBinding(name = "CpuTable", kernels = KernelSet.class, artifact = "cortado-core")
@Platform(include = {"cortado_kernels.h", "cortado_cpu.h"}, compiler = "cpp17", library = "jnicortado_cpu")
final class CpuLibrary {

    static {
        Loader.load();
    }

    private CpuLibrary() {
    }

    /** The address of the library's {@code struct cortado_kernels}. */
    static native @Cast("intptr_t") long cortado_kernel_table();

    /** The address of the execution context every cpu kernel call runs in. */
    static native @Cast("intptr_t") long cortado_cpu_context();

    /** A context that never has workspace, for tests of the status path. */
    static native @Cast("intptr_t") long cortado_cpu_context_without_workspace();

    // the kernels' workspace cache (native/cpu/workspace.h)
    static native long cortado_workspace_cached();

    static native long cortado_workspace_trim();

    static native void cortado_workspace_fill(float value);

    static native void cortado_set_threads(int n);

    static native int cortado_threads();

    static native int cortado_best_isa();

    static native int cortado_set_isa(int isa);

    static native int cortado_isa();

    // SGEMM cache blocking (cortado_cpu.h): caches as 12 longs, {bytes, ways, line, sharing} per level
    // (cortado_cache_sizes adds a 13th: the L3 bytes one thread counts on)
    static native void cortado_cache_sizes(@Cast("long*") long[] out);

    static native void cortado_gemm_set_caches(@Cast("const long*") long[] caches);

    static native void cortado_gemm_derive_blocks(@Cast("const long*") long[] caches, int mr, int nr, int large_c, int stream_b, int[] out);

    static native int cortado_gemm_streams_b();

    static native void cortado_gemm_blocking(long m, long n, int[] out);
}
