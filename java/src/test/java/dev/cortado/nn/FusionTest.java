package dev.cortado.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetModels;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.kernels.PerBackend;
import dev.cortado.memory.Device;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The inference fusions of {@link Layers.Sequential} (convolution + eval-mode batch norm + ReLU,
 * and a residual block's add + ReLU, as one convolution): under GradMode.off a CIFAR ResNet gives
 * what its layers give one by one, with no norm, ReLU or add kernel left; a norm in training mode
 * is not folded (its running statistics still move). Per backend.
 */
abstract class FusionTest extends PerBackend {

    static final class JavaTest extends FusionTest {
        JavaTest() {
            super("java");
        }
    }

    static final class CpuTest extends FusionTest {
        CpuTest() {
            super("cpu");
        }
    }

    FusionTest(String backend) {
        super(backend);
    }

    /** A ResNet-8 whose norms hold running statistics of their own (not 0 and 1), in eval mode. */
    private static NetChain resnet() {
        NetChain net = NetModels.cifarResNet(8, 10).initialize(3L, 1, 12, 12);
        Rng rng = new Rng(4);
        for (var e : net.module().namedBuffers().entrySet()) {
            Tensor b = e.getValue();
            b.copyFrom(Tensor.uniform(rng, e.getKey().endsWith("var") ? 0.5f : -0.5f, e.getKey().endsWith("var") ? 2f : 0.5f, b.shape()));
        }
        net.module().eval();
        return net;
    }

    /** The logits, and the kernels they called (the profiler's report). */
    private static Object[] logits(NetChain net, Tensor x, boolean gradOff) {
        KernelProfiler p = new KernelProfiler(Backends.of(Device.CPU));
        try (Backends.Selection s = Backends.use(p.kernels()); GradMode m = gradOff ? GradMode.off() : GradMode.on()) {
            return new Object[] {net.logits(x).toArray(), p.report(1)};
        }
    }

    @Test
    void inferenceFusesTheResNetsNormsReluAndAddsAndGivesTheSameLogits() {
        NetChain net = resnet();
        Tensor x = Tensor.uniform(new Rng(5), -1, 1, 3, 1, 12, 12);
        Object[] plain = logits(net, x, false), fused = logits(net, x, true);
        String plainKernels = (String) plain[1], fusedKernels = (String) fused[1];
        assertTrue(plainKernels.contains("batchNormInference") && plainKernels.contains("reluForward"), plainKernels);
        assertFalse(fusedKernels.contains("batchNormInference"), fusedKernels);
        assertFalse(fusedKernels.contains("reluForward"), fusedKernels); // (a residual block's add, unfused, comes with its ReLU)
        float[] e = (float[]) plain[0], a = (float[]) fused[0];
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-4 * Math.max(1, Math.abs(e[i])), "logit " + i);
    }

    @Test
    void aNormInTrainingModeIsNotFolded() {
        NetChain one = resnet(), two = resnet();
        one.module().train();
        two.module().train();
        Tensor x = Tensor.uniform(new Rng(6), -1, 1, 3, 1, 12, 12);
        Object[] off = logits(one, x, true), on = logits(two, x, false);
        assertTrue(((String) off[1]).contains("batchNormForward"), (String) off[1]);
        assertArrayEquals((float[]) on[0], (float[]) off[0]);
        var a = one.module().namedBuffers();
        var b = two.module().namedBuffers();
        for (String name : a.keySet()) assertArrayEquals(b.get(name).toArray(), a.get(name).toArray(), name);
    }
}
