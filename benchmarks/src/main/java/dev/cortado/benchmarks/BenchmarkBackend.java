package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;

/** Routes ops to a benchmark's backend parameter (its device kind's kernels) and sets the native thread count. */
final class BenchmarkBackend {

    private BenchmarkBackend() {
    }

    /** Selects {@code backend} until the returned handle closes; {@code threads} applies to the native cpu kernels. */
    static Backends.Selection select(String backend, int threads) {
        Backends.Selection selection = Backends.use(backend);
        if (backend.equals("cpu")) CpuKernels.setThreads(threads);
        return selection;
    }

    /** The device a backend's kernels run on (cpu for cpu and java, cuda:0 for cuda). */
    static Device device(String backend) {
        return new Device(Backends.byName(backend).deviceKind(), 0);
    }
}
