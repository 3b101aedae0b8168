package dev.cortado.kernels;

import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import java.util.Locale;

/**
 * Picks the kernel set for a device. For CPU tensors the system property {@code cortado.backend}
 * chooses: {@code cpu} (our native C++ kernels, the default) or {@code java} (the reference).
 * When the native library cannot load, the default falls back to java and says why on stderr;
 * asking for {@code cpu} explicitly then fails with the reason. {@code cortado.threads} sets the
 * native thread count (default: available cores). Every kernel set is returned wrapped in
 * {@link CheckedKernels}.
 */
public final class Backends {

    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static final KernelSet JAVA = new CheckedKernels(new JavaKernels());
    private static volatile KernelSet cpu;
    private static volatile KernelSet cpuOverride;
    private static volatile KernelSet defaultCpu;

    private Backends() {
    }

    /** The checked kernel set that runs ops on {@code device}. */
    public static KernelSet of(Device device) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (!device.isCpu()) throw new UnsupportedOperationException("no kernel set for " + device + " yet (CUDA engine pending)");
        KernelSet k = cpuOverride;
        if (k != null) return k;
        k = defaultCpu;
        if (k == null) defaultCpu = k = chooseDefault();
        return k;
    }

    private static KernelSet chooseDefault() {
        String name = System.getProperty("cortado.backend");
        if (name != null) return byName(name);
        if (CpuKernels.isAvailable()) return byName("cpu");
        LOG.log(System.Logger.Level.WARNING, "native cpu kernels unavailable, using the java reference kernels: "
                + CpuKernels.loadFailure());
        return JAVA;
    }

    /** One line saying which kernels run CPU ops, e.g. "cpu (native C++, AVX512 GEMM micro-kernel, 2 threads)". */
    public static String describe() {
        KernelSet k = of(Device.CPU);
        return k.name().equals("cpu")
                ? "cpu (native C++, " + CpuKernels.isa() + " GEMM micro-kernel, " + CpuKernels.threads() + " threads)"
                : k.name() + " (pure-Java reference kernels)";
    }

    /** The checked kernel set called {@code name} ("java" or "cpu"). */
    public static KernelSet byName(String name) {
        if (name == null) throw new IllegalArgumentException("backend name is null");
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "java" -> JAVA;
            case "cpu" -> nativeCpu();
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (known: cpu, java)");
        };
    }

    private static synchronized KernelSet nativeCpu() {
        if (cpu == null) {
            CpuKernels kernels = new CpuKernels(); // throws with the load failure
            String threads = System.getProperty("cortado.threads");
            if (threads != null) {
                try {
                    CpuKernels.setThreads(Integer.parseInt(threads.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("cortado.threads must be an integer, got '" + threads + "'", e);
                }
            }
            cpu = new CheckedKernels(kernels);
        }
        return cpu;
    }

    /**
     * Routes every CPU op to the named backend until the returned handle is closed (tests use
     * this to run the same checks on each backend). Not for concurrent use with other backends.
     */
    public static Selection use(String name) {
        return use(byName(name));
    }

    /** Routes every CPU op to {@code kernels} (e.g. a {@link KernelProfiler}'s) until the handle is closed. */
    public static Selection use(KernelSet kernels) {
        if (kernels == null) throw new IllegalArgumentException("kernel set is null");
        if (kernels.deviceKind() != Device.Kind.CPU) throw new IllegalArgumentException(kernels.name() + " is not a CPU kernel set");
        Selection s = new Selection(cpuOverride);
        cpuOverride = kernels;
        return s;
    }

    /** Restores the previous CPU backend on close. */
    public static final class Selection implements AutoCloseable {
        private final KernelSet previous;
        private boolean closed;

        private Selection(KernelSet previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            cpuOverride = previous;
        }
    }
}
