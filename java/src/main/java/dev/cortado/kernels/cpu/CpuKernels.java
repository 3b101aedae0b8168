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

    /**
     * Loads the library and binds its table once, which compares the ABI hash its glue and its table
     * were compiled with against this build's: a library of another build is a load failure, named.
     */
    private static Throwable tryLoad() {
        try {
            new NativeKernels("cpu", Device.Kind.CPU, new CpuTable(CpuLibrary.cortado_kernel_table()), CpuLibrary.cortado_cpu_context());
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

    private static CpuTable table() {
        if (LOAD_FAILURE != null) {
            throw new IllegalStateException("native cpu kernels unavailable: " + LOAD_FAILURE, LOAD_FAILURE);
        }
        return new CpuTable(CpuLibrary.cortado_kernel_table());
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

    /**
     * Bytes of native workspace the kernels keep for their next calls: their temporary memory
     * (padded images, Winograd transforms, im2col copies) is cached rather than given back to the
     * system, whose fresh pages would fault in again on the next call (about 2,300 page faults a
     * ResNet-18 inference at batch 1). The cache holds at most 512 MiB; blocks a call finds in it
     * are at most twice the size it asked for.
     */
    public static long workspaceCached() {
        return CpuLibrary.cortado_workspace_cached();
    }

    /** Frees the workspace cache ({@link #workspaceCached()}) and returns the bytes freed. */
    public static long trimWorkspace() {
        return CpuLibrary.cortado_workspace_trim();
    }

    /**
     * Writes {@code value} over every cached workspace block: for tests, since no kernel may count on
     * what its workspace holds (a new block from the system reads as zeros, a cached one as whatever
     * its last call left).
     */
    public static void fillWorkspaceCache(float value) {
        CpuLibrary.cortado_workspace_fill(value);
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

    /**
     * The SGEMM cache blocking in use, in one line: the caches it was derived from (read from the
     * machine once) and the main micro-kernel's blocks, for a C that fits in L2 and a larger one, e.g.
     * "L1d 32 KiB 8-way, L2 512 KiB 8-way, L3 32 MiB 16-way shared by 2 CPUs (4 MiB per thread);
     * AVX2 6x16 micro-kernel, mc/kc/nc 204/320/1632 (C within L2), 144/448/1168 (larger)".
     */
    public static String gemmBlocking() {
        long[] c = new long[13];
        CpuLibrary.cortado_cache_sizes(c);
        // 120 rows: a multiple of every micro-kernel's, so the main kernel serves them
        int[] small = new int[5], large = new int[5];
        CpuLibrary.cortado_gemm_blocking(120, 1, small);
        CpuLibrary.cortado_gemm_blocking(120, 1L << 24, large);
        return "L1d " + bytes(c[0]) + " " + c[1] + "-way, L2 " + bytes(c[4]) + " " + c[5] + "-way, L3 " + bytes(c[8]) + " "
                + c[9] + "-way shared by " + c[11] + " CPUs (" + bytes(c[12]) + " per thread); " + isa() + " " + small[0]
                + "x" + small[1] + " micro-kernel, mc/kc/nc " + small[2] + "/" + small[3] + "/" + small[4] + " (C within L2), "
                + large[2] + "/" + large[3] + "/" + large[4] + " (larger)"
                + (CpuLibrary.cortado_gemm_streams_b() != 0 ? ", AVX-512 kc sized for A in L1, B from L2 (half-rate 512-bit FMAs)" : "")
                + (System.getenv("CORTADO_GEMM_BLOCKING") == null ? "" : " from CORTADO_GEMM_BLOCKING");
    }

    private static String bytes(long b) {
        return b >= 1 << 20 && b % (1 << 20) == 0 ? (b >> 20) + " MiB" : (b >> 10) + " KiB";
    }
}
