package dev.cortado.api;

import dev.cortado.autograd.GradMode;
import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.memory.Device;
import dev.cortado.nn.Losses;
import dev.cortado.optim.Adam;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Optimizer;
import dev.cortado.optim.Sgd;
import dev.cortado.ops.Softmax;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Mathematica's NetTrain: {@code NetTrain.train(net, data, options)} trains a {@link NetChain}
 * for a number of rounds (epochs), picking the loss from the chain: a classifier (ending in
 * softmax) with class labels gets the cross-entropy (on its logits, one fused kernel), any other
 * chain the mean squared error against the labels. Options use Mathematica's names.
 */
public final class NetTrain {

    private NetTrain() {
    }

    /** Method: ADAM (the default), SGD, or SGD with momentum 0.9. */
    public enum Method {
        ADAM, SGD, SGD_MOMENTUM
    }

    /** NetTrain's options, with Mathematica's names and defaults. */
    public static final class Options {
        private int batchSize = 64;
        private int maxTrainingRounds = 10;
        private Method method = Method.ADAM;
        private double learningRate = Double.NaN; // NaN: the method's default (Adam 1e-3, SGD 0.01)
        private Dataset validationSet;
        private Device targetDevice = Device.CPU;
        private long seed = 1;
        private Consumer<Round> onRound = r -> { };

        public Options batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("NetTrain: BatchSize must be >= 1, got " + n);
            batchSize = n;
            return this;
        }

        public Options maxTrainingRounds(int n) {
            if (n < 1) throw new IllegalArgumentException("NetTrain: MaxTrainingRounds must be >= 1, got " + n);
            maxTrainingRounds = n;
            return this;
        }

        public Options method(Method m) {
            if (m == null) throw new IllegalArgumentException("NetTrain: Method is null");
            method = m;
            return this;
        }

        public Options learningRate(double rate) {
            if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("NetTrain: LearningRate must be > 0, got " + rate);
            learningRate = rate;
            return this;
        }

        public Options validationSet(Dataset data) {
            validationSet = data;
            return this;
        }

        public Options targetDevice(Device device) {
            if (device == null) throw new IllegalArgumentException("NetTrain: TargetDevice is null");
            targetDevice = device;
            return this;
        }

        /** The seed of the weights (when training initializes the chain) and of the batch order. */
        public Options seed(long value) {
            seed = value;
            return this;
        }

        /** Called after each round (a progress display, a plot); runs on the training thread. */
        public Options onRound(Consumer<Round> listener) {
            if (listener == null) throw new IllegalArgumentException("NetTrain: onRound listener is null");
            onRound = listener;
            return this;
        }
    }

    public static Options options() {
        return new Options();
    }

    /**
     * One round: mean training loss, training error (the fraction misclassified, for
     * classifiers; NaN otherwise), the validation set's loss and error (NaN without one) and the
     * round's seconds.
     */
    public record Round(int round, double loss, double error, double validationLoss, double validationError, double seconds) {
    }

    /** The trained net and its rounds. */
    public record Results(NetChain net, List<Round> rounds) {
        public double[] lossPerRound() {
            return rounds.stream().mapToDouble(Round::loss).toArray();
        }

        public double[] errorPerRound() {
            return rounds.stream().mapToDouble(Round::error).toArray();
        }

        public double totalSeconds() {
            return rounds.stream().mapToDouble(Round::seconds).sum();
        }
    }

    public static Results train(NetChain net, Dataset data, Options options) {
        if (net == null) throw new IllegalArgumentException("NetTrain: net is null");
        if (data == null || data.size() == 0) throw new IllegalArgumentException("NetTrain: no training data");
        if (options == null) throw new IllegalArgumentException("NetTrain: options are null");
        if (!net.isInitialized()) net.initialize(options.seed, data.sampleShape());
        if (!java.util.Arrays.equals(net.inputShape(), data.sampleShape())) {
            throw new IllegalArgumentException("NetTrain: the data's samples are " + java.util.Arrays.toString(data.sampleShape())
                    + ", the net takes " + java.util.Arrays.toString(net.inputShape()));
        }
        boolean classifier = net.isClassifier();
        if (!classifier && !java.util.Arrays.equals(net.outputShape(), new int[] {1})) {
            throw new IllegalArgumentException("NetTrain: a chain without softmax() is fitted to the labels by mean squared error and must output "
                    + "[1], not " + java.util.Arrays.toString(net.outputShape()));
        }
        net.module().to(options.targetDevice).train();
        List<Tensor> params = net.module().parameters();
        Optimizer opt = switch (options.method) {
            case ADAM -> new Adam(params, Double.isNaN(options.learningRate) ? 1e-3 : options.learningRate);
            case SGD, SGD_MOMENTUM -> new Sgd(params, LearningRate.fixed(Double.isNaN(options.learningRate) ? 0.01 : options.learningRate),
                    Momentum.fixed(options.method == Method.SGD ? 0 : 0.9), 0f, false);
        };
        List<Round> rounds = new ArrayList<>();
        int steps = (data.size() + options.batchSize - 1) / options.batchSize;
        try (opt; DataLoader loader = new DataLoader(data, Math.min(options.batchSize, data.size()), true, options.seed, false)) {
            for (int round = 1; round <= options.maxTrainingRounds; round++) {
                long t0 = System.nanoTime();
                double seen = 0;
                double[] sums; // {Σ loss · batch size, Σ correct}, kept on the device and read once a round
                try (Tensor lossSum = Tensor.zeros(options.targetDevice); Tensor correct = Tensor.zeros(options.targetDevice)) {
                    for (int s = 0; s < steps; s++) {
                        try (MemoryScope scope = MemoryScope.open()) {
                            DataLoader.Batch b = loader.next();
                            Tensor x = b.inputsTensor().to(options.targetDevice), y = b.labelsTensor().to(options.targetDevice);
                            Tensor out = classifier ? net.logits(x) : net.module().forward(x);
                            Tensor loss = classifier ? Softmax.crossEntropy(out, y) : Losses.mse(out, y.reshape(-1, 1));
                            loss.backward();
                            opt.step();
                            net.module().zeroGrad();
                            int n = b.labels().length;
                            addInto(lossSum, loss, n);
                            if (classifier) addInto(correct, Losses.correct(out, y), 1);
                            seen += n;
                        }
                    }
                    sums = new double[] {lossSum.item(), correct.item()};
                }
                double[] validation = options.validationSet == null ? new double[] {Double.NaN, Double.NaN}
                        : evaluate(net, options.validationSet, options.targetDevice);
                Round r = new Round(round, sums[0] / seen, classifier ? 1 - sums[1] / seen : Double.NaN, validation[0], validation[1],
                        (System.nanoTime() - t0) / 1e9);
                rounds.add(r);
                options.onRound.accept(r);
            }
        }
        net.module().eval();
        return new Results(net, List.copyOf(rounds));
    }

    /** sum += weight · value, for one-element tensors on the same device (no host read). */
    private static void addInto(Tensor sum, Tensor value, float weight) {
        sum.kernels().axpy(1, weight, value.ptr(), sum.ptr());
    }

    /** {loss, error} of the net on data (error NaN for a regression chain). */
    static double[] evaluate(NetChain net, Dataset data, Device device) {
        if (!java.util.Arrays.equals(net.inputShape(), data.sampleShape())) {
            throw new IllegalArgumentException("NetTrain: the validation samples are " + java.util.Arrays.toString(data.sampleShape())
                    + ", the net takes " + java.util.Arrays.toString(net.inputShape()));
        }
        boolean classifier = net.isClassifier();
        net.module().eval();
        try (GradMode off = GradMode.off(); DataLoader loader = new DataLoader(data, Math.min(256, data.size()), false, 0, false);
             Tensor lossSum = Tensor.zeros(device); Tensor correct = Tensor.zeros(device)) {
            for (int seen = 0; seen < data.size(); ) {
                try (MemoryScope scope = MemoryScope.open()) {
                    DataLoader.Batch b = loader.next();
                    int n = Math.min(b.labels().length, data.size() - seen);
                    Tensor x = b.inputsTensor().to(device).narrow(0, 0, n), y = b.labelsTensor().to(device).narrow(0, 0, n);
                    Tensor out = classifier ? net.logits(x) : net.module().forward(x);
                    addInto(lossSum, classifier ? Softmax.crossEntropy(out, y) : Losses.mse(out, y.reshape(-1, 1)), n);
                    if (classifier) addInto(correct, Losses.correct(out, y), 1);
                    seen += n;
                }
            }
            return new double[] {lossSum.item() / data.size(), classifier ? 1 - correct.item() / data.size() : Double.NaN};
        } finally {
            net.module().train();
        }
    }
}
