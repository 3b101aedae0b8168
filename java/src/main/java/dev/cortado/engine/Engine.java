package dev.cortado.engine;

import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Allocator;
import dev.cortado.memory.Device;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a device kind brings: an allocator per device and its kernel sets. Engines are plug-ins,
 * found by {@link java.util.ServiceLoader} (a jar lists its engine in
 * {@code META-INF/services/dev.cortado.engine.Engine}), as DJL finds its engines: the cpu engine
 * and the sim test device are engines of cortado-core, the CUDA engine is a jar of its own.
 * Memory and Backends reach every device only through its engine.
 */
public interface Engine {

    /** The device kind this engine runs. */
    Device.Kind kind();

    /** Null when the engine can run here; else why not, in a line (e.g. CUDA's own reason). */
    String unavailable();

    /** The allocator of one device of this kind; called once per device. */
    Allocator allocator(Device device);

    /**
     * The kernel sets this engine brings, by name, each made (and wrapped in the argument checks
     * by Backends) when first asked for.
     */
    Map<String, Supplier<KernelSet>> kernelSets();

    /** The name of the kernel set ops on this kind use unless told otherwise. */
    String defaultKernelSet();

    /** One line naming the kernels ops on this kind use now, for logs: e.g. "cpu (native C++, AVX512 ...)". */
    default String describe(KernelSet inUse) {
        return inUse.name();
    }
}
