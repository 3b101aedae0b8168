package dev.cortado.kernels;

import java.util.Locale;

/**
 * Picks the kernel set for a device. For CPU tensors the system property
 * {@code cortado.backend} chooses: {@code java} (the reference, and for now the only one);
 * the native {@code cpu} set arrives with the native engine. Every kernel set is returned
 * wrapped in {@link CheckedKernels}.
 */
public final class Backends {

    private static final KernelSet JAVA = new CheckedKernels(new JavaKernels());
    private static volatile KernelSet cpuOverride;

    private Backends() {
    }

    /** The checked kernel set that runs ops on {@code device}. */
    public static KernelSet of(Device device) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (!device.isCpu()) throw new UnsupportedOperationException("no kernel set for " + device + " yet (CUDA engine pending)");
        KernelSet k = cpuOverride;
        return k != null ? k : byName(System.getProperty("cortado.backend", "java"));
    }

    /** The checked kernel set called {@code name}. */
    public static KernelSet byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "java" -> JAVA;
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (known: java)");
        };
    }

    /**
     * Runs {@code body} with every CPU op on the named backend (tests use this to run the same
     * checks on each backend). Not for concurrent use with other backends.
     */
    public static void withCpuBackend(String name, Runnable body) {
        KernelSet previous = cpuOverride;
        cpuOverride = byName(name);
        try {
            body.run();
        } finally {
            cpuOverride = previous;
        }
    }
}
