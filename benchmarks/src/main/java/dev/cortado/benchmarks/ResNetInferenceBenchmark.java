package dev.cortado.benchmarks;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.autograd.GradMode;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * Workload B's inference (issue 21): ResNet-20's class probabilities for 500 images 1x28x28 in eval
 * mode (running statistics) without a graph; engine=pytorch runs benchmarks/resnet20.py's model the
 * same way. images/s = 500 / time.
 */
public class ResNetInferenceBenchmark extends WorkloadBenchmark {

    private NetChain net;
    private Tensor x;

    @Override
    protected String workload() {
        return "resnet-infer";
    }

    @Override
    protected void setUpCortado() {
        net = NetModels.cifarResNet(20, 10).initialize(1L, 1, 28, 28);
        net.module().eval();
        x = Tensor.normal(new Rng(1), 0f, 1f, 500, 1, 28, 28);
    }

    @Override
    protected double cortadoStep() {
        try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
            return net.module().forward(x).get(0, 0);
        }
    }

    @Override
    protected long cortadoParameterCount() {
        return net.module().parameters().stream().mapToLong(Tensor::numel).sum();
    }

    @Override
    protected void tearDownCortado() {
        net.close();
        x.close();
    }
}
