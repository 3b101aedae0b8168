package dev.cortado.benchmarks;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The anchor for {@link LeNetLatencyBenchmark}: the same LeNet in PyTorch's C++ engine (libtorch,
 * through the org.bytedeco:pytorch preset), timed alike ({@link LatencyBenchmark}) in the same JMH run — eval mode,
 * InferenceMode, one call per request, one output value read. Built only with {@code -Ppytorch}
 * (libtorch is a 90 MB download the tests do not need).
 */
public class PyTorchLeNetLatencyBenchmark extends LatencyBenchmark {

    private Conv2dImpl conv1, conv2;
    private LinearImpl fc1, fc2;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        torch.set_num_threads(threads);
        // This libtorch does its GEMMs in OpenBLAS, whose own pthreads (one per core by default)
        // then fight PyTorch's OpenMP team for the cores: measured at batch 8 on 2 threads, p50
        // 8.0 ms and p99 77 ms. With one BLAS thread (all parallelism in PyTorch's team, as with
        // the MKL builds, where BLAS runs on the same OpenMP team) p50 2.2 ms, p99 5.4 ms.
        openblas.blas_set_num_threads(1);
        torch.manual_seed(1);
        conv1 = new Conv2dImpl(1, 20, new LongPointer(5L, 5L));
        conv2 = new Conv2dImpl(20, 50, new LongPointer(5L, 5L));
        fc1 = new LinearImpl(800, 500);
        fc2 = new LinearImpl(500, 10);
        x = torch.rand(batch, 1, 28, 28);
    }

    /** One forward pass (no autograd), its temporaries freed when the call returns. */
    @Benchmark
    public float infer() {
        try (PointerScope scope = new PointerScope(); InferenceMode mode = new InferenceMode()) {
            Tensor h = torch.max_pool2d(conv1.forward(x), 2, 2);
            h = torch.max_pool2d(conv2.forward(h), 2, 2);
            h = fc1.forward(h.flatten(1, -1)).relu();
            return fc2.forward(h).select(0, 0).select(0, 0).item_float();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (var p : new org.bytedeco.javacpp.Pointer[] {x, fc2, fc1, conv2, conv1}) p.close();
    }
}
