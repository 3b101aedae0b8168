package dev.cortado.examples;

import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.kernels.KernelProfiler;
import dev.cortado.memory.Device;
import dev.cortado.data.TextCorpus;
import dev.cortado.models.Gpt;
import dev.cortado.optim.AdamW;
import dev.cortado.optim.GradClip;
import dev.cortado.optim.LearningRate;
import dev.cortado.optim.ParamGroup;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import dev.cortado.train.Safetensors;
import dev.cortado.train.Statistics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Workload A of issue 21: a character-level GPT (nanoGPT's shakespeare-char recipe scaled to 2
 * cores) on the text of Debian's fortunes package; benchmarks/gpt_char.py is the same in PyTorch.
 */
@Command(name = "gpt", mixinStandardHelpOptions = true,
        description = {"A character-level GPT (4 layers, 4 heads, 128 wide, context 64; AdamW, warm-up then cosine, clipping at 1) "
                + "trained on the fortunes corpus (apt-get install fortunes), with train/validation loss every --eval-every iterations, "
                + "a loss curve PNG, the weights saved, and a sample from a prompt.",
                "With --load and --iterations 0 it only samples from a saved model."},
        footer = {"", "Examples:", "  java -jar cortado-examples.jar gpt                       # 500 iterations, then a sample",
                  "  java -jar cortado-examples.jar gpt --iterations 2000 --prompt 'Q: '",
                  "  java -jar cortado-examples.jar gpt --load gpt-out/gpt.safetensors --iterations 0 --tokens 500"})
final class GptCommand implements Callable<Integer> {

    static final Path FORTUNES = Path.of("/usr/share/games/fortunes");
    static final int BATCH = 32;

    @Option(names = "--iterations", defaultValue = "500", description = "training iterations of batch 32 x 64 characters (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--eval-every", defaultValue = "100", description = "iterations between loss estimates (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-batches", defaultValue = "20", description = "random batches of each split per estimate (default ${DEFAULT-VALUE}).")
    int evalBatches;

    @Option(names = "--data", description = "a directory of text files (default: " + "/usr/share/games/fortunes, without its .dat files).")
    Path data;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the weights, the batches and the sample (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "gpt-out", description = "directory for gpt.safetensors and gpt-loss.png (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--load", description = "start from the model an earlier run saved (gpt.safetensors; its vocabulary must be this corpus's).")
    Path load;

    @Option(names = "--prompt", defaultValue = "\n", description = "text the sample continues (default: a newline).")
    String prompt;

    @Option(names = "--tokens", defaultValue = "300", description = "characters to sample (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "20", description = "sample among the k likeliest characters, 0 for all (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--profile", description = "Time every kernel call and print, per training step, where the time went (loss estimates included).")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        Profiled.run(profile, this::run);
        return 0;
    }

    private void run(KernelProfiler profiler) throws Exception {
        if (iterations < 0 || evalEvery < 1 || evalBatches < 1 || tokens < 0) {
            throw new IllegalArgumentException("--iterations and --tokens must be >= 0, --eval-every and --eval-batches >= 1");
        }
        PrintStream log = Console.system().log();
        TextCorpus corpus = TextCorpus.read(corpusFiles(data != null ? data : FORTUNES));
        TextCorpus[] parts = corpus.split(0.9);
        Rng rng = new Rng(seed);
        try (Gpt gpt = load != null ? load(corpus) : new Gpt(Gpt.Config.charLevel(corpus.vocabularySize()), rng)) {
            log.printf("gpt: vocabulary %d, train %,d / validation %,d characters; %,d parameters; kernels %s%n", corpus.vocabularySize(),
                    parts[0].length(), parts[1].length(), gpt.parameterCount(), Backends.describe(Device.CPU));
            if (iterations > 0) train(gpt, parts, rng, log);
            int[] sample = gpt.generate(corpus.encode(prompt), tokens, temperature, topK, rng);
            log.printf("sample (temperature %s, top-k %d):%n%s%s%n", temperature, topK, prompt, corpus.decode(sample));
        }
        if (profiler != null && iterations > 0) log.print("kernel time per training iteration:\n" + profiler.report(iterations));
    }

    private void train(Gpt gpt, TextCorpus[] parts, Rng rng, PrintStream log) throws IOException {
        Files.createDirectories(out);
        int context = gpt.config().context(), warmup = Math.min(100, iterations);
        LearningRate lr = LearningRate.warmup(warmup, LearningRate.cosine(1e-3, 1e-4, Math.max(1, iterations - warmup)));
        Statistics stats = new Statistics();
        double trainSeconds = 0;
        try (AdamW opt = new AdamW(ParamGroup.decayAndNoDecay(gpt.namedParameters(), 0.1), lr, 0.9f, 0.99f, 1e-8f);
             Console.Progress bar = Console.system().progress("gpt", iterations, " it")) {
            for (int it = 0; it < iterations; it++) {
                try (MemoryScope step = MemoryScope.open()) {
                    TextCorpus.Batch b = parts[0].batch(BATCH, context, rng);
                    long t0 = System.nanoTime();
                    opt.zeroGrad();
                    Tensor loss = gpt.loss(b.x(), b.y());
                    loss.backward();
                    GradClip.clipGradNorm(gpt.parameters(), 1.0);
                    opt.step();
                    float value = loss.item();
                    trainSeconds += (System.nanoTime() - t0) / 1e9;
                    if (!Float.isFinite(value)) throw new ArithmeticException("gpt: the loss is " + value + " at iteration " + (it + 1));
                }
                bar.step();
                if ((it + 1) % evalEvery == 0 || it + 1 == iterations) {
                    double tr = estimate(gpt, parts[0], rng), va = estimate(gpt, parts[1], rng);
                    stats.record(it + 1, "train", tr);
                    stats.record(it + 1, "validation", va);
                    log.printf("iter %d: train loss %.4f, validation loss %.4f, lr %.2e%n", it + 1, tr, va, lr.at(it));
                }
            }
        }
        log.printf("training: %d iterations in %.1f s, %,.0f tokens/s%n", iterations, trainSeconds, iterations * BATCH * context / trainSeconds);
        Path weights = out.resolve("gpt.safetensors"), png = out.resolve("gpt-loss.png");
        gpt.save(weights, Map.of("vocabulary", vocabulary(parts[0]))); // the whole model: its Config, weights and the vocabulary
        TrainingCurve.write(stats, png, new TrainingCurve.Panel("Loss (mean over " + evalBatches + " batches per split)", "cross-entropy", 1,
                new TrainingCurve.Series("train", "train"), new TrainingCurve.Series("validation", "validation")));
        log.printf("saved %s and %s%n", weights, png);
    }

    /** nanoGPT's estimate_loss: the mean loss over random batches, in eval mode without a graph. */
    private double estimate(Gpt gpt, TextCorpus split, Rng rng) {
        gpt.eval();
        double sum = 0;
        try (GradMode off = GradMode.off()) {
            for (int i = 0; i < evalBatches; i++) {
                try (MemoryScope scope = MemoryScope.open()) {
                    TextCorpus.Batch b = split.batch(BATCH, gpt.config().context(), rng);
                    sum += gpt.loss(b.x(), b.y()).item();
                }
            }
        } finally {
            gpt.train();
        }
        return sum / evalBatches;
    }

    /** The model saved by an earlier run (Gpt.save), whose vocabulary must be this corpus's. */
    private Gpt load(TextCorpus corpus) throws IOException {
        String saved = Safetensors.metadata(load).get("vocabulary");
        if (saved != null && !saved.equals(vocabulary(corpus))) {
            throw new IOException(load + ": its vocabulary (" + saved.length() + " characters) is not this corpus's (" + corpus.vocabularySize() + ")");
        }
        return Gpt.load(load);
    }

    private static String vocabulary(TextCorpus corpus) {
        int[] ids = new int[corpus.vocabularySize()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        return corpus.decode(ids);
    }

    /** The directory's regular files in name order, without fortune's .dat indexes (and the .u8 links, which are symbolic links). */
    static List<Path> corpusFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("no corpus directory " + dir + (dir.equals(FORTUNES) ? " (apt-get install fortunes, or give --data DIR)" : ""));
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> list = files.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !p.toString().endsWith(".dat"))
                    .sorted().toList();
            if (list.isEmpty()) throw new IOException("no text files in " + dir);
            return list;
        }
    }
}
