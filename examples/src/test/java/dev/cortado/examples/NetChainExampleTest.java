package dev.cortado.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetTrain;
import dev.cortado.data.Dataset;
import dev.cortado.tensor.Rng;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The seed's MNIST NetChain trained by NetTrain on RandomSample[data, 100] of the bundled digits. */
class NetChainExampleTest {

    @Test
    void theMnistChainLearnsFromAHundredDigits() throws Exception {
        Path dir = Path.of("data/mnist-sample"); // surefire runs in the examples module
        Dataset train = Dataset.mnist(dir, "train"), test = Dataset.mnist(dir, "t10k");
        Dataset hundred = NetChainCommand.sample(train, 100, new Rng(1));
        assertEquals(100, hundred.size());
        try (NetChain net = NetChainCommand.mnistChain()) {
            NetTrain.Results r = NetTrain.train(net, hundred, NetTrain.options().maxTrainingRounds(20).validationSet(test));
            double[] loss = r.lossPerRound();
            assertTrue(loss[19] < 0.05 && loss[19] < loss[0] / 20, "training loss by round " + java.util.Arrays.toString(loss));
            double testError = r.rounds().get(19).validationError();
            assertTrue(testError < 0.3, "test error after 100 digits: " + testError); // ten classes: chance is 0.9
        }
    }
}
