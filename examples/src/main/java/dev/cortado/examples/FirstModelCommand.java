package dev.cortado.examples;

import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.softmax;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetTrain;
import dev.cortado.data.CsvOptions;
import dev.cortado.data.Dataset;
import dev.cortado.data.Datasets;
import dev.cortado.data.Normalizer;
import dev.cortado.metrics.Metrics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The README's first model, as written there: a classifier on the iris CSV, trained with a line per round and evaluated. */
@Command(name = "first-model", mixinStandardHelpOptions = true,
        description = "The README's first model: NetChain 16-ReLU-3-softmax on a CSV (default: the bundled iris table), 30 rounds, then a report.",
        footer = {"", "Examples:", "  java -jar cortado-examples.jar first-model",
                  "  java -jar cortado-examples.jar first-model --csv my.csv --label species"})
final class FirstModelCommand implements Callable<Integer> {

    @Option(names = "--csv", description = "a CSV file with a header (default: examples/data/iris.csv).")
    Path csv;

    @Option(names = "--label", defaultValue = "species", description = "the label column's name (default ${DEFAULT-VALUE}).")
    String label;

    @Override
    public Integer call() throws Exception {
        Path file = csv != null ? csv : LeNetCommand.bundled("iris.csv");
        // From here on, the README's snippet with the file and the label column as options.
        Dataset iris = Datasets.csv(file, CsvOptions.defaults().labelColumn(label)).dataset();
        Dataset[] parts = iris.split(42, true, 0.8, 0.2);                  // stratified, seeded: train, test
        Normalizer norm = Normalizer.fit(parts[0]);                          // the training part's mean and std
        Dataset train = norm.apply(parts[0]), test = norm.apply(parts[1]);
        try (NetChain net = NetChain.of(16, ramp(), 3, softmax())) {        // 4 -> 16 -> ReLU -> 3 -> softmax
            NetTrain.train(net, train, NetTrain.options().maxTrainingRounds(30).batchSize(16).learningRate(0.01).validationSet(test));
            System.out.println(Metrics.evaluate(net, test));                 // accuracy, P/R/F1 per class, confusion matrix
        }
        return 0;
    }
}
