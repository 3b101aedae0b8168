package dev.cortado.kernels.cpu;

import dev.cortado.engine.Engine;
import dev.cortado.kernels.JavaKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Allocator;
import dev.cortado.memory.CpuAllocator;
import dev.cortado.memory.Device;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Host memory and its kernel sets: {@code cpu} (native C++, the default) and {@code java} (the
 * pure-Java reference, the default when the native library cannot load here). The system
 * property {@code cortado.threads} sets the native thread count when the cpu set is made.
 */
public final class CpuEngine implements Engine {

    private static final System.Logger LOG = System.getLogger(CpuEngine.class.getName());

    @Override
    public Device.Kind kind() {
        return Device.Kind.CPU;
    }

    @Override
    public String unavailable() {
        return null; // the java kernels run everywhere
    }

    @Override
    public Allocator allocator(Device device) {
        return CpuAllocator.instance();
    }

    @Override
    public Map<String, Supplier<KernelSet>> kernelSets() {
        Map<String, Supplier<KernelSet>> sets = new LinkedHashMap<>();
        sets.put("cpu", CpuEngine::nativeKernels);
        sets.put("java", JavaKernels::new);
        return sets;
    }

    private static KernelSet nativeKernels() {
        CpuKernels kernels = new CpuKernels(); // throws with the load failure
        String threads = System.getProperty("cortado.threads");
        if (threads != null) {
            try {
                CpuKernels.setThreads(Integer.parseInt(threads.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cortado.threads must be an integer, got '" + threads + "'", e);
            }
        }
        return kernels;
    }

    @Override
    public String defaultKernelSet() {
        if (CpuKernels.isAvailable()) return "cpu";
        LOG.log(System.Logger.Level.WARNING, "native cpu kernels unavailable, using the java reference kernels: "
                + CpuKernels.loadFailure());
        return "java";
    }

    @Override
    public String describe(KernelSet inUse) {
        return inUse.name().equals("cpu")
                ? "cpu (native C++, " + CpuKernels.isa() + " GEMM micro-kernel, " + CpuKernels.threads() + " threads)"
                : inUse.name() + " (pure-Java reference kernels)";
    }
}
