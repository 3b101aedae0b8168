package dev.cortado.train;

import dev.cortado.data.DataLoader;
import dev.cortado.memory.Device;
import dev.cortado.nn.Module;
import dev.cortado.optim.Optimizer;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Mocha-style solver: pulls batches, runs forward, loss, backward and the optimizer step for
 * {@code maxIterations} iterations, and holds coffee breaks every so many iterations. Each
 * iteration's tensors live in a {@link MemoryScope} that is freed when the iteration ends.
 *
 * <p>Devices: the solver trains on the device of the network's parameters. Host batches from the
 * {@link DataLoader} are copied into one reusable staging tensor per input on that device; the
 * loss stays there too (a running sum) and is read by the host only when a coffee break is due
 * and at the end of {@link #run}, so a step never waits for the device. A non-finite loss stops
 * the run at that read, before any coffee break (a snapshot) sees the weights.
 */
public final class Solver {

    private record Scheduled(CoffeeBreak coffeeBreak, int every) {
    }

    private final Module net;
    private final Optimizer optimizer;
    private final DataLoader data;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    private final long maxIterations;
    private final Statistics statistics;
    private final List<Scheduled> breaks = new ArrayList<>();
    private GradientHook gradientHook;
    private Tensor inputs, labels;  // staging on the model's device, reused every step
    private Tensor lossSum;         // sum of the step losses since the last read, on the device
    private Tensor lastLoss;        // the last step's loss, on the device
    private long lossCount;
    private long lossFrom;
    private double recentLoss = Double.NaN;
    private long samplesSinceSummary;
    private long nanosSinceSummary;

    /** @param loss (network output, labels) → scalar loss */
    public Solver(Module net, Optimizer optimizer, DataLoader data, BiFunction<Tensor, Tensor, Tensor> loss,
                  long maxIterations, Statistics statistics) {
        if (maxIterations < 0) throw new IllegalArgumentException("maxIterations must be >= 0, got " + maxIterations);
        this.net = net;
        this.optimizer = optimizer;
        this.data = data;
        this.loss = loss;
        this.maxIterations = maxIterations;
        this.statistics = statistics;
    }

    /** Holds {@code coffeeBreak} after every {@code every}-th iteration. */
    public Solver addCoffeeBreak(CoffeeBreak coffeeBreak, int every) {
        if (every < 1) throw new IllegalArgumentException("coffee-break interval must be >= 1, got " + every);
        breaks.add(new Scheduled(coffeeBreak, every));
        return this;
    }

    /**
     * Work between a step's backward pass and its optimizer step, with the step's gradients in the
     * parameters' {@code grad()}: a data-parallel worker (cortado-spark) replaces them there by the
     * sum over all workers, so that every worker applies the same update.
     */
    @FunctionalInterface
    public interface GradientHook {
        /** Called after iteration {@code solver.iteration() + 1}'s backward, before its optimizer step. */
        void beforeStep(Solver solver) throws Exception;
    }

    /** Calls {@code hook} in every step between backward and the optimizer step (one hook; a second call replaces it, null removes it). */
    public Solver beforeEachStep(GradientHook hook) {
        gradientHook = hook;
        return this;
    }

    /** Iterations completed so far (the optimizer's step count, so it survives a resume). */
    public long iteration() {
        return optimizer.iteration();
    }

    public long maxIterations() {
        return maxIterations;
    }

    public Module net() {
        return net;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public DataLoader data() {
        return data;
    }

    public Statistics statistics() {
        return statistics;
    }

    /** Loss of the last iteration (a host read of one number: a synchronisation point on a device). */
    public double lastLoss() {
        return lastLoss == null ? Double.NaN : lastLoss.item();
    }

    /** Mean loss over the iterations since the previous coffee break (read from the device when this break became due). */
    public double recentLoss() {
        return recentLoss;
    }

    /** Training samples per second since the previous call (used by TrainingSummary). */
    public double takeSamplesPerSecond() {
        double rate = nanosSinceSummary == 0 ? 0 : samplesSinceSummary * 1e9 / nanosSinceSummary;
        samplesSinceSummary = 0;
        nanosSinceSummary = 0;
        return rate;
    }

    /** Trains from the current iteration up to maxIterations. */
    public void run() throws Exception {
        net.train();
        Device device = net.device();
        try {
            while (optimizer.iteration() < maxIterations) {
                long t0 = System.nanoTime();
                try (MemoryScope step = MemoryScope.open()) {
                    DataLoader.Batch batch = data.next();
                    inputs = stage(inputs, device, batch.inputs(), batch.inputShape());
                    labels = stage(labels, device, batch.labels(), batch.labels().length);
                    Tensor l = loss.apply(net.forward(inputs), labels);
                    l.backward();
                    if (gradientHook != null) gradientHook.beforeStep(this);
                    optimizer.step();
                    optimizer.zeroGrad();
                    accumulate(l);
                    samplesSinceSummary += batch.labels().length;
                }
                nanosSinceSummary += System.nanoTime() - t0;
                boolean due = false;
                for (Scheduled s : breaks) due |= optimizer.iteration() % s.every() == 0;
                if (!due) continue;
                readLoss();
                for (Scheduled s : breaks) {
                    if (optimizer.iteration() % s.every() == 0) s.coffeeBreak().onBreak(this);
                }
            }
            if (lossCount > 0) readLoss();
        } finally {
            for (Tensor t : new Tensor[] {inputs, labels, lossSum}) if (t != null) t.close();
            inputs = labels = lossSum = null;
            lossCount = 0;
        }
    }

    /** Copies a host batch into the staging tensor, reallocating it only when the shape changes. */
    private static Tensor stage(Tensor staging, Device device, float[] values, int... shape) {
        if (staging == null || !Arrays.equals(staging.shape(), shape)) {
            if (staging != null) staging.close();
            staging = Tensor.empty(device, shape).keep();
        }
        return staging.copyFrom(values);
    }

    private void accumulate(Tensor l) {
        if (lossSum == null) lossSum = Tensor.zeros(l.device()).keep();
        if (lossCount == 0) lossFrom = optimizer.iteration();
        l.kernels().axpy(1, 1f, l.ptr(), lossSum.ptr());
        lossCount++;
        if (lastLoss != null) lastLoss.close();
        lastLoss = l.detach().keep();
    }

    /** The one host read of the loss: the mean since the previous read; stops the run when it is not finite. */
    private void readLoss() {
        recentLoss = lossSum.item() / lossCount;
        lossSum.fill(0f);
        lossCount = 0;
        if (!Double.isFinite(recentLoss)) {
            throw new IllegalStateException("loss became " + recentLoss + " between iterations " + lossFrom + " and "
                    + optimizer.iteration());
        }
    }
}
