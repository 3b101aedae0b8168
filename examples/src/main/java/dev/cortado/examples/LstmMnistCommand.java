package dev.cortado.examples;

import static dev.cortado.api.NetLayer.lstm;
import static dev.cortado.api.NetLayer.sequenceLast;
import static dev.cortado.api.NetLayer.softmax;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetTrain;
import dev.cortado.data.Dataset;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The bundled digits read row by row (28 steps of 28 pixels) by LSTM(128) -> linear(10) -> softmax, Adam 1e-3, batch 64. */
@Command(name = "lstm-mnist", mixinStandardHelpOptions = true,
        description = "LSTM on MNIST rows: each digit is a sequence of 28 rows of 28 pixels; LSTM(128), its last step, linear(10), softmax.",
        footer = {"", "Examples:", "  java -jar cortado-examples.jar lstm-mnist", "  java -jar cortado-examples.jar lstm-mnist --iterations 500"})
final class LstmMnistCommand implements Callable<Integer> {

    @Option(names = "--iterations", defaultValue = "2000", description = "training iterations of batch 64, rounded up to whole rounds (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--data", description = "MNIST IDX directory (default: the bundled sample).")
    Path data;

    @Override
    public Integer call() throws Exception {
        Path dir = data != null ? data : LeNetCommand.bundledSample();
        Dataset train = rows(Dataset.mnist(dir, "train")), test = rows(Dataset.mnist(dir, "t10k"));
        int perRound = (train.size() + 63) / 64, rounds = Math.max(1, (iterations + perRound - 1) / perRound);
        try (NetChain net = NetChain.of(lstm(128), sequenceLast(), 10, softmax());
             Console.Progress bar = Console.system().progress("lstm-mnist", rounds, " rounds")) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().batchSize(64).maxTrainingRounds(rounds).learningRate(1e-3)
                    .validationSet(test).onRound(x -> bar.step())); // NetTrain logs each round above the bar
            bar.close();
            NetTrain.Round last = r.rounds().get(rounds - 1);
            double seconds = r.rounds().stream().mapToDouble(x -> x.seconds()).sum();
            Console.system().log().printf("lstm-mnist: %d iterations (%d rounds of %d) in %.1f s; training loss %.4f; test accuracy %.2f %% on %d digits%n",
                    rounds * perRound, rounds, perRound, seconds, last.loss(), 100 * (1 - last.validationError()), test.size());
        }
        return 0;
    }

    /** Images [1, 28, 28] as sequences [28 rows, 28 pixels]. */
    static Dataset rows(Dataset images) {
        int[] s = images.sampleShape();
        return new Dataset(images.inputs(), new int[] {s[s.length - 2], s[s.length - 1]}, images.labels());
    }
}
