package dev.cortado.examples;

import dev.cortado.api.NetChain;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.memory.Device;
import dev.cortado.api.NetModels;
import dev.cortado.api.NetTrain;
import dev.cortado.data.Dataset;
import dev.cortado.data.Normalizer;
import dev.cortado.metrics.Metrics;
import dev.cortado.optim.LearningRate;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Workload B of issue 21: ResNet-20 on Fashion-MNIST, SGD with Nesterov momentum 0.9, lr 0.1 with
 * cosine decay, weight decay 5e-4, batch 128; benchmarks/resnet20.py is the same in PyTorch.
 */
@Command(name = "resnet", mixinStandardHelpOptions = true,
        description = "ResNet-20 (NetModels.cifarResNet(20, 10)) on Fashion-MNIST (apt-get install dataset-fashion-mnist): "
                + "SGD Nesterov 0.9, lr 0.1 with cosine decay over the run, weight decay 5e-4, batch 128; a line per epoch, "
                + "then the test set's report; the model is saved (NetChain.load reads it back).",
        footer = {"", "Examples:", "  java -jar cortado-examples.jar resnet", "  java -jar cortado-examples.jar resnet --epochs 2"})
final class ResNetCommand implements Callable<Integer> {

    static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @Option(names = "--epochs", defaultValue = "6", description = "passes over the 60,000 training images (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--data", description = "a directory with the Fashion-MNIST IDX files (default: " + "/usr/share/datasets/fashion-mnist).")
    Path data;

    @Option(names = "--out", defaultValue = "resnet-out", description = "directory for resnet20.safetensors, the saved model (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--profile", description = "Time every kernel call and print, per training step, where the time went (validation included).")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        Profiled.run(profile, this::run);
        return 0;
    }

    private void run(KernelProfiler profiler) throws Exception {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        Path dir = data != null ? data : FASHION;
        if (!Files.isDirectory(dir)) {
            throw new java.io.IOException("no Fashion-MNIST directory " + dir + (data == null ? " (apt-get install dataset-fashion-mnist, or give --data DIR)" : ""));
        }
        Dataset train = Dataset.idx(dir, "train"), test = Dataset.idx(dir, "t10k");
        Normalizer norm = Normalizer.fitPerChannel(train); // one mean and std over all training pixels, as resnet20.py
        train = norm.apply(train);
        test = norm.apply(test);
        PrintStream log = Console.system().log();
        int batch = 128, steps = (train.size() + batch - 1) / batch;
        try (NetChain net = NetModels.cifarResNet(20, 10);
             Console.Progress bar = Console.system().progress("resnet", (long) epochs * steps, " it")) {
            net.initialize(1, train.sampleShape());
            log.printf("resnet: ResNet-20, %,d parameters; %,d training and %,d test images; kernels %s%n",
                    net.module().parameterCount(), train.size(), test.size(), Backends.describe(Device.CPU));
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().batchSize(batch).maxTrainingRounds(epochs)
                    .method(NetTrain.Method.SGD_NESTEROV).learningRateSchedule(LearningRate.cosine(0.1, 0, (long) epochs * steps))
                    .weightDecay(5e-4).validationSet(test).onBatch(bar::step)); // NetTrain logs each round above the bar
            bar.close();
            double seconds = r.rounds().stream().mapToDouble(NetTrain.Round::trainingSeconds).sum();
            log.printf("resnet: %d epochs, %.0f images/s training%n", epochs, (double) epochs * train.size() / seconds);
            log.println(Metrics.evaluate(net, test));
            Files.createDirectories(out);
            Path model = out.resolve("resnet20.safetensors");
            net.save(model); // the whole chain: NetChain.load(model) gives it back, torch reads its state_dict
            log.printf("saved %s%n", model);
        }
        if (profiler != null) log.print("kernel time per training step:\n" + profiler.report(epochs * steps));
    }
}
