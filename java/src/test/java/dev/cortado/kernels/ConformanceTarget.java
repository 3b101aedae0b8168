package dev.cortado.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cortado.kernels.cpu.CpuKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A kernel set under conformance test ({@link KernelConformance}) and the knobs the suite may turn
 * on it: its variants, each a setting a test may run it under (cpu: one per GEMM micro-kernel ISA
 * this machine runs, the plainest first; any other set: one, as it comes), the last of them its
 * default; its thread count where it can be set (cpu), or null; and the share of each test's
 * random cases it gets (1 in {@code caseDivisor}).
 */
record ConformanceTarget(KernelSet kernels, List<Variant> variants, IntConsumer threads, int caseDivisor) {

    /** A setting of the target; {@code select} switches it on. */
    record Variant(String name, Runnable select) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The one variant of a target without settings. */
    static final Variant AS_IS = new Variant("default", () -> { });

    /**
     * What the suite knows of {@code kernels}: cpu's ISAs and threads; sim (the java code behind a
     * wall) and the emulated cuda kernels on a fifth of the cases; {@code -Dcortado.conformance.divisor=d}
     * gives every target 1 in d.
     */
    static ConformanceTarget of(KernelSet kernels) {
        ConformanceTarget t = byName(kernels);
        String divisor = System.getProperty("cortado.conformance.divisor"); // e.g. under compute-sanitizer, which is slow
        return divisor == null ? t : new ConformanceTarget(t.kernels(), t.variants(), t.threads(), Integer.parseInt(divisor.trim()));
    }

    private static ConformanceTarget byName(KernelSet kernels) {
        return switch (kernels.name()) {
            case "cpu" -> new ConformanceTarget(kernels, cpuIsas(), CpuKernels::setThreads, 1);
            case "sim" -> new ConformanceTarget(kernels, List.of(AS_IS), null, 5);
            // the CUDA kernels on the CPU emulation (every CUDA thread a fiber): a fifth of the cases, as sim
            case "cuda" -> new ConformanceTarget(kernels, List.of(AS_IS), null, "emulate".equals(System.getProperty("cortado.cuda")) ? 5 : 1);
            default -> new ConformanceTarget(kernels, List.of(AS_IS), null, 1);
        };
    }

    /** The instruction sets this machine can run, from the portable one up to the best (the default). */
    private static List<Variant> cpuIsas() {
        List<Variant> isas = new ArrayList<>();
        for (CpuKernels.Isa isa : CpuKernels.Isa.values()) {
            if (isa.ordinal() <= CpuKernels.bestIsa().ordinal()) isas.add(new Variant(isa.name(), () -> CpuKernels.setIsa(isa)));
        }
        return List.copyOf(isas);
    }

    String name() {
        return kernels.name();
    }

    /** {@code full} cases scaled to this target's share (at least one). */
    int cases(int full) {
        return Math.max(1, full / caseDivisor);
    }

    /** The default variant, then the plainest (one if they are the same). */
    List<Variant> defaultAndPlainest() {
        Variant plainest = variants.get(0), standard = variants.get(variants.size() - 1);
        return plainest == standard ? List.of(standard) : List.of(standard, plainest);
    }

    /** Skips the calling test (with the reason) unless the target's thread count can be set. */
    void assumeThreadControl() {
        assumeTrue(threads != null, name() + " has no thread-count control: 1-vs-2-thread bit identity is checked where threads can be set (cpu)");
    }

    boolean hasThreadControl() {
        return threads != null;
    }

    void setThreads(int n) {
        threads.accept(n);
    }

    /** Back to the defaults: the default variant, and as many threads as processors. */
    void restore() {
        variants.get(variants.size() - 1).select().run();
        if (threads != null) threads.accept(Runtime.getRuntime().availableProcessors());
    }

    @Override
    public String toString() {
        return name();
    }
}
