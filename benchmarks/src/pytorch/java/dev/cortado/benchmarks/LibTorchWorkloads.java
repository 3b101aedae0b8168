package dev.cortado.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.DoubleSupplier;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * engine=libtorch of the {@link WorkloadBenchmark}s: benchmarks/torch_worker.py's four workloads in
 * libtorch 2.10 (PyTorch's C++ API through the org.bytedeco pytorch preset), in the JMH process, with
 * the same models ({@link LibTorchResNet20}, {@link LibTorchGpt}), batches and optimisers, on resident
 * random data (torch::manual_seed(1)), each step's loss or first output read once:
 * <ul>
 *   <li>resnet-train: batch 128 x 1 x 28 x 28, cross-entropy, SGD lr 0.1, Nesterov momentum 0.9, weight decay 5e-4;
 *   <li>resnet-infer: batch 500, eval mode (running statistics), no grad;
 *   <li>gpt-train: ids 32 x 64 over 113 characters, cross-entropy at every position, gradients clipped to norm 1,
 *       AdamW lr 1e-3, betas 0.9/0.99, weight decay 0.1 on the matrices and embeddings, 0 on biases and norms;
 *   <li>gpt-infer: ids 64 x 64, eval, no grad.
 * </ul>
 * libtorch runs at torch::set_num_threads(threads) and set_num_interop_threads(1). This build does its
 * GEMMs in OpenBLAS, whose own pthreads then fight libtorch's OpenMP team for the cores: with OpenBLAS at
 * 2 threads beside 2 torch threads a GPT training step took 524 ms, at 1 thread 181 ms (ResNet-20, whose
 * convolutions do not go through BLAS, 275 ms either way). So OpenBLAS gets one thread, as in
 * {@link PyTorchLeNetLatencyBenchmark}; {@code -Dcortado.libtorch.blasThreads=N} overrides it.
 * Compiled only with {@code -Ppytorch}; {@link WorkloadBenchmark} finds it by name.
 */
public final class LibTorchWorkloads implements AnchorEngine {

    private final AutoCloseable[] owned;
    private final DoubleSupplier step;

    private LibTorchWorkloads(DoubleSupplier step, AutoCloseable... owned) {
        this.step = step;
        this.owned = owned;
    }

    /** The libtorch side of torch_worker.py's {@code workload} at {@code threads}. */
    public static AnchorEngine open(String workload, int threads) {
        extractLibTorch();
        torch.set_num_threads(threads);
        try {
            torch.set_num_interop_threads(1);
        } catch (RuntimeException alreadySet) {
            // libtorch takes the inter-op count once per process, before any inter-op work
        }
        openblas.blas_set_num_threads(Integer.getInteger("cortado.libtorch.blasThreads", 1));
        torch.manual_seed(1);
        LibTorchWorkloads w = switch (workload) {
            case "resnet-train" -> resnetTrain();
            case "resnet-infer" -> resnetInfer();
            case "gpt-train" -> gptTrain();
            case "gpt-infer" -> gptInfer();
            default -> throw new IllegalArgumentException("libtorch: no workload " + workload);
        };
        return w;
    }

    /**
     * Extracts all of libtorch into JavaCPP's cache before the first library loads. Left to the loader, the
     * first run of a new benchmarks.jar extracts the libraries one by one as they load, so libtorch.so can
     * load before its libtorch_cpu.so is in the cache; the dynamic linker then finds Debian's libtorch_cpu.so
     * 1.13 (python3-torch, the other anchor) and the process dies in pthread_mutex_lock (seen twice, both
     * times on a fresh cache, never on a warm one).
     */
    private static void extractLibTorch() {
        try {
            Loader.cacheResources(LibTorchWorkloads.class, "/org/bytedeco/pytorch/" + Loader.getPlatform() + "/");
        } catch (IOException e) {
            throw new UncheckedIOException("libtorch: extracting the preset's libraries", e);
        }
    }

    static long parameterCount(TensorVector params) {
        long n = 0;
        for (long i = 0; i < params.size(); i++) n += params.get(i).numel();
        return n;
    }

    private static void announce(String workload, TensorVector params) {
        System.out.println("# libtorch " + workload + ": " + parameterCount(params) + " parameters, "
                + torch.get_num_threads() + " threads, OpenBLAS " + openblas.blas_get_num_threads() + " threads");
    }

    private static LibTorchWorkloads resnetTrain() {
        LibTorchResNet20 model = new LibTorchResNet20(10);
        model.root.train(true);
        TensorVector params = model.root.parameters();
        announce("resnet-train", params);
        SGDOptions o = new SGDOptions(0.1);
        o.momentum().put(0.9);
        o.nesterov().put(true);
        o.weight_decay().put(5e-4);
        SGD sgd = new SGD(params, o);
        Tensor x = torch.randn(128, 1, 28, 28);
        Tensor y = torch.randint(10, new long[] {128});
        return new LibTorchWorkloads(() -> {
            try (PointerScope scope = new PointerScope()) {
                Tensor loss = torch.cross_entropy_loss(model.forward(x), y);
                sgd.zero_grad(true);
                loss.backward();
                sgd.step();
                return loss.item_double();
            }
        }, sgd, x, y, params, model.root);
    }

    private static LibTorchWorkloads resnetInfer() {
        LibTorchResNet20 model = new LibTorchResNet20(10);
        model.root.eval();
        TensorVector params = model.root.parameters();
        announce("resnet-infer", params);
        Tensor x = torch.randn(500, 1, 28, 28);
        return new LibTorchWorkloads(() -> {
            try (PointerScope scope = new PointerScope(); NoGradGuard off = new NoGradGuard()) {
                return model.forward(x).select(0, 0).select(0, 0).item_double();
            }
        }, x, params, model.root);
    }

    private static LibTorchGpt gpt() {
        return new LibTorchGpt(GptTrainBenchmark.VOCAB, 128, 4, 4, 64);
    }

    private static LibTorchWorkloads gptTrain() {
        LibTorchGpt model = gpt();
        model.root.train(true);
        TensorVector params = model.root.parameters();
        announce("gpt-train", params);
        // gpt_char.py's two groups, as two AdamW over the two halves (AdamW is per parameter)
        TensorVector decay = new TensorVector(), noDecay = new TensorVector();
        for (long i = 0; i < params.size(); i++) (params.get(i).dim() >= 2 ? decay : noDecay).push_back(params.get(i));
        Optimizer[] opts = {adamW(decay, 0.1), adamW(noDecay, 0.0)};
        Tensor x = torch.randint(GptTrainBenchmark.VOCAB, new long[] {32, 64});
        Tensor y = torch.randint(GptTrainBenchmark.VOCAB, new long[] {32, 64});
        return new LibTorchWorkloads(() -> {
            try (PointerScope scope = new PointerScope()) {
                Tensor loss = torch.cross_entropy_loss(model.forward(x).flatten(0, 1), y.flatten());
                for (Optimizer o : opts) o.zero_grad(true);
                loss.backward();
                torch.clip_grad_norm_(params, 1.0);
                for (Optimizer o : opts) o.step();
                return loss.item_double();
            }
        }, opts[0], opts[1], x, y, decay, noDecay, params, model.root);
    }

    private static AdamW adamW(TensorVector params, double weightDecay) {
        AdamWOptions o = new AdamWOptions(1e-3);
        o.betas().put(0, 0.9).put(1, 0.99);
        o.eps().put(1e-8);
        o.weight_decay().put(weightDecay);
        return new AdamW(params, o);
    }

    private static LibTorchWorkloads gptInfer() {
        LibTorchGpt model = gpt();
        model.root.eval();
        TensorVector params = model.root.parameters();
        announce("gpt-infer", params);
        Tensor x = torch.randint(GptTrainBenchmark.VOCAB, new long[] {64, 64});
        return new LibTorchWorkloads(() -> {
            try (PointerScope scope = new PointerScope(); NoGradGuard off = new NoGradGuard()) {
                return model.forward(x).select(0, 0).select(0, 0).select(0, 0).item_double();
            }
        }, x, params, model.root);
    }

    @Override
    public double step() {
        return step.getAsDouble();
    }

    @Override
    public void close() {
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
