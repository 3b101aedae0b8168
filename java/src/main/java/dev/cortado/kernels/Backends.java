package dev.cortado.kernels;

import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import dev.cortado.memory.SimAllocator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The kernel-set registry, keyed by device kind: an op on a tensor runs the kernel set chosen for
 * its device's kind. Kernel sets by name:
 * <ul>
 *   <li>{@code cpu} — our native C++ kernels (CPU memory; the default for CPU tensors),
 *   <li>{@code java} — the pure-Java reference kernels (CPU memory),
 *   <li>{@code sim} — the java reference kernels behind the host-sealed test device's wall (sim memory).
 * </ul>
 * An engine for another device kind adds its kernel set with {@link #register} (named after the
 * kind, e.g. "cuda", it becomes that kind's default). The choice per kind comes from the system
 * property {@code cortado.backend.<kind>} (for the CPU also plain {@code cortado.backend});
 * without one, CPU tensors use {@code cpu}, or {@code java} with a warning when the native
 * library cannot load. {@link #use} switches a kind's kernels for a
 * block of code and restores the previous choice when the block ends. {@code cortado.threads} sets
 * the native thread count. Every kernel set is returned wrapped in {@link CheckedKernels}.
 */
public final class Backends {

    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static final KernelSet JAVA = new CheckedKernels(new JavaKernels());
    private static final KernelSet SIM = new CheckedKernels(new JavaKernels("sim", Device.Kind.SIM, SimAllocator::kernelView));
    /** The kernel set chosen per device kind (by ordinal); null until first asked for. */
    private static final AtomicReferenceArray<KernelSet> CHOSEN = new AtomicReferenceArray<>(Device.Kind.values().length);
    private static volatile KernelSet cpu;
    private static final Map<String, Supplier<KernelSet>> NAMED = new ConcurrentHashMap<>(Map.of(
            "java", () -> JAVA, "cpu", Backends::nativeCpu, "sim", () -> SIM));

    private Backends() {
    }

    /** The checked kernel set that runs ops on {@code device}. */
    public static KernelSet of(Device device) {
        if (device == null) throw new IllegalArgumentException("device is null");
        KernelSet k = CHOSEN.get(device.kind().ordinal());
        if (k != null) return k;
        CHOSEN.compareAndSet(device.kind().ordinal(), null, chooseDefault(device.kind()));
        return CHOSEN.get(device.kind().ordinal());
    }

    private static KernelSet chooseDefault(Device.Kind kind) {
        String key = "cortado.backend." + kind.name().toLowerCase(Locale.ROOT);
        String name = System.getProperty(key, kind == Device.Kind.CPU ? System.getProperty("cortado.backend") : null);
        if (name != null) {
            KernelSet k = byName(name);
            if (k.deviceKind() != kind) throw new IllegalArgumentException(key + "=" + name + " does not run on " + kind + " memory");
            return k;
        }
        return switch (kind) {
            case CPU -> {
                if (CpuKernels.isAvailable()) yield byName("cpu");
                LOG.log(System.Logger.Level.WARNING, "native cpu kernels unavailable, using the java reference kernels: "
                        + CpuKernels.loadFailure());
                yield JAVA;
            }
            default -> {
                String own = kind.name().toLowerCase(Locale.ROOT);
                if (!NAMED.containsKey(own)) {
                    throw new UnsupportedOperationException("no kernel set for " + own + " devices: its engine is not loaded");
                }
                yield byName(own);
            }
        };
    }

    /** One line saying which kernels run CPU ops, e.g. "cpu (native C++, AVX512 GEMM micro-kernel, 2 threads)". */
    public static String describe() {
        KernelSet k = of(Device.CPU);
        return k.name().equals("cpu")
                ? "cpu (native C++, " + CpuKernels.isa() + " GEMM micro-kernel, " + CpuKernels.threads() + " threads)"
                : k.name() + " (pure-Java reference kernels)";
    }

    /** The checked kernel set called {@code name} ("java", "cpu", "sim", or one {@link #register}ed). */
    public static KernelSet byName(String name) {
        if (name == null) throw new IllegalArgumentException("backend name is null");
        Supplier<KernelSet> k = NAMED.get(name.toLowerCase(Locale.ROOT));
        if (k == null) throw new IllegalArgumentException("unknown backend '" + name + "' (known: " + new TreeSet<>(NAMED.keySet()) + ")");
        return k.get();
    }

    /** Every registered kernel set, checked, as {@link #byName} returns them. */
    public static java.util.List<KernelSet> all() {
        // stub: the engine registry replaces this
        return java.util.List.of(byName("java"), byName("cpu"), byName("sim"));
    }

    /**
     * Adds a kernel set under {@code name} (an engine for a new device kind calls this when it
     * loads); {@code factory} is called when the set is first asked for and its result is
     * checked like every other set's.
     */
    public static void register(String name, Supplier<KernelSet> factory) {
        if (name == null || factory == null) throw new IllegalArgumentException("name and factory must not be null");
        KernelSet[] made = new KernelSet[1];
        Supplier<KernelSet> once = () -> {
            synchronized (made) {
                if (made[0] == null) made[0] = new CheckedKernels(factory.get());
                return made[0];
            }
        };
        if (NAMED.putIfAbsent(name.toLowerCase(Locale.ROOT), once) != null) {
            throw new IllegalArgumentException("a backend named '" + name + "' is already registered");
        }
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
     * Runs ops on the named backend's device kind with it until the returned handle is closed,
     * which restores the previous choice: {@code try (var b = Backends.use("java")) { ... }}.
     * The choice is process-wide: do not switch a kind's backend while other threads run ops on it.
     */
    public static Selection use(String name) {
        return use(byName(name));
    }

    /** Runs ops on {@code kernels}' device kind with {@code kernels} (e.g. a {@link KernelProfiler}'s) until the handle is closed. */
    public static Selection use(KernelSet kernels) {
        if (kernels == null) throw new IllegalArgumentException("kernel set is null");
        Device.Kind kind = kernels.deviceKind();
        KernelSet previous = of(new Device(kind, 0));
        CHOSEN.set(kind.ordinal(), kernels);
        return new Selection(kind, previous);
    }

    /** Restores the previous kernel set of its device kind on close (idempotent). */
    public static final class Selection implements AutoCloseable {
        private final Device.Kind kind;
        private final KernelSet previous;
        private boolean closed;

        private Selection(Device.Kind kind, KernelSet previous) {
            this.kind = kind;
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            CHOSEN.set(kind.ordinal(), previous);
        }
    }
}
