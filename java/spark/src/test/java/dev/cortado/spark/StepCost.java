package dev.cortado.spark;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.api.NetModels;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.util.Locale;

/**
 * The README's table of what a data-parallel step costs: each model's parameter count (from the
 * real model), the allGather bytes per step, this machine's time for one worker's step at batch
 * 64, and the predicted step time for 8, 32 and 128 workers at 1 and 10 Gbit/s of driver bandwidth:
 * t = t_compute + N²·M / B (the driver sends every worker all N messages of M bytes). Run it with
 * {@code mvn -q -B package -DskipTests -Dmaven.javadoc.skip -Dspark-lenet -Dspark-lenet.main=dev.cortado.spark.StepCost -pl java,java/spark}.
 */
public final class StepCost {

    private StepCost() {
    }

    /** Base64 of 4·P bytes, plus the "w:" prefix. */
    static long messageBytes(long parameters) {
        return 4 * ((4 * parameters + 2) / 3) + 4;
    }

    public static void main(String[] args) {
        record Model(String name, Module net, int[] sample) {
        }
        NetChain lstm = NetChain.of(NetLayer.lstm(128), NetLayer.sequenceLast(), 10, NetLayer.softmax()).initialize(1L, 28, 28);
        NetChain resnet = NetModels.cifarResNet(20, 10).initialize(1L, 1, 28, 28);
        Model[] models = {new Model("LeNet", LeNet.create(new Rng(1)), new int[] {1, 28, 28}), new Model("LSTM (lstm-mnist)", lstm.module(), new int[] {28, 28}),
                new Model("ResNet-20 (1x28x28)", resnet.module(), new int[] {1, 28, 28})};
        int[] workers = {8, 32, 128};
        double[] gbits = {1, 10};
        System.out.println("| model | parameters | M = bytes one worker sends per step | t_compute (batch 64, this machine) | N | driver in N·M | driver out N²·M | "
                + "step at 1 Gbit/s | step at 10 Gbit/s |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Model m : models) {
            long p = m.net().parameterCount(), bytes = messageBytes(p);
            double compute = stepSeconds(m.net(), m.sample());
            for (int n : workers) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %,d | %,d | %.1f ms | %d | %s | %s", m.name(), p, bytes, compute * 1e3, n,
                        mb((double) n * bytes), mb((double) n * n * bytes)));
                for (double g : gbits) {
                    double t = compute + (double) n * n * bytes / (g * 1e9 / 8);
                    row.append(String.format(Locale.ROOT, " | %.0f ms", t * 1e3));
                }
                System.out.println(row.append(" |"));
            }
            // N*: the workers past which the driver's link takes longer than the computation
            for (double g : gbits) {
                System.out.printf(Locale.ROOT, "%s: the driver's link outweighs the computation past N = %.1f workers at %.0f Gbit/s; the default "
                        + "spark.rpc.message.maxSize (128 MiB) holds an allGather reply N·M up to N = %d%n", m.name(),
                        Math.sqrt(compute * g * 1e9 / 8 / bytes), g, (128L << 20) / bytes);
            }
        }
        for (Model m : models) m.net().close();
    }

    /** The median of 7 timed training steps (forward, backward, SGD) at batch 64 on random data, after 3 warm-up steps. */
    static double stepSeconds(Module net, int[] sample) {
        int[] shape = new int[sample.length + 1];
        shape[0] = 64;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        double[] times = new double[10];
        try (Sgd sgd = new Sgd(net.parameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f, false)) {
            Rng rng = new Rng(2);
            for (int i = 0; i < times.length; i++) {
                long t0 = System.nanoTime();
                try (MemoryScope s = MemoryScope.open()) {
                    Tensor x = Tensor.rand(rng, shape);
                    float[] labels = new float[64];
                    for (int j = 0; j < 64; j++) labels[j] = j % 10;
                    Losses.softmaxCrossEntropy(net.forward(x), Tensor.of(labels, 64)).backward();
                    sgd.step();
                    sgd.zeroGrad();
                }
                times[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        double[] timed = java.util.Arrays.copyOfRange(times, 3, times.length);
        java.util.Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    private static String mb(double bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
