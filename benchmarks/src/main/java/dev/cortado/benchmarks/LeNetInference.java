package dev.cortado.benchmarks;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.memory.Device;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/** What the inference benchmarks time: an eval-mode LeNet and one input batch, on a chosen backend and its device. */
final class LeNetInference implements AutoCloseable {

    private final Backends.Selection selection;
    private final Module net;
    private final Tensor x;

    LeNetInference(String backend, int threads, int batch) {
        selection = BenchmarkBackend.select(backend, threads);
        Rng rng = new Rng(1);
        Device device = BenchmarkBackend.device(backend);
        net = LeNet.create(rng).to(device);
        net.eval();
        x = Tensor.uniform(device, rng, 0, 1, batch, 1, 28, 28);
    }

    /** One forward pass in its own scope, without grad; reads one output value. */
    float infer() {
        try (GradMode off = GradMode.off(); MemoryScope scope = MemoryScope.open()) {
            return net.forward(x).get(0, 0);
        }
    }

    @Override
    public void close() {
        net.close();
        x.close();
        selection.close();
    }
}
