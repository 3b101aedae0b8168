package dev.cortado.kernels.cpu;

import dev.cortado.kernels.NativeKernels;
import dev.cortado.memory.Device;

/**
 * The native CPU kernel set (native/cpu, C++17): {@link NativeKernels} bound to the cpu library's
 * kernel table, plus the CPU runtime controls (threads, GEMM micro-kernel). Use it through
 * {@link dev.cortado.kernels.Backends}, which wraps it in the argument checks; this class passes
 * raw addresses straight to C++.
 */
public final class CpuKernels extends NativeKernels {

    private static final System.Logger LOG = System.getLogger(CpuKernels.class.getName());

    /** Micro-kernel instruction sets, as numbered in cortado_cpu.h. */
    public enum Isa { PORTABLE, AVX2, AVX512 }

    private static final Throwable LOAD_FAILURE = tryLoad();

    /** Loads the library and binds its table once (which checks the glue and the ABI hash). */
    private static Throwable tryLoad() {
        try {
            new NativeKernels("cpu", Device.Kind.CPU, CpuLibrary.cortado_kernel_table(), CpuLibrary.cortado_cpu_context());
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Whether the native library loaded on this machine. */
    public static boolean isAvailable() {
        return LOAD_FAILURE == null;
    }

    /** Why the native library did not load, or null. */
    public static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** The kernels of the loaded library, or throws with the reason it did not load. */
    public CpuKernels() {
        super("cpu", Device.Kind.CPU, table(), CpuLibrary.cortado_cpu_context());
    }

    /**
     * The same kernels in an execution context that never has workspace: a kernel that needs
     * some reports it (tests of the status path use this).
     */
    public static NativeKernels withoutWorkspace() {
        return new NativeKernels("cpu", Device.Kind.CPU, table(), CpuLibrary.cortado_cpu_context_without_workspace());
    }

    private static long table() {
        if (LOAD_FAILURE != null) {
            throw new IllegalStateException("native cpu kernels unavailable: " + LOAD_FAILURE, LOAD_FAILURE);
        }
        return CpuLibrary.cortado_kernel_table();
    }

    /**
     * Sets the kernel thread count (the persistent pool is resized; default: available cores) and
     * returns the count in use. More threads than the cores the JVM may use are capped at that
     * number, with a warning: the pool's threads spin-wait for each other, so a thread without a
     * core of its own stalls the rest (4 threads on 2 cores ran at half the speed of 2).
     */
    public static synchronized int setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        int cores = Runtime.getRuntime().availableProcessors();
        if (n > cores) {
            LOG.log(System.Logger.Level.WARNING, n + " kernel threads asked for, but only " + cores + " cores are available: using " + cores);
            n = cores;
        }
        CpuLibrary.cortado_set_threads(n);
        return n;
    }

    public static int threads() {
        return CpuLibrary.cortado_threads();
    }

    /** The best micro-kernel this CPU supports. */
    public static Isa bestIsa() {
        return Isa.values()[CpuLibrary.cortado_best_isa()];
    }

    /** The micro-kernel in use. */
    public static Isa isa() {
        return Isa.values()[CpuLibrary.cortado_isa()];
    }

    /** Selects the GEMM micro-kernel (tests use this to cover each one); returns the one in use. */
    public static synchronized Isa setIsa(Isa isa) {
        if (isa == null) throw new IllegalArgumentException("isa is null");
        return Isa.values()[CpuLibrary.cortado_set_isa(isa.ordinal())];
    }
}
