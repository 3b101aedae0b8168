package dev.cortado.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.data.DataLoader;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Layers.Neuron;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Optimizer;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training on local[2,4] (2 task slots, 4 attempts per task): 2 workers equal one
 * process on the same global batches; a task killed on purpose resumes from the checkpoint and
 * ends with the uninterrupted run's weights; parameter averaging; bad input named.
 */
class DataParallelTrainerTest {

    private static final int ROWS = 203, FEATURES = 6, CLASSES = 3, BATCH = 32, STEPS = 50;
    private static SparkSession spark;
    private static float[][] x;
    private static int[] y;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local("local[2,4]");
        Random r = new Random(9);
        x = new float[ROWS][FEATURES];
        y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) { // three Gaussian blobs
            y[i] = r.nextInt(CLASSES);
            for (int j = 0; j < FEATURES; j++) x[i][j] = (float) (r.nextGaussian() + (j % CLASSES == y[i] ? 2 : 0));
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Dataset<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            List<Double> v = new ArrayList<>();
            for (float f : x[i]) v.add((double) f);
            rows.add(RowFactory.create(scala.jdk.javaapi.CollectionConverters.asScala(v).toSeq(), y[i]));
        }
        StructType schema = new StructType().add("x", DataTypes.createArrayType(DataTypes.DoubleType)).add("y", DataTypes.IntegerType);
        return spark.createDataFrame(new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()).parallelize(rows, 3), schema);
    }

    static Module net() {
        Rng rng = new Rng(4);
        return new Layers.Sequential(new Layers.Linear(FEATURES, 16, Neuron.TANH, rng), new Layers.Linear(16, CLASSES, Neuron.IDENTITY, rng));
    }

    static Optimizer sgd(Module net) {
        return new Sgd(net.parameters(), LearningRate.inv(0.1, 0.001, 0.75), Momentum.fixed(0.9), 0.0005f, false);
    }

    private static DataParallelTrainer trainer() {
        return new DataParallelTrainer(DataParallelTrainerTest::net, DataParallelTrainerTest::sgd, Losses::softmaxCrossEntropy)
                .input("x", FEATURES).label("y").workers(2).globalBatch(BATCH).iterations(STEPS).seed(3).threads(1);
    }

    private static float[] weights(TrainedWeights w) throws Exception {
        try (Module net = net()) {
            w.loadInto(net);
            return FlatVector.of(net.parameters());
        }
    }

    /**
     * One process training on the global batches the trainer documents: worker w holds rows i with
     * i mod 2 == w, in order, and draws batches of 16 from DataLoader(shard, 16, true, seed + w); the
     * global batch is worker 0's batch followed by worker 1's.
     */
    private static float[] singleProcess(long seed) throws Exception {
        List<DataLoader> loaders = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            List<float[]> in = new ArrayList<>();
            List<Float> labels = new ArrayList<>();
            for (int i = w; i < ROWS; i += 2) {
                in.add(x[i]);
                labels.add((float) y[i]);
            }
            float[] flat = new float[in.size() * FEATURES], l = new float[in.size()];
            for (int i = 0; i < in.size(); i++) {
                System.arraycopy(in.get(i), 0, flat, i * FEATURES, FEATURES);
                l[i] = labels.get(i);
            }
            loaders.add(new DataLoader(new dev.cortado.data.Dataset(flat, new int[] {FEATURES}, l), BATCH / 2, true, seed + w, false));
        }
        try (Module net = net(); Optimizer opt = sgd(net)) {
            for (int step = 0; step < STEPS; step++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    DataLoader.Batch a = loaders.get(0).next(), b = loaders.get(1).next();
                    float[] in = new float[BATCH * FEATURES], labels = new float[BATCH];
                    System.arraycopy(a.inputs(), 0, in, 0, a.inputs().length);
                    System.arraycopy(b.inputs(), 0, in, a.inputs().length, b.inputs().length);
                    System.arraycopy(a.labels(), 0, labels, 0, a.labels().length);
                    System.arraycopy(b.labels(), 0, labels, a.labels().length, b.labels().length);
                    Losses.softmaxCrossEntropy(net.forward(Tensor.of(in, BATCH, FEATURES)), Tensor.of(labels, BATCH)).backward();
                    opt.step();
                    opt.zeroGrad();
                }
            }
            return FlatVector.of(net.parameters());
        } finally {
            for (DataLoader l : loaders) l.close();
        }
    }

    private static float[] initial() {
        try (Module net = net()) {
            return FlatVector.of(net.parameters());
        }
    }

    /** Equal within float rounding relative to the magnitude (NaN never passes); and training moved the weights. */
    private static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        float[] start = initial();
        double moved = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            assertTrue(Math.abs(e - a) <= tolerance * Math.max(1, Math.abs(e)), "weight " + i + ": " + e + " in one process, " + a + " on Spark");
            moved = Math.max(moved, Math.abs(a - start[i]));
        }
        assertTrue(moved > 0.05, "training moved the weights (largest change " + moved + ")");
    }

    @Test
    void twoWorkersTrainAsOneProcessOnTheSameGlobalBatches() throws Exception {
        TrainedWeights w = trainer().fit(rows());
        assertEquals(STEPS, w.iteration());
        assertEquals(-1, w.resumedFrom());
        assertEquals(0, w.stageAttempt());
        assertTrue(w.bytesPerStep() >= 4L * initial().length * 4 / 3, "a step sends the gradient as Base64: " + w.bytesPerStep() + " bytes");
        assertClose(singleProcess(3), weights(w), 1e-5);
    }

    @Test
    void aTaskThatDiesResumesFromTheCheckpointAndEndsWithTheUninterruptedWeights() throws Exception {
        float[] uninterrupted = weights(trainer().fit(rows()));
        BreakFactory killOnce = worker -> worker == 1 ? s -> {
            if (s.iteration() == 30 && TaskContext.get().stageAttemptNumber() == 0) throw new IllegalStateException("worker 1 dies on purpose at step 30");
        } : null;
        Path checkpoints = dir.resolve("checkpoints");
        TrainedWeights w = trainer().checkpoints(checkpoints, 20).coffeeBreak(10, killOnce).fit(rows());
        assertEquals(1, w.stageAttempt(), "the barrier stage ran again");
        assertEquals(20, w.resumedFrom(), "from the checkpoint of step 20");
        assertEquals(STEPS, w.iteration());
        assertTrue(Files.isDirectory(checkpoints.resolve("iter-00000040")), "checkpoints went on after the restart");
        float[] resumed = weights(w);
        for (int i = 0; i < resumed.length; i++) {
            assertEquals(Float.floatToRawIntBits(uninterrupted[i]), Float.floatToRawIntBits(resumed[i]),
                    "weight " + i + ": " + uninterrupted[i] + " uninterrupted, " + resumed[i] + " resumed");
        }
    }

    @Test
    void averagingEveryStepEqualsSummingGradientsAndRarerAveragingDrifts() throws Exception {
        float[] reference = singleProcess(3);
        assertClose(reference, weights(trainer().averageEvery(1).fit(rows())), 1e-5);
        float[] every7 = weights(trainer().averageEvery(7).fit(rows()));
        double largest = 0;
        for (int i = 0; i < every7.length; i++) {
            assertTrue(Float.isFinite(every7[i]), "weight " + i);
            largest = Math.max(largest, Math.abs(every7[i] - reference[i]));
        }
        assertTrue(largest > 1e-4, "averaging every 7 steps is another algorithm than summing every step's gradients");
        assertThrows(IllegalStateException.class, () -> trainer().averageEvery(7).checkpoints(dir, 10).fit(rows()));
    }

    @Test
    void badInputIsNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> trainer().label("digit").fit(rows())).getMessage().contains("no column 'digit'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> trainer().label("x").fit(rows())).getMessage().contains("column 'x' is array<double>"));
        Exception e = assertThrows(Exception.class, () -> trainer().input("x", FEATURES + 1).fit(rows()));
        String m = ModelScorerTest.message(e); // whichever worker's conversion fails first names its row
        assertTrue(m.matches("(?s).*column 'x' holds 6 values in row \\d+; the model takes 7.*"), m);
        assertThrows(IllegalStateException.class, () -> trainer().globalBatch(1).fit(rows()));
    }
}
