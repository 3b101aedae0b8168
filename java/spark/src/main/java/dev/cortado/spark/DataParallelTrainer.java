package dev.cortado.spark;

import dev.cortado.tensor.Shape;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;
import scala.reflect.ClassTag$;

/**
 * Synchronous data-parallel SGD over a Spark {@code Dataset<Row>}, in Spark's barrier execution
 * mode: one long task per worker, all started together, each holding the same network and
 * optimizer. Every step each worker computes the gradient of its share of the global batch, the
 * workers exchange them with {@code BarrierTaskContext.allGather}, and each adds them up in worker
 * order, weighted by the shares, so that all hold the same bits and apply the same update: the
 * weights stay identical on every worker (checked at the end). With {@link #averageEvery} the
 * workers instead step alone on their own batches and average their weights and optimizer state
 * every k steps.
 *
 * <p>The data: row i of {@code rows} (its order, zipWithIndex) goes to worker i mod N, which keeps
 * its rows in index order and draws its batches from a {@code DataLoader(shard, b_w, shuffle,
 * seed + w)} with b_w = the global batch / N (the first globalBatch mod N workers one more): the
 * global batch of step t is the concatenation of the workers' batches t, and its gradient is the
 * mean over all its samples, as one process training on that batch computes it.
 *
 * <p>Faults: with {@link #checkpoints}, worker 0 writes a {@code Snapshots} snapshot (weights,
 * optimizer state, iteration) every k steps into a directory all workers read. When a task fails
 * Spark restarts the whole barrier stage (give tasks more than one attempt: {@code local[N,4]},
 * {@code spark.task.maxFailures}); the new tasks resume from the newest snapshot in the directory
 * (worker 0 picks it and tells the others) and end with the weights of an uninterrupted run. A
 * directory that holds snapshots of an earlier run resumes that run.
 *
 * <pre>{@code
 * TrainedWeights w = new DataParallelTrainer(() -> LeNet.create(new Rng(1)),
 *         net -> Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f),
 *         Losses::softmaxCrossEntropy)
 *     .input("pixels", 1, 28, 28).label("digit").workers(2).globalBatch(64).iterations(2000)
 *     .checkpoints(Path.of("/shared/lenet"), 500)
 *     .coffeeBreak(100, worker -> worker == 0 ? new TrainingSummary(System.out) : null)
 *     .fit(rows);
 * }</pre>
 */
public final class DataParallelTrainer implements Serializable {

    /** A user break: built on every worker by {@code factory}, held every {@code every} steps. */
    record Break(int every, BreakFactory factory) implements Serializable {
    }

    final ModuleFactory model;
    final OptimizerFactory optimizer;
    final LossFunction loss;
    String inputColumn = "features", labelColumn = "label";
    int[] sampleShape;
    int workers = 2, globalBatch = 64, threads, averageEvery, checkpointEvery;
    long iterations = 100, seed = 1;
    boolean shuffle = true;
    String checkpointDir;
    final List<Break> breaks = new ArrayList<>();

    public DataParallelTrainer(ModuleFactory model, OptimizerFactory optimizer, LossFunction loss) {
        if (model == null || optimizer == null || loss == null) throw new IllegalArgumentException("model, optimizer and loss must not be null");
        this.model = model;
        this.optimizer = optimizer;
        this.loss = loss;
    }

    /** The input column (array&lt;float&gt; or array&lt;double&gt;) and one sample's shape, e.g. {@code "pixels", 1, 28, 28}. */
    public DataParallelTrainer input(String column, int... shape) {
        if (column == null || shape == null || shape.length == 0) throw new IllegalArgumentException("input: a column and a sample shape are needed");
        for (int d : shape) if (d < 1) throw new IllegalArgumentException("input shape " + Arrays.toString(shape) + " has a size under 1");
        inputColumn = column;
        sampleShape = shape.clone();
        return this;
    }

    /** The label column: a number (a class index for cross-entropy, or a regression target). */
    public DataParallelTrainer label(String column) {
        if (column == null) throw new IllegalArgumentException("label column is null");
        labelColumn = column;
        return this;
    }

    /** Workers: barrier tasks, each needs a task slot of its own (default 2). */
    public DataParallelTrainer workers(int n) {
        if (n < 1) throw new IllegalArgumentException("workers must be >= 1, got " + n);
        workers = n;
        return this;
    }

    /** Samples per step over all workers (default 64); at least one per worker. */
    public DataParallelTrainer globalBatch(int samples) {
        if (samples < 1) throw new IllegalArgumentException("global batch must be >= 1, got " + samples);
        globalBatch = samples;
        return this;
    }

    /** The optimizer step count to train to (default 100). */
    public DataParallelTrainer iterations(long steps) {
        if (steps < 0) throw new IllegalArgumentException("iterations must be >= 0, got " + steps);
        iterations = steps;
        return this;
    }

    /** The data order's seed (default 1); worker w shuffles its shard with seed + w. */
    public DataParallelTrainer seed(long value) {
        seed = value;
        return this;
    }

    /** Whether each worker shuffles its shard every epoch (default true). */
    public DataParallelTrainer shuffle(boolean value) {
        shuffle = value;
        return this;
    }

    /** Kernel threads in each worker's JVM (0, the default: leave the executor's setting). */
    public DataParallelTrainer threads(int perWorker) {
        if (perWorker < 0) throw new IllegalArgumentException("threads must be >= 0, got " + perWorker);
        threads = perWorker;
        return this;
    }

    /**
     * Parameter averaging instead of summing gradients: each worker steps with its own batch's
     * gradient, and every {@code k} steps (and at the end) the workers average their weights and
     * optimizer state (weighted by their batch shares). One exchange per k steps instead of one per
     * step, at the price of k steps of drift: with k = 1 and plain SGD it equals gradient summing.
     * 0 (the default) sums gradients every step.
     */
    public DataParallelTrainer averageEvery(int k) {
        if (k < 0) throw new IllegalArgumentException("averageEvery must be >= 0, got " + k);
        averageEvery = k;
        return this;
    }

    /**
     * Worker 0 writes a snapshot into {@code dir} (which every worker can read: local disk in local
     * mode, a shared file system on a cluster) every {@code every} steps; a restarted stage, or a
     * later fit, resumes from the newest one there.
     */
    public DataParallelTrainer checkpoints(Path dir, int every) {
        if (dir == null || every < 1) throw new IllegalArgumentException("checkpoints need a directory and an interval >= 1");
        checkpointDir = dir.toAbsolutePath().toString();
        checkpointEvery = every;
        return this;
    }

    /**
     * A coffee break (summary, validation, snapshots, ...) every {@code every} steps, built on each
     * worker by {@code factory} (null for none there: most breaks run on worker 0 only).
     */
    public DataParallelTrainer coffeeBreak(int every, BreakFactory factory) {
        if (every < 1 || factory == null) throw new IllegalArgumentException("a coffee break needs an interval >= 1 and a factory");
        breaks.add(new Break(every, factory));
        return this;
    }

    /**
     * Trains on {@code rows} and returns the weights every worker ended with. A missing or ill-typed
     * column is an IllegalArgumentException here; a null row, an input of another length, fewer rows
     * than workers fail the job naming the problem.
     */
    public TrainedWeights fit(Dataset<Row> rows) {
        if (rows == null) throw new IllegalArgumentException("fit: rows is null");
        if (sampleShape == null) throw new IllegalStateException("fit: give the input column and sample shape (input(\"pixels\", 1, 28, 28))");
        if (globalBatch < workers) throw new IllegalStateException("the global batch " + globalBatch + " is smaller than the " + workers + " workers");
        if (averageEvery > 0 && checkpointEvery > 0 && checkpointEvery % averageEvery != 0) {
            throw new IllegalStateException("checkpoints every " + checkpointEvery + " steps must fall on averaging steps (every " + averageEvery
                    + "): only then do all workers hold the checkpointed weights");
        }
        Columns.kindOf(rows.schema(), inputColumn, Columns.Kind.FLOAT_ARRAY, Columns.Kind.DOUBLE_ARRAY);
        Columns.kindOf(rows.schema(), labelColumn, Columns.Kind.NUMBER);
        String in = inputColumn, label = labelColumn;
        int per = (int) Shape.numel(sampleShape);
        JavaPairRDD<Long, Sample> keyed = rows.select(in, label).javaRDD().zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), new Sample(t._2(), Columns.floats(t._1(), 0, in, per, "row " + t._2()),
                        Columns.number(t._1(), 1, label, "row " + t._2()))))
                .partitionBy(new ByWorker(workers));
        // the reports cross a shuffle: Spark retries a failed barrier stage only as a shuffle map stage, never as the job's result stage
        List<WorkerReport> reports = keyed.values().rdd().barrier()
                .mapPartitions(new TrainingWorker(this), false, ClassTag$.MODULE$.apply(WorkerReport.class))
                .toJavaRDD().repartition(1).collect();
        return result(reports);
    }

    private TrainedWeights result(List<WorkerReport> reports) {
        if (reports.size() != workers) throw new IllegalStateException(reports.size() + " worker reports for " + workers + " workers");
        WorkerReport first = null;
        for (WorkerReport r : reports) {
            if (r.worker() == 0) first = r;
        }
        if (first == null || first.weights() == null) throw new IllegalStateException("worker 0 sent no weights");
        for (WorkerReport r : reports) {
            if (r.checksum() != first.checksum() || r.iteration() != first.iteration()) {
                throw new IllegalStateException("workers 0 and " + r.worker() + " ended with different weights (iterations " + first.iteration() + " and "
                        + r.iteration() + ")");
            }
        }
        long perStep = first.steps() == 0 ? 0 : first.bytesSent() / first.steps();
        return new TrainedWeights(first.weights(), first.iteration(), first.resumedFrom(), first.stageAttempt(), first.seconds(), first.steps(), perStep);
    }

    /** Row i goes to worker i mod N. */
    static final class ByWorker extends Partitioner {
        private final int workers;

        ByWorker(int workers) {
            this.workers = workers;
        }

        @Override
        public int numPartitions() {
            return workers;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) workers);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByWorker b && b.workers == workers;
        }

        @Override
        public int hashCode() {
            return workers;
        }
    }
}
