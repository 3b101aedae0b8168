package dev.cortado.api;

import dev.cortado.autograd.GradMode;
import dev.cortado.data.DataLoader;
import dev.cortado.data.Transform;
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
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Mathematica's NetTrain: {@code NetTrain.train(net, data, options)} trains a {@link NetChain}
 * for a number of rounds (epochs), picking the loss from the chain: a classifier (ending in
 * softmax) with class labels gets the cross-entropy (on its logits, one fused kernel), any other
 * chain the mean squared error against the labels. Options use Mathematica's names.
 *
 * <p>By default each round prints one line to {@code System.out} (round, training loss and error,
 * validation loss and error, learning rate, seconds of training and of validation); {@link
 * Options#log} sends the lines elsewhere and {@link Options#quiet} silences them. A loss that is
 * not finite stops training with a {@link NonFiniteLossException} naming the round and the batch
 * (the batches' losses stay on the device and are read at the end of each round, so the check
 * costs no synchronisation per batch).
 * Options add learning-rate schedules ({@link LearningRate}), L2 weight decay, early stopping on
 * the validation loss or error, and a best-model checkpoint (in memory, optionally written as
 * safetensors, restored at the end when asked).
 */
public final class NetTrain {

    private NetTrain() {
    }

    /** Method: ADAM (the default), SGD, SGD with momentum 0.9, or with Nesterov momentum 0.9 (ResNet's recipe). */
    public enum Method {
        ADAM, SGD, SGD_MOMENTUM, SGD_NESTEROV
    }

    /** The validation measure that early stopping and the best-model checkpoint watch (lower is better). */
    public enum Monitor {
        VALIDATION_LOSS, VALIDATION_ERROR;

        double of(Round r) {
            return this == VALIDATION_LOSS ? r.validationLoss() : r.validationError();
        }
    }

    /** NetTrain's options, with Mathematica's names and defaults. */
    public static final class Options {
        private int batchSize = 64;
        private int maxTrainingRounds = 10;
        private Method method = Method.ADAM;
        private double learningRate = Double.NaN; // NaN: the method's default (Adam 1e-3, SGD 0.01)
        private LearningRate schedule;            // null: the fixed learningRate
        private double weightDecay;
        private Dataset validationSet;
        private Device targetDevice = Device.CPU;
        private long seed = 1;
        private PrintStream log;
        private boolean logToSystemOut = true; // System.out as it is when training starts
        private final List<Consumer<Round>> onRound = new ArrayList<>();
        private final List<Runnable> onBatch = new ArrayList<>();
        private int patience;                     // 0: no early stopping
        private Monitor monitor = Monitor.VALIDATION_LOSS;
        private boolean keepBest, restoreBest;
        private Path checkpoint;
        private Transform transform;

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

        /** A fixed learning rate (replaces a schedule set before). */
        public Options learningRate(double rate) {
            if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("NetTrain: LearningRate must be > 0, got " + rate);
            learningRate = rate;
            schedule = null;
            return this;
        }

        /**
         * A learning-rate schedule, e.g. {@code LearningRate.warmup(100, LearningRate.cosine(1e-3, 0, 5000))}
         * (replaces a fixed rate set before). Its iteration is the optimizer's step count: one step
         * per batch, ⌈samples / batchSize⌉ steps a round; {@code LearningRate.step(base, gamma, stepsPerRound)}
         * decays once a round.
         */
        public Options learningRateSchedule(LearningRate schedule) {
            if (schedule == null) throw new IllegalArgumentException("NetTrain: the learning-rate schedule is null");
            this.schedule = schedule;
            learningRate = Double.NaN;
            return this;
        }

        /** L2 weight decay λ on every parameter: λ·w is added to each gradient, as PyTorch SGD's and Adam's weight_decay. */
        public Options weightDecay(double lambda) {
            if (!(lambda >= 0) || Double.isInfinite(lambda)) throw new IllegalArgumentException("NetTrain: weight decay must be finite and >= 0, got " + lambda);
            weightDecay = lambda;
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
        /**
         * Augments each training sample as its batch is assembled, in the loader's prefetch thread
         * (e.g. {@code Transform.randomCrop(4).andThen(Transform.horizontalFlip())}); the
         * validation set is never transformed.
         */
        public Options transform(Transform t) {
            this.transform = t;
            return this;
        }

        public Options seed(long value) {
            seed = value;
            return this;
        }

        /** Where each round's line goes (default System.out); null silences them, as {@link #quiet}. */
        public Options log(PrintStream out) {
            log = out;
            logToSystemOut = false;
            return this;
        }

        /** No round lines. */
        public Options quiet() {
            return log(null);
        }

        /** Adds a listener called after each round (a progress display, a plot); runs on the training thread. */
        public Options onRound(Consumer<Round> listener) {
            if (listener == null) throw new IllegalArgumentException("NetTrain: onRound listener is null");
            onRound.add(listener);
            return this;
        }

        /** Adds a listener called after each training batch (a progress bar); runs on the training thread. */
        public Options onBatch(Runnable listener) {
            if (listener == null) throw new IllegalArgumentException("NetTrain: onBatch listener is null");
            onBatch.add(listener);
            return this;
        }

        /**
         * Early stopping: training ends once {@code patience} rounds in a row have not improved on
         * the best validation loss (or the measure chosen by {@link #monitor}). Needs a validation set.
         */
        public Options earlyStopping(int patience) {
            if (patience < 1) throw new IllegalArgumentException("NetTrain: early-stopping patience must be >= 1 round, got " + patience);
            this.patience = patience;
            return this;
        }

        /** What early stopping and the best model watch: the validation loss (default) or error. */
        public Options monitor(Monitor m) {
            if (m == null) throw new IllegalArgumentException("NetTrain: monitor is null");
            monitor = m;
            return this;
        }

        /**
         * Keeps a copy of the weights of the best validation round (by {@link #monitor}) in memory;
         * with {@code restore} the net gets them back when training ends (also after early
         * stopping, and before a {@link NonFiniteLossException} is thrown). Needs a validation set.
         */
        public Options keepBestModel(boolean restore) {
            keepBest = true;
            restoreBest = restore;
            return this;
        }

        /**
         * Also writes the best round's weights and buffers to {@code file} (safetensors, the names of
         * {@code net.module().stateDict()}, metadata "round"), replaced atomically each time a
         * round improves on the best. Implies {@link #keepBestModel} (without restoring, unless asked).
         */
        public Options checkpoint(Path file) {
            if (file == null) throw new IllegalArgumentException("NetTrain: checkpoint path is null");
            checkpoint = file;
            keepBest = true;
            return this;
        }
    }

    public static Options options() {
        return new Options();
    }

    /**
     * One round: mean training loss, training error (the fraction misclassified, for
     * classifiers; NaN otherwise), the validation set's loss and error (NaN without one), the
     * learning rate of the round's last step, and the seconds spent training and validating.
     */
    public record Round(int round, double loss, double error, double validationLoss, double validationError, double learningRate,
                        double trainingSeconds, double validationSeconds) {

        /** Training and validation seconds together. */
        public double seconds() {
            return trainingSeconds + validationSeconds;
        }

        /** The round as NetTrain logs it, e.g. "round 3/10: loss 0.4123, error 12.50%, validation loss ... (training 1.20 s, validation 0.10 s)". */
        public String line(int maxRounds) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "round %d/%d: loss %.6g", round, maxRounds, loss));
            if (!Double.isNaN(error)) b.append(String.format(Locale.ROOT, ", error %.2f%%", 100 * error));
            if (!Double.isNaN(validationLoss)) b.append(String.format(Locale.ROOT, ", validation loss %.6g", validationLoss));
            if (!Double.isNaN(validationError)) b.append(String.format(Locale.ROOT, ", validation error %.2f%%", 100 * validationError));
            b.append(String.format(Locale.ROOT, ", learning rate %.4g (training %.2f s", learningRate, trainingSeconds));
            if (!Double.isNaN(validationLoss)) b.append(String.format(Locale.ROOT, ", validation %.2f s", validationSeconds));
            return b.append(')').toString();
        }
    }

    /**
     * The trained net, its rounds, the best validation round (1-based, 0 without a validation
     * set) and whether early stopping ended training before MaxTrainingRounds.
     */
    public record Results(NetChain net, List<Round> rounds, int bestRound, boolean stoppedEarly) {
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
        if (options == null) throw new IllegalArgumentException("NetTrain: options are null");
        net.checkOpen();
        if (data == null || data.size() == 0) throw new IllegalArgumentException("NetTrain: the training data is " + (data == null ? "null" : "empty (0 samples)"));
        Dataset validationSet = options.validationSet;
        if (validationSet != null && validationSet.size() == 0) {
            throw new IllegalArgumentException("NetTrain: the validation set is empty (0 samples); pass one with samples or none");
        }
        if (validationSet == null && (options.patience > 0 || options.keepBest)) {
            throw new IllegalArgumentException("NetTrain: early stopping and the best-model checkpoint watch the validation set; give one with validationSet(data)");
        }
        if (options.monitor == Monitor.VALIDATION_ERROR && (options.patience > 0 || options.keepBest) && !net.isClassifier()) {
            throw new IllegalArgumentException("NetTrain: monitor(VALIDATION_ERROR) needs a classifier (a chain ending in softmax()); a regression has a validation loss only");
        }
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
        checkLabels(net, data, "dataset");
        if (validationSet != null) checkLabels(net, validationSet, "validation set");
        net.module().to(options.targetDevice).train();
        List<Tensor> params = net.module().parameters();
        LearningRate rate = options.schedule != null ? options.schedule
                : LearningRate.fixed(!Double.isNaN(options.learningRate) ? options.learningRate : options.method == Method.ADAM ? 1e-3 : 0.01);
        float decay = (float) options.weightDecay;
        Optimizer opt = switch (options.method) {
            case ADAM -> new Adam(params, rate, 0.9f, 0.999f, 1e-8f, decay);
            case SGD, SGD_MOMENTUM, SGD_NESTEROV -> new Sgd(params, rate, Momentum.fixed(options.method == Method.SGD ? 0 : 0.9), decay,
                    options.method == Method.SGD_NESTEROV);
        };
        PrintStream log = options.logToSystemOut ? System.out : options.log;
        List<Round> rounds = new ArrayList<>();
        int steps = (data.size() + options.batchSize - 1) / options.batchSize;
        BestModel best = options.keepBest ? new BestModel(net, options.checkpoint) : null;
        double bestValue = Double.POSITIVE_INFINITY;
        int bestRound = 0, sinceBest = 0;
        boolean stoppedEarly = false;
        try (opt; DataLoader loader = new DataLoader(data, Math.min(options.batchSize, data.size()), true, options.seed,
                options.transform != null, options.transform)) {
            for (int round = 1; round <= options.maxTrainingRounds; round++) {
                long t0 = System.nanoTime();
                double lossSum = 0, seen = 0;
                double lastRate = opt.currentLearningRate();
                float[] stepLosses; // each batch's loss, kept on the device and read once a round
                double correctCount;
                try (Tensor losses = Tensor.zeros(options.targetDevice, steps); Tensor correct = Tensor.zeros(options.targetDevice)) {
                    int n = 0;
                    for (int s = 0; s < steps; s++) {
                        try (MemoryScope scope = MemoryScope.open()) {
                            DataLoader.Batch b = loader.next();
                            Tensor x = b.inputsTensor().to(options.targetDevice), y = b.labelsTensor().to(options.targetDevice);
                            Tensor out = classifier ? net.logits(x) : net.module().forward(x);
                            Tensor loss = classifier ? Softmax.crossEntropy(out, y) : Losses.mse(out, y.reshape(-1, 1));
                            loss.backward();
                            lastRate = opt.currentLearningRate();
                            opt.step();
                            net.module().zeroGrad();
                            n = b.labels().length;
                            losses.kernels().axpy(1, 1f, loss.ptr(), losses.ptr().at(s));
                            if (classifier) addInto(correct, Losses.correct(out, y), 1);
                        }
                        options.onBatch.forEach(Runnable::run);
                    }
                    stepLosses = losses.toArray();
                    correctCount = correct.item();
                    for (int s = 0; s < steps; s++) {
                        if (!Double.isFinite(stepLosses[s])) {
                            if (best != null && options.restoreBest) best.restore();
                            throw new NonFiniteLossException(round, s + 1, steps, stepLosses[s]);
                        }
                        lossSum += (double) stepLosses[s] * n;
                        seen += n;
                    }
                }
                double trainingSeconds = (System.nanoTime() - t0) / 1e9;
                long t1 = System.nanoTime();
                double[] validation = validationSet == null ? new double[] {Double.NaN, Double.NaN}
                        : evaluate(net, validationSet, options.targetDevice);
                double validationSeconds = validationSet == null ? 0 : (System.nanoTime() - t1) / 1e9;
                Round r = new Round(round, lossSum / seen, classifier ? 1 - correctCount / seen : Double.NaN, validation[0], validation[1],
                        lastRate, trainingSeconds, validationSeconds);
                rounds.add(r);
                if (log != null) {
                    log.println(r.line(options.maxTrainingRounds));
                    log.flush();
                }
                for (Consumer<Round> listener : options.onRound) listener.accept(r);
                if (validationSet != null) {
                    double value = options.monitor.of(r);
                    if (value < bestValue || bestRound == 0) {
                        bestValue = value;
                        bestRound = round;
                        sinceBest = 0;
                        if (best != null) best.keep(round);
                    } else if (options.patience > 0 && ++sinceBest >= options.patience && round < options.maxTrainingRounds) {
                        stoppedEarly = true;
                        if (log != null) {
                            log.println("NetTrain: stopped early after round " + round + ": " + options.patience + " rounds without a better "
                                    + options.monitor.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " than round " + bestRound + "'s");
                        }
                        break;
                    }
                }
            }
        }
        if (best != null && options.restoreBest) best.restore();
        net.module().eval();
        return new Results(net, List.copyOf(rounds), bestRound, stoppedEarly);
    }

    /**
     * Labels a net can learn, named by their row in the dataset (before any shuffling): class
     * indices 0 ≤ label < classes, whole numbers, for a classifier; finite values for a regression.
     */
    private static void checkLabels(NetChain net, Dataset data, String which) {
        float[] labels = data.labels();
        if (net.isClassifier()) {
            int classes = net.outputShape()[0];
            for (int i = 0; i < labels.length; i++) {
                float v = labels[i];
                if (!(v >= 0 && v < classes) || v != Math.rint(v)) {
                    throw new IllegalArgumentException("NetTrain: the label at " + which + " row " + i + " is " + v + ", not a class index 0.."
                            + (classes - 1) + " (the net ends in softmax over " + classes + " classes)");
                }
            }
        } else {
            for (int i = 0; i < labels.length; i++) {
                if (!Float.isFinite(labels[i])) throw new IllegalArgumentException("NetTrain: the label at " + which + " row " + i + " is " + labels[i]);
            }
        }
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
