package dev.cortado.spark;

import dev.cortado.data.Dataset;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Losses;
import dev.cortado.nn.Module;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.Momentum;
import dev.cortado.optim.Sgd;
import dev.cortado.tensor.Rng;
import dev.cortado.train.TrainingSummary;
import dev.cortado.train.ValidationPerformance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The spark-lenet example: the {@code lenet} main job (Mocha's LeNet, SGD lr 0.01, momentum 0.9,
 * regu 0.0005, Inv(0.01, 0.0001, 0.75), global batch 64, 2,000 iterations) trained through Spark by
 * {@link DataParallelTrainer} on the bundled MNIST sample, then the test digits scored through
 * Spark by {@link ModelScorer}. Options (all optional): {@code --master local[2]},
 * {@code --workers 2}, {@code --iterations 2000}, {@code --batch 64} (global), {@code --threads N}
 * (kernel threads per worker JVM), {@code --seed 1}, {@code --average-every K},
 * {@code --checkpoints DIR} (default: a new temporary directory; an existing one resumes),
 * {@code --data DIR} (MNIST IDX files; default examples/data/mnist-sample).
 */
public final class SparkLeNet {

    private SparkLeNet() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        String master = o.getOrDefault("master", "local[2]");
        int workers = Integer.parseInt(o.getOrDefault("workers", "2")), batch = Integer.parseInt(o.getOrDefault("batch", "64"));
        int threads = Integer.parseInt(o.getOrDefault("threads", "0")), averageEvery = Integer.parseInt(o.getOrDefault("average-every", "0"));
        long iterations = Long.parseLong(o.getOrDefault("iterations", "2000")), seed = Long.parseLong(o.getOrDefault("seed", "1"));
        String data = Path.of(o.getOrDefault("data", "examples/data/mnist-sample")).toAbsolutePath().toString();
        Path checkpoints = o.containsKey("checkpoints") ? Path.of(o.get("checkpoints")) : Files.createTempDirectory("spark-lenet-");
        Dataset train = Dataset.mnist(Path.of(data), "train"), test = Dataset.mnist(Path.of(data), "t10k");
        SparkSession spark = SparkSession.builder().master(master).appName("spark-lenet").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", String.valueOf(workers)).getOrCreate();
        try {
            System.out.printf("spark-lenet: %s, %d workers, global batch %d, %d iterations; MNIST from %s: %d training, %d test images; checkpoints in %s%n",
                    master, workers, batch, iterations, data, train.size(), test.size(), checkpoints);
            long t0 = System.nanoTime();
            TrainedWeights w = new DataParallelTrainer(() -> LeNet.create(new Rng(seed)),
                    net -> Sgd.mocha(net.namedParameters(), LearningRate.inv(0.01, 0.0001, 0.75), Momentum.fixed(0.9), 0.0005f),
                    Losses::softmaxCrossEntropy)
                    .input("pixels", 1, 28, 28).label("digit").workers(workers).globalBatch(batch).iterations(iterations).seed(seed)
                    .threads(threads).averageEvery(averageEvery).checkpoints(checkpoints, 500)
                    .coffeeBreak(100, worker -> worker == 0 ? new TrainingSummary(System.out) : null)
                    .coffeeBreak(500, worker -> worker == 0 ? new ValidationPerformance(Dataset.mnist(Path.of(data), "t10k"), 500, System.out) : null)
                    .fit(frame(spark, train, workers));
            double fitSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "trained %d steps in %.1f s (%.1f steps/s, %.0f samples/s in the training loop; %.1f s with Spark's job)%s;"
                            + " allGather sent %,d bytes per step per worker%n",
                    w.steps(), w.seconds(), w.stepsPerSecond(), w.stepsPerSecond() * batch, fitSeconds,
                    w.stageAttempt() > 0 ? " after " + w.stageAttempt() + " restart(s), resumed at " + w.resumedFrom() : "", w.bytesPerStep());
            try (Module net = LeNet.create(new Rng(seed))) {
                w.loadInto(net);
                try (ModelScorer scorer = ModelScorer.fromModule(spark, net, () -> LeNet.create(new Rng(0)), 1, 28, 28).batchSize(500)) {
                    long correct = 0;
                    for (Row r : scorer.transform(frame(spark, test, workers), "pixels", "logits").select("digit", "logits").collectAsList()) {
                        List<Float> logits = r.getList(1);
                        int best = 0;
                        for (int c = 1; c < logits.size(); c++) if (logits.get(c) > logits.get(best)) best = c;
                        if (best == r.getInt(0)) correct++;
                    }
                    System.out.printf(Locale.ROOT, "test accuracy %.2f%% on %d images (scored through Spark by ModelScorer)%n", 100.0 * correct / test.size(),
                            test.size());
                }
            }
        } finally {
            spark.stop();
        }
    }

    /** The images as rows (pixels array<float>, digit int), in dataset order, in {@code partitions} slices. */
    static org.apache.spark.sql.Dataset<Row> frame(SparkSession spark, Dataset d, int partitions) {
        int per = d.sampleSize();
        List<Row> rows = new ArrayList<>(d.size());
        for (int i = 0; i < d.size(); i++) {
            List<Float> v = new ArrayList<>(per);
            for (int j = 0; j < per; j++) v.add(d.inputs()[i * per + j]);
            rows.add(RowFactory.create(scala.jdk.javaapi.CollectionConverters.asScala(v).toSeq(), d.label(i)));
        }
        StructType schema = new StructType().add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false)).add("digit", DataTypes.IntegerType);
        return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("options come as --name value pairs (--master, --workers, --iterations, --batch, --threads, --seed, "
                        + "--average-every, --checkpoints, --data); got '" + args[i] + "'");
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }
}
