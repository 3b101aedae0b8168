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
 * One step of an issue-21 workload, on Cortado's cpu kernels ({@code -p engine=cortado}) or in
 * PyTorch ({@code -p engine=pytorch}: the same step of benchmarks/torch_worker.py's {@link #workload},
 * through a {@link PyTorchWorker}), both at {@code threads}, in the same JMH run.
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

    private PyTorchWorker torch;
    private Backends.Selection selection;

    /** torch_worker.py's name of this workload. */
    protected abstract String workload();

    /** Builds the model and resident data on the selected cpu kernels. */
    protected abstract void setUpCortado();

    /** One step in Cortado; its loss or an output value. */
    protected abstract double cortadoStep();

    protected abstract void tearDownCortado();

    @Setup(Level.Trial)
    public final void setUp() throws IOException {
        if (engine.equals("pytorch")) {
            torch = new PyTorchWorker(workload(), threads);
        } else {
            selection = BenchmarkBackend.select("cpu", threads);
            setUpCortado();
        }
    }

    @Benchmark
    public double step() throws IOException {
        return torch != null ? torch.step() : cortadoStep();
    }

    @TearDown(Level.Trial)
    public final void tearDown() {
        if (torch != null) {
            torch.close();
        } else {
            tearDownCortado();
            selection.close();
        }
    }
}
