package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.cpu.CpuKernels;

/** Routes CPU ops to a benchmark's backend parameter and sets the native thread count. */
final class BenchmarkBackend {

    private BenchmarkBackend() {
    }

    /** Selects {@code backend} until the returned handle closes; {@code threads} applies to the native cpu kernels. */
    static Backends.Selection select(String backend, int threads) {
        Backends.Selection selection = Backends.use(backend);
        if (backend.equals("cpu")) CpuKernels.setThreads(threads);
        return selection;
    }
}
