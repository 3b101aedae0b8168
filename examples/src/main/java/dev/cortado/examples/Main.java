package dev.cortado.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command-line entry for the examples; with no subcommand it runs lenet (the main job). An error
 * (a bad option, a missing or corrupt file) prints one line naming the problem and exits non-zero;
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "cortado-examples", mixinStandardHelpOptions = true,
        description = "Cortado example networks. Without a subcommand: lenet (the main job).",
        subcommands = {LeNetCommand.class, FirstModelCommand.class, Main.PerceptronCommand.class, Main.TwoLayerCommand.class, Main.BackpropCommand.class,
            Main.AnnCommand.class, Main.ClassifyCommand.class,
            NetChainCommand.class, LstmMnistCommand.class, GptCommand.class, ResNetCommand.class, OnnxRunCommand.class},
        footer = {"", "Examples:", "  java -jar cortado-examples.jar                      # LeNet on the bundled MNIST sample",
                  "  java -jar cortado-examples.jar lenet --help",
                  "  java -jar cortado-examples.jar first-model         # the README's first model: a classifier on a CSV",
                  "  java -jar cortado-examples.jar perceptron", "  java -jar cortado-examples.jar two-layer --iterations 20000",
                  "  java -jar cortado-examples.jar backprop", "  java -jar cortado-examples.jar ann",
                  "  java -jar cortado-examples.jar classify",
                  "  java -jar cortado-examples.jar netchain",
                  "  java -jar cortado-examples.jar lstm-mnist",
                  "  java -jar cortado-examples.jar gpt                  # a character-level GPT on the fortunes corpus",
                  "  java -jar cortado-examples.jar resnet               # ResNet-20 on Fashion-MNIST",
                  "  java -jar cortado-examples.jar onnx-run model.onnx  # an ONNX model's inputs, outputs and timing"})
public final class Main implements Callable<Integer> {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "On an error, print its stack trace too.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        return new LeNetCommand().call();
    }

    public static void main(String[] args) {
        Console console = Console.system();
        System.setOut(console.log()); // what the library prints to System.out goes above the progress bar too
        int code = commandLine().execute(args);
        console.log().close(); // prints a last line left without its newline
        System.exit(code);
    }

    /** The command line with one-line error reporting (exit 2 for a bad command line, 1 for a failed run). */
    static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage() + " (see --help)");
            if (java.util.Arrays.asList(args).contains("--verbose")) ex.printStackTrace(ex.getCommandLine().getErr());
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, commandLine, parsed) -> {
            String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            commandLine.getErr().println("error: " + message);
            if (parsed.originalArgs().contains("--verbose")) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cmd;
    }

    @Command(name = "perceptron", mixinStandardHelpOptions = true,
            description = "3-input sigmoid neuron trained by the delta rule (no autograd).",
            footer = {"", "Examples:", "  java -jar cortado-examples.jar perceptron",
                      "  java -jar cortado-examples.jar perceptron --seed 7 --iterations 60000"})
    static final class PerceptronCommand implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1", description = "RNG seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--iterations", defaultValue = "10000", description = "Training iterations (default ${DEFAULT-VALUE}).")
        int iterations;

        @Override
        public Integer call() {
            Console.system().log().println("Cortado kernels: " + dev.cortado.kernels.Backends.describe());
            Perceptron.print(Perceptron.train(seed, iterations));
            return 0;
        }
    }

    @Command(name = "two-layer", mixinStandardHelpOptions = true,
            description = "3-4-1 sigmoid net: hand-written backprop, then autograd, on y = first input and on XOR.",
            footer = {"", "Examples:", "  java -jar cortado-examples.jar two-layer",
                      "  java -jar cortado-examples.jar two-layer --seed 3 --iterations 20000"})
    static final class TwoLayerCommand implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1", description = "RNG seed (default ${DEFAULT-VALUE}).")
        long seed = 1;

        @Option(names = "--iterations", defaultValue = "10000", description = "Training iterations (default ${DEFAULT-VALUE}).")
        int iterations = 10000;

        @Override
        public Integer call() {
            Console.system().log().println("Cortado kernels: " + dev.cortado.kernels.Backends.describe());
            for (float[] target : new float[][] {TwoLayerNet.FIRST_INPUT, TwoLayerNet.XOR}) {
                String name = target == TwoLayerNet.XOR ? "XOR" : "y = first input";
                long t0 = System.nanoTime();
                TwoLayerNet.Result hand = TwoLayerNet.trainByHand(seed, iterations, target);
                long t1 = System.nanoTime();
                TwoLayerNet.Result auto = TwoLayerNet.trainWithAutograd(seed, iterations, target);
                long t2 = System.nanoTime();
                TwoLayerNet.print(String.format("Two-layer 3-4-1, %s, hand-written backprop (%d iterations, %.0f ms)",
                        name, iterations, (t1 - t0) / 1e6), target, hand);
                TwoLayerNet.print(String.format("Two-layer 3-4-1, %s, autograd (%d iterations, %.0f ms)",
                        name, iterations, (t2 - t1) / 1e6), target, auto);
                double maxDiff = 0;
                for (int i = 0; i < hand.w1().length; i++) maxDiff = Math.max(maxDiff, Math.abs(hand.w1()[i] - auto.w1()[i]));
                for (int i = 0; i < hand.w2().length; i++) maxDiff = Math.max(maxDiff, Math.abs(hand.w2()[i] - auto.w2()[i]));
                Console.system().log().printf("  max |w_hand - w_autograd| = %.3g%n%n", maxDiff);
            }
            return 0;
        }
    }

    @Command(name = "backprop", mixinStandardHelpOptions = true,
            description = "BackpropNeuralNet's three calls (init_network, train, net_eval): the seed's 2-3-2 pair, then XOR on 2-3-1.",
            footer = {"", "Examples:", "  java -jar cortado-examples.jar backprop",
                      "  java -jar cortado-examples.jar backprop --steps 2000 --rate 0.5 --momentum 0.2"})
    static final class BackpropCommand implements Callable<Integer> {
        @Option(names = "--steps", defaultValue = "1000", description = "train calls on the seed's pair (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--rate", defaultValue = "0.25", description = "learning rate (default ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--momentum", defaultValue = "0.1", description = "momentum (default ${DEFAULT-VALUE}).")
        double momentum;

        @Override
        public Integer call() {
            double[] in = {0.15, 0.7}, want = {0.1, 0.9};
            try (dev.cortado.api.BackpropNet net = dev.cortado.api.BackpropNet.init(2, 3, 2).learningRate(rate).momentum(momentum)) {
                Console.system().log().println("net = BackpropNet.init(2, 3, 2); net.train([0.15, 0.7], [0.1, 0.9]) x " + steps);
                for (int i = 1; i <= steps; i++) {
                    double err = net.train(in, want);
                    if (i == 1 || i % Math.max(1, steps / 5) == 0) Console.system().log().printf("  step %5d: error %.6f%n", i, err);
                }
                Console.system().log().println("net.eval([0.15, 0.7]) = " + java.util.Arrays.toString(net.eval(in)));
            }
            double[][] x = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
            try (dev.cortado.api.BackpropNet xor = dev.cortado.api.BackpropNet.init(2, 3, 1).learningRate(rate).momentum(momentum)) {
                for (int epoch = 0; epoch < 6000; epoch++) {
                    for (double[] row : x) xor.train(row, new double[] {row[0] != row[1] ? 1 : 0});
                }
                Console.system().log().println("XOR on 2-3-1 after 6000 epochs:");
                for (double[] row : x) Console.system().log().printf("  %s -> %.3f%n", java.util.Arrays.toString(row), xor.eval(row)[0]);
            }
            return 0;
        }
    }

    @Command(name = "ann", mixinStandardHelpOptions = true,
            description = "ANN.jl's classifier (ArtificialNeuralNetwork, fit!, predict): the seed's 150 x 80 random example.",
            footer = {"", "Examples:", "  java -jar cortado-examples.jar ann",
                      "  java -jar cortado-examples.jar ann --hidden 40 --epochs 20 --seed 3"})
    static final class AnnCommand implements Callable<Integer> {
        @Option(names = "--hidden", defaultValue = "20", description = "hidden units (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--epochs", defaultValue = "5", description = "epochs (default ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--seed", defaultValue = "1", description = "seed of the data and the weights (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            dev.cortado.tensor.Rng rng = new dev.cortado.tensor.Rng(seed);
            double[][] x = new double[150][80], xNew = new double[60][80];
            int[] y = new int[150];
            for (int i = 0; i < 150; i++) {
                for (int j = 0; j < 80; j++) x[i][j] = rng.nextGaussian();
                y[i] = rng.nextInt(3);
            }
            for (double[] row : xNew) for (int j = 0; j < 80; j++) row[j] = rng.nextGaussian();
            try (dev.cortado.api.AnnClassifier ann = new dev.cortado.api.AnnClassifier(hidden).epochs(epochs).seed(seed)) {
                Console.system().log().println("ann = new AnnClassifier(" + hidden + "); ann.fit(X [150 x 80], y); ann.predict(Xnew [60 x 80])");
                int[] pred = ann.fit(x, y).predict(xNew);
                Console.system().log().println("classes: " + java.util.Arrays.toString(ann.classes()));
                Console.system().log().println("predictions: " + java.util.Arrays.toString(pred));
                Console.system().log().println("probabilities of the first new row: " + java.util.Arrays.toString(ann.predictProba(new double[][] {xNew[0]})[0]));
            }
            return 0;
        }
    }

    @Command(name = "classify", mixinStandardHelpOptions = true,
            description = "Classify and Predict: labels of any type from features, and a number from features, the model chosen on held-out data.",
            footer = {"", "Examples:", "  java -jar cortado-examples.jar classify", "  java -jar cortado-examples.jar classify --seed 4"})
    static final class ClassifyCommand implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1", description = "seed of the generated data (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            dev.cortado.tensor.Rng rng = new dev.cortado.tensor.Rng(seed);
            java.util.List<dev.cortado.api.Example<String>> shapes = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) { // "small" inside the unit circle, "large" on a ring of radius 2..3
                boolean small = i % 2 == 0;
                double r = small ? rng.nextFloat() : 2 + rng.nextFloat(), a = 2 * Math.PI * rng.nextFloat();
                shapes.add(dev.cortado.api.Example.of(new double[] {r * Math.cos(a), r * Math.sin(a)}, small ? "small" : "large"));
            }
            try (dev.cortado.api.Classifier<String> c = dev.cortado.api.Classify.train(shapes)) {
                Console.system().log().printf("Classify.train(300 points, labels \"small\"/\"large\"): %s, held-out accuracy %.3f%n", c.method(), c.heldOutAccuracy());
                Console.system().log().println("  classify([0.2, 0.1]) = " + c.classify(new double[] {0.2, 0.1}) + ", probabilities " + c.probabilities(new double[] {0.2, 0.1}));
                Console.system().log().println("  classify([2.5, 0.0]) = " + c.classify(new double[] {2.5, 0}));
            }
            java.util.List<dev.cortado.api.Example<Double>> line = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) {
                double a = 4 * rng.nextFloat() - 2, b = 4 * rng.nextFloat() - 2;
                line.add(dev.cortado.api.Example.of(new double[] {a, b}, 3 * a - 2 * b + 1 + 0.1 * rng.nextGaussian()));
            }
            try (dev.cortado.api.Predictor p = dev.cortado.api.Predict.train(line)) {
                Console.system().log().printf("Predict.train(300 points of y = 3a - 2b + 1 + noise 0.1): %s, held-out RMSE %.4f%n", p.method(), p.heldOutRmse());
                Console.system().log().printf("  predict([1, 1]) = %.4f (true 2)%n", p.predict(new double[] {1, 1}));
            }
            return 0;
        }
    }
}
