package dev.cortado.kernels;

import dev.cortado.engine.Engine;
import dev.cortado.engine.Engines;
import dev.cortado.memory.Device;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The kernel-set registry: an op on a tensor runs the kernel set chosen for its device's kind.
 * The kernel sets are those the engines bring ({@link Engine#kernelSets}: with cortado-core,
 * {@code cpu} and {@code java} on host memory and {@code sim} on the sealed test device) plus
 * any {@link #register}ed. The choice per kind comes from the system property
 * {@code cortado.backend.<kind>} (for the CPU also plain {@code cortado.backend}), else the
 * kind's engine's default. {@link #use} switches a kind's kernels for a block of code and
 * restores the previous choice when the block ends. Every kernel set is returned wrapped in
 * {@link CheckedKernels}.
 */
public final class Backends {

    /** The kernel set chosen per device kind (by ordinal); null until first asked for. */
    private static final AtomicReferenceArray<KernelSet> CHOSEN = new AtomicReferenceArray<>(Device.Kind.values().length);
    /** Every kernel set by name, each made once on first use. */
    private static final Map<String, Supplier<KernelSet>> NAMED = new LinkedHashMap<>();

    static {
        for (Engine e : Engines.all()) e.kernelSets().forEach(Backends::add);
    }

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
        if (name == null) return byName(Engines.forKind(kind).defaultKernelSet());
        KernelSet k = byName(name);
        if (k.deviceKind() != kind) throw new IllegalArgumentException(key + "=" + name + " does not run on " + kind + " memory");
        return k;
    }

    /** One line saying which kernels run CPU ops, e.g. "cpu (native C++, AVX512 GEMM micro-kernel, 2 threads)". */
    public static String describe() {
        return describe(Device.CPU);
    }

    /** One line saying which kernels run ops on {@code device}. */
    public static String describe(Device device) {
        return Engines.forKind(device.kind()).describe(of(device));
    }

    /** The checked kernel set called {@code name} (one an engine brings, or one {@link #register}ed). */
    public static KernelSet byName(String name) {
        if (name == null) throw new IllegalArgumentException("backend name is null");
        Supplier<KernelSet> k;
        synchronized (NAMED) {
            k = NAMED.get(name.toLowerCase(Locale.ROOT));
            if (k == null) throw new IllegalArgumentException("unknown backend '" + name + "' (known: " + new TreeSet<>(NAMED.keySet()) + ")");
        }
        return k.get();
    }

    /**
     * Every kernel set that can run here, checked, in the order the engines and {@link #register}
     * added them: the kernel conformance suite runs on each (sets whose engine cannot run here, or
     * whose library does not load, are left out).
     */
    public static List<KernelSet> all() {
        List<Supplier<KernelSet>> sets;
        synchronized (NAMED) {
            sets = new ArrayList<>(NAMED.values());
        }
        List<KernelSet> out = new ArrayList<>();
        for (Supplier<KernelSet> s : sets) {
            KernelSet k;
            try {
                k = s.get();
            } catch (RuntimeException | LinkageError e) {
                continue;
            }
            if (Engines.all().stream().anyMatch(e -> e.kind() == k.deviceKind() && e.unavailable() == null)) out.add(k);
        }
        return out;
    }

    /**
     * Adds a kernel set under {@code name} for a kind an engine runs; {@code factory} is called
     * when the set is first asked for and its result is checked like every other set's.
     */
    public static void register(String name, Supplier<KernelSet> factory) {
        if (name == null || factory == null) throw new IllegalArgumentException("name and factory must not be null");
        add(name, factory);
    }

    private static void add(String name, Supplier<KernelSet> factory) {
        KernelSet[] made = new KernelSet[1];
        Supplier<KernelSet> once = () -> {
            synchronized (made) {
                if (made[0] == null) made[0] = new CheckedKernels(factory.get());
                return made[0];
            }
        };
        synchronized (NAMED) {
            if (NAMED.putIfAbsent(name.toLowerCase(Locale.ROOT), once) != null) {
                throw new IllegalArgumentException("a backend named '" + name + "' is already registered");
            }
        }
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
