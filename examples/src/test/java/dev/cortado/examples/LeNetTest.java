package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.train.Solver;
import dev.cortado.train.Statistics;
import dev.cortado.train.TrainingSummary;
import dev.cortado.train.ValidationPerformance;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A short LeNet run on the bundled sample: the loss falls and accuracy leaves chance. */
class LeNetTest {

    @Test
    void shortRunOnTheBundledSampleLearns() throws Exception {
        Path dir = Path.of("data/mnist-sample"); // surefire runs in the examples module
        Dataset train = Dataset.mnist(dir, "train"), test = Dataset.mnist(dir, "t10k");
        assertEquals(8000, train.size());
        assertEquals(2000, test.size());
        try (Module net = LeNet.create(new Rng(1));
             Sgd sgd = Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f);
             DataLoader loader = new DataLoader(train, 64, true, 1, true);
             Statistics stats = new Statistics()) {
            double before = ValidationPerformance.accuracy(net, test, 500);
            new Solver(net, sgd, loader, Losses::softmaxCrossEntropy, 120, stats)
                    .addCoffeeBreak(new TrainingSummary(null), 20)
                    .run();
            List<Statistics.Entry> loss = stats.series("loss");
            assertEquals(6, loss.size());
            double first = loss.get(0).value(), last = (loss.get(4).value() + loss.get(5).value()) / 2;
            assertTrue(last < 0.5 * first, "loss should fall: first " + first + ", last " + last);
            double after = ValidationPerformance.accuracy(net, test, 500);
            assertTrue(after > 0.8 && after > before + 0.5, "accuracy before " + before + " after " + after);
        }
    }
}
