package dev.cortado.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.DataLoader;
import dev.cortado.data.Dataset;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Optimizer;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.train.Solver;
import dev.cortado.train.ValidationPerformance;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lenet main job's recipe through Spark on the bundled MNIST sample (its first 2,000 training
 * digits, to keep CI short): one worker is the main job's training loop bit for bit; two workers
 * learn the digits (the full 2,000-iteration run is the spark-lenet example).
 */
class LeNetOnSparkTest {

    private static final Path SAMPLE = Path.of("..", "..", "examples", "data", "mnist-sample");
    private static SparkSession spark;
    private static Dataset train, test;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSessions.local("local[2]");
        Dataset all = Dataset.mnist(SAMPLE, "train");
        int[] first = new int[2000];
        Arrays.setAll(first, i -> i);
        train = all.subset(first);
        test = Dataset.mnist(SAMPLE, "t10k");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Module lenet() {
        return LeNet.create(new Rng(1));
    }

    private static Optimizer mocha(Module net) {
        return Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f);
    }

    private static TrainedWeights fit(int workers, int steps) {
        return new DataParallelTrainer(LeNetOnSparkTest::lenet, LeNetOnSparkTest::mocha, Losses::softmaxCrossEntropy)
                .input("pixels", 1, 28, 28).label("digit").workers(workers).globalBatch(64).iterations(steps).seed(1)
                .fit(SparkLeNet.frame(spark, train, workers));
    }

    @Test
    void oneWorkerIsTheMainJobsTrainingLoopBitForBit() throws Exception {
        TrainedWeights w = fit(1, 30);
        float[] local;
        try (Module net = lenet(); Optimizer sgd = mocha(net); DataLoader loader = new DataLoader(train, 64, true, 1, true)) {
            new Solver(net, sgd, loader, Losses::softmaxCrossEntropy, 30, null).run(); // as LeNetCommand trains
            local = FlatVector.of(net.parameters());
        }
        float[] spark;
        try (Module net = lenet()) {
            w.loadInto(net);
            spark = FlatVector.of(net.parameters());
        }
        assertEquals(local.length, spark.length);
        for (int i = 0; i < local.length; i++) {
            assertEquals(Float.floatToRawIntBits(local[i]), Float.floatToRawIntBits(spark[i]), "weight " + i + ": " + local[i] + " vs " + spark[i]);
        }
    }

    @Test
    void twoWorkersLearnTheDigits() throws Exception {
        TrainedWeights w = fit(2, 150);
        try (Module net = lenet()) {
            w.loadInto(net);
            double accuracy = ValidationPerformance.accuracy(net, test, 500);
            assertTrue(accuracy >= 0.90, "test accuracy after 150 steps of 64 on 2,000 digits: " + accuracy);
        }
    }
}
