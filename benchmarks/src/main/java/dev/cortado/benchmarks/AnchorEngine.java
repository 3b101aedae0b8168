package dev.cortado.benchmarks;

import java.io.IOException;

/**
 * The other side of a {@link WorkloadBenchmark}: one step of the same workload in another engine
 * (PyTorch 1.13 through {@link PyTorchWorker}, or libtorch 2.10 in this process when the
 * benchmarks are built with {@code -Ppytorch}).
 */
interface AnchorEngine extends AutoCloseable {

    /** One step; its loss or an output value. */
    double step() throws IOException;

    @Override
    void close();
}
