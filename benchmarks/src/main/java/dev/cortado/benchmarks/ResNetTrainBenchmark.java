package dev.cortado.benchmarks;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.ops.Softmax;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;

/**
 * Workload B's training step (issue 21): ResNet-20 (NetModels.cifarResNet(20, 10)) on a batch of
 * 128 images 1x28x28 — forward in training mode (batch statistics), cross-entropy, backward, SGD
 * with Nesterov momentum 0.9 and weight decay 5e-4 — on resident random data; engine=pytorch runs
 * benchmarks/resnet20.py's model the same way. images/s = 128 / time.
 */
public class ResNetTrainBenchmark extends WorkloadBenchmark {

    private NetChain net;
    private Sgd sgd;
    private Tensor x, labels;

    @Override
    protected String workload() {
        return "resnet-train";
    }

    @Override
    protected void setUpCortado() {
        Rng rng = new Rng(1);
        net = NetModels.cifarResNet(20, 10).initialize(1L, 1, 28, 28);
        net.module().train();
        sgd = new Sgd(net.module().parameters(), LearningRate.fixed(0.1), Momentum.fixed(0.9), 5e-4f, true);
        x = Tensor.normal(rng, 0f, 1f, 128, 1, 28, 28);
        float[] y = new float[128];
        for (int i = 0; i < y.length; i++) y[i] = rng.nextInt(10);
        labels = Tensor.of(y, 128);
    }

    @Override
    protected double cortadoStep() {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor loss = Softmax.crossEntropy(net.logits(x), labels);
            loss.backward();
            sgd.step();
            net.module().zeroGrad();
            return loss.item();
        }
    }

    @Override
    protected long cortadoParameterCount() {
        return net.module().parameters().stream().mapToLong(Tensor::numel).sum();
    }

    @Override
    protected void tearDownCortado() {
        sgd.close();
        net.close();
        x.close();
        labels.close();
    }
}
