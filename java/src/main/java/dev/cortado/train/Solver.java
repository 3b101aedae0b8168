package dev.cortado.train;

import dev.cortado.data.DataLoader;
import dev.cortado.nn.Module;
import dev.cortado.optim.Optimizer;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Mocha-style solver: pulls batches, runs forward, loss, backward and the optimizer step for
 * {@code maxIterations} iterations, and holds coffee breaks every so many iterations. Each
 * iteration's tensors live in a {@link MemoryScope} that is freed when the iteration ends.
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
    private double lastLoss = Double.NaN;
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

    /** Loss of the last iteration. */
    public double lastLoss() {
        return lastLoss;
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
        while (optimizer.iteration() < maxIterations) {
            long t0 = System.nanoTime();
            try (MemoryScope step = MemoryScope.open()) {
                DataLoader.Batch batch = data.next();
                Tensor l = loss.apply(net.forward(batch.inputsTensor()), batch.labelsTensor());
                l.backward();
                optimizer.step();
                optimizer.zeroGrad();
                lastLoss = l.item();
                samplesSinceSummary += batch.labels().length;
            }
            nanosSinceSummary += System.nanoTime() - t0;
            if (!Double.isFinite(lastLoss)) {
                throw new IllegalStateException("loss became " + lastLoss + " at iteration " + optimizer.iteration());
            }
            for (Scheduled s : breaks) {
                if (optimizer.iteration() % s.every() == 0) s.coffeeBreak().onBreak(this);
            }
        }
    }
}
