package dev.cortado.benchmarks;

import dev.cortado.kernels.Backends;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
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
 * One step of an issue-21 workload, on Cortado's cpu kernels ({@code -p engine=cortado}), in
 * PyTorch 1.13 ({@code -p engine=pytorch}: the same step of benchmarks/torch_worker.py's {@link #workload},
 * through a {@link PyTorchWorker}) or in libtorch 2.10 ({@code -p engine=libtorch}: the same model and
 * recipe in PyTorch's C++ API through the org.bytedeco pytorch preset, in this process; only in a
 * benchmarks.jar built with {@code -Ppytorch}), all at {@code threads}, in the same JMH run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public abstract class WorkloadBenchmark {

    @Param({"cortado", "pytorch"})
    public String engine;

    @Param({"2"})
    public int threads;

    /** The class (src/pytorch/java, built with -Ppytorch) whose {@code open(workload, threads)} runs engine=libtorch. */
    static final String LIBTORCH_ENGINES = "dev.cortado.benchmarks.LibTorchWorkloads";

    private AnchorEngine anchor;
    private Backends.Selection selection;

    /** torch_worker.py's name of this workload. */
    protected abstract String workload();

    /** Builds the model and resident data on the selected cpu kernels. */
    protected abstract void setUpCortado();

    /** One step in Cortado; its loss or an output value. */
    protected abstract double cortadoStep();

    protected abstract void tearDownCortado();

    /** How many parameters Cortado's model has (printed beside the anchors' counts). */
    protected abstract long cortadoParameterCount();

    @Setup(Level.Trial)
    public final void setUp() throws IOException {
        switch (engine) {
            case "pytorch" -> anchor = new PyTorchWorker(workload(), threads);
            case "libtorch" -> anchor = libtorch(workload(), threads);
            case "cortado" -> {
                selection = BenchmarkBackend.select("cpu", threads);
                setUpCortado();
                System.out.println("# Cortado " + workload() + ": " + cortadoParameterCount() + " parameters");
            }
            default -> throw new IllegalArgumentException("engine=" + engine + ": expected cortado, pytorch or libtorch");
        }
        // the engines' sanity check, side by side in the log: a training step's loss (ln 10 ≈ 2.3 for ResNet-20
        // and ln 113 ≈ 4.7 for the GPT at initialisation) or an inference's first output
        System.out.println("# " + engine + " " + workload() + ": first step " + step());
    }

    /** engine=libtorch: {@link #LIBTORCH_ENGINES}, or a message saying how to build it in. */
    static AnchorEngine libtorch(String workload, int threads) {
        Class<?> engines;
        try {
            engines = Class.forName(LIBTORCH_ENGINES);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("engine=libtorch: this benchmarks.jar was built without libtorch; build it with -Ppytorch "
                    + "(mvn -o -q -B package -DskipTests -Ppytorch -pl java,java/cuda,java/onnx,benchmarks)", e);
        }
        try {
            return (AnchorEngine) engines.getMethod("open", String.class, int.class).invoke(null, workload, threads);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(LIBTORCH_ENGINES + ".open(String, int)", e);
        }
    }

    @Benchmark
    public double step() throws IOException {
        return anchor != null ? anchor.step() : cortadoStep();
    }

    @TearDown(Level.Trial)
    public final void tearDown() {
        if (anchor != null) {
            anchor.close();
        } else if (selection != null) {
            tearDownCortado();
            selection.close();
        }
    }
}
