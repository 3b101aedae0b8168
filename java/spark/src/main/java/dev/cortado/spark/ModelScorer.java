package dev.cortado.spark;

import dev.cortado.autograd.GradMode;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Shape;
import dev.cortado.tensor.Tensor;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference on Spark: scores a {@code Dataset<Row>} column of float arrays (or of encoded
 * images, with an {@link ImageDecoder}) with a Cortado model and adds the outputs as a new
 * {@code array<float>} column.
 *
 * <p>The model travels once: its bytes (a model file, or a module's weights) are broadcast, and
 * each executor JVM loads them once, on its first partition, and shares the model among its tasks
 * ({@link #threads} sets the executor's kernel threads). Each partition is scored in batches of
 * {@link #batchSize} rows, each batch's tensors freed when its outputs are copied out. The outputs
 * are those of the model run locally in eval mode on the same batches, bit for bit.
 *
 * <pre>{@code
 * try (ModelScorer scorer = ModelScorer.fromFile(spark, Path.of("lenet.safetensors")).batchSize(256)) {
 *     Dataset<Row> scored = scorer.transform(images, "pixels", "scores");
 * }
 * }</pre>
 */
public final class ModelScorer implements Serializable, AutoCloseable {

    private final Broadcast<byte[]> model;
    private ModelSource source;
    private int batchSize = 64;
    private int threads;
    private ImageDecoder decoder;

    private ModelScorer(Broadcast<byte[]> model, ModelSource source) {
        this.model = model;
        this.source = source;
    }

    /** A scorer of the model in {@code file} (a NetChain, or a Module kind such as Gpt with {@link #inputShape}). */
    public static ModelScorer fromFile(SparkSession spark, Path file) throws IOException {
        if (spark == null || file == null) throw new IllegalArgumentException("ModelScorer.fromFile: spark and file must not be null");
        dev.cortado.api.Models.kindOf(file); // a file that holds no model is named here, on the driver
        return new ModelScorer(broadcast(spark, Files.readAllBytes(file)), new ModelSource(null, null));
    }

    /**
     * A scorer of {@code net}: its weights are broadcast, and each executor builds the network with
     * {@code factory} and loads them. {@code inputShape} is one sample's shape, e.g. {@code 1, 28, 28}.
     */
    public static ModelScorer fromModule(SparkSession spark, Module net, ModuleFactory factory, int... inputShape) throws IOException {
        if (spark == null || net == null || factory == null) throw new IllegalArgumentException("ModelScorer.fromModule: spark, net and factory must not be null");
        checkShape(inputShape);
        Path tmp = Files.createTempFile("cortado-weights-", ".safetensors");
        try {
            net.saveWeights(tmp);
            return new ModelScorer(broadcast(spark, Files.readAllBytes(tmp)), new ModelSource(factory, inputShape.clone()));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Broadcast<byte[]> broadcast(SparkSession spark, byte[] bytes) {
        return org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
    }

    private static void checkShape(int[] shape) {
        if (shape == null || shape.length == 0) throw new IllegalArgumentException("the input shape is missing (one sample's shape, e.g. 1, 28, 28)");
        for (int d : shape) if (d < 1) throw new IllegalArgumentException("input shape " + Arrays.toString(shape) + " has a size under 1");
    }

    /** The per-sample input shape, for a model file that does not say it (a Module kind such as Gpt). */
    public ModelScorer inputShape(int... shape) {
        checkShape(shape);
        if (source.factory() != null) throw new IllegalStateException("the input shape of a module scorer is given to fromModule");
        source = new ModelSource(null, shape.clone());
        return this;
    }

    /** Rows per forward inside a partition (default 64). */
    public ModelScorer batchSize(int rows) {
        if (rows < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + rows);
        batchSize = rows;
        return this;
    }

    /** Kernel threads of each executor JVM that loads the model (0, the default: leave the executor's setting). */
    public ModelScorer threads(int perExecutor) {
        if (perExecutor < 0) throw new IllegalArgumentException("threads must be >= 0, got " + perExecutor);
        threads = perExecutor;
        return this;
    }

    /** Decodes a binary input column (encoded images) into the model's input values. */
    public ModelScorer decoder(ImageDecoder imageDecoder) {
        decoder = imageDecoder;
        return this;
    }

    /**
     * {@code rows} with a new {@code array<float>} column {@code outputColumn}: the model's output
     * for each row's {@code inputColumn} (array&lt;float&gt; or array&lt;double&gt; of the model's
     * input size, row-major; or binary with a {@link #decoder}). A missing or ill-typed column, or an
     * output column that exists, is an IllegalArgumentException here; a null row or an array of
     * another length fails the job with an exception naming the column and the row.
     */
    public Dataset<Row> transform(Dataset<Row> rows, String inputColumn, String outputColumn) {
        if (rows == null || outputColumn == null) throw new IllegalArgumentException("ModelScorer.transform: rows and outputColumn must not be null");
        StructType schema = rows.schema();
        Columns.Kind kind = decoder == null ? Columns.kindOf(schema, inputColumn, Columns.Kind.FLOAT_ARRAY, Columns.Kind.DOUBLE_ARRAY)
                : Columns.kindOf(schema, inputColumn, Columns.Kind.BYTES);
        if (Arrays.asList(schema.fieldNames()).contains(outputColumn)) {
            throw new IllegalArgumentException("column '" + outputColumn + "' exists already; name a new output column");
        }
        StructType out = schema.add(outputColumn, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        int index = schema.fieldIndex(inputColumn);
        boolean images = kind == Columns.Kind.BYTES;
        ModelScorer self = this;
        MapPartitionsFunction<Row, Row> score = it -> self.scorePartition(it, index, inputColumn, images);
        return rows.mapPartitions(score, Encoders.row(out));
    }

    /** Scores one partition lazily, a batch at a time; the model is released when the task ends. */
    private Iterator<Row> scorePartition(Iterator<Row> rows, int index, String column, boolean images) throws Exception {
        ExecutorModels.Loaded m = ExecutorModels.acquire(model.id(), source, model.value(), threads);
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskContext t) -> {
                try {
                    ExecutorModels.release(m);
                } catch (Exception e) {
                    throw new IllegalStateException("closing the model failed", e);
                }
            });
        }
        String where = task == null ? "the partition" : "partition " + task.partitionId();
        int per = (int) Shape.numel(m.inputShape);
        return new Iterator<>() {
            private final List<Row> pending = new ArrayList<>();
            private int next;
            private long seen;

            @Override
            public boolean hasNext() {
                if (next < pending.size()) return true;
                if (!rows.hasNext()) {
                    if (task == null) releaseQuietly(m);
                    return false;
                }
                fill();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return pending.get(next++);
            }

            private void fill() {
                List<Row> batch = new ArrayList<>(batchSize);
                while (batch.size() < batchSize && rows.hasNext()) batch.add(rows.next());
                float[] x = new float[batch.size() * per];
                for (int r = 0; r < batch.size(); r++) {
                    String at = "row " + (seen + r) + " of " + where;
                    float[] sample;
                    if (images) {
                        try {
                            sample = decoder.decode(Columns.bytes(batch.get(r), index, column, at));
                        } catch (IOException e) {
                            throw new IllegalArgumentException("column '" + column + "': " + at + ": " + e.getMessage(), e);
                        }
                        if (sample.length != per) {
                            throw new IllegalArgumentException("column '" + column + "': the decoder gave " + sample.length + " values for " + at
                                    + "; the model takes " + per);
                        }
                    } else {
                        sample = Columns.floats(batch.get(r), index, column, per, at);
                    }
                    System.arraycopy(sample, 0, x, r * per, per);
                }
                seen += batch.size();
                int[] shape = new int[m.inputShape.length + 1];
                shape[0] = batch.size();
                System.arraycopy(m.inputShape, 0, shape, 1, m.inputShape.length);
                float[] y;
                try (MemoryScope scope = MemoryScope.open(); GradMode off = GradMode.off()) {
                    y = m.forward.apply(Tensor.of(x, shape)).toArray();
                }
                int outPer = y.length / batch.size();
                pending.clear();
                next = 0;
                for (int r = 0; r < batch.size(); r++) {
                    Row in = batch.get(r);
                    Object[] values = new Object[in.length() + 1];
                    for (int c = 0; c < in.length(); c++) values[c] = in.get(c);
                    List<Float> scores = new ArrayList<>(outPer);
                    for (int i = r * outPer; i < (r + 1) * outPer; i++) scores.add(y[i]);
                    values[in.length()] = scala.jdk.javaapi.CollectionConverters.asScala(scores).toSeq(); // a Row's array is a Seq
                    pending.add(RowFactory.create(values));
                }
            }
        };
    }

    private static void releaseQuietly(ExecutorModels.Loaded m) {
        try {
            ExecutorModels.release(m);
        } catch (Exception e) {
            throw new IllegalStateException("closing the model failed", e);
        }
    }

    /** Removes the model's bytes from the executors' broadcast stores (each executor's loaded copy goes when newer models push it out). */
    @Override
    public void close() {
        model.destroy();
    }
}
