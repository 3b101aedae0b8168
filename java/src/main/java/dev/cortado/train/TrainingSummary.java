package dev.cortado.train;

import java.io.PrintStream;
import java.util.Locale;

/** Coffee break: prints and records iteration, loss (mean since the previous break), learning rate and samples/s. */
public final class TrainingSummary implements CoffeeBreak {

    private final PrintStream out;

    public TrainingSummary(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onBreak(Solver s) {
        double rate = s.takeSamplesPerSecond();
        double lr = s.optimizer().currentLearningRate();
        if (s.statistics() != null) {
            s.statistics().record(s.iteration(), "loss", s.recentLoss());
            s.statistics().record(s.iteration(), "learning_rate", lr);
            s.statistics().record(s.iteration(), "samples_per_second", rate);
        }
        if (out != null) {
            out.println(String.format(Locale.ROOT, "iter %6d  loss %.5f  lr %.6f  %.0f samples/s", s.iteration(), s.recentLoss(), lr, rate));
        }
    }
}
