package dev.cortado.examples;

import static dev.cortado.api.NetLayer.convolution;
import static dev.cortado.api.NetLayer.elementwise;
import static dev.cortado.api.NetLayer.flatten;
import static dev.cortado.api.NetLayer.linear;
import static dev.cortado.api.NetLayer.pooling;
import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.softmax;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.api.NetTrain;
import dev.cortado.data.Dataset;
import dev.cortado.tensor.Rng;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The seed's Mathematica snippets: small NetChains, then its MNIST chain trained with NetTrain on 100 digits and on the whole sample. */
@Command(name = "netchain", mixinStandardHelpOptions = true,
        description = "NetChain/NetTrain: the seed's small chains, then its MNIST chain on RandomSample[data, 100] and on the whole bundled sample.",
        footer = {"", "Examples:", "  java -jar cortado-examples.jar netchain", "  java -jar cortado-examples.jar netchain --rounds 5 --batch 32"})
final class NetChainCommand implements Callable<Integer> {

    @Option(names = "--rounds", defaultValue = "3", description = "MaxTrainingRounds on the whole sample (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--batch", defaultValue = "64", description = "BatchSize (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--data", description = "MNIST IDX directory (default: the bundled sample).")
    Path data;

    @Option(names = "--curve", defaultValue = "netchain-curve.png", description = "where to plot loss and error per round (default ${DEFAULT-VALUE}).")
    Path curve;

    @Override
    public Integer call() throws Exception {
        double[] v = {1, -2, 3};
        for (NetChain small : List.of(NetChain.of(linear(5)), NetChain.of(ramp()), NetChain.of(elementwise(NetLayer.Function.TANH)),
                NetChain.of(elementwise(NetLayer.Function.LOGISTIC_SIGMOID)))) {
            try (small) {
                Console.system().log().println(small.initialize(3) + ".apply(" + Arrays.toString(v) + ") = " + Arrays.toString(small.apply(v)));
            }
        }
        Path dir = data != null ? data : LeNetCommand.bundledSample();
        Dataset train = Dataset.mnist(dir, "train"), test = Dataset.mnist(dir, "t10k");
        Dataset hundred = sample(train, 100, new Rng(1));
        try (NetChain few = mnistChain()) {
            NetTrain.Results r = NetTrain.train(few, hundred, NetTrain.options().batchSize(batch).maxTrainingRounds(20).validationSet(test).quiet());
            report("NetTrain[net, RandomSample[data, 100]] (20 rounds)", r);
        }
        try (NetChain net = mnistChain()) {
            NetTrain.Results r;
            try (Console.Progress bar = Console.system().progress("NetTrain", rounds, " rounds")) {
                r = NetTrain.train(net, train, NetTrain.options().batchSize(batch).maxTrainingRounds(rounds).validationSet(test)
                        .onRound(x -> bar.step())); // NetTrain logs each round above the bar
            }
            report("NetTrain[net, data] on " + train.size() + " digits (" + rounds + " rounds)", r);
            plot(r, curve);
            Console.system().log().println("loss and error per round: " + curve);
        }
        return 0;
    }

    /** The seed's MNIST chain. */
    static NetChain mnistChain() {
        return NetChain.of(convolution(20, 5), ramp(), pooling(2, 2), convolution(50, 5), ramp(), pooling(2, 2), flatten(), 500, ramp(), 10,
                softmax());
    }

    /** RandomSample[data, n]: n distinct samples. */
    static Dataset sample(Dataset data, int n, Rng rng) {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int per = data.sampleSize();
        float[] x = new float[n * per], y = new float[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data.inputs(), order[i] * per, x, i * per, per);
            y[i] = data.labels()[order[i]];
        }
        return new Dataset(x, data.sampleShape(), y);
    }

    private static void report(String what, NetTrain.Results r) {
        NetTrain.Round last = r.rounds().get(r.rounds().size() - 1);
        Console.system().log().printf("%s: loss %.4f -> %.4f, training error %.1f %%, test error %.1f %% (%.1f s)%n", what, r.rounds().get(0).loss(),
                last.loss(), 100 * last.error(), 100 * last.validationError(), r.totalSeconds());
    }

    private static void plot(NetTrain.Results r, Path png) throws java.io.IOException {
        System.setProperty("java.awt.headless", "true");
        double[] x = r.rounds().stream().mapToDouble(NetTrain.Round::round).toArray();
        XYChart chart = new XYChartBuilder().width(640).height(420).title("NetTrain").xAxisTitle("round").yAxisTitle("loss / error").build();
        chart.addSeries("training loss", x, r.lossPerRound());
        chart.addSeries("training error", x, r.errorPerRound());
        chart.addSeries("test error", x, r.rounds().stream().mapToDouble(NetTrain.Round::validationError).toArray());
        String file = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4) : png.toString();
        BitmapEncoder.saveBitmap(chart, file, BitmapEncoder.BitmapFormat.PNG);
    }
}
