package dev.cortado.cuda;

import dev.cortado.engine.Engine;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.NativeKernels;
import dev.cortado.kernels.NativeTable;
import dev.cortado.memory.Allocator;
import dev.cortado.memory.Device;
import java.util.Map;
import java.util.function.Supplier;

/**
 * NVIDIA GPUs: device kind cuda, a caching allocator per device, and the kernel set "cuda" (our
 * native/cuda kernels). With {@code -Dcortado.cuda=emulate} the same kernel sources run on the
 * CPU through our CUDA emulation (libjnicortado_cuda_emu), as device {@code cuda:0} whose memory
 * the host can reach only by copies — so the whole stack runs on "cuda (emulated)" where there
 * is no GPU. Kernels run on cuda:0; other devices have memory and copies only, for now.
 */
public final class CudaEngine implements Engine {

    /** -Dcortado.cuda: "emulate" runs the emulated library; unset (or "gpu") the real one; anything else is a mistake, named. */
    private static final String MODE = System.getProperty("cortado.cuda", "gpu");
    static final boolean EMULATED = "emulate".equals(MODE);

    private static final Library LIBRARY = Library.load();

    /**
     * The loaded library's table (through that library's own JNI binding: CudaTable or CudaEmuTable)
     * and runtime, or why it did not load.
     */
    private record Library(NativeTable table, CudaRuntime runtime, String failure) {
        static Library load() {
            if (!EMULATED && !"gpu".equals(MODE)) {
                return new Library(null, null, "-Dcortado.cuda=" + MODE + " is not a mode: use -Dcortado.cuda=emulate (the CUDA kernels "
                        + "on the CPU emulation) or leave it unset (a GPU)");
            }
            try {
                NativeTable table = EMULATED ? new CudaEmuTable(CudaEmuLibrary.cortado_kernel_table()) : new CudaTable(CudaLibrary.cortado_kernel_table());
                long runtime = EMULATED ? CudaEmuLibrary.cortado_cuda_runtime_table() : CudaLibrary.cortado_cuda_runtime_table();
                return new Library(table, new CudaRuntime(runtime), null);
            } catch (Throwable t) {
                return new Library(null, null, "the " + (EMULATED ? "emulated " : "") + "CUDA library did not load: " + t);
            }
        }
    }

    @Override
    public Device.Kind kind() {
        return Device.Kind.CUDA;
    }

    @Override
    public String unavailable() {
        if (LIBRARY.failure() != null) return LIBRARY.failure();
        int n = LIBRARY.runtime().device_count();
        String hint = " (no usable NVIDIA driver and GPU here; -Dcortado.cuda=emulate runs the CUDA kernels on the CPU emulation)";
        if (n < 0) return LIBRARY.runtime().lastError() + hint;
        return n == 0 ? "no CUDA device on this machine" + hint : null;
    }

    @Override
    public Allocator allocator(Device device) {
        int n = LIBRARY.runtime().device_count();
        if (device.index() >= n) {
            throw new IllegalArgumentException(device + " does not exist: " + (EMULATED ? "the emulation has " : "this machine has ") + n
                    + " CUDA device" + (n == 1 ? "" : "s"));
        }
        return new CudaAllocator(device, LIBRARY.runtime());
    }

    @Override
    public Map<String, Supplier<KernelSet>> kernelSets() {
        return Map.of("cuda", () -> {
            String why = unavailable();
            if (why != null) throw new UnsupportedOperationException("cuda unavailable: " + why);
            return new NativeKernels("cuda", Device.Kind.CUDA, LIBRARY.table(), LIBRARY.runtime().context(0));
        });
    }

    @Override
    public String defaultKernelSet() {
        return "cuda";
    }

    @Override
    public String describe(KernelSet inUse) {
        return inUse.name() + " (" + LIBRARY.runtime().device_name(0).getString() + ")";
    }

    /** Whether this JVM runs the emulated library. */
    public static boolean emulated() {
        return EMULATED;
    }
}
