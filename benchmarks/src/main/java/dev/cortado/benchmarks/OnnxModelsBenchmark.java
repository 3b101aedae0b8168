package dev.cortado.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.cortado.autograd.GradMode;
import dev.cortado.kernels.Backends;
import dev.cortado.onnx.importer.OnnxModel;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 22's models, imported from ONNX, beside ONNX Runtime Java on the same file, input and thread
 * count (its intra-op threads = Cortado's threads, one inter-op thread): one inference each call,
 * of one engine, or with {@code engine=paired} of both, Cortado's then ONNX Runtime's, each timed
 * into the counters {@code cortadoNs} and {@code ortNs} (with {@code calls}): both meet the same
 * machine at the same moment, so their ratio holds where the machine's speed moves between runs.
 * Paired, ONNX Runtime's idle threads do not spin ({@code session.intra_op.allow_spinning} = 0:
 * spinning, they would take Cortado's second CPU in the same process).
 * The files come from {@code /usr/bin/python3 benchmarks/onnx/make_models.py} (torch 1.13 +
 * torchvision) into {@code -p dir=} (default benchmarks/onnx/models, run from the repository root):
 * resnet18 (batch 1, 224x224), resnet18_b32 (batch 32), mobilenet_v2 (batch 1), encoder (batch 8 x
 * 128 tokens, 128 wide).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OnnxModelsBenchmark {

    @Param({"resnet18", "resnet18_b32", "mobilenet_v2", "encoder"})
    public String model;

    @Param({"cortado", "onnxruntime", "paired"})
    public String engine;

    @Param({"2"})
    public int threads;

    @Param({"benchmarks/onnx/models"})
    public String dir;

    private Backends.Selection selection;
    private GradMode noGrad;
    private OnnxModel cortado;
    private Tensor input;
    private OrtSession session;
    private OnnxTensor ortInput;
    private String inputName;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path file = Path.of(dir, model + ".onnx");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file.toAbsolutePath() + " is missing: run /usr/bin/python3 benchmarks/onnx/make_models.py");
        }
        selection = BenchmarkBackend.select("cpu", threads);
        noGrad = GradMode.off();
        cortado = OnnxModel.load(file);  // for its input's name and shape on both sides
        inputName = cortado.inputNames().get(0);
        int[] shape = cortado.inputShape(inputName);
        Rng rng = new Rng(1);
        input = Tensor.normal(rng, 0f, 1f, shape).keep();
        if (!engine.equals("cortado")) {
            if (engine.equals("onnxruntime")) {
                cortado.close();
                cortado = null;
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                if (engine.equals("paired")) options.addConfigEntry("session.intra_op.allow_spinning", "0");
                session = env.createSession(file.toString(), options);
            }
            ortInput = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.toArray()), Arrays.stream(shape).asLongStream().toArray());
        }
    }

    /** Nanoseconds spent in each engine's calls and the calls, per iteration (JMH's secondary results). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long cortadoNs, ortNs, calls;

        @Setup(Level.Iteration)
        public void clear() {
            cortadoNs = ortNs = calls = 0;
        }
    }

    @Benchmark
    public float infer(Times times) throws OrtException {
        float out = 0;
        long t0 = System.nanoTime();
        if (cortado != null) {
            try (MemoryScope scope = MemoryScope.open()) {
                out += cortado.run(input).toArray()[0];
            }
        }
        long t1 = System.nanoTime();
        if (session != null) {
            try (OrtSession.Result result = session.run(Map.of(inputName, ortInput))) {
                out += ((OnnxTensor) result.get(0)).getFloatBuffer().get(0);  // the output copied to the heap, as Cortado's above
            }
        }
        times.cortadoNs += t1 - t0;
        times.ortNs += System.nanoTime() - t1;
        times.calls++;
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        if (cortado != null) cortado.close();
        if (session != null) session.close();
        if (ortInput != null) ortInput.close();
        input.close();
        noGrad.close();
        selection.close();
    }
}
