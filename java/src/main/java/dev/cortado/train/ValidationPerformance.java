package dev.cortado.train;

import dev.cortado.autograd.GradMode;
import dev.cortado.data.Dataset;
import dev.cortado.memory.Device;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * Coffee break: accuracy on a held-out set (eval mode, no grad, in batches), recorded as
 * "validation_accuracy" and passed to the learning-rate policy (DecayOnValidation listens).
 */
public final class ValidationPerformance implements CoffeeBreak {

    private final Dataset data;
    private final int batchSize;
    private final PrintStream out;
    private double last = Double.NaN;

    public ValidationPerformance(Dataset data, int batchSize, PrintStream out) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        this.data = data;
        this.batchSize = batchSize;
        this.out = out;
    }

    /**
     * Accuracy of {@code net} on {@code data}, in eval mode on the net's device; restores the
     * previous mode. Batches are copied to the device; the count of hits stays there and is read
     * once at the end.
     */
    public static double accuracy(Module net, Dataset data, int batchSize) {
        boolean wasTraining = net.isTraining();
        net.eval();
        Device device = net.device();
        int per = data.sampleSize();
        try (GradMode off = GradMode.off(); Tensor correct = Tensor.zeros(device).keep()) {
            for (int start = 0; start < data.size(); start += batchSize) {
                int n = Math.min(batchSize, data.size() - start);
                int[] shape = new int[data.sampleShape().length + 1];
                shape[0] = n;
                System.arraycopy(data.sampleShape(), 0, shape, 1, data.sampleShape().length);
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = Tensor.of(device, Arrays.copyOfRange(data.inputs(), start * per, (start + n) * per), shape);
                    Tensor y = Tensor.of(device, Arrays.copyOfRange(data.labels(), start, start + n), n);
                    Tensor hits = Losses.correct(net.forward(x), y);
                    correct.kernels().axpy(1, 1f, hits.ptr(), correct.ptr());
                }
            }
            return correct.item() / data.size();
        } finally {
            if (wasTraining) net.train();
        }
    }

    public double last() {
        return last;
    }

    @Override
    public void onBreak(Solver s) {
        last = accuracy(s.net(), data, batchSize);
        s.optimizer().learningRatePolicy().onValidation(last);
        if (s.statistics() != null) s.statistics().record(s.iteration(), "validation_accuracy", last);
        if (out != null) out.println(String.format(Locale.ROOT, "iter %6d  validation accuracy %.2f%%", s.iteration(), 100 * last));
    }
}
