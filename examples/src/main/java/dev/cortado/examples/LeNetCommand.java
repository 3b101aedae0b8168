package dev.cortado.examples;

import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.data.Hdf5Source;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.memory.Device;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.train.Snapshots;
import dev.cortado.train.Solver;
import dev.cortado.train.Statistics;
import dev.cortado.train.TrainingSummary;
import dev.cortado.train.ValidationPerformance;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The main job: the seed's Mocha LeNet on MNIST (the bundled 8,000/2,000 sample by default). */
@Command(name = "lenet", mixinStandardHelpOptions = true,
        description = "Train Mocha's LeNet on MNIST: SGD lr 0.01, momentum 0.9, regu 0.0005, Inv(0.01, 0.0001, 0.75).",
        footer = {"", "Examples:",
                  "  java -jar cortado-examples.jar lenet                                   # 2,000 iterations on the bundled sample",
                  "  java -jar cortado-examples.jar lenet --iterations 5000 --threads 2",
                  "  java -jar cortado-examples.jar lenet --data ~/mnist                    # full MNIST: train-*/t10k-* IDX files",
                  "  java -jar cortado-examples.jar lenet --resume lenet-snapshots --iterations 4000",
                  "  java -jar cortado-examples.jar lenet --hdf5-train train.txt --hdf5-test test.txt",
                  "  java -jar cortado-examples.jar lenet --iterations 300 --profile        # time per kernel and shape",
                  "  java -jar cortado-examples.jar lenet --device sim --iterations 20 --batch 8",
                  "  java -jar cortado-examples.jar lenet --device cuda",
                  "  java -Dcortado.cuda=emulate -jar cortado-examples.jar lenet --device cuda --iterations 20 --batch 8"})
final class LeNetCommand implements Callable<Integer> {

    @Option(names = "--data",
            description = "Directory with train-/t10k- images and labels in IDX (.gz or raw) (default: the bundled sample, "
                    + "examples/data/mnist-sample, found from the jar's location whatever the working directory).")
    Path data;

    @Option(names = "--iterations", defaultValue = "2000", description = "Training iterations (default ${DEFAULT-VALUE}).")
    int iterations = 2000;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--backend", description = "Kernels: cpu (native) or java (reference). Default: cpu when it loads.")
    String backend;

    @Option(names = "--threads", description = "Native kernel threads (default and most: the available cores).")
    Integer threads;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for weights and data order (default ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--stats", defaultValue = "lenet-statistics.csv", description = "Statistics file, CSV (default ${DEFAULT-VALUE}).")
    Path stats = Path.of("lenet-statistics.csv");

    @Option(names = "--snapshot-dir", defaultValue = "lenet-snapshots",
            description = "Where snapshots go every 500 iterations (default ${DEFAULT-VALUE}).")
    Path snapshotDir = Path.of("lenet-snapshots");

    @Option(names = "--resume", description = "Resume from a snapshot: an iter-* directory, or a snapshot directory (its latest).")
    Path resume;

    @Option(names = "--plot", defaultValue = "lenet-curve.png", description = "Training-curve PNG (default ${DEFAULT-VALUE}).")
    Path plot = Path.of("lenet-curve.png");

    @Option(names = "--hdf5-train", description = "Train from an HDF5 list file (Mocha/Caffe: datasets data and label) instead of --data.")
    Path hdf5Train;

    @Option(names = "--hdf5-test", description = "Test/validation HDF5 list file (with --hdf5-train).")
    Path hdf5Test;

    @Option(names = "--no-progress", description = "No progress bar (there is none anyway without a terminal).")
    boolean noProgress;

    @Option(names = "--validate-every", defaultValue = "500",
            description = "Test-set accuracy every this many iterations (default ${DEFAULT-VALUE}).")
    int validateEvery = 500;

    @Option(names = "--profile", description = "Time every kernel call and print where the training time went.")
    boolean profile;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceName.class,
            description = "Device to train on: cpu (default), cuda or cuda:N (a GPU, with cortado-cuda; on the CPU emulation with "
                    + "-Dcortado.cuda=emulate), or sim (the host-sealed test device: java kernels behind a wall).")
    Device device = Device.CPU;

    /** A bad device name is a command-line error (exit 2), named by Device.parse. */
    static final class DeviceName implements picocli.CommandLine.ITypeConverter<Device> {
        @Override
        public Device convert(String name) {
            return Device.parse(name);
        }
    }

    @Override
    public Integer call() throws Exception {
        Device on = device;
        if (threads != null) CpuKernels.setThreads(threads);
        if (validateEvery < 1) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "--validate-every " + validateEvery + " is under 1 iteration");
        try (Backends.Selection chosen = backend == null ? null : Backends.use(backend)) {
            Console.system().log().println("Cortado kernels: " + Backends.describe(on) + (on.isCpu() ? "" : " on " + on));
            KernelProfiler profiler = profile ? new KernelProfiler(Backends.of(on)) : null;
            try (Backends.Selection profiled = profiler == null ? null : Backends.use(profiler.kernels())) {
                return train(on, profiler);
            }
        }
    }

    private int train(Device on, KernelProfiler profiler) throws Exception {
        Console console = Console.system();
        PrintStream out = console.log();
        boolean hdf5 = hdf5Train != null;
        if (hdf5 && hdf5Test == null) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--hdf5-train needs --hdf5-test");
        Path data = this.data != null ? this.data : bundledSample();
        Dataset train = hdf5 ? Hdf5Source.load(hdf5Train) : Dataset.mnist(data, "train");
        Dataset test = hdf5 ? Hdf5Source.load(hdf5Test) : Dataset.mnist(data, "t10k");
        out.printf("MNIST from %s: %d training, %d test images%n", hdf5 ? hdf5Train : data, train.size(), test.size());
        try (Module net = LeNet.create(new Rng(seed)).to(on);
             Sgd sgd = Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f);
             DataLoader loader = new DataLoader(train, batch, true, seed, true);
             Statistics statistics = new Statistics(stats)) {
            if (resume != null) out.println("resumed at iteration " + Snapshots.load(resume, net, sgd, loader) + " from " + resume);
            long start = sgd.iteration();
            ValidationPerformance validation = new ValidationPerformance(test, 500, out);
            Solver solver = new Solver(net, sgd, loader, Losses::softmaxCrossEntropy, iterations, statistics)
                    .addCoffeeBreak(new TrainingSummary(out), 100)
                    .addCoffeeBreak(validation, validateEvery)
                    .addCoffeeBreak(new Snapshots(snapshotDir), 500);
            long t0 = System.nanoTime();
            try (Console.Progress bar = noProgress ? Console.Progress.NONE : console.progress("LeNet", iterations, " it")) {
                bar.stepTo(start);
                solver.addCoffeeBreak(s -> bar.stepTo(s.iteration()), 1);
                solver.run();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (profiler != null) {
                int steps = (int) Math.max(1, solver.iteration() - start);
                out.printf(Locale.ROOT, "kernel time per training iteration (%.3f ms wall per iteration, validation included):%n%s",
                        seconds * 1e3 / steps, profiler.report(steps));
            }
            double accuracy = ValidationPerformance.accuracy(net, test, 500);
            statistics.record(solver.iteration(), "test_accuracy", accuracy);
            out.printf(Locale.ROOT, "trained iterations %d..%d in %.1f s (%.0f samples/s); test accuracy %.2f%% on %d images%n",
                    start, solver.iteration(), seconds, (solver.iteration() - start) * (double) batch / seconds, 100 * accuracy, test.size());
            Path last = Snapshots.save(snapshotDir, net, sgd, loader);
            TrainingCurve.write(statistics, plot);
            out.println("statistics: " + stats.toAbsolutePath() + "\nsnapshot: " + last.toAbsolutePath()
                    + "\ntraining curve: " + plot.toAbsolutePath());
        }
        return 0;
    }

    /**
     * The bundled sample, examples/data/mnist-sample: under the working directory when run from
     * the repository root, else found from where this class was loaded (examples/target/the jar,
     * or examples/target/classes).
     */
    static Path bundledSample() {
        return bundled("mnist-sample");
    }

    /**
     * {@code examples/data/<name>}: relative to the working directory (the repository root), else
     * beside the build's jar or classes.
     */
    static Path bundled(String name) {
        Path relative = Path.of("examples", "data", name);
        if (java.nio.file.Files.exists(relative)) return relative;
        try {
            Path code = Path.of(LeNetCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path fromBuild = code.getParent().getParent().resolve("data").resolve(name);
            if (java.nio.file.Files.exists(fromBuild)) return fromBuild;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // fall through to the relative path, whose absence the reader reports
        }
        return relative;
    }
}
