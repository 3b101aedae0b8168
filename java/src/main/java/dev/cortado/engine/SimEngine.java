package dev.cortado.engine;

import dev.cortado.kernels.JavaKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.memory.Allocator;
import dev.cortado.memory.Device;
import dev.cortado.memory.SimAllocator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The host-sealed test device: memory the host can reach only by copies, and the java reference
 * kernels behind that wall (kernel set "sim"). It stands in for a GPU in tests.
 */
public final class SimEngine implements Engine {

    @Override
    public Device.Kind kind() {
        return Device.Kind.SIM;
    }

    @Override
    public String unavailable() {
        return null;
    }

    @Override
    public Allocator allocator(Device device) {
        return new SimAllocator(device);
    }

    @Override
    public Map<String, Supplier<KernelSet>> kernelSets() {
        return Map.of("sim", () -> new JavaKernels("sim", Device.Kind.SIM, SimAllocator::kernelView));
    }

    @Override
    public String defaultKernelSet() {
        return "sim";
    }

    @Override
    public String describe(KernelSet inUse) {
        return inUse.name() + " (the java reference kernels behind the host-sealed wall)";
    }
}
