package dev.cortado.api;

import static dev.cortado.api.NetLayer.ramp;
import static dev.cortado.api.NetLayer.softmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.Dataset;
import dev.cortado.memory.Device;
import dev.cortado.optim.LearningRate;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NetTrain's round lines, its stop on a non-finite loss, schedules, weight decay, early stopping and the best-model checkpoint. */
class NetTrainReportsTest {

    private final Rng rng = new Rng(7);

    /** Three Gaussian blobs in 2-D, labels 0..2. */
    private Dataset blobs(int n) {
        float[] x = new float[2 * n], y = new float[n];
        double[][] centres = {{2, 0}, {-2, 1}, {0, -2}};
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            x[2 * i] = (float) (centres[c][0] + 0.7 * rng.nextGaussian());
            x[2 * i + 1] = (float) (centres[c][1] + 0.7 * rng.nextGaussian());
            y[i] = c;
        }
        return new Dataset(x, new int[] {2}, y);
    }

    private static String[] lines(ByteArrayOutputStream out) {
        String s = out.toString(StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? new String[0] : s.split("\\R");
    }

    /** A transform augments every training sample, in the loader's prefetch thread, and never the validation set. */
    @Test
    void transformAugmentsTrainingSamplesInThePrefetchThread() {
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        dev.cortado.data.Transform count = (sample, shape, r) -> {
            threads.add(Thread.currentThread().getName());
            calls.incrementAndGet();
        };
        try (NetChain net = NetChain.of(8, ramp(), 3, softmax())) {
            NetTrain.train(net, blobs(120), NetTrain.options().quiet().batchSize(40).maxTrainingRounds(2).validationSet(blobs(30)).transform(count));
        }
        assertTrue(calls.get() >= 240, "2 rounds of 120 samples, transformed " + calls.get() + " times");
        assertFalse(threads.contains(Thread.currentThread().getName()), "transformed on the training thread: " + threads);
        // a transform that breaks every sample shows in the loss: it really reaches the batches
        dev.cortado.data.Transform poison = (sample, shape, r) -> java.util.Arrays.fill(sample, Float.NaN);
        try (NetChain net = NetChain.of(8, ramp(), 3, softmax())) {
            assertThrows(NonFiniteLossException.class,
                    () -> NetTrain.train(net, blobs(120), NetTrain.options().quiet().maxTrainingRounds(1).transform(poison)));
        }
    }

    @Test
    void logsALinePerRoundWithTrainingAndValidationSecondsApart() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> heard = new ArrayList<>();
        try (NetChain net = NetChain.of(8, ramp(), 3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, blobs(300), NetTrain.options().maxTrainingRounds(3).validationSet(blobs(90))
                    .log(new PrintStream(out, true, StandardCharsets.UTF_8)).onRound(x -> heard.add(x.round())).onRound(x -> heard.add(-x.round())));
            String[] lines = lines(out);
            assertEquals(3, lines.length, String.join("\n", lines));
            for (int i = 0; i < 3; i++) {
                NetTrain.Round round = r.rounds().get(i);
                assertEquals(round.line(3), lines[i]);
                assertTrue(lines[i].matches("round " + (i + 1) + "/3: loss [0-9.e-]+, error [0-9.]+%, validation loss [0-9.e-]+, validation error [0-9.]+%, "
                        + "learning rate 0\\.001000 \\(training [0-9.]+ s, validation [0-9.]+ s\\)"), lines[i]);
                assertTrue(round.trainingSeconds() > 0 && round.validationSeconds() > 0, round.toString());
                assertEquals(round.trainingSeconds() + round.validationSeconds(), round.seconds(), 1e-12);
            }
            assertEquals(List.of(1, -1, 2, -2, 3, -3), heard);
        }
        out.reset();
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, blobs(60), NetTrain.options().maxTrainingRounds(2).log(new PrintStream(out, true, StandardCharsets.UTF_8)));
            assertEquals(0, r.rounds().get(0).validationSeconds());
            for (String line : lines(out)) assertFalse(line.contains("validation"), line);
            assertEquals(2, lines(out).length);
        }
    }

    @Test
    void printsToSystemOutByDefaultAndQuietSilences() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (NetChain a = NetChain.of(3, softmax()); NetChain b = NetChain.of(3, softmax())) {
            NetTrain.Options made = NetTrain.options().maxTrainingRounds(2); // System.out is read when training starts
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            NetTrain.train(a, blobs(60), made);
            assertEquals(2, lines(out).length);
            out.reset();
            NetTrain.train(b, blobs(60), NetTrain.options().maxTrainingRounds(2).quiet());
            assertEquals(0, lines(out).length);
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void nanInTheInputsStopsNamingTheRoundAndTheBatch() {
        Dataset data = blobs(120);
        data.inputs()[2 * 70] = Float.NaN;
        try (NetChain net = NetChain.of(8, ramp(), 3, softmax())) {
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> NetTrain.train(net, data, NetTrain.options().batchSize(30).maxTrainingRounds(5).quiet()));
            assertEquals(1, e.round());
            assertTrue(e.batch() >= 1 && e.batch() <= 4, "batch " + e.batch());
            assertTrue(Double.isNaN(e.loss()));
            assertTrue(e.getMessage().startsWith("NetTrain: the loss of round 1, batch " + e.batch() + " of 4 is NaN; training stopped"), e.getMessage());
        }
        Dataset one = blobs(30);
        one.inputs()[5] = Float.POSITIVE_INFINITY;
        try (NetChain net = NetChain.of(3, softmax())) {
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> NetTrain.train(net, one, NetTrain.options().batchSize(64).quiet()));
            assertTrue(e.getMessage().startsWith("NetTrain: the loss of round 1, batch 1 of 1 is "), e.getMessage());
        }
    }

    @Test
    void aScheduleSetsEachRoundsLearningRate() {
        Dataset data = blobs(90); // 3 batches of 30 a round
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, data, NetTrain.options().method(NetTrain.Method.SGD).batchSize(30).maxTrainingRounds(3).quiet()
                    .learningRateSchedule(LearningRate.step(0.1, 0.5, 3)));
            assertArrayEquals(new double[] {0.1, 0.05, 0.025}, r.rounds().stream().mapToDouble(NetTrain.Round::learningRate).toArray(), 1e-12);
        }
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, data, NetTrain.options().batchSize(30).maxTrainingRounds(2).quiet()
                    .learningRateSchedule(LearningRate.warmup(4, LearningRate.fixed(0.01))));
            assertEquals(0.0075, r.rounds().get(0).learningRate(), 1e-12); // step 2 of a 4-step warm-up
            assertEquals(0.01, r.rounds().get(1).learningRate(), 1e-12);
        }
    }

    /**
     * Full-batch gradient descent on the mean squared error of w·x + b against y = 2x, with x
     * symmetric about 0, and weight decay λ: the gradient 2(w·E[x²] − E[xy]) + λw vanishes at
     * w = 2·E[xy] / (2·E[x²] + λ) = 4·E[x²] / (2·E[x²] + λ), b = 0.
     */
    @Test
    void weightDecayShrinksTheWeightsAsL2() {
        int n = 200;
        float[] x = new float[n], y = new float[n];
        double ex2 = 0;
        for (int i = 0; i < n / 2; i++) {
            float v = (i + 1) / (float) (n / 2);
            x[2 * i] = v;
            x[2 * i + 1] = -v;
            y[2 * i] = 2 * v;
            y[2 * i + 1] = -2 * v;
            ex2 += 2.0 * v * v / n;
        }
        Dataset data = new Dataset(x, new int[] {1}, y);
        for (double lambda : new double[] {0, 0.5}) {
            try (NetChain net = NetChain.of(NetLayer.linear(1))) {
                NetTrain.train(net, data, NetTrain.options().method(NetTrain.Method.SGD).learningRate(0.2).batchSize(n).maxTrainingRounds(400)
                        .weightDecay(lambda).quiet());
                Map<String, Tensor> p = net.module().namedParameters();
                assertEquals(4 * ex2 / (2 * ex2 + lambda), p.get("0.weight").item(), 1e-4, "lambda " + lambda);
                assertEquals(0, p.get("0.bias").item(), 1e-4);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> NetTrain.options().weightDecay(-1));
    }

    @Test
    void earlyStoppingEndsAfterPatienceRoundsWithoutABetterValidationLoss() {
        Dataset train = blobs(90), test = blobs(30); // 3 steps a round; the rate drops to 0 after round 1: nothing improves after it
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().batchSize(30).maxTrainingRounds(10).validationSet(test)
                    .log(new PrintStream(out, true, StandardCharsets.UTF_8)).learningRateSchedule(it -> it < 3 ? 0.05 : 0).earlyStopping(2));
            assertEquals(3, r.rounds().size());
            String[] lines = lines(out);
            assertEquals(4, lines.length);
            assertEquals("NetTrain: stopped early after round 3: 2 rounds without a better validation loss than round 1's", lines[3]);
            assertTrue(r.stoppedEarly());
            assertEquals(1, r.bestRound());
        }
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().maxTrainingRounds(4).validationSet(test).quiet().earlyStopping(2)
                    .learningRate(0.02));
            assertFalse(r.stoppedEarly()); // still improving
            assertEquals(4, r.rounds().size());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetTrain.train(NetChain.of(3, softmax()), train, NetTrain.options().earlyStopping(2).quiet()));
        assertTrue(e.getMessage().contains("give one with validationSet"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetTrain.options().earlyStopping(0));
    }

    /** Descent for 3 rounds, then ascent (a negative rate): the best round is one of the first 3, restored at the end and written to the file. */
    @Test
    void theBestModelIsKeptWrittenAndRestored(@TempDir Path dir) throws Exception {
        Dataset train = blobs(90), test = blobs(60);
        Path file = dir.resolve("best.safetensors");
        LearningRate upAndDown = it -> it < 9 ? 0.05 : -0.05;
        try (NetChain net = NetChain.of(4, ramp(), 3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().method(NetTrain.Method.SGD).batchSize(30).maxTrainingRounds(6)
                    .validationSet(test).quiet().learningRateSchedule(upAndDown).checkpoint(file).keepBestModel(true));
            double[] validation = r.rounds().stream().mapToDouble(NetTrain.Round::validationLoss).toArray();
            int best = 0;
            for (int i = 1; i < validation.length; i++) if (validation[i] < validation[best]) best = i;
            assertEquals(best + 1, r.bestRound());
            assertTrue(r.bestRound() <= 3 && validation[5] > validation[best], java.util.Arrays.toString(validation));
            assertEquals(validation[best], NetTrain.evaluate(net, test, Device.CPU)[0], 1e-6); // restored
            assertEquals(Integer.toString(r.bestRound()), Safetensors.metadata(file).get("round"));
            Map<String, Tensor> saved = Safetensors.read(file);
            net.module().namedParameters().forEach((name, t) -> assertArrayEquals(t.toArray(), saved.get(name).toArray(), name));
            saved.values().forEach(Tensor::close);
        }
        try (NetChain net = NetChain.of(4, ramp(), 3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().method(NetTrain.Method.SGD).batchSize(30).maxTrainingRounds(6)
                    .validationSet(test).quiet().learningRateSchedule(upAndDown).keepBestModel(false));
            assertEquals(r.rounds().get(5).validationLoss(), NetTrain.evaluate(net, test, Device.CPU)[0], 1e-6); // not restored
        }
    }

    @Test
    void earlyStoppingCanWatchTheValidationErrorOfAClassifierOnly() {
        Dataset train = blobs(90), test = blobs(30);
        try (NetChain net = NetChain.of(3, softmax())) {
            NetTrain.Results r = NetTrain.train(net, train, NetTrain.options().batchSize(30).maxTrainingRounds(10).validationSet(test).quiet()
                    .learningRateSchedule(it -> it < 3 ? 0.05 : 0).earlyStopping(3).monitor(NetTrain.Monitor.VALIDATION_ERROR));
            assertEquals(4, r.rounds().size());
            assertEquals(1, r.bestRound());
        }
        Dataset regression = new Dataset(new float[] {1, 2, 3}, new int[] {1}, new float[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetTrain.train(NetChain.of(NetLayer.linear(1)), regression,
                NetTrain.options().validationSet(regression).earlyStopping(2).monitor(NetTrain.Monitor.VALIDATION_ERROR).quiet()));
        assertTrue(e.getMessage().startsWith("NetTrain: monitor(VALIDATION_ERROR) needs a classifier"), e.getMessage());
    }

    /** Two good rounds, then a rate that overflows the weights: the loss stops training and the best round's weights are back. */
    @Test
    void aNonFiniteLossRestoresTheBestModelWhenAsked() {
        Dataset train = blobs(90), test = blobs(60);
        List<NetTrain.Round> rounds = new ArrayList<>();
        try (NetChain net = NetChain.of(8, ramp(), 3, softmax())) {
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> NetTrain.train(net, train, NetTrain.options()
                    .method(NetTrain.Method.SGD).batchSize(30).maxTrainingRounds(6).validationSet(test).quiet().onRound(rounds::add)
                    .learningRateSchedule(it -> it < 6 ? 0.05 : 1e37).keepBestModel(true)));
            assertTrue(e.round() >= 3, e.getMessage());
            double best = rounds.stream().mapToDouble(NetTrain.Round::validationLoss).min().orElseThrow();
            assertEquals(best, NetTrain.evaluate(net, test, Device.CPU)[0], 1e-6);
        }
    }

    @Test
    void labelsAreCheckedByDatasetRowBeforeTraining() {
        Dataset data = blobs(60);
        data.labels()[59] = 3;
        try (NetChain net = NetChain.of(3, softmax())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetTrain.train(net, data, NetTrain.options().quiet()));
            assertEquals("NetTrain: the label at dataset row 59 is 3.0, not a class index 0..2 (the net ends in softmax over 3 classes)", e.getMessage());
        }
        Dataset test = blobs(30);
        test.labels()[4] = 1.5f;
        try (NetChain net = NetChain.of(3, softmax())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetTrain.train(net, blobs(30), NetTrain.options().validationSet(test).quiet()));
            assertTrue(e.getMessage().startsWith("NetTrain: the label at validation set row 4 is 1.5, not a class index"), e.getMessage());
        }
        Dataset regression = new Dataset(new float[] {1, 2, 3}, new int[] {1}, new float[] {1, Float.NaN, 3});
        try (NetChain net = NetChain.of(NetLayer.linear(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetTrain.train(net, regression, NetTrain.options().quiet()));
            assertEquals("NetTrain: the label at dataset row 1 is NaN", e.getMessage());
        }
    }
}
