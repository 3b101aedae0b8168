package dev.cortado.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.NetChain;
import dev.cortado.api.NetLayer;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
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

/** Batch inference: Spark's scores equal local inference bit for bit; the model loads once per executor; bad input is named. */
class ModelScorerTest {

    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSessions.local("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final StructType VECTORS = new StructType().add("id", DataTypes.IntegerType)
            .add("x", DataTypes.createArrayType(DataTypes.FloatType));

    private static float[][] randomRows(int n, int size, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[n][size];
        for (float[] row : x) for (int i = 0; i < size; i++) row[i] = (float) r.nextGaussian();
        return x;
    }

    private static Dataset<Row> vectors(float[][] x, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            List<Float> v = new ArrayList<>();
            for (float f : x[i]) v.add(f);
            rows.add(RowFactory.create(i, scala.jdk.javaapi.CollectionConverters.asScala(v).toSeq()));
        }
        return frame(rows, VECTORS, partitions);
    }

    /** {@code rows} in {@code partitions} contiguous slices, in order (partition p holds rows [p n / P, (p + 1) n / P)). */
    private static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
        return spark.createDataFrame(new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
    }

    /** Each row's scores, by the id in column 0. */
    private static float[][] scores(Dataset<Row> scored, int n, String column) {
        float[][] out = new float[n][];
        for (Row r : scored.collectAsList()) {
            List<Float> s = r.getList(r.fieldIndex(column));
            float[] f = new float[s.size()];
            for (int i = 0; i < f.length; i++) f[i] = s.get(i);
            out[r.getInt(0)] = f;
        }
        return out;
    }

    /**
     * The local model's outputs on the batches a scorer forms: each of {@code partitions} contiguous
     * slices of the rows in batches of {@code batch} rows (the last of a slice shorter).
     */
    private static float[][] local(java.util.function.UnaryOperator<Tensor> forward, float[][] x, int partitions, int batch, int... sampleShape) {
        float[][] out = new float[x.length][];
        for (int p = 0; p < partitions; p++) {
            int end = (int) ((long) (p + 1) * x.length / partitions);
            for (int from = (int) ((long) p * x.length / partitions); from < end; from += batch) {
                float[][] part = java.util.Arrays.copyOfRange(x, from, Math.min(end, from + batch));
                float[][] y = oneBatch(forward, part, sampleShape);
                System.arraycopy(y, 0, out, from, y.length);
            }
        }
        return out;
    }

    /** The local model's outputs for all rows in one batch. */
    private static float[][] oneBatch(java.util.function.UnaryOperator<Tensor> forward, float[][] x, int... sampleShape) {
        int per = x[0].length;
        float[] flat = new float[x.length * per];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, flat, i * per, per);
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = x.length;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        try (MemoryScope s = MemoryScope.open(); GradMode off = GradMode.off()) {
            float[] y = forward.apply(Tensor.of(flat, shape)).toArray();
            int outPer = y.length / x.length;
            float[][] out = new float[x.length][];
            for (int i = 0; i < x.length; i++) out[i] = java.util.Arrays.copyOfRange(y, i * outPer, (i + 1) * outPer);
            return out;
        }
    }

    private static void assertBitsEqual(float[][] expected, float[][] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, actual[i].length, "row " + i);
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(Float.floatToRawIntBits(expected[i][j]), Float.floatToRawIntBits(actual[i][j]),
                        "row " + i + " output " + j + ": " + expected[i][j] + " locally, " + actual[i][j] + " on Spark");
            }
        }
    }

    @Test
    void aModelFileScoresAsItDoesLocallyLoadedOncePerExecutor() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        float[][] x = randomRows(300, 6, 1);
        try (NetChain chain = NetChain.of(16, NetLayer.ramp(), 3, NetLayer.softmax()).initialize(7L, 6)) {
            chain.save(file);
            chain.module().eval();
            long before = ExecutorModels.loads();
            try (ModelScorer scorer = ModelScorer.fromFile(spark, file).batchSize(32)) {
                assertBitsEqual(local(chain::apply, x, 4, 32, 6), scores(scorer.transform(vectors(x, 4), "x", "p"), x.length, "p"));
                assertEquals(1, ExecutorModels.loads() - before, "one executor JVM (local mode) loads the model once for 4 partitions");
                assertBitsEqual(local(chain::apply, x, 3, 7, 6), scores(scorer.batchSize(7).transform(vectors(x, 3), "x", "p"), x.length, "p"));
                assertEquals(1, ExecutorModels.loads() - before, "a second job reuses the loaded model");
            }
        }
    }

    @Test
    void aModuleScoresEncodedImagesWithItsOwnWeightsAndTheExecutorsThreadCount() throws Exception {
        int n = 40;
        float[][] pixels = new float[n][28 * 28];
        List<Row> rows = new ArrayList<>();
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int c = 0; c < 28; c++) {
                    int v = r.nextInt(256);
                    image.getRaster().setSample(c, y, 0, v);
                    pixels[i][y * 28 + c] = v / 255f;
                }
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image, "png", png);
            rows.add(RowFactory.create(i, png.toByteArray()));
        }
        Dataset<Row> images = frame(rows, new StructType().add("id", DataTypes.IntegerType).add("png", DataTypes.BinaryType), 2);
        int threadsBefore = CpuKernels.isAvailable() ? CpuKernels.threads() : 0;
        // the executors build LeNet from seed 3 and must score with the broadcast weights of seed 4
        try (Module trained = LeNet.create(new Rng(4)).eval();
             ModelScorer scorer = ModelScorer.fromModule(spark, trained, () -> LeNet.create(new Rng(3)), 1, 28, 28)
                     .decoder(ImageDecoder.gray(28, 28)).batchSize(16).threads(1)) {
            float[][] expected = local(trained::forward, pixels, 2, 16, 1, 28, 28);
            assertBitsEqual(expected, scores(scorer.transform(images, "png", "logits"), n, "logits"));
            if (CpuKernels.isAvailable()) assertEquals(1, CpuKernels.threads(), "the executor's kernel threads");
        } finally {
            if (threadsBefore > 0) CpuKernels.setThreads(threadsBefore);
        }
    }

    @Test
    void badInputIsNamed() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (NetChain chain = NetChain.of(3, NetLayer.softmax()).initialize(1L, 6)) {
            chain.save(file);
        }
        try (ModelScorer scorer = ModelScorer.fromFile(spark, file)) {
            Dataset<Row> good = vectors(randomRows(10, 6, 2), 2);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> scorer.transform(good, "pixels", "p")).getMessage()
                    .contains("no column 'pixels'"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> scorer.transform(good, "id", "p")).getMessage()
                    .contains("column 'id' is int"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> scorer.transform(good, "x", "id")).getMessage()
                    .contains("exists already"));
            Dataset<Row> shorter = vectors(randomRows(10, 5, 2), 2);
            assertTrue(message(assertThrows(Exception.class, () -> scorer.transform(shorter, "x", "p").collectAsList()))
                    .contains("column 'x' holds 5 values in row"));
            List<Row> withNull = new ArrayList<>(vectors(randomRows(3, 6, 2), 1).collectAsList());
            withNull.add(RowFactory.create(3, null));
            Dataset<Row> nulls = spark.createDataFrame(withNull, VECTORS);
            assertTrue(message(assertThrows(Exception.class, () -> scorer.transform(nulls, "x", "p").collectAsList()))
                    .contains("column 'x' is null in row"));
        }
        Path notAModel = dir.resolve("empty.safetensors");
        java.nio.file.Files.write(notAModel, new byte[] {1, 2, 3});
        assertThrows(java.io.IOException.class, () -> ModelScorer.fromFile(spark, notAModel));
    }

    /** The messages of an exception and its causes (Spark wraps a task's exception). */
    static String message(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) s.append(c.getMessage()).append(" | ");
        return s.toString();
    }
}
